// Parsing the whole KasperskyOS corpus file by file (the `citadel parse` path) against merely
// reading the files, and whether a pass stays under its 1 s budget.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { collectSpecFiles, parseSpecFile } from '../src/cli/parse.ts';
import { DiagnosticBag } from '../src/lang/diagnostics.ts';
import { measure, report, row, sink, spread, type Case } from './harness.ts';

const BUDGET_MS = 1000;
const corpus = fileURLToPath(new URL('../../shared/reference/kos-corpus/', import.meta.url));
if (!existsSync(corpus)) {
  process.stdout.write(`parse benchmark skipped: no corpus at ${corpus}\n`);
  process.exit(0);
}

const { files } = collectSpecFiles([corpus]);
const NO_DEFINES: ReadonlyMap<string, string> = new Map();
const display = files.map((f) => path.relative(corpus, f));

/** One pass over every file; the number of files with errors. */
function parseAll(): number {
  let failed = 0;
  for (let i = 0; i < files.length; i++) {
    const diags = new DiagnosticBag();
    parseSpecFile(files[i]!, display[i]!, NO_DEFINES, diags);
    if (diags.hasErrors) failed++;
  }
  return failed;
}
function readAll(): number {
  let bytes = 0;
  for (const f of files) bytes += readFileSync(f, 'utf8').length;
  return bytes;
}

// The first pass in this fresh process, before the parsers are compiled: what a CLI run pays.
let failed = -1;
const cold = new Bench({ warmup: false, iterations: 1, time: 0, throws: true }).add('cold', () => { failed = parseAll(); }).runSync()[0]!.result;
if (cold.state !== 'completed') throw new Error('cold pass did not complete');
const coldMs = cold.latency.max;
if (failed !== 0) throw new Error(`${failed} corpus files failed to parse`);

const READ = `read ${files.length} files`, PARSE = `parse ${files.length} files (parseSpecFile)`;
const cases: Case[] = [
  { name: READ, ops: 1, fn: () => { sink.value += readAll(); } },
  { name: PARSE, ops: 1, fn: () => { sink.value += parseAll(); } },
];
const results = measure(cases, { runs: 5, time: 1000, warmupTime: 200, iterations: 5 });
const parse = spread(results.get(PARSE)!.map((ns) => ns / 1e6));
const worst = Math.max(parse.max, coldMs);
report({
  title: `Parsing the KasperskyOS corpus (${files.length} files)`,
  runs: 5,
  rows: [
    row(results, READ, 'ms'),
    row(results, PARSE, 'ms', [READ], 'includes reading'),
    { name: 'parse, first pass in a fresh process', unit: 'ms', value: { median: coldMs, min: coldMs, max: coldMs }, ratios: [], note: 'one sample: cold JIT' },
  ],
  checks: [{ name: `a pass parses all files under the ${BUDGET_MS} ms budget`, ok: worst < BUDGET_MS, detail: `slowest pass ${worst.toFixed(1)} ms (cold ${coldMs.toFixed(1)} ms, warm max ${parse.max.toFixed(1)} ms)` }],
  notes: [`corpus: ${corpus} (${files.length} files, ${(readAll() / 1024).toFixed(0)} KiB), templates rendered with no -D values`],
});
if (worst >= BUDGET_MS) process.exitCode = 1;
