// Generates the TypeScript of each shipped service (src/services/<name>/spec) into its gen/ folder,
// importing the codec runtime from src/entity/wire.ts. Run after changing a service's IDL/EDL:
//   node src/build/service-gen.ts
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../codegen/generate.ts';
import { formatDiagnostic } from '../lang/diagnostics.ts';
import { makeSource, span } from '../lang/source.ts';
import { serviceIncludeDirs } from '../model/loader.ts';
import { checkSolution } from '../model/resolve.ts';

/** The generated files of the service whose spec folder is `specDir`. */
export function generateService(specDir: string): Map<string, string> {
  const classes: string[] = [];
  const walk = (dir: string, prefix: string[]) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), [...prefix, e.name]);
      else if (e.name.endsWith('.edl')) classes.push([...prefix, e.name.slice(0, -4)].join('.'));
    }
  };
  walk(specDir, []);
  const at = span(makeSource('<service>', ''), 0);
  const result = checkSolution(specDir, { initFile: false, discover: true, extraClasses: classes.map((name) => ({ name, span: at })) });
  if (!result.model) throw new Error(`service specs in ${specDir} do not check:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  const outDir = path.join(specDir, '..', 'gen');
  const entityDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../entity');
  const rel = (to: string) => path.relative(outDir, to).split(path.sep).join('/');
  // The runtime and the kernel interfaces (kl.core.*) are imported from src/entity, not copied.
  const files = [...generate(result.model)].filter(([name]) => !['wire.ts', 'index.ts', 'Einit.edl.ts'].includes(name) && !name.startsWith('kl.core.'));
  return new Map(files.map(([name, text]) => [name, text
    .replaceAll('from "./wire.ts"', `from "${rel(path.join(entityDir, 'wire.ts'))}"`)
    .replace(/from "\.\/(kl\.core\.[A-Za-z]+\.(?:idl|edl)\.ts)"/g, (_m, file: string) => `from "${rel(path.join(entityDir, 'gen', file))}"`)]));
}

export function writeServiceGen(): string[] {
  const written: string[] = [];
  for (const spec of serviceIncludeDirs()) {
    const out = path.join(spec, '..', 'gen');
    mkdirSync(out, { recursive: true });
    for (const old of readdirSync(out)) rmSync(path.join(out, old));
    for (const [name, text] of generateService(spec)) {
      writeFileSync(path.join(out, name), text);
      written.push(path.join(out, name));
    }
  }
  return written;
}

if (import.meta.main) process.stdout.write(`generated ${writeServiceGen().length} files\n`);
