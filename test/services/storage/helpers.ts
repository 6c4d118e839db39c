// Shared setup for the Secure Storage tests: a store on real files in a temp dir, driven directly.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { StorageCrypto } from '../../../src/services/storage/crypto.ts';
import { nodeCrypto } from '../../../src/services/storage/node-crypto.ts';
import { nodeStorageFs } from '../../../src/services/storage/node-fs.ts';
import { SecureStore, STATUS_NAMES, StorageError, type StoreLimits } from '../../../src/services/storage/store.ts';

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A fresh directory, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citadel-storage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function openStore(dir: string, options: { crypto?: StorageCrypto; keyFile?: string; limits?: Partial<StoreLimits> } = {}): Promise<SecureStore> {
  return SecureStore.open({ fs: nodeStorageFs, crypto: options.crypto ?? nodeCrypto, random: (n) => new Uint8Array(randomBytes(n)), dir, ...options });
}

/** Asserts that `p` rejects with a StorageError of `status` whose reason matches `reason`; returns it. */
export async function rejectsWith(p: Promise<unknown>, status: keyof typeof STATUS_BY_NAME, reason?: RegExp | string): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
    assert.equal(STATUS_NAMES[e.status], status, e.message);
    if (typeof reason === 'string') assert.equal(e.reason, reason);
    else if (reason) assert.match(e.reason, reason);
    return e;
  }
  assert.fail(`expected ${status}, but the operation succeeded`);
}

const STATUS_BY_NAME = { NotFound: 1, Conflict: 2, InvalidArgument: 3, TooLarge: 4, QuotaExceeded: 5, Corrupted: 6, Unavailable: 7 } as const;
