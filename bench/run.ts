// `npm run bench`: runs every bench/*.bench.ts in its own child process and writes bench/REPORT.md.
//
// Protocol for a benchmark file (bench/<name>.bench.ts):
// - It is run as `<process.execPath> bench/<name>.bench.ts` from the project root, one at a time
//   (this is a 2-core machine: benchmarks never run side by side), with no arguments.
// - It prints whatever it likes for people, plus one line per result table:
//     RESULT {"title": …, "runs": 5, "rows": [ROW, …], "checks": [CHECK, …], "notes": ["…"]}
//   i.e. `RESULT ` followed by a one-line JSON `BenchResult` (bench/harness.ts), where
//     ROW   = {"name": "case", "unit": "ns/op" | "µs/op" | "ms" | …,
//              "value": {"median": n, "min": n, "max": n},
//              "ratios": [{"to": "baseline case name", "value": {"median": n, "min": n, "max": n}}],
//              "note"?: "…"}
//     CHECK = {"name": "goal or budget", "ok": true | false, "detail": "…"}
//   `value` is the median over `runs` rounds with the min–max of the rounds; each ratio is computed
//   round by round against a baseline measured in the same process and round, then reduced the same
//   way. Absolute times on a shared machine are noise: the ratios are the figures to read.
//   `report()` and `measure()`/`row()` in bench/harness.ts produce exactly this.
//   Shorthands also accepted: a row may give `median`/`min`/`max` directly instead of `value`, and a
//   free-text `ratio` (shown as a note); `title` defaults to a `bench` field or the file name;
//   `ratios`, `checks` and `notes` may be left out. A line that is none of these is reported as malformed.
// - Exit 0 when it ran (a failed check may still exit 0: only budgets a benchmark asserts make it
//   exit non-zero). A benchmark that cannot run here (missing input) prints why, no RESULT line,
//   and exits 0: it is reported as skipped.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX, type BenchResult, type ResultRow, type Spread } from './harness.ts';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.dirname(benchDir);

interface Outcome {
  readonly file: string;
  readonly code: number | null;
  readonly seconds: number;
  readonly results: BenchResult[];
  /** RESULT lines that could not be read. */
  readonly malformed: number;
  /** Output other than RESULT lines, for a skipped or failed benchmark. */
  readonly text: string;
  readonly stderr: string;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSpread = (v: unknown): v is Spread => typeof v === 'object' && v !== null && isNum((v as Spread).median) && isNum((v as Spread).min) && isNum((v as Spread).max);

/** A RESULT payload as a BenchResult, accepting the shorthand forms; undefined if it is neither. */
function normalize(v: unknown, file: string): BenchResult | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (!Array.isArray(r.rows)) return undefined;
  const rows: ResultRow[] = [];
  for (const x of r.rows as Record<string, unknown>[]) {
    if (typeof x !== 'object' || x === null || typeof x.name !== 'string') return undefined;
    const value = isSpread(x.value) ? x.value : isSpread(x) ? { median: x.median as number, min: x.min as number, max: x.max as number } : undefined;
    if (value === undefined) return undefined;
    const ratios = Array.isArray(x.ratios) ? (x.ratios as ResultRow['ratios']).filter((q) => typeof q?.to === 'string' && isSpread(q.value)) : [];
    const note = [x.note, x.ratio].filter((n): n is string => typeof n === 'string' && n !== '').join('; ');
    rows.push({ name: x.name, unit: typeof x.unit === 'string' ? x.unit : '', value, ratios, ...(note ? { note } : {}) });
  }
  const list = <T>(a: unknown, ok: (x: unknown) => boolean): T[] => (Array.isArray(a) ? a.filter(ok) as T[] : []);
  return {
    title: typeof r.title === 'string' ? r.title : typeof r.bench === 'string' ? r.bench : file,
    runs: isNum(r.runs) ? r.runs : 0,
    rows,
    checks: list((r.checks), (c) => typeof (c as { name?: unknown })?.name === 'string' && typeof (c as { ok?: unknown }).ok === 'boolean'),
    notes: list(r.notes, (n) => typeof n === 'string'),
  };
}

function runOne(file: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join('bench', file)], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', echoed = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      // Echo the human part as whole lines arrive; RESULT lines go to the report.
      const end = out.lastIndexOf('\n') + 1;
      for (const line of out.slice(echoed, end).split('\n').slice(0, -1)) {
        if (!line.startsWith(RESULT_PREFIX)) process.stdout.write(`${line}\n`);
      }
      echoed = Math.max(echoed, end);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      process.stderr.write(chunk);
    });
    child.on('close', (code) => {
      const results: BenchResult[] = [];
      const text: string[] = [];
      let malformed = 0;
      for (const line of out.split('\n')) {
        if (!line.startsWith(RESULT_PREFIX)) {
          if (line.trim() !== '') text.push(line);
          continue;
        }
        try {
          const parsed = normalize(JSON.parse(line.slice(RESULT_PREFIX.length)), file);
          if (parsed) results.push(parsed);
          else {
            malformed++;
            err += `\nmalformed RESULT line (not a BenchResult): ${line.slice(0, 200)}`;
          }
        } catch (e) {
          malformed++;
          err += `\nmalformed RESULT line (${(e as Error).message}): ${line.slice(0, 200)}`;
        }
      }
      resolve({ file, code, seconds: (performance.now() - started) / 1000, results, malformed, text: text.join('\n'), stderr: err });
    });
  });
}

// ---- the report ---------------------------------------------------------------------------------

const num = (n: number): string => {
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toPrecision(2);
};
const cell = (s: Spread, suffix = ''): string => `**${num(s.median)}${suffix}** (${num(s.min)}–${num(s.max)})`;
const esc = (s: string): string => s.replaceAll('|', '\\|');

function table(r: BenchResult): string[] {
  const baselines = [...new Set(r.rows.flatMap((x: ResultRow) => x.ratios.map((q) => q.to)))];
  const notes = r.rows.some((x) => x.note !== undefined);
  const head = ['case', 'time', ...baselines.map((b) => `ratio vs ${b}`), ...(notes ? ['note'] : [])];
  const lines = [`### ${esc(r.title)}`, '', `| ${head.map(esc).join(' | ')} |`, `|${head.map((_, i) => (i === 0 || (notes && i === head.length - 1) ? '---' : '---:')).join('|')}|`];
  for (const x of r.rows) {
    const ratios = baselines.map((b) => {
      const q = x.ratios.find((y) => y.to === b);
      return q ? cell(q.value, '×') : x.name === b ? '1× (baseline)' : '';
    });
    lines.push(`| ${[esc(x.name), `${cell(x.value)} ${x.unit}`, ...ratios, ...(notes ? [esc(x.note ?? '')] : [])].join(' | ')} |`);
  }
  lines.push('');
  for (const c of r.checks) lines.push(`- ${c.ok ? '✅' : '❌'} ${esc(c.name)}: ${esc(c.detail)}`);
  for (const n of r.notes) lines.push(`- ${esc(n)}`);
  if (r.checks.length + r.notes.length > 0) lines.push('');
  return lines;
}

function reportText(outcomes: readonly Outcome[], started: Date): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(', ') || 'unknown';
  const lines = [
    '# Benchmark report',
    '',
    `Written by \`npm run bench\` (bench/run.ts); do not edit by hand.`,
    '',
    `- date: ${started.toISOString()}`,
    `- node: ${process.version} (V8 ${process.versions.v8}), each benchmark in a child process of the same binary`,
    `- machine: ${models} × ${cpus.length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    '',
    'Each figure is the **median** over repeated rounds, with the min–max of the rounds in parentheses.',
    'Ratios are taken round by round against a baseline measured in the same process and round, so',
    'they survive the noise of a shared machine; absolute times do not. Timing is by tinybench; each',
    'sample batches enough operations to dwarf the timer\'s own cost.',
    '',
  ];
  for (const o of outcomes) {
    const status = o.code !== 0 ? ` — **exited with ${o.code}**` : o.malformed > 0 ? ` — **${o.malformed} malformed RESULT line(s)**` : o.results.length === 0 ? ' — skipped' : '';
    lines.push(`## ${o.file}${status}`, '', `Ran in ${o.seconds.toFixed(1)} s.`, '');
    if (o.results.length === 0 || o.code !== 0 || o.malformed > 0) {
      const why = [o.text, o.stderr].filter((s) => s.trim() !== '').join('\n').trim().split('\n').slice(-15).join('\n');
      if (why) lines.push('```', why, '```', '');
    }
    for (const r of o.results) lines.push(...table(r));
  }
  return lines.join('\n');
}

const started = new Date();
const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort();
if (files.length === 0) {
  process.stderr.write('no bench/*.bench.ts files\n');
  process.exit(1);
}
const outcomes: Outcome[] = [];
for (const file of files) {
  process.stdout.write(`\n== ${file}\n`);
  outcomes.push(await runOne(file));
}
const reportPath = path.join(benchDir, 'REPORT.md');
writeFileSync(reportPath, reportText(outcomes, started));
const failed = outcomes.filter((o) => o.code !== 0 || o.malformed > 0);
process.stdout.write(`\nwrote ${path.relative(process.cwd(), reportPath)}: ${outcomes.length} benchmarks, ${failed.length} failed\n`);
for (const c of outcomes.flatMap((o) => o.results.flatMap((r) => r.checks))) if (!c.ok) process.stdout.write(`check not met: ${c.name}: ${c.detail}\n`);
process.exitCode = failed.length === 0 ? 0 : 1;
