// Semantics of the storage core, driven directly: versions, CompareAndSet, deletes and
// re-creation, namespaces, List paging, limits and argument checks, and the entity's args.
import assert from 'node:assert/strict';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseStorageArgs } from '../../../src/services/storage/args.ts';
import * as Idl from '../../../src/services/storage/gen/kl.SecureStorage.idl.ts';
import { DEFAULT_LIMITS, Status } from '../../../src/services/storage/store.ts';
import { dec, enc, openStore, rejectsWith, tempDir } from './helpers.ts';

test('Put, Get, Delete: versions start at 1 and grow by one; a missing key is NotFound', async (t) => {
  const store = await openStore(tempDir(t));
  await rejectsWith(store.get('app', 'k'), 'NotFound', 'no key "k" in namespace "app"');
  assert.deepEqual(await store.put('app', 'k', enc('a')), { version: 1 });
  assert.deepEqual(await store.put('app', 'k', enc('b')), { version: 2 });
  const got = await store.get('app', 'k');
  assert.equal(dec(got.value), 'b');
  assert.equal(got.version, 2);
  await store.put('app', 'empty', new Uint8Array(0));
  assert.equal((await store.get('app', 'empty')).value.length, 0);
  await store.delete('app', 'k');
  await rejectsWith(store.get('app', 'k'), 'NotFound');
  await rejectsWith(store.delete('app', 'k'), 'NotFound', 'no key "k" in namespace "app"');
});

test('a deleted key re-created continues above its old version, also after a restart (no ABA for CompareAndSet)', async (t) => {
  const dir = tempDir(t);
  let store = await openStore(dir);
  for (let i = 0; i < 3; i++) await store.put('app', 'k', enc(`v${i}`));
  await store.delete('app', 'k');
  assert.deepEqual(await store.put('app', 'k', enc('again')), { version: 4 });
  await store.delete('app', 'k');
  store = await openStore(dir);
  // A client still holding version 4 cannot overwrite a key someone else re-created.
  await rejectsWith(store.compareAndSet('app', 'k', { version: 4 }, enc('stale')), 'Conflict', 'key "k" does not exist (expected version 4)');
  assert.deepEqual(await store.compareAndSet('app', 'fresh', { version: 0 }, enc('x')), { version: 5 });
  assert.deepEqual(await store.put('app', 'k', enc('third life')), { version: 5 });
});

test('CompareAndSet by version: 0 creates only when absent; a stale version conflicts and reports the current one', async (t) => {
  const store = await openStore(tempDir(t));
  assert.deepEqual(await store.compareAndSet('app', 'k', { version: 0 }, enc('first')), { version: 1 });
  const e = await rejectsWith(store.compareAndSet('app', 'k', { version: 0 }, enc('again')), 'Conflict', 'key "k" is at version 1, not 0');
  assert.equal(e.current, 1);
  assert.deepEqual(await store.compareAndSet('app', 'k', { version: 1 }, enc('second')), { version: 2 });
  assert.equal((await rejectsWith(store.compareAndSet('app', 'k', { version: 1 }, enc('lost update')), 'Conflict')).current, 2);
  assert.equal(dec((await store.get('app', 'k')).value), 'second');
  assert.equal((await rejectsWith(store.compareAndSet('app', 'k', { version: -1 }, enc('x')), 'Conflict')).current, 2);
});

test('CompareAndSet by value: matches the current bytes exactly; an absent key conflicts with current 0', async (t) => {
  const store = await openStore(tempDir(t));
  const e = await rejectsWith(store.compareAndSet('app', 'k', { value: new Uint8Array(0) }, enc('x')), 'Conflict', 'key "k" does not exist (expected a value)');
  assert.equal(e.current, 0);
  await store.put('app', 'k', enc('red'));
  await rejectsWith(store.compareAndSet('app', 'k', { value: enc('re') }, enc('blue')), 'Conflict', 'the value of key "k" (version 1) is not the expected one');
  await rejectsWith(store.compareAndSet('app', 'k', { value: enc('red ') }, enc('blue')), 'Conflict');
  assert.deepEqual(await store.compareAndSet('app', 'k', { value: enc('red') }, enc('blue')), { version: 2 });
  assert.equal(dec((await store.get('app', 'k')).value), 'blue');
});

test('concurrent CompareAndSet on one version: exactly one wins, the others see its version', async (t) => {
  const store = await openStore(tempDir(t));
  await store.put('app', 'counter', enc('0'));
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.compareAndSet('app', 'counter', { version: 1 }, enc(String(i + 1)))));
  const won = outcomes.filter((o) => o.status === 'fulfilled');
  assert.equal(won.length, 1);
  for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { current: number }).current, 2);
  // A read-modify-write loop with CAS never loses an increment, however the calls interleave.
  const increment = async () => {
    for (;;) {
      const { value, version } = await store.get('app', 'counter');
      try {
        await store.compareAndSet('app', 'counter', { version }, enc(String(Number(dec(value)) + 1)));
        return;
      } catch { /* conflict: retry */ }
    }
  };
  const before = Number(dec((await store.get('app', 'counter')).value));
  await Promise.all(Array.from({ length: 25 }, increment));
  assert.equal(Number(dec((await store.get('app', 'counter')).value)), before + 25);
});

test('namespaces are separate: equal keys hold separate values, lists and quotas', async (t) => {
  const store = await openStore(tempDir(t), { limits: { maxKeys: 2 } });
  await store.put('alice', 'token', enc('A'));
  await store.put('bob', 'token', enc('B'));
  await store.put('alice', 'x', enc(''));
  await store.put('bob', 'y', enc(''));
  assert.equal(dec((await store.get('alice', 'token')).value), 'A');
  assert.equal(dec((await store.get('bob', 'token')).value), 'B');
  assert.deepEqual((await store.list('alice')).keys, ['token', 'x']);
  assert.deepEqual((await store.list('bob')).keys, ['token', 'y']);
  await rejectsWith(store.get('carol', 'token'), 'NotFound');
  assert.deepEqual(await store.list('carol'), { keys: [], more: false });
});

test('List: sorted, paged with `after`, `more` says whether keys remain', async (t) => {
  const store = await openStore(tempDir(t));
  const keys = Array.from({ length: 7 }, (_, i) => `key-${String.fromCharCode(103 - i)}`);
  for (const k of keys) await store.put('app', k, enc(k));
  const sorted = [...keys].sort();
  assert.deepEqual(await store.list('app', '', 3), { keys: sorted.slice(0, 3), more: true });
  assert.deepEqual(await store.list('app', sorted[2]!, 3), { keys: sorted.slice(3, 6), more: true });
  assert.deepEqual(await store.list('app', sorted[5]!, 3), { keys: sorted.slice(6), more: false });
  assert.deepEqual(await store.list('app', 'zzz'), { keys: [], more: false });
});

test('limits: value size (TooLarge), keys and bytes per namespace (QuotaExceeded), each with its reason', async (t) => {
  const store = await openStore(tempDir(t), { limits: { maxValue: 100, maxKeys: 3, maxBytes: 250 } });
  await rejectsWith(store.put('app', 'big', new Uint8Array(101)), 'TooLarge', 'value is 101 bytes; this store takes at most 100 (--max-value)');
  await rejectsWith(store.compareAndSet('app', 'big', { version: 0 }, new Uint8Array(101)), 'TooLarge');
  await store.put('app', 'a', new Uint8Array(100));
  await store.put('app', 'b', new Uint8Array(100));
  await rejectsWith(store.put('app', 'c', new Uint8Array(51)), 'QuotaExceeded', 'namespace "app" would hold 251 value bytes; the limit is 250 (--max-bytes)');
  await store.put('app', 'c', new Uint8Array(50));
  await rejectsWith(store.put('app', 'd', new Uint8Array(0)), 'QuotaExceeded', 'namespace "app" already holds 3 keys; the limit is 3 (--max-keys)');
  // Overwriting counts the difference; deleting frees quota.
  await store.put('app', 'a', new Uint8Array(10));
  assert.deepEqual(await store.usage('app'), { keys: 3, bytes: 160 });
  await store.delete('app', 'b');
  await store.put('app', 'd', new Uint8Array(90));
  assert.deepEqual(await store.usage('app'), { keys: 3, bytes: 150 });
  // Another namespace has its own quota.
  await store.put('other', 'a', new Uint8Array(100));
  // Nothing refused reached the disk.
  assert.deepEqual(await store.list('app'), { keys: ['a', 'c', 'd'], more: false });
});

test('names: namespaces are short identifiers; keys are non-empty text within the IDL bound', async (t) => {
  const store = await openStore(tempDir(t));
  for (const ns of ['', '.', '..', '../etc', '.hidden', 'a/b', 'a b', 'ä', 'x'.repeat(65)]) {
    await rejectsWith(store.put(ns, 'k', enc('v')), 'InvalidArgument', /^namespace .* is not 1 to 64 letters, digits/);
  }
  for (const ns of ['a', 'app.Alice', 'my_ns-2', 'x'.repeat(64)]) await store.put(ns, 'k', enc('v'));
  await rejectsWith(store.put('app', '', enc('v')), 'InvalidArgument', 'a key must not be empty');
  await rejectsWith(store.put('app', 'line\nbreak', enc('v')), 'InvalidArgument', /control character/);
  await rejectsWith(store.put('app', 'é'.repeat(65), enc('v')), 'InvalidArgument', 'key is 130 UTF-8 bytes; at most 128');
  // Any other text is a fine key, path-like ones included: the file name is its hash.
  for (const key of ['../../etc/passwd', 'a/b/c', 'ключ', '🔑'.repeat(32), ' spaced ']) {
    await store.put('app', key, enc(key));
    assert.equal(dec((await store.get('app', key)).value), key);
  }
});

test('temp files an interrupted write left behind are removed when the namespace loads', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.put('app', 'k', enc('v'));
  writeFileSync(path.join(dir, 'ns', 'app', '.tmp-deadbeef-7'), 'half a reco');
  writeFileSync(path.join(dir, '.tmp-deadbeef-k1'), 'half a key');
  const again = await openStore(dir);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.tmp-')), []);
  assert.equal(dec((await again.get('app', 'k')).value), 'v');
  assert.deepEqual(readdirSync(path.join(dir, 'ns', 'app')).filter((f) => f.startsWith('.tmp-')), []);
});

test('status codes and bounds come from the IDL; limits are checked when the store opens', async (t) => {
  assert.deepEqual(Status, { NotFound: Idl.NotFound, Conflict: Idl.Conflict, InvalidArgument: Idl.InvalidArgument, TooLarge: Idl.TooLarge, QuotaExceeded: Idl.QuotaExceeded, Corrupted: Idl.Corrupted, Unavailable: Idl.Unavailable });
  assert.ok(DEFAULT_LIMITS.maxValue <= Idl.MaxValue);
  await assert.rejects(openStore(tempDir(t), { limits: { maxValue: Idl.MaxValue + 1 } }), /limit maxValue must be an integer from 1 to 65536, got 65537/);
  await assert.rejects(openStore(tempDir(t), { limits: { maxKeys: 0 } }), /limit maxKeys must be an integer/);
});

test('the entity\'s args: defaults, every flag, and clear refusals', () => {
  assert.deepEqual(parseStorageArgs([]), { dir: 'secure-storage', keyFile: undefined, limits: DEFAULT_LIMITS });
  assert.deepEqual(parseStorageArgs(['--dir', 'vault', '--key', 'keys/s.key', '--max-value', '1024', '--max-keys', '10', '--max-bytes', '5000']),
    { dir: 'vault', keyFile: 'keys/s.key', limits: { maxValue: 1024, maxKeys: 10, maxBytes: 5000 } });
  assert.throws(() => parseStorageArgs(['--max-value', '70000']), /--max-value 70000: expected an integer from 1 to 65536 \(the IDL bound MaxValue\)/);
  assert.throws(() => parseStorageArgs(['--max-keys', '1e3']), /--max-keys 1e3: expected an integer/);
  assert.throws(() => parseStorageArgs(['--dir']), /--dir needs a value/);
  assert.throws(() => parseStorageArgs(['--verbose', 'yes']), /unknown argument "--verbose"; args: \[--dir <data dir>\]/);
});

test('a host file system failure is Unavailable with the error code only; the namespace reloads from disk next time', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.put('app', 'k', enc('v1'));
  // Make the namespace directory unwritable by replacing it with a file for one write.
  const nsDir = path.join(dir, 'ns', 'app');
  const moved = `${nsDir}.away`;
  renameSync(nsDir, moved);
  writeFileSync(nsDir, 'not a directory');
  const e = await rejectsWith(store.put('app', 'k', enc('v2')), 'Unavailable', 'host file system error ENOTDIR; the operation may or may not have taken effect');
  assert.match(e.detail!, /ENOTDIR/);
  rmSync(nsDir);
  renameSync(moved, nsDir);
  assert.deepEqual(await store.get('app', 'k').then((r) => [dec(r.value), r.version]), ['v1', 1]);
  assert.deepEqual(await store.put('app', 'k', enc('v2')), { version: 2 });
});
