// kill -9 at random moments loses no acknowledged write. A child process (kill-child.ts) runs the
// storage core on real files (node:fs with fsync, the pure-TypeScript crypto the entity uses) and
// reports each operation before it starts and once it is acknowledged; the parent SIGKILLs it at
// a seeded random moment, then opens the store itself (node:crypto: a cross-implementation check)
// and checks every key: it holds exactly its last acknowledged write, or the write that was in
// flight when the child died; every value is whole; nothing fails authentication. 30 rounds on
// the same store, so each round also recovers from the previous kill (temp files, partial writes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { nodeCrypto } from '../../../src/services/storage/node-crypto.ts';
import { nodeStorageFs } from '../../../src/services/storage/node-fs.ts';
import { SecureStore, Status, StorageError } from '../../../src/services/storage/store.ts';
import { checkValue, rng } from './workload.ts';

const CHILD = path.join(path.dirname(new URL(import.meta.url).pathname), 'kill-child.ts');
const SEED = 20261126;
const ROUNDS = 30;

/** What a key holds: a write id (put) or null (deleted / never written). */
type State = number | null;
interface KeyLog {
  acked: State;
  ackedVersion: number;
  /** Operations begun but not acknowledged when the child died (the store may or may not have applied them). */
  inFlight: State[];
}

interface Round {
  readonly acks: number;
  readonly inFlight: number;
  readonly killedBeforeReady: boolean;
  readonly tempFiles: number;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'citadel-storage-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until a random moment, SIGKILLs it, and folds its report into `keys`. */
async function round(i: number, next: () => number, keys: Map<string, KeyLog>): Promise<Round> {
  const child = spawn(process.execPath, [CHILD, dir, String(SEED), String(i)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // One round in ten dies while starting (key and store files, namespace loading); the rest once
  // a random number (0–40) of operations were acknowledged, plus 0–3 ms: progress, not wall time,
  // so a loaded machine kills as deep into the work as an idle one.
  const early = next() < 0.1;
  const target = Math.floor(next() * 41);
  const delay = next() * 3;
  const progressed = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('READY\n') && (out.match(/^A /gm)?.length ?? 0) >= target) resolve();
    });
  });
  if (early) await new Promise((r) => setTimeout(r, next() * 150));
  else {
    const outcome = await Promise.race([progressed.then(() => 'ready'), exited.then(() => 'exited')]);
    assert.equal(outcome, 'ready', `child exited early:\n${err}`);
    await new Promise((r) => setTimeout(r, delay));
  }
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL', `the child ended on its own (it must run until killed):\n${err}`);

  const begun = new Map<number, { key: string; state: State }>();
  let acks = 0;
  for (const line of out.split('\n')) {
    const m = /^([BA]) (\S+) (put|del) (\d+)(?: (\d+))?$/.exec(line);
    if (!m) continue;
    const [, kind, key, op, idText, version] = m;
    const id = Number(idText);
    const state: State = op === 'put' ? id : null;
    if (kind === 'B') begun.set(id, { key: key!, state });
    else {
      begun.delete(id);
      // Each worker owns its keys and runs one operation at a time: acks per key arrive in order.
      keys.set(key!, { acked: state, ackedVersion: Number(version), inFlight: [] });
      acks++;
    }
  }
  for (const { key, state } of begun.values()) {
    const log = keys.get(key) ?? { acked: null, ackedVersion: 0, inFlight: [] };
    log.inFlight.push(state);
    keys.set(key, log);
  }
  const nsDir = path.join(dir, 'ns', 'ns');
  let tempFiles = 0;
  try { tempFiles = readdirSync(nsDir).filter((f) => f.startsWith('.tmp-')).length; } catch { /* not created yet */ }
  return { acks, inFlight: begun.size, killedBeforeReady: !out.includes('READY\n'), tempFiles };
}

/** Opens the store as a fresh process would and checks every key against the log; settles in-flight outcomes. */
async function verify(keys: Map<string, KeyLog>, i: number): Promise<void> {
  const store = await SecureStore.open({ fs: nodeStorageFs, crypto: nodeCrypto, random: (n) => new Uint8Array(randomBytes(n)), dir, limits: { maxValue: 8192 } });
  for (const [key, log] of keys) {
    let found: State;
    let version = 0;
    try {
      const got = await store.get('ns', key);
      const id = checkValue(key, got.value);
      assert.equal(typeof id, 'number', `round ${i}, key ${key}: ${id}`);
      found = id as number;
      version = got.version;
    } catch (e) {
      if (!(e instanceof StorageError) || e.status !== Status.NotFound) throw new Error(`round ${i}, key ${key}: ${(e as Error).message}`);
      found = null;
    }
    const allowed = [log.acked, ...log.inFlight];
    assert.ok(allowed.includes(found), `round ${i}, key ${key}: holds ${found}, but the last acknowledged write was ${log.acked} (in flight: ${log.inFlight.join(', ') || 'none'})`);
    if (found !== null && found === log.acked) assert.equal(version, log.ackedVersion, `round ${i}, key ${key}: version`);
    // Whatever is there now is what the next round builds on.
    keys.set(key, { acked: found, ackedVersion: version, inFlight: [] });
  }
  // Nothing on disk fails authentication, and List agrees with the keys found.
  const listed = (await store.list('ns')).keys;
  assert.deepEqual(listed, [...keys].filter(([, l]) => l.acked !== null).map(([k]) => k).sort(), `round ${i}: List`);
}

test(`kill -9 at ${ROUNDS} random moments (seed ${SEED}) loses no acknowledged write and leaves nothing torn`, async () => {
  const next = rng(SEED);
  const keys = new Map<string, KeyLog>();
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await round(i, next, keys));
    await verify(keys, i);
  }
  const acks = rounds.reduce((n, r) => n + r.acks, 0);
  const midWrite = rounds.filter((r) => r.inFlight > 0).length;
  // The loop must really have exercised something: many acknowledged writes, and kills that hit
  // operations in flight (not only idle moments).
  assert.ok(acks >= 100, `only ${acks} acknowledged operations over ${ROUNDS} rounds`);
  assert.ok(midWrite >= ROUNDS / 2, `only ${midWrite} of ${ROUNDS} kills hit an operation in flight`);
  const temps = rounds.reduce((n, r) => n + r.tempFiles, 0);
  process.stdout.write(`# ${acks} acknowledged operations; ${midWrite}/${ROUNDS} kills mid-operation; ${rounds.filter((r) => r.killedBeforeReady).length} during start; ${temps} temp files left behind and cleaned up\n`);
});
