// Shared by the benchmarks: runs tinybench rounds, reduces them to a median with its min–max over
// the rounds, and prints a human table plus the RESULT line bench/run.ts collects (protocol there).
import { Bench } from 'tinybench';

/** A figure over repeated rounds: the median of the per-round values and their range. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface ResultRow {
  readonly name: string;
  /** Unit of `value`: `ns/op`, `µs/op`, `ms`. */
  readonly unit: string;
  readonly value: Spread;
  /** This row's time over a baseline's, computed round by round (both measured in that round). */
  readonly ratios: readonly { readonly to: string; readonly value: Spread }[];
  readonly note?: string;
}

/** A pass/fail statement about the figures (a goal or a budget). */
export interface ResultCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What one RESULT line carries: one table of the report. */
export interface BenchResult {
  /** Table title. */
  readonly title: string;
  /** Number of rounds each figure's spread is taken over. */
  readonly runs: number;
  readonly rows: readonly ResultRow[];
  readonly checks: readonly ResultCheck[];
  readonly notes: readonly string[];
}

export const RESULT_PREFIX = 'RESULT ';

export interface Case {
  readonly name: string;
  /** One sample: `ops` operations. Batching amortizes the timer's own cost (~30 ns) over ns-scale work. */
  readonly fn: () => void;
  readonly ops: number;
}

export interface MeasureOptions {
  /** Rounds; each runs every case once, in order, as its own tinybench run. Default 5. */
  readonly runs?: number;
  /** tinybench time budget per case and round, ms. */
  readonly time?: number;
  readonly warmupTime?: number;
  readonly iterations?: number;
}

/** Per case, the median sample time of each round in ns per operation. */
export function measure(cases: readonly Case[], options: MeasureOptions = {}): Map<string, number[]> {
  const runs = options.runs ?? 5;
  const out = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < runs; round++) {
    const bench = new Bench({ time: options.time ?? 300, warmupTime: options.warmupTime ?? 100, iterations: options.iterations ?? 10, throws: true });
    for (const c of cases) bench.add(c.name, c.fn);
    const tasks = bench.runSync();
    tasks.forEach((task, i) => {
      const r = task.result;
      if (r.state !== 'completed') throw new Error(`benchmark case "${task.name}" did not complete (${r.state})`);
      out.get(task.name)!.push((r.latency.p50 * 1e6) / cases[i]!.ops);
    });
  }
  return out;
}

export function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

const SCALE: Readonly<Record<string, number>> = { 'ns/op': 1, 'µs/op': 1e3, ms: 1e6 };

/** A row from per-round ns values, with ratios to the named baselines taken round by round. */
export function row(
  results: ReadonlyMap<string, readonly number[]>, name: string, unit: string,
  baselines: readonly string[] = [], note?: string,
): ResultRow {
  const ns = results.get(name);
  if (ns === undefined) throw new Error(`no measurements for "${name}"`);
  const scale = SCALE[unit] ?? 1;
  const ratios = baselines.filter((b) => b !== name).map((to) => {
    const base = results.get(to);
    if (base === undefined || base.length !== ns.length) throw new Error(`baseline "${to}" was not measured in the same rounds`);
    return { to, value: spread(ns.map((v, i) => v / base[i]!)) };
  });
  return { name, unit, value: spread(ns.map((v) => v / scale)), ratios, ...(note === undefined ? {} : { note }) };
}

/** Significant digits that suit the magnitude. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toPrecision(2);
}

export function fmtSpread(s: Spread, suffix = ''): string {
  return `${fmt(s.median)}${suffix} (${fmt(s.min)}–${fmt(s.max)})`;
}

/** Prints the result for people, then as the RESULT line. */
export function report(result: BenchResult): void {
  const lines = [`\n${result.title}  (median of ${result.runs} rounds, min–max in parentheses)`];
  const w = Math.max(...result.rows.map((r) => r.name.length));
  for (const r of result.rows) {
    const ratios = r.ratios.map((x) => `  ${fmtSpread(x.value, '×')} vs ${x.to}`).join('');
    lines.push(`  ${r.name.padEnd(w)}  ${fmtSpread(r.value)} ${r.unit}${ratios}${r.note ? `  [${r.note}]` : ''}`);
  }
  for (const c of result.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
  for (const n of result.notes) lines.push(`  note: ${n}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Written by the benchmarked loops so the work cannot be optimized away. */
export const sink = { value: 0 };
