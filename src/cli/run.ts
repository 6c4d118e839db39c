// `citadel keygen`, `build`, `inspect` and `run`: signed images and secure boot from the command line.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSolution, type BuildResult } from '../build/build.ts';
import { describeImage, generateKeyPair, ImageError, loadOrCreateDevKey, readPublicKey, verifyImage } from '../image/index.ts';
import { bootImage } from '../kernel/boot.ts';
import { plural, printDiagnostics } from './report.ts';

/** Citadel's per-user directory: dev key, rollback state. */
export function citadelHome(): string {
  return process.env['CITADEL_HOME'] ?? path.join(os.homedir(), '.citadel');
}

export function runKeygen(out: string): number {
  const pair = generateKeyPair();
  mkdirSync(out, { recursive: true });
  const keyPath = path.join(out, 'citadel.key');
  if (existsSync(keyPath)) {
    process.stderr.write(`citadel: error: ${keyPath} exists; refusing to overwrite a signing key\n`);
    return 1;
  }
  writeFileSync(keyPath, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(path.join(out, 'citadel.pub'), pair.publicKeyPem);
  process.stdout.write(`wrote ${keyPath} (private, keep it secret) and ${path.join(out, 'citadel.pub')} (public); key id ${pair.keyId}\n`);
  return 0;
}

export function reportBuildFailure(result: Extract<BuildResult, { ok: false }>, dir: string): void {
  printDiagnostics(result.diagnostics);
  for (const t of result.tests.filter((t) => !t.passed)) {
    process.stderr.write(`FAIL  ${t.suite ?? '(unnamed assert)'} / ${t.sequence ?? '(unnamed sequence)'}  (${t.origin})\n${t.failure!.replace(/^/gm, '      ')}\n`);
  }
  for (const e of result.bundleErrors) {
    process.stderr.write(`${e.file}${e.line ? `:${e.line}:${e.col}` : ''}: error: ${e.text} (entity ${e.task})\n${e.lineText ? `${e.lineText}\n${' '.repeat(Math.max(0, e.col - 1))}^\n` : ''}`);
  }
  const why = result.stage === 'check' ? 'static checks failed' : result.stage === 'test' ? 'PAL tests failed' : 'entity code does not bundle';
  process.stderr.write(`citadel: not building ${dir}: ${why}\n`);
}

export async function runBuild(dir: string, out: string, keyPath: string | undefined, version: string | undefined, rollbackIndex: number | undefined): Promise<number> {
  const key = keyPath ? readFileSync(keyPath, 'utf8') : loadOrCreateDevKey(path.join(citadelHome(), 'keys')).privateKeyPem;
  const result = await buildSolution(dir, { privateKeyPem: key, ...(version ? { version } : {}), ...(rollbackIndex !== undefined ? { rollbackIndex } : {}) });
  if (!result.ok) {
    reportBuildFailure(result, dir);
    return 1;
  }
  writeFileSync(out, result.image);
  process.stdout.write(`built ${out}: ${result.image.length} bytes, ${plural(result.tests.length, 'PAL sequence')} passed, signed with ${keyPath ?? 'the dev key'}\n`);
  return 0;
}

function trustedKeys(trust: readonly string[]): string[] {
  return trust.length ? trust.map((p) => readPublicKey(p)) : [loadOrCreateDevKey(path.join(citadelHome(), 'keys')).publicKeyPem];
}

export function runInspect(file: string, trust: readonly string[]): number {
  try {
    const image = verifyImage(readFileSync(file), trustedKeys(trust), { stateDir: path.join(citadelHome(), 'state'), checkRollback: false, commitRollback: false });
    process.stdout.write(describeImage(image) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof ImageError) {
      process.stderr.write(`citadel: refusing ${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export interface RunOptions {
  readonly trust: readonly string[];
  readonly state?: string;
  readonly data?: string;
}

export async function runRun(target: string, options: RunOptions): Promise<number> {
  const stateDir = options.state ?? path.join(citadelHome(), 'state');
  let bytes: Uint8Array;
  let trusted: string[];
  if (existsSync(target) && statSync(target).isDirectory()) {
    const dev = loadOrCreateDevKey(path.join(citadelHome(), 'keys'));
    process.stdout.write(`[citadel] building ${target} in memory and signing it with the dev key (${dev.keyId})\n`);
    const result = await buildSolution(target, { privateKeyPem: dev.privateKeyPem });
    if (!result.ok) {
      reportBuildFailure(result, target);
      return 1;
    }
    bytes = result.image;
    trusted = [dev.publicKeyPem];
  } else {
    try {
      bytes = readFileSync(target);
    } catch (err) {
      process.stderr.write(`citadel: error: cannot read image ${target}: ${(err as Error).message}\n`);
      return 1;
    }
    trusted = trustedKeys(options.trust);
  }
  let image;
  try {
    image = verifyImage(bytes, trusted, { stateDir });
  } catch (err) {
    if (err instanceof ImageError) {
      process.stderr.write(`citadel: secure boot refused the image: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  for (const line of image.bootLog) process.stdout.write(`[boot] ${line}\n`);
  const log = (line: string) => process.stdout.write(line.endsWith('\n') ? line : line + '\n');
  const { kernel, done } = bootImage(image, { log, dataDir: options.data ?? process.cwd() });
  const onSignal = (signal: string) => { void kernel.shutdown(`received ${signal}`); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const exits = await done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const failed = exits.filter((e) => !e.stopped && e.code !== 0);
  process.stdout.write(`[citadel] ${plural(exits.length, 'task')} ended; ${failed.length ? `${failed.length} failed: ${failed.map((f) => f.task).join(', ')}` : 'none failed'}\n`);
  return failed.length ? 1 : 0;
}
