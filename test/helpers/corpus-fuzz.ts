// Mutation fuzzing of the per-file parse path (`citadel parse`) over the KasperskyOS corpus, run in a
// worker thread so a parser that never terminates fails its test instead of hanging the suite.
//
// Like robustness.ts this module is both the main-thread API (`fuzzCorpus`) and the worker entry.
// Corpus files are only read; each mutant is written to a scratch directory under os.tmpdir().
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { collectSpecFiles, parseSpecFile } from '../../src/cli/parse.ts';
import { DiagnosticBag, formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { originalSpan, type Span } from '../../src/lang/source.ts';
import { applyEdits, type Edit } from './robustness.ts';

export interface CorpusFuzzOptions {
  readonly corpus: string;
  readonly seed: number;
  readonly numRuns: number;
}

export type CorpusFuzzResult =
  | { readonly ok: true; readonly failed: boolean; readonly numRuns: number; readonly report: string }
  | { readonly ok: false; readonly reason: string; readonly lastInput: string | undefined };

interface WorkerInput { readonly options: CorpusFuzzOptions; readonly scratch: string }

type WorkerMessage =
  | { readonly type: 'input'; readonly input: string }
  | { readonly type: 'done'; readonly failed: boolean; readonly numRuns: number; readonly report: string };

/** Runs the fuzz job in a worker; fails when one mutant takes longer than `idleMs` or the worker dies. */
export function fuzzCorpus(options: CorpusFuzzOptions, idleMs = 5000): Promise<CorpusFuzzResult> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'citadel-corpus-fuzz-'));
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { options, scratch } satisfies WorkerInput,
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    let lastInput: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: CorpusFuzzResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate().finally(() => {
        rmSync(scratch, { recursive: true, force: true });
        resolve(r);
      });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, reason: `no result within ${idleMs} ms (the parser does not terminate)`, lastInput }), idleMs);
    };
    arm();
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'input') { lastInput = m.input; arm(); }
      else finish({ ok: true, failed: m.failed, numRuns: m.numRuns, report: m.report });
    });
    worker.on('error', (err: unknown) => finish({ ok: false, reason: `worker failed: ${err instanceof Error ? err.message : String(err)}`, lastInput }));
    worker.on('exit', (code) => finish({ ok: false, reason: `worker exited with code ${code} before finishing`, lastInput }));
  });
}

// ---------------------------------------------------------------------------------------------
// Worker side.

/** Fragments that matter to the grammars and to templates. */
const FRAGMENTS = [
  ...'{}()<>[];:,.=|&!"\'#@-~\n\t 0_',
  '{%', '%}', '{{', '}}', '{#', '#}', '{% if X %}', '{% else %}', '{% endif %}', '@X@', '@INIT_EXTERNAL_ENTITIES@',
  '==>', '~>', '<-', '._', 'match ', 'choice ', 'assert ', 'sequence ', 'entities:', '- name: ', '  - target: ',
];

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })) }),
  fc.record({ op: fc.constant('duplicateLine' as const), line: fc.nat() }),
);

function inside(s: Span): boolean {
  return Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.start <= s.end && s.end <= s.file.text.length;
}

function runInWorker({ options, scratch }: WorkerInput): Extract<WorkerMessage, { type: 'done' }> {
  const files = collectSpecFiles([options.corpus]).files.map((abs) => ({ abs, text: readFileSync(abs, 'utf8') }));
  const defineSets: readonly (readonly [string, string][])[] = [[], [['X', '1'], ['MAIN_TASK', 'Server']], [['INIT_EXTERNAL_ENTITIES', 'use EDL a.B\n- name: x\n']]];
  let round = 0;
  const property = fc.property(
    fc.nat({ max: files.length - 1 }),
    fc.array(editArb, { minLength: 1, maxLength: 6 }),
    fc.nat({ max: defineSets.length - 1 }),
    (index, edits, defineSet) => {
      const { abs, text } = files[index]!;
      const mutant = applyEdits(text, edits);
      parentPort!.postMessage({ type: 'input', input: `${path.relative(options.corpus, abs)} ${JSON.stringify(edits)}` } satisfies WorkerMessage);
      // The same file name (extension and .in included), so parseSpecFile picks the same language.
      const file = path.join(scratch, `${round++}-${path.basename(abs)}`);
      writeFileSync(file, mutant);
      try {
        const display = `mutant/${path.basename(abs)}`;
        const diags = new DiagnosticBag();
        parseSpecFile(file, display, new Map(defineSets[defineSet]!), diags);
        for (const d of diags.items) {
          const original = originalSpan(d.span);
          if (!inside(d.span)) throw new Error(`diagnostic "${d.message}" has span ${d.span.start}..${d.span.end} outside the rendered text (length ${d.span.file.text.length})`);
          if (!inside(original)) throw new Error(`diagnostic "${d.message}" maps to ${original.start}..${original.end} outside ${original.file.path} (length ${original.file.text.length})`);
          if (original.file.path !== display || original.file.text !== mutant) throw new Error(`diagnostic "${d.message}" points into ${original.file.path}, not the file parsed`);
          formatDiagnostic(d);
        }
      } finally {
        rmSync(file, { force: true });
      }
    },
  );
  const details = fc.check(property, { seed: options.seed, numRuns: options.numRuns });
  const error = details.errorInstance instanceof Error ? `${details.errorInstance.message}\n${details.errorInstance.stack ?? ''}` : String(details.errorInstance);
  return { type: 'done', failed: details.failed, numRuns: details.numRuns, report: details.failed ? `${fc.defaultReportMessage(details) ?? 'failed'}\nError: ${error}` : '' };
}

if (!isMainThread && parentPort && (workerData as WorkerInput | undefined)?.options !== undefined) {
  parentPort.postMessage(runInWorker(workerData as WorkerInput));
}
