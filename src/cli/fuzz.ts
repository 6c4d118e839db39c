// `citadel fuzz <solution-dir|image>` and `citadel fuzz --replay <case-file> <solution-dir|image>`:
// IDL-driven fuzzing of a solution's servers through the real kernel (src/fuzz/). Exit codes: 0 no
// findings (or, replaying, the case no longer reproduces), 1 findings (the case still reproduces)
// or a solution that cannot be built or fuzzed, 2 an internal error.
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSolution } from '../build/build.ts';
import { ImageError, loadOrCreateDevKey, readPublicKey, verifyImage, type VerifiedImage } from '../image/index.ts';
import { readCase } from '../fuzz/cases.ts';
import { replayCase, runFuzz, type FuzzReport } from '../fuzz/fuzz.ts';
import { formatMiB, formatTable, makeProgress } from '../fuzz/report.ts';
import { FuzzSetupError, fuzzableTasks, loadSetup, type FuzzSetup } from '../fuzz/target.ts';
import { citadelHome, reportBuildFailure } from './run.ts';

export interface FuzzCliOptions {
  readonly entity: readonly string[];
  readonly time?: string;
  readonly seed?: string;
  readonly out?: string;
  readonly replay?: string;
  readonly trust: readonly string[];
  readonly data?: string;
  readonly callTimeout?: string;
  readonly rssLimit?: string;
  readonly shrink?: boolean;
  readonly flood?: boolean;
  readonly maxFindings?: string;
  readonly verbose?: boolean;
}

class UsageError extends Error {}

function number(value: string | undefined, fallback: number, what: string, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new UsageError(`${what} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${value}"`);
  return n;
}

/** The solution as a verified image: a directory is built in memory and signed with the dev key, as `citadel run` does. */
async function loadImage(input: string, trust: readonly string[]): Promise<VerifiedImage | undefined> {
  const keysDir = path.join(citadelHome(), 'keys');
  // Fuzzing never touches the rollback state: it is not a boot of the device.
  const verify = (bytes: Uint8Array, keys: string[]) => verifyImage(bytes, keys, { stateDir: path.join(citadelHome(), 'state'), checkRollback: false, commitRollback: false });
  if (existsSync(input) && statSync(input).isDirectory()) {
    const dev = loadOrCreateDevKey(keysDir);
    const result = await buildSolution(input, { privateKeyPem: dev.privateKeyPem });
    if (!result.ok) {
      reportBuildFailure(result, input);
      return undefined;
    }
    return verify(result.image, [dev.publicKeyPem]);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(input);
  } catch (err) {
    throw new UsageError(`cannot read image ${input}: ${(err as Error).message}`);
  }
  const keys = trust.length ? trust.map((p) => readPublicKey(p)) : [loadOrCreateDevKey(keysDir).publicKeyPem];
  try {
    return verify(bytes, keys);
  } catch (err) {
    if (err instanceof ImageError) throw new UsageError(`the image does not verify: ${err.message}`);
    throw err;
  }
}

export async function runFuzzCommand(input: string, opts: FuzzCliOptions): Promise<number> {
  // Entities with `resources.fs` write there: by default a scratch directory, never the cwd.
  const scratch = opts.data === undefined ? mkdtempSync(path.join(os.tmpdir(), 'citadel-fuzz-data-')) : undefined;
  try {
    const image = await loadImage(input, opts.trust);
    if (!image) return 1;
    const setup = loadSetup(image, opts.data ?? scratch!);
    const callTimeoutMs = number(opts.callTimeout, 2000, '--call-timeout', true);
    const log = opts.verbose ? (line: string) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`) : undefined;
    if (opts.replay) return await replay(setup, opts.replay, callTimeoutMs, log);
    return await fuzz(setup, input, opts, callTimeoutMs, log);
  } catch (err) {
    if (err instanceof UsageError || err instanceof FuzzSetupError) {
      process.stderr.write(`citadel: error: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function replay(setup: FuzzSetup, file: string, callTimeoutMs: number, log: ((line: string) => void) | undefined): Promise<number> {
  let c;
  try {
    c = readCase(file);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  process.stdout.write(`replaying ${file}: ${c.kind} of ${c.entity}, ${c.target}.${c.method} via ${c.via.client} (${c.prelude.length + 1} message${c.prelude.length ? 's' : ''})\n`);
  const result = await replayCase(setup, c, { callTimeoutMs, ...(log ? { log } : {}) });
  result.outcomes.forEach((o, i) => process.stdout.write(`  message ${i + 1}: ${o}\n`));
  for (const p of result.problems) process.stdout.write(`  ${p.kind} (${p.entity}): ${p.detail}\n`);
  if (result.reproduced) {
    process.stdout.write(`reproduced: ${c.kind} of ${c.entity}\n`);
    return 1;
  }
  process.stdout.write(`does not reproduce (expected a ${c.kind} of ${c.entity})\n`);
  return 0;
}

async function fuzz(setup: FuzzSetup, input: string, opts: FuzzCliOptions, callTimeoutMs: number, log: ((line: string) => void) | undefined): Promise<number> {
  const fuzzable = fuzzableTasks(setup);
  const targets = opts.entity.length ? [...opts.entity] : fuzzable;
  for (const t of targets) {
    if (!fuzzable.includes(t)) {
      throw new UsageError(`cannot fuzz "${t}": ${setup.plan.tasks.some((x) => x.name === t) ? 'it serves no endpoints or no channel reaches it' : 'no such task'}; fuzzable tasks: ${fuzzable.join(', ') || '(none)'}`);
    }
  }
  if (targets.length === 0) throw new UsageError(`${input}: no task serves endpoints that another task has a channel to: nothing to fuzz`);
  const timeMs = number(opts.time, 10, '--time') * 1000;
  const seed = number(opts.seed, randomInt(0, 2 ** 31), '--seed', true) | 0;
  const outDir = path.resolve(opts.out ?? 'citadel-fuzz');
  const rssLimitBytes = number(opts.rssLimit, 512, '--rss-limit', true) * 2 ** 20;
  process.stdout.write(`citadel fuzz: ${setup.solution}, ${targets.join(', ')}; ${timeMs / 1000} s, seed ${seed}\n`);
  const report = await runFuzz(setup, {
    targets, timeMs, seed, outDir, callTimeoutMs, rssLimitBytes,
    ...(opts.shrink === false ? { shrink: false as const } : {}),
    ...(opts.flood ? { flood: true } : {}),
    ...(opts.maxFindings !== undefined ? { maxFindings: number(opts.maxFindings, 0, '--max-findings', true) } : {}),
    progress: makeProgress(process.stderr),
    ...(log ? { log } : {}),
  });
  printReport(report, input);
  return report.findings.length > 0 ? 1 : 0;
}

export function printReport(report: FuzzReport, input: string): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  for (const t of report.targets) {
    out('');
    out(`${t.target} (fuzzer in place of ${t.via.join(', ')}): ${t.messages} messages, ${t.sessions} kernel session${t.sessions === 1 ? '' : 's'}`);
    out(formatTable(t.stats));
  }
  out('');
  out(`${(report.elapsedMs / 1000).toFixed(1)} s; kernel process RSS ${formatMiB(report.rss.start)} at start, ${formatMiB(report.rss.baseline)} after warm-up, peak ${formatMiB(report.rss.peak)}, ${formatMiB(report.rss.end)} at the end`);
  if (report.findings.length === 0) {
    out('no findings');
    return;
  }
  out(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}:`);
  for (const f of report.findings) {
    const where = f.method ? `${f.target} ${f.method}` : f.target;
    out(`  ${f.kind} (${f.entity}) in ${where}${f.occurrences > 1 ? ` ×${f.occurrences}` : ''}: ${f.detail.split('\n')[0]}`);
    if (f.file && f.case) {
      const c = f.case;
      out(`    ${f.file}: ${c.reproduced ? 'reproduces' : 'DID NOT reproduce in a fresh kernel'}; ${c.prelude.length + 1} message${c.prelude.length ? 's' : ''}, payload ${c.minimised.fromBytes} → ${c.minimised.toBytes} bytes (${c.message.origin})`);
      out(`    replay: citadel fuzz --replay ${path.relative(process.cwd(), f.file) || f.file} ${input}`);
    }
  }
}
