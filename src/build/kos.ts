// KasperskyOS repositories as they are: find each solution (an init description plus the policy
// beside it), then run every static check of a Citadel solution on it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from '../lang/diagnostics.ts';
import type { Defines } from '../lang/template.ts';
import { SpecLoader } from '../model/loader.ts';
import type { SolutionModel } from '../model/model.ts';
import { checkSolution } from '../model/resolve.ts';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.ts';
import { classesNamedBy, loadPolicyFiles } from '../policy/files.ts';

export interface KosSolution {
  /** The init description (`init.yaml`, `*.yaml.in` …). */
  readonly init: string;
  /** The policy that goes with it, when one is found. */
  readonly policy: string | undefined;
}

export interface KosOptions {
  readonly defines: Defines;
  readonly stubMissing: boolean;
}

const SKIP = new Set(['node_modules', '.git']);

function walk(dir: string, visit: (abs: string) => void): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) { if (!SKIP.has(e.name) && !e.name.startsWith('.')) walk(abs, visit); }
    else visit(abs);
  }
}

/** Every init description in the repository (YAML whose top level is `entities:`) with its policy. */
export function findKosSolutions(repo: string): KosSolution[] {
  const solutions: KosSolution[] = [];
  walk(path.resolve(repo), (abs) => {
    if (!/\.ya?ml(\.in)?$/.test(abs) || !/^entities\s*:/m.test(readFileSync(abs, 'utf8'))) return;
    solutions.push({ init: abs, policy: policyBeside(abs) });
  });
  return solutions;
}

/**
 * The policy of an init description: `<stem>.psl` next to it (`real_offline.yaml.in` →
 * `real_offline.psl.in`; `client.init.yaml.in` → `client.psl`), else `security.psl` next to it,
 * else `security.psl` in a sibling folder (`einit/src/init.yaml.in` → `einit/psl/security.psl.in`).
 */
export function policyBeside(init: string): string | undefined {
  const dir = path.dirname(init);
  const stem = path.basename(init).replace(/\.ya?ml(\.in)?$/, '');
  const names = [stem, stem.replace(/\.init$/, ''), 'security'].flatMap((n) => [`${n}.psl`, `${n}.psl.in`]);
  for (const n of names) {
    if (existsSync(path.join(dir, n))) return path.join(dir, n);
  }
  const parent = path.dirname(dir);
  for (const sibling of readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const n of ['security.psl', 'security.psl.in']) {
      const abs = path.join(parent, sibling, n);
      if (existsSync(abs)) return abs;
    }
  }
  return undefined;
}

export interface KosCheck {
  readonly model: SolutionModel | undefined;
  readonly policy: CompiledPolicy | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function checkKosSolution(repo: string, solution: KosSolution, options: KosOptions): KosCheck {
  const diags = new DiagnosticBag();
  const kos = { base: path.dirname(solution.init), defines: options.defines };
  const loader = new SpecLoader(repo, diags, [], kos);
  const files = solution.policy ? loadPolicyFiles(loader, solution.policy, diags, { stubMissing: options.stubMissing }) : undefined;
  const result = checkSolution(repo, {
    loader,
    initFile: solution.init,
    discover: false,
    kos: { ...kos, stubMissing: options.stubMissing },
    extraClasses: files ? classesNamedBy(files) : [],
  });
  const policy = files ? compilePolicy(result.partial, files, diags) : undefined;
  const ok = !diags.hasErrors;
  return { model: ok ? result.partial : undefined, policy: ok ? policy : undefined, diagnostics: sortDiagnostics(diags.items) };
}

/** Every policy file of the repository that holds PAL tests (`assert` blocks). */
export function findPolicyTestFiles(repo: string): string[] {
  const files: string[] = [];
  walk(path.resolve(repo), (abs) => {
    if (/\.psl(\.in)?$/.test(abs) && /^\s*assert\b/m.test(readFileSync(abs, 'utf8'))) files.push(abs);
  });
  return files;
}

/** Compiles one policy file of a repository (with its includes) against the repository's specs. */
export function checkKosPolicy(repo: string, policyFile: string, options: KosOptions): KosCheck {
  const diags = new DiagnosticBag();
  const kos = { base: path.dirname(policyFile), defines: options.defines };
  const loader = new SpecLoader(repo, diags, [], kos);
  const files = loadPolicyFiles(loader, policyFile, diags, { stubMissing: options.stubMissing });
  const result = checkSolution(repo, {
    loader,
    initFile: false,
    discover: false,
    kos: { ...kos, stubMissing: options.stubMissing },
    extraClasses: classesNamedBy(files),
  });
  const policy = compilePolicy(result.partial, files, diags);
  const ok = !diags.hasErrors;
  return { model: ok ? result.partial : undefined, policy: ok ? policy : undefined, diagnostics: sortDiagnostics(diags.items) };
}
