// Keys: ids are SHA-256 of the raw public key, the dev key is created once with mode 0600, and anything
// that is not an Ed25519 key of the expected role is refused as BadKey.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { generateKeyPair, keyIdOf, loadOrCreateDevKey, packImage, readPublicKey, verifyImage } from '../../src/image/index.ts';
import { INPUT, refused, tempDir, TRUSTED } from './fixtures.ts';

test('a key id is the first 16 hex chars of SHA-256 over the raw 32-byte public key', () => {
  const der = createPublicKey(TRUSTED.publicKeyPem).export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32); // Ed25519 SPKI = 12-byte prefix + raw key
  assert.equal(TRUSTED.keyId, createHash('sha256').update(raw).digest('hex').slice(0, 16));
  assert.equal(keyIdOf(TRUSTED.publicKeyPem), TRUSTED.keyId);
  assert.notEqual(generateKeyPair().keyId, TRUSTED.keyId);
});

test('the dev key is created once, private half mode 0600, and then reused', () => {
  const dir = path.join(tempDir(), 'keys');
  const first = loadOrCreateDevKey(dir);
  assert.equal(first.created, true);
  assert.equal(statSync(path.join(dir, 'dev.key')).mode & 0o777, 0o600);
  assert.equal(readFileSync(path.join(dir, 'dev.pub'), 'utf8'), first.publicKeyPem);
  const again = loadOrCreateDevKey(dir);
  assert.equal(again.created, false);
  assert.deepEqual({ ...again, created: true }, first);
  // It signs images that verify with its public half, read back from disk.
  const pub = readPublicKey(path.join(dir, 'dev.pub'));
  assert.equal(verifyImage(packImage(INPUT, again.privateKeyPem), [pub], { stateDir: tempDir() }).manifest.signer, first.keyId);
});

test('a stale dev.pub is rewritten from the private key', () => {
  const dir = tempDir();
  const key = loadOrCreateDevKey(dir);
  writeFileSync(path.join(dir, 'dev.pub'), generateKeyPair().publicKeyPem);
  assert.equal(loadOrCreateDevKey(dir).publicKeyPem, key.publicKeyPem);
  assert.equal(readFileSync(path.join(dir, 'dev.pub'), 'utf8'), key.publicKeyPem);
});

test('keys of the wrong kind or role are refused as BadKey', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  refused(() => keyIdOf(rsa), 'BadKey', /is a rsa key, not Ed25519/);
  refused(() => keyIdOf(TRUSTED.privateKeyPem), 'BadKey', /not a PEM public key/);
  refused(() => keyIdOf('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), 'BadKey', /cannot be parsed/);
  refused(() => verifyImage(new Uint8Array(0), [TRUSTED.publicKeyPem, rsa], { stateDir: tempDir() }), 'BadKey', /trusted key #2/);
  const dir = tempDir();
  refused(() => readPublicKey(path.join(dir, 'missing.pub')), 'BadKey', /cannot read public key/);
  writeFileSync(path.join(dir, 'dev.key'), 'not a key');
  refused(() => loadOrCreateDevKey(dir), 'BadKey', /dev key .* is not a PEM private key/);
});
