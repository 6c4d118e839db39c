// Shared set-up for the VFS tests: a temp data directory with client homes, a driver over the
// real host file facade (src/sandbox/host-fs.ts), and helpers to read error replies.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IdlErrorReply } from '../../../src/entity/wire.ts';
import { makeHostFs } from '../../../src/sandbox/host-fs.ts';
import { VfsDriver, type VfsSession } from '../../../src/services/vfs/driver.ts';
import * as F from '../../../src/services/vfs/gen/kl.vfs.Files.idl.ts';
import { parseMountArgs } from '../../../src/services/vfs/namespace.ts';

export const ERRNO_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(F).filter(([k, v]) => /^E[A-Z]+$/.test(k) && typeof v === 'number').map(([k, v]) => [v as number, k]),
);

/** The errno name of a rejected driver call (fails if it did not reject with an error reply). */
export async function errnoOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (err instanceof IdlErrorReply) return ERRNO_NAMES[(err.params as { code: number }).code] ?? `errno ${(err.params as { code: number }).code}`;
    throw err;
  }
  throw new Error('the call succeeded');
}

export async function reasonOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (err instanceof IdlErrorReply) return (err.params as { reason: string }).reason;
    throw err;
  }
  throw new Error('the call succeeded');
}

export const text = (s: string) => new TextEncoder().encode(s);
export const str = (b: Uint8Array) => new TextDecoder().decode(b);

export interface Fixture {
  /** The data directory (real path); client homes are alice/, bob/, shared/, pub/. */
  readonly data: string;
  /** A directory outside the driver's grant, holding secret.txt. */
  readonly outside: string;
  readonly driver: VfsDriver;
  /** Sessions on slots 1 and 2, attached as alice and bob with the default mounts. */
  readonly alice: VfsSession;
  readonly bob: VfsSession;
}

export const MOUNTS = [
  '--mount', 'alice:alice:rw',
  '--mount', 'alice:/shared:shared:ro',
  '--mount', 'bob:bob:rw',
  '--mount', '*:/pub:pub:ro',
];

/** A fresh data dir and driver; call `done` (or t.after) to remove it. */
export async function fixture(after: (fn: () => void) => void, mounts: readonly string[] = MOUNTS): Promise<Fixture> {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'citadel-vfs-')));
  after(() => rmSync(root, { recursive: true, force: true }));
  const data = path.join(root, 'data');
  const outside = path.join(root, 'outside');
  for (const d of ['alice', 'bob', 'shared', 'pub']) mkdirSync(path.join(data, d), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'outside secret');
  writeFileSync(path.join(data, 'bob', 'diary.txt'), 'bob only');
  writeFileSync(path.join(data, 'shared', 'readme.txt'), 'shared, read-only');
  writeFileSync(path.join(data, 'pub', 'notice.txt'), 'for everyone');
  // The driver's grant, as init.yaml resources.fs would give it: write to the rw homes, read the ro ones.
  const fs = makeHostFs({ base: data, read: [path.join(data, 'shared'), path.join(data, 'pub')], write: [path.join(data, 'alice'), path.join(data, 'bob')] });
  const driver = await VfsDriver.start(fs, parseMountArgs(mounts));
  const alice = driver.session(1);
  const bob = driver.session(2);
  if (mounts === MOUNTS) {
    await alice.Attach({ client: 'alice' });
    await bob.Attach({ client: 'bob' });
  }
  return { data, outside, driver, alice, bob };
}
