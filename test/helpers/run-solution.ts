// Runs a whole solution end to end with no mocks: writes its files to a temp dir, builds and signs
// an image with a fresh key, verifies it (secure boot, temp rollback state), boots the kernel with
// real sandboxes and collects the kernel log until every entity has ended — or fails the test
// after a hard timeout (stopping every entity first, so nothing hangs).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { buildSolution, type BuildResult } from '../../src/build/build.ts';
import { generateKeyPair, verifyImage, type KeyPair } from '../../src/image/index.ts';
import { bootImage } from '../../src/kernel/boot.ts';
import type { Kernel, TaskExit } from '../../src/kernel/kernel.ts';
import { writeSolution, type Cleanup, type SolutionFiles } from './solution.ts';

export interface RunOptions {
  /** Hard limit for the whole run (boot to the last exit); default 20 s. */
  readonly timeoutMs?: number;
  /** Directory relative `resources.fs` paths resolve against (default: a fresh temp dir). */
  readonly dataDir?: string;
  /** Called once the kernel is up, e.g. to sample the host's memory while entities run. */
  readonly onBoot?: (kernel: Kernel) => void;
}

export interface RunResult {
  /** Every kernel log line, split on newlines (multi-line explanations become several lines). */
  readonly lines: readonly string[];
  /** The log entries as the kernel wrote them (an explanation stays one entry). */
  readonly entries: readonly string[];
  readonly exits: readonly TaskExit[];
  readonly dir: string;
  readonly dataDir: string;
  /** Wall time from boot to the end of the run. */
  readonly ms: number;
}

/**
 * A Cleanup for a whole test file: call it at the top level of the file (node:test runs an
 * \`after\` registered inside a \`before\` hook right after that hook, not at the end).
 */
export function fileCleanup(): Cleanup {
  const fns: (() => void)[] = [];
  after(() => { for (const fn of fns.splice(0).reverse()) fn(); });
  return { after: (fn: () => void) => { fns.push(fn); } } as Cleanup;
}

/** One key per test process: generating is cheap, but there is no reason to do it per run. */
let key: KeyPair | undefined;
export function testKey(): KeyPair {
  key ??= generateKeyPair();
  return key;
}

function tempDir(t: Cleanup, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes and builds a solution; returns the build result as is (failed builds included). */
export async function buildFiles(t: Cleanup, files: SolutionFiles, options: { rollbackIndex?: number } = {}): Promise<{ dir: string; result: BuildResult }> {
  const dir = writeSolution(t, files);
  const result = await buildSolution(dir, { privateKeyPem: testKey().privateKeyPem, ...options });
  return { dir, result };
}

/** A readable account of a failed build, for assertion messages. */
export function describeBuildFailure(result: BuildResult): string {
  if (result.ok) return 'the build succeeded';
  return [
    `build failed at stage ${result.stage}`,
    ...result.diagnostics.map((d) => JSON.stringify(d)),
    ...result.tests.filter((x) => !x.passed).map((x) => `PAL: ${x.failure}`),
    ...result.bundleErrors.map((e) => `${e.task}: ${e.file}:${e.line}:${e.col}: ${e.text}`),
  ].join('\n');
}

/** Builds, verifies and boots `files`; resolves when every entity has ended. */
export async function runSolution(t: Cleanup, files: SolutionFiles, options: RunOptions = {}): Promise<RunResult> {
  const { dir, result } = await buildFiles(t, files);
  if (!result.ok) throw new Error(describeBuildFailure(result));
  const stateDir = tempDir(t, 'citadel-state-');
  const dataDir = options.dataDir ?? tempDir(t, 'citadel-data-');
  const image = verifyImage(result.image, [testKey().publicKeyPem], { stateDir });
  const entries: string[] = [];
  const started = Date.now();
  const { kernel, done } = bootImage(image, { log: (line) => entries.push(line), dataDir });
  options.onBoot?.(kernel);
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
  const outcome = await Promise.race([done, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await kernel.shutdown('test timeout');
    throw new Error(`the solution did not end within ${timeoutMs} ms; log so far:\n${entries.join('\n')}`);
  }
  const lines = entries.flatMap((e) => e.replace(/\n$/, '').split('\n'));
  // CITADEL_TEST_LOG=1 prints every run's log, for debugging a test.
  if (process.env['CITADEL_TEST_LOG']) process.stderr.write(`---- ${path.basename(dir)} (${Date.now() - started} ms)\n${lines.join('\n')}\n`);
  return { lines, entries, exits: outcome, dir, dataDir, ms: Date.now() - started };
}

/** The text of every `[task] …` line of one task, prefix removed. */
export function linesOf(run: RunResult, task: string): string[] {
  const prefix = `[${task}] `;
  return run.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/** Every kernel line (`[kernel] …`), prefix removed. */
export function kernelLines(run: RunResult): string[] {
  return linesOf(run, 'kernel');
}

/** The exit record of `task` (the last one, when it was restarted). */
export function exitOf(run: RunResult, task: string): TaskExit | undefined {
  return run.exits.filter((e) => e.task === task).at(-1);
}

/**
 * Results entities report as `RESULT <name> <json>` console lines: name → parsed value.
 * Entities print them with `report(name, value)` from the `REPORT_JS` snippet.
 */
export function results(run: RunResult, task: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const line of linesOf(run, task)) {
    const m = /^RESULT (\S+) (.*)$/.exec(line);
    if (m) out.set(m[1]!, JSON.parse(m[2]!));
  }
  return out;
}

/** Entity-side helper source: `report(name, value)` prints one RESULT line the test can parse. */
export const REPORT_TS = `
function report(name: string, value: unknown): void {
  console.log('RESULT ' + name + ' ' + JSON.stringify(value === undefined ? null : value));
}
/** What trying fn gives: { ok: true, value } or { ok: false, error: 'Name: message' }. */
function attempt(fn: () => unknown): { ok: boolean; value?: unknown; error?: string } {
  try {
    const value = fn();
    return { ok: true, value: typeof value === 'function' ? 'function' : value === undefined ? 'undefined' : typeof value === 'object' ? String(value) : value };
  } catch (e) {
    const err = e as { name?: unknown; message?: unknown };
    return { ok: false, error: String(err && err.name) + ': ' + String(err && err.message) };
  }
}
`;
