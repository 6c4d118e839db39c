// `citadel test <solution-dir>` and `citadel test --kos <repo-dir>`: run PAL policy tests with no
// entities started; one line per sequence, then `N passed, N failed`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkAll } from '../build/check.ts';
import { checkKosPolicy, findPolicyTestFiles } from '../build/kos.ts';
import type { CompiledPolicy } from '../policy/compile.ts';
import { runPalSuites, type PalOutcome } from '../policy/pal-run.ts';
import { DiagnosticBag } from '../lang/diagnostics.ts';
import { parsePsl } from '../lang/psl.ts';
import { makeSource } from '../lang/source.ts';
import { parseDefines } from './parse.ts';
import { printDiagnostics } from './report.ts';

/** Sequences declared in a policy file, by parsing it (comments and names don't count). */
function countSequences(file: string): number {
  const parsed = parsePsl(makeSource(file, readFileSync(file, 'utf8')), new DiagnosticBag());
  return parsed.decls.reduce((n, d) => n + (d.kind === 'assert' ? d.sequences.length : 0), 0);
}

function report(outcomes: readonly PalOutcome[]): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const o of outcomes) {
    const name = `${o.suite ?? '(unnamed assert)'} / ${o.sequence ?? '(unnamed sequence)'}`;
    if (o.passed) {
      passed++;
      process.stdout.write(`pass  ${name}  (${o.origin})\n`);
    } else {
      failed++;
      process.stdout.write(`FAIL  ${name}  (${o.origin})\n${o.failure!.replace(/^/gm, '      ')}\n`);
    }
  }
  return { passed, failed };
}

function run(policy: CompiledPolicy): { passed: number; failed: number } {
  return report(runPalSuites(policy.ir, policy.suites));
}

export function runTest(dir: string): number {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    process.stderr.write(`citadel: error: solution directory "${dir}" does not exist\n`);
    return 1;
  }
  const result = checkAll(dir);
  const { errors } = printDiagnostics(result.diagnostics);
  if (errors > 0 || !result.policy) {
    process.stderr.write(`${dir}: the policy does not compile; no tests run\n`);
    return 1;
  }
  const { passed, failed } = run(result.policy);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

export function runTestKos(repo: string, defines: readonly string[], stubMissing: boolean): number {
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    process.stderr.write(`citadel: error: repository directory "${repo}" does not exist\n`);
    return 1;
  }
  let passed = 0;
  let failed = 0;
  for (const file of findPolicyTestFiles(repo)) {
    const result = checkKosPolicy(repo, file, { defines: parseDefines(defines), stubMissing });
    const { errors } = printDiagnostics(result.diagnostics);
    if (errors > 0 || !result.policy) {
      process.stdout.write(`FAIL  ${path.relative(process.cwd(), file)}: the policy does not compile, so its tests cannot run\n`);
      // Every sequence in the file counts as failed: a broken policy passes nothing.
      failed += Math.max(1, countSequences(file));
      continue;
    }
    const r = run(result.policy);
    passed += r.passed;
    failed += r.failed;
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
