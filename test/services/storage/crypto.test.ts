// Cryptography of Secure Storage: the pure-TypeScript primitives the entity runs agree with
// node:crypto and with published vectors; stored records are bound to their namespace, key and
// version (a record moved anywhere else does not decrypt); any change to a stored file is refused
// with a clear error, never answered with a wrong value.
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHostCrypto } from '../../../src/services/storage/crypto.ts';
import { makeHostCrypto } from '../../../src/sandbox/host-crypto.ts';

/** The crypto the entity uses: the sandbox's node:crypto primitives through the storage adapter. */
const entityCrypto = fromHostCrypto(makeHostCrypto());
import { nodeCrypto } from '../../../src/services/storage/node-crypto.ts';
import { recordFileName } from '../../../src/services/storage/record.ts';
import { dec, enc, openStore, rejectsWith, tempDir } from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

test('known answers: SHA-256 (FIPS 180-2 "abc"), HKDF-SHA256 (RFC 5869 case 1), AES-256-GCM (GCM spec cases 13, 14, 16)', () => {
  for (const c of [entityCrypto, nodeCrypto]) {
    assert.equal(hex(c.sha256(enc('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', c.name);
    assert.equal(hex(c.hkdf(unhex('0b'.repeat(22)), unhex('000102030405060708090a0b0c'), unhex('f0f1f2f3f4f5f6f7f8f9'), 42)),
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865', c.name);
    const zero = new Uint8Array(32), iv = new Uint8Array(12);
    assert.equal(hex(c.seal(zero, iv, new Uint8Array(0), new Uint8Array(0))), '530f8afbc74536b9a963b4f1c4cb738b', c.name);
    assert.equal(hex(c.seal(zero, iv, new Uint8Array(16), new Uint8Array(0))), 'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919', c.name);
    const k = unhex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const p = unhex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const a = unhex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const sealed = c.seal(k, unhex('cafebabefacedbaddecaf888'), p, a);
    assert.equal(hex(sealed), '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b', c.name);
    assert.deepEqual(c.open(k, unhex('cafebabefacedbaddecaf888'), sealed, a), p, c.name);
  }
});

test('the entity\'s crypto (sandbox primitives through the adapter) agrees with node:crypto byte for byte (property, 200 cases)', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
    fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 1, max: 100 }),
    (key, nonce, data, aad, length) => {
      const sealed = entityCrypto.seal(key, nonce, data, aad);
      assert.deepEqual(sealed, nodeCrypto.seal(key, nonce, data, aad));
      assert.deepEqual(entityCrypto.open(key, nonce, sealed, aad), data);
      assert.deepEqual(nodeCrypto.open(key, nonce, sealed, aad), data);
      assert.deepEqual(entityCrypto.sha256(data), nodeCrypto.sha256(data));
      assert.deepEqual(entityCrypto.hkdf(key, aad, data.subarray(0, 64), length), nodeCrypto.hkdf(key, aad, data.subarray(0, 64), length));
    }), { numRuns: 200, seed: 42 });
});

test('AEAD: flipping any bit of ciphertext or tag, or changing the AAD, is refused by both implementations', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
    fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 7 }),
    (key, nonce, data, aad, at, bit) => {
      const sealed = entityCrypto.seal(key, nonce, data, aad);
      const bad = sealed.slice();
      bad[at % bad.length]! ^= 1 << bit;
      const otherAad = aad.slice();
      otherAad[at % otherAad.length]! ^= 1 << bit;
      for (const c of [entityCrypto, nodeCrypto]) {
        assert.equal(c.open(key, nonce, bad, aad), undefined);
        assert.equal(c.open(key, nonce, sealed, otherAad), undefined);
        assert.equal(c.open(key, nonce, sealed.subarray(0, sealed.length - 1), aad), undefined);
      }
    }), { numRuns: 200, seed: 7 });
});

/** The record file of `key` in `namespace`. */
const recordOf = (dir: string, namespace: string, key: string) => path.join(dir, 'ns', namespace, recordFileName(nodeCrypto, key));

test('a value is encrypted at rest; the same value written twice gives different ciphertexts (fresh nonce)', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.put('app', 'password', enc('correct horse battery staple'));
  const first = readFileSync(recordOf(dir, 'app', 'password'));
  assert.ok(!first.toString('latin1').includes('correct horse'));
  await store.put('app', 'password', enc('correct horse battery staple'));
  const second = readFileSync(recordOf(dir, 'app', 'password'));
  assert.notDeepEqual(first.subarray(16, 28), second.subarray(16, 28), 'nonce reused');
  assert.notDeepEqual(first.subarray(-40), second.subarray(-40));
});

test('tampering with any byte of a stored record is refused with a clear error, never a wrong value', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.put('app', 'k', enc('the value'));
  const file = recordOf(dir, 'app', 'k');
  const good = readFileSync(file);
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i]! ^= 0x20;
    writeFileSync(file, bad);
    await rejectsWith(store.get('app', 'k'), 'Corrupted', /^the record of key "k" in namespace "app": /);
  }
  // Truncated at every length (a torn write under the record's name): refused too.
  for (let n = 0; n < good.length; n++) {
    writeFileSync(file, good.subarray(0, n));
    await rejectsWith(store.get('app', 'k'), 'Corrupted', /shorter than any record|truncated|authentication failed/);
  }
  writeFileSync(file, good);
  assert.equal(dec((await store.get('app', 'k')).value), 'the value');
  // The exact message for a flipped value byte:
  const bad = Buffer.from(good);
  bad[bad.length - 20]! ^= 1;
  writeFileSync(file, bad);
  await rejectsWith(store.get('app', 'k'), 'Corrupted',
    'the record of key "k" in namespace "app": authentication failed: the record was modified, torn, or moved from another namespace, key or version');
});

test('a record copied to another key\'s file, another namespace, or back over a newer version does not decrypt', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.put('alice', 'token', enc('alice-token'));
  await store.put('alice', 'other', enc('other'));
  await store.put('bob', 'token', enc('bob-token'));
  // Another key's file (the key in the header is authenticated): refused.
  copyFileSync(recordOf(dir, 'alice', 'token'), recordOf(dir, 'alice', 'other'));
  await rejectsWith(store.get('alice', 'other'), 'Corrupted', /belongs to another key/);
  // …even with the key field in its header rewritten to the new key (the key is in the AAD).
  const forged = readFileSync(recordOf(dir, 'alice', 'token'));
  forged.write('other', 28, 'utf8');
  writeFileSync(recordOf(dir, 'alice', 'other'), forged);
  await rejectsWith(store.get('alice', 'other'), 'Corrupted', /authentication failed/);
  // Another namespace, same key (the namespace is not in the file, only in the AAD): refused.
  copyFileSync(recordOf(dir, 'alice', 'token'), recordOf(dir, 'bob', 'token'));
  await rejectsWith(store.get('bob', 'token'), 'Corrupted', /authentication failed/);
  // The same record with its version field changed (the version is in the AAD): refused.
  const v1 = readFileSync(recordOf(dir, 'alice', 'token'));
  const bumped = Buffer.from(v1);
  bumped[15] = 2;
  writeFileSync(recordOf(dir, 'alice', 'token'), bumped);
  await rejectsWith(store.get('alice', 'token'), 'Corrupted', /authentication failed/);
  // An authentic older version put back while the service runs (rollback): refused.
  writeFileSync(recordOf(dir, 'alice', 'token'), v1);
  await store.put('alice', 'token', enc('newer'));
  writeFileSync(recordOf(dir, 'alice', 'token'), v1);
  await rejectsWith(store.get('alice', 'token'), 'Corrupted', /is version 1, but the service wrote version 2 \(replaced outside the service: rollback\?\)/);
});

test('a tampered file is reported when its namespace loads: List and writes to that key refuse; other keys still work', async (t) => {
  const dir = tempDir(t);
  let store = await openStore(dir);
  await store.put('app', 'a', enc('A'));
  await store.put('app', 'b', enc('B'));
  const file = recordOf(dir, 'app', 'a');
  const bad = readFileSync(file);
  bad[bad.length - 1]! ^= 1;
  writeFileSync(file, bad);
  store = await openStore(dir);
  await rejectsWith(store.list('app'), 'Corrupted', new RegExp(`^1 file\\(s\\) of namespace "app" fail authentication; ${recordFileName(nodeCrypto, 'a')}: authentication failed`));
  await rejectsWith(store.put('app', 'a', enc('overwrite')), 'Corrupted', /the record of key "a" in namespace "app" fails authentication/);
  assert.equal(dec((await store.get('app', 'b')).value), 'B');
  // A tampered namespace.meta stops writes to the namespace (versions could go backwards).
  await store.delete('app', 'b');
  const meta = path.join(dir, 'ns', 'app', 'namespace.meta');
  const m = readFileSync(meta);
  m[5]! ^= 1;
  writeFileSync(meta, m);
  store = await openStore(dir);
  await rejectsWith(store.put('app', 'c', enc('C')), 'Corrupted', /namespace\.meta of namespace "app" fails authentication/);
});

test('the sealing key: created once with mode 0600; a wrong or missing key file is refused with the reason', async (t) => {
  const dir = tempDir(t);
  const store = await openStore(dir);
  await store.put('app', 'k', enc('v'));
  const keyFile = path.join(dir, 'sealing.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(recordOf(dir, 'app', 'k')).mode & 0o777, 0o600);
  const key = readFileSync(keyFile);
  // Reopening uses the same key.
  assert.equal(dec((await (await openStore(dir)).get('app', 'k')).value), 'v');
  // Another key file (another store's key): refused before anything is read.
  const other = tempDir(t);
  await openStore(other);
  await assert.rejects(openStore(dir, { keyFile: path.join(other, 'sealing.key') }), /does not match the store in .* \(store\.meta holds another key's check value\): wrong key file\?/);
  // The key file gone: the store refuses to make a new one (that would orphan every value).
  rmSync(keyFile);
  await assert.rejects(openStore(dir), /exists \(store\.meta\) but its sealing key file .*sealing\.key is missing: refusing to create a new key/);
  writeFileSync(keyFile, key.subarray(0, 20));
  await assert.rejects(openStore(dir), /not a Secure Storage sealing key file \(20 bytes; expected 36 starting "CSK1"\)/);
  // A key file kept elsewhere (another granted directory) works the same.
  const keys = tempDir(t);
  const elsewhere = tempDir(t);
  const s2 = await openStore(elsewhere, { keyFile: path.join(keys, 'storage.key') });
  await s2.put('x', 'y', enc('z'));
  assert.deepEqual(readdirSync(keys), ['storage.key']);
  assert.ok(!readdirSync(elsewhere).includes('sealing.key'));
});

test('a store written with the entity\'s crypto reads back with node:crypto, and the reverse', async (t) => {
  const dir = tempDir(t);
  const a = await openStore(dir, { crypto: entityCrypto });
  await a.put('ns', 'from-pure', enc('written by the entity\'s crypto'));
  const b = await openStore(dir, { crypto: nodeCrypto });
  assert.equal(dec((await b.get('ns', 'from-pure')).value), 'written by the entity\'s crypto');
  await b.put('ns', 'from-node', enc('written by OpenSSL'));
  const c = await openStore(dir, { crypto: entityCrypto });
  assert.equal(dec((await c.get('ns', 'from-node')).value), 'written by OpenSSL');
});
