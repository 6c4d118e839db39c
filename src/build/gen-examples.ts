// Writes gen/ for every example solution (and the IPC benchmark's), so their entity code
// type-checks on a fresh clone without committing generated copies: `npm run typecheck` runs it.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../codegen/generate.ts';
import { formatDiagnostic } from '../lang/diagnostics.ts';
import { checkSolution } from '../model/resolve.ts';
import { writeGenerated } from './build.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function exampleSolutions(): string[] {
  const examples = path.join(ROOT, 'examples');
  const dirs = readdirSync(examples, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(examples, e.name));
  return [...dirs, path.join(ROOT, 'bench', 'ipc')].filter((d) => existsSync(path.join(d, 'init.yaml')));
}

if (import.meta.main) {
  for (const dir of exampleSolutions()) {
    const result = checkSolution(dir);
    if (!result.model) {
      process.stderr.write(`${path.relative(ROOT, dir)} does not check:\n${result.diagnostics.map(formatDiagnostic).join('\n')}\n`);
      process.exit(1);
    }
    writeGenerated(path.join(dir, 'gen'), generate(result.model));
  }
}
