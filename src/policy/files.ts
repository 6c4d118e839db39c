// Loads a policy: the top-level PSL file and, depth first, every module it includes with `use`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import { parsePsl } from '../lang/psl.ts';
import type { PslDecl, PslFile } from '../lang/psl-ast.ts';
import type { Span } from '../lang/source.ts';
import type { SpecLoader } from '../model/loader.ts';

export interface PolicyFilesOptions {
  /** KasperskyOS repositories: skip policy modules that cannot be found, with a warning. */
  readonly stubMissing?: boolean;
}

/** Files in dependency order: included modules before the files that include them. */
export function loadPolicyFiles(loader: SpecLoader, entryAbs: string, diags: DiagnosticBag, options: PolicyFilesOptions = {}): PslFile[] {
  const files: PslFile[] = [];
  const loaded = new Set<string>();
  const load = (abs: string) => {
    if (loaded.has(abs)) return;
    loaded.add(abs);
    const file = parsePsl(loader.readSource(abs), diags);
    const stubs: PslDecl[] = [];
    for (const d of file.decls) {
      if (d.kind !== 'use') continue;
      const target = locateModule(loader, d.module.text, path.dirname(abs));
      if (target) load(target);
      else if (options.stubMissing) {
        // SDK modules `use X._` include the EDL of program X; the stand-in does just that.
        diags.warning(d.module.span, `unresolved policy module "${d.module.text}" replaced by a stand-in that only includes EDL ${d.module.text} (--stub-missing)`);
        stubs.push({ kind: 'use-edl', name: d.module, span: d.span });
      } else {
        diags.error(d.module.span, `unknown policy module "${d.module.text}": no ${d.module.text.split('.').join('/')}.psl beside this file, in the solution or in Citadel's include tree${loader.kos ? ' (--stub-missing replaces it with a stand-in)' : ''}`);
      }
    }
    files.push(stubs.length ? { ...file, decls: [...stubs, ...file.decls] } : file);
  };
  load(entryAbs);
  return files;
}

/** `use a.b._` → `a/b.psl` (or `.psl.in`) beside the including file, then on the include path. */
function locateModule(loader: SpecLoader, name: string, dir: string): string | undefined {
  const rel = name.split('.').join(path.sep) + '.psl';
  for (const candidate of [rel, rel + '.in']) {
    const abs = path.join(dir, candidate);
    if (existsSync(abs)) return abs;
  }
  return loader.locate(name, 'psl') ?? loader.locate(name, 'psl.in');
}

/** Process classes a policy names (`use EDL X`, `task class A : X`), for the model to resolve. */
export function classesNamedBy(files: readonly PslFile[]): { name: string; span: Span }[] {
  return files.flatMap((f) => f.decls.flatMap((d) =>
    d.kind === 'use-edl' ? [{ name: d.name.text, span: d.name.span }]
      : d.kind === 'task-class' ? [{ name: d.edl.text, span: d.edl.span }] : []));
}
