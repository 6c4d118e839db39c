// Rollback protection: `<stateDir>/rollback.json` maps solution → highest rollback index accepted. A
// state file we cannot read or trust fails closed; updates are written to a temp file and renamed.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical-json.ts';
import { ImageError } from './errors.ts';
import { quote } from './quote.ts';

export const ROLLBACK_FILE = 'rollback.json';

/** A Map, not an object: a solution named "__proto__" must not reach Object.prototype. */
export function readRollbackState(stateDir: string): Map<string, number> {
  const file = join(stateDir, ROLLBACK_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map(); // first boot on this machine
    throw new ImageError('StateCorrupt', `cannot read rollback state ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ImageError('StateCorrupt', `rollback state ${file} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImageError('StateCorrupt', `rollback state ${file} must be an object mapping solution to index`);
  }
  const state = new Map<string, number>();
  for (const [solution, index] of Object.entries(value)) {
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
      throw new ImageError('StateCorrupt', `rollback state ${file}: index for solution ${quote(solution)} is not a non-negative integer`);
    }
    state.set(solution, index);
  }
  return state;
}

export function checkRollback(state: ReadonlyMap<string, number>, solution: string, index: number): void {
  const stored = state.get(solution);
  if (stored !== undefined && index < stored) {
    throw new ImageError('Rollback', `rollback index ${index} is below the stored index ${stored} for solution ${quote(solution)}`);
  }
}

/** Record `index` if it raises the stored one. Temp file + fsync + rename: a crash leaves old or new, never half. */
export function commitRollbackIndex(stateDir: string, state: ReadonlyMap<string, number>, solution: string, index: number): void {
  const stored = state.get(solution);
  if (stored !== undefined && stored >= index) return;
  const next = new Map(state).set(solution, index);
  const file = join(stateDir, ROLLBACK_FILE);
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(stateDir, { recursive: true });
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeFileSync(fd, `${canonicalJson(Object.fromEntries(next))}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new ImageError('StateCorrupt', `cannot store rollback index ${index} for solution ${quote(solution)} in ${file}: ${(e as Error).message}`);
  }
  syncDirectory(stateDir);
}

/** Make the rename itself durable; best effort, as not every platform lets a directory be fsynced. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The rename has happened; only durability across a power cut is weaker here.
  }
}
