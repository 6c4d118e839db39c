// Robustness jobs run in a worker thread: a parser that loops forever (or eats all memory) then
// fails its test with the offending input instead of hanging the whole suite.
//
// The module is both the main-thread API (`runJob`) and the worker entry (same file, loaded with
// `workerData` set): the worker runs the job synchronously, posting each input before it is tried.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { parseComponentFile } from '../../src/lang/component.ts';
import { DiagnosticBag, formatDiagnostic, type Diagnostic } from '../../src/lang/diagnostics.ts';
import { parseIdl } from '../../src/lang/idl.ts';
import { parseInitYaml } from '../../src/lang/init-yaml.ts';
import { makeSource } from '../../src/lang/source.ts';
import { checkSolution } from '../../src/model/resolve.ts';
import { PING_EXAMPLE, readSolution, type SolutionFiles } from './solution.ts';

export type Lang = 'idl' | 'cdl' | 'edl' | 'yaml';

export type Job =
  /** Parse one text; the result is its formatted diagnostics plus a small summary of the tree. */
  | { readonly kind: 'parse'; readonly lang: Lang; readonly path: string; readonly text: string }
  /** The mutation property over the example solution (see `mutationProperty`). */
  | { readonly kind: 'fuzz'; readonly seed: number; readonly numRuns: number };

export interface ParseOutcome {
  readonly diagnostics: readonly string[];
  /** `name : target` for every endpoint and component instance (CDL/EDL), in order. */
  readonly entries: readonly string[];
}

export interface FuzzOutcome {
  readonly failed: boolean;
  readonly numRuns: number;
  /** fast-check's report when the property failed (counterexample, seed, path, error). */
  readonly report: string;
}

export type JobResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string; readonly lastInput: string | undefined };

interface WorkerInput {
  readonly job: Job;
  readonly scratch: string | undefined;
}

type WorkerMessage =
  | { readonly type: 'input'; readonly input: string }
  | { readonly type: 'done'; readonly value: unknown };

/**
 * Runs `job` in a worker. Fails (ok: false) when one input takes longer than `idleMs`, when the
 * worker runs out of its heap (a parser accumulating diagnostics in an endless loop), or throws.
 */
export function runJob(job: Extract<Job, { kind: 'parse' }>, idleMs?: number): Promise<JobResult<ParseOutcome>>;
export function runJob(job: Extract<Job, { kind: 'fuzz' }>, idleMs?: number): Promise<JobResult<FuzzOutcome>>;
export function runJob(job: Job, idleMs = 4000): Promise<JobResult<unknown>> {
  // The scratch directory belongs to this thread: a terminated worker cannot clean up after itself.
  const scratch = job.kind === 'fuzz' ? mkdtempSync(path.join(os.tmpdir(), 'citadel-fuzz-')) : undefined;
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { job, scratch } satisfies WorkerInput,
      resourceLimits: { maxOldGenerationSizeMb: 192 },
    });
    let lastInput: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: JobResult<unknown>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate().finally(() => {
        if (scratch) rmSync(scratch, { recursive: true, force: true });
        resolve(r);
      });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, reason: `no result within ${idleMs} ms (the code under test does not terminate)`, lastInput }), idleMs);
    };
    arm();
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'input') { lastInput = m.input; arm(); }
      else finish({ ok: true, value: m.value });
    });
    worker.on('error', (err: unknown) => finish({ ok: false, reason: `worker failed: ${err instanceof Error ? err.message : String(err)}`, lastInput }));
    worker.on('exit', (code) => finish({ ok: false, reason: `worker exited with code ${code} before finishing`, lastInput }));
  });
}

// ---------------------------------------------------------------------------------------------
// Worker side.

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

function langOf(rel: string): Lang | undefined {
  const m = /\.(idl|cdl|edl)$/.exec(rel);
  if (m) return m[1] as Lang;
  return rel.endsWith('.yaml') ? 'yaml' : undefined;
}

function parseWith(lang: Lang, rel: string, text: string, diags: DiagnosticBag): { file: ReturnType<typeof makeSource>; entries: string[] } {
  const file = makeSource(rel, text);
  const entries: string[] = [];
  if (lang === 'idl') parseIdl(file, diags);
  else if (lang === 'yaml') parseInitYaml(file, diags);
  else {
    const ast = parseComponentFile(file, lang, diags);
    for (const e of ast.endpoints) entries.push(`${e.name.text} : ${e.iface.text}`);
    for (const c of ast.components) entries.push(`${c.name.text} : ${c.component.text}`);
  }
  return { file, entries };
}

/** Throws when a diagnostic's span is not inside its own file, or it cannot be formatted. */
function checkSpans(diagnostics: readonly Diagnostic[], where: string): void {
  for (const d of diagnostics) {
    const { file, start, end } = d.span;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= file.text.length)) {
      throw new Error(`${where}: diagnostic "${d.message}" has span ${start}..${end} outside ${file.path} (length ${file.text.length})`);
    }
    formatDiagnostic(d);
  }
}

export type Edit =
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'duplicateLine'; readonly line: number }
  | { readonly op: 'deleteLine'; readonly line: number };

/** Characters that matter to the grammars (punctuation, digits, quotes, whitespace, YAML indicators). */
const INTERESTING = [...'{}()<>[];:,.=+-*/%|&^~!"\'#@`\\\t\n 0123456789xoAZaz_'];

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...INTERESTING), fc.string({ maxLength: 3 })) }),
  fc.record({ op: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('deleteLine' as const), line: fc.nat() }),
);

export function applyEdits(text: string, edits: readonly Edit[]): string {
  let t = text;
  for (const e of edits) {
    if (e.op === 'delete') {
      const at = e.at % (t.length + 1);
      t = t.slice(0, at) + t.slice(at + e.length);
    } else if (e.op === 'insert') {
      const at = e.at % (t.length + 1);
      t = t.slice(0, at) + e.text + t.slice(at);
    } else {
      const lines = t.split('\n');
      const i = e.line % lines.length;
      if (e.op === 'duplicateLine') lines.splice(i, 0, lines[i]!);
      else lines.splice(i, 1);
      t = lines.join('\n');
    }
  }
  return t;
}

/**
 * Mutates the example solution's spec files and init.yaml (some files untouched, others with 1–4
 * edits), then parses each file with its parser and checks the whole solution. Nothing may throw,
 * and every diagnostic's span must lie within its file.
 */
function mutationProperty(base: SolutionFiles, scratch: string): fc.IPropertyWithHooks<[Record<string, readonly Edit[]>]> {
  const specFiles = Object.keys(base).filter((rel) => langOf(rel) !== undefined).sort();
  const editsArb = fc.record(Object.fromEntries(specFiles.map((rel) => [rel, fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as Edit[]) },
    { weight: 2, arbitrary: fc.array(editArb, { minLength: 1, maxLength: 4 }) },
  )])) as Record<string, fc.Arbitrary<readonly Edit[]>>);
  let round = 0;
  return fc.property(editsArb, (edits) => {
    const files: Record<string, string> = { ...base };
    for (const rel of specFiles) files[rel] = applyEdits(base[rel]!, edits[rel] ?? []);
    post({ type: 'input', input: JSON.stringify(Object.fromEntries(specFiles.filter((rel) => files[rel] !== base[rel]).map((rel) => [rel, files[rel]]))) });
    for (const rel of specFiles) {
      const diags = new DiagnosticBag();
      parseWith(langOf(rel)!, rel, files[rel]!, diags);
      checkSpans(diags.items, `parsing ${rel}`);
      for (const d of diags.items) {
        if (d.span.file.path !== rel) throw new Error(`parsing ${rel}: diagnostic "${d.message}" points into ${d.span.file.path}`);
      }
    }
    const dir = path.join(scratch, `run${round++}`);
    for (const [rel, text] of Object.entries(files)) {
      const abs = path.join(dir, ...rel.split('/'));
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
    try {
      const result = checkSolution(dir);
      checkSpans(result.diagnostics, 'checkSolution');
      if ((result.model === undefined) !== result.diagnostics.some((d) => d.severity === 'error')) {
        throw new Error('checkSolution: a model must be returned exactly when there are no errors');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
}

function runInWorker({ job, scratch }: WorkerInput): unknown {
  if (job.kind === 'parse') {
    post({ type: 'input', input: job.text });
    const diags = new DiagnosticBag();
    const { entries } = parseWith(job.lang, job.path, job.text, diags);
    return { diagnostics: diags.items.map(formatDiagnostic), entries } satisfies ParseOutcome;
  }
  const base = readSolution(PING_EXAMPLE);
  const details = fc.check(mutationProperty(base, scratch!), { seed: job.seed, numRuns: job.numRuns });
  return {
    failed: details.failed,
    numRuns: details.numRuns,
    report: details.failed ? `${fc.defaultReportMessage(details) ?? 'failed'}\nError: ${errorText(details.errorInstance)}` : '',
  } satisfies FuzzOutcome;
}

if (!isMainThread && parentPort && (workerData as WorkerInput | undefined)?.job !== undefined) {
  post({ type: 'done', value: runInWorker(workerData as WorkerInput) });
}
