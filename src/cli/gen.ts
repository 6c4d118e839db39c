// `citadel gen <solution-dir> [-o dir]`: write the generated TypeScript for a valid solution.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../codegen/generate.ts';
import { checkAndReport } from './check.ts';
import { plural } from './report.ts';

export function runGen(dir: string, out: string | undefined): number {
  const { model } = checkAndReport(dir);
  if (!model) return 1;
  const outDir = out ?? path.join(dir, 'gen');
  const files = generate(model);
  for (const [rel, text] of files) {
    const abs = path.join(outDir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  process.stdout.write(`generated ${plural(files.size, 'file')} in ${outDir}\n`);
  return 0;
}
