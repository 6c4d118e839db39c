// Pack → verify round trips: identical blobs, a deterministic image and boot log, the measured-boot chain
// recomputed independently, and the `inspect` text. Also the canonical JSON serializer on its own.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, parseCanonicalJson } from '../../src/image/canonical-json.ts';
import { describeImage, ImageError, MAX_IMAGE_BYTES, MEASURE_SEED, packImage, readImageFile, verifyImage } from '../../src/image/index.ts';
import { ATTACKER, BLOBS, IMAGE, INPUT, manifestOf, refused, tempDir, TRUSTED } from './fixtures.ts';

const verify = (bytes: Uint8Array) => verifyImage(bytes, [TRUSTED.publicKeyPem], { stateDir: tempDir() });

test('pack → verify returns identical blobs, in order, with the manifest the builder asked for', () => {
  const v = verify(IMAGE);
  assert.deepEqual(v.blobs.map(b => [b.name, b.kind]), BLOBS.map(b => [b.name, b.kind]));
  for (const b of BLOBS) {
    assert.deepEqual(v.blob(b.name), b.data);
    assert.equal(v.blobs.find(x => x.name === b.name)!.sha256, createHash('sha256').update(b.data).digest('hex'));
  }
  assert.deepEqual(v.blobs.map(b => b.data), BLOBS.map(b => b.data));
  assert.equal(v.manifest.solution, 'echo');
  assert.equal(v.manifest.version, '1.0.0');
  assert.equal(v.manifest.rollbackIndex, 5);
  assert.equal(v.manifest.signer, TRUSTED.keyId);
  assert.deepEqual(v.manifest.meta, INPUT.meta);
  assert.equal(v.manifest.entities, undefined);
});

test('the image and the boot log are deterministic', () => {
  assert.deepEqual(packImage(INPUT, TRUSTED.privateKeyPem), IMAGE); // Ed25519 signatures are deterministic
  const a = verify(IMAGE);
  const b = verify(new Uint8Array(IMAGE));
  assert.deepEqual(a.bootLog, b.bootLog);
  assert.equal(a.measurement, b.measurement);
});

test('the measured-boot chain matches an independent computation, one line per blob plus the head', () => {
  const v = verify(IMAGE);
  const sha = (...parts: (string | Uint8Array)[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
  let h = sha(MEASURE_SEED);
  assert.equal(h.toString('hex'), createHash('sha256').update('citadel-measured-boot-v1').digest('hex'));
  BLOBS.forEach((b, i) => {
    h = sha(h, sha(b.data), new TextEncoder().encode(b.name));
    const line = v.bootLog[i]!;
    assert.equal(
      line,
      `measure ${i + 1}/${BLOBS.length} ${b.kind} "${b.name}" size=${b.data.length} sha256=${sha(b.data).toString('hex')} chain=${h.toString('hex')}`,
    );
  });
  assert.equal(v.measurement, h.toString('hex'));
  assert.equal(v.bootLog.length, BLOBS.length + 1);
  assert.equal(v.bootLog.at(-1), `measured-boot head=${v.measurement} blobs=${BLOBS.length}`);
});

test('the measurement depends on load order and on every blob', () => {
  const base = verify(IMAGE).measurement;
  const swapped = packImage({ ...INPUT, blobs: [BLOBS[1]!, BLOBS[0]!, ...BLOBS.slice(2)] }, TRUSTED.privateKeyPem);
  assert.notEqual(verify(swapped).measurement, base);
  const changed = packImage({ ...INPUT, blobs: BLOBS.map((b, i) => (i === 0 ? { ...b, data: new Uint8Array([1]) } : b)) }, TRUSTED.privateKeyPem);
  assert.notEqual(verify(changed).measurement, base);
  // Metadata outside the blobs does not change what was loaded.
  assert.equal(verify(packImage({ ...INPUT, version: '1.0.1' }, TRUSTED.privateKeyPem)).measurement, base);
});

test('verified bytes are private copies: changing the caller’s buffer afterwards changes nothing', () => {
  const buffer = new Uint8Array(IMAGE);
  const v = verify(buffer);
  buffer.fill(0);
  assert.deepEqual(v.blob('policy'), BLOBS[0]!.data);
  assert.throws(() => {
    (v.manifest as { solution: string }).solution = 'other';
  }, TypeError);
  assert.throws(() => (v.manifest.blobs as unknown[]).push(1), TypeError);
});

test('asking for a blob the image does not have is an ImageError naming it', () => {
  refused(() => verify(IMAGE).blob('bundle:missing'), 'BadManifest', /image has no blob "bundle:missing"/);
});

test('an image with no blobs, or with entities, round-trips', () => {
  const v = verify(packImage({ solution: 's', version: 'v', rollbackIndex: 0, entities: [{ name: 'e' }], blobs: [] }, TRUSTED.privateKeyPem));
  assert.deepEqual(v.blobs, []);
  assert.deepEqual(v.manifest.entities, [{ name: 'e' }]);
  assert.equal(v.bootLog.length, 1);
});

describe('packImage refuses to build what the verifier would refuse', () => {
  const bad: [string, object, RegExp][] = [
    ['a duplicate blob name', { blobs: [BLOBS[0], BLOBS[0]] }, /names blob "policy" twice/],
    ['an unknown kind', { blobs: [{ ...BLOBS[0], kind: 'exe' }] }, /kind must be one of/],
    ['an empty solution name', { solution: '' }, /"solution"/],
    ['a negative rollback index', { rollbackIndex: -1 }, /"rollbackIndex"/],
    ['meta with a Date', { meta: { when: new Date(0) } }, /\$\.meta\.when: not a plain object/],
    ['meta with undefined', { meta: { x: undefined } }, /\$\.meta\.x: undefined has no JSON form/],
    ['meta with NaN', { meta: { x: [Number.NaN] } }, /NaN has no JSON form/],
    ['data that is not bytes', { blobs: [{ name: 'a', kind: 'resource', data: 'text' }] }, /data is not a Uint8Array/],
  ];
  for (const [what, override, message] of bad) {
    test(what, () => {
      refused(() => packImage({ ...INPUT, ...override } as never, TRUSTED.privateKeyPem), 'BadManifest', message);
    });
  }
  test('a signing key that is not an Ed25519 private key', () => {
    refused(() => packImage(INPUT, TRUSTED.publicKeyPem), 'BadKey');
    refused(() => packImage(INPUT, 'garbage'), 'BadKey');
  });
});

test('describeImage prints identity, blobs and meta, escaping hostile text', () => {
  const text = describeImage(verify(IMAGE));
  const lines = text.split('\n');
  assert.ok(lines.includes('solution:       echo'));
  assert.ok(lines.includes('rollback index: 5'));
  assert.ok(lines.includes(`signer:         ${TRUSTED.keyId}`));
  assert.ok(lines.includes('format:         1'));
  assert.ok(lines.some(l => /^ {2}bundle {4}bundle:echo\.Server +\d+ B {2}sha256 [0-9a-f]{64}$/.test(l)), text);
  assert.ok(lines.some(l => /^ {2}resource {2}empty +0 B/.test(l)), text);
  assert.match(text, /meta:\n {2}channels:\n {4}- echo.Client.echo -> echo.Server\n {2}entities:\n {4}- isolation: worker\n {6}name: echo.Client\n/);
  assert.match(text, / {2}policy:\n {4}bindings: 1\n {4}rules: 1\n/);

  const hostile = packImage(
    { solution: 'evil\u001b[2J', version: '1\n2', rollbackIndex: 0, meta: { 'k\u202e': ['\u0007', '', ' x', {}, []] }, blobs: [] },
    ATTACKER.privateKeyPem,
  );
  const shown = describeImage(verifyImage(hostile, [ATTACKER.publicKeyPem], { stateDir: tempDir() }));
  assert.doesNotMatch(shown, /[\u0000-\u0009\u000b-\u001f\u202e]/);
  assert.match(shown, /solution: {7}"evil\\u001b\[2J"/);
  assert.match(shown, /version: {8}"1\\u000a2"/);
  assert.match(shown, /"k\\u202e":\n {4}- "\\u0007"\n {4}- ""\n {4}- " x"\n {4}- \{\}\n {4}- \[\]\n/);
});

describe('canonical JSON', () => {
  test('keys are sorted recursively by UTF-16 code units, with no whitespace', () => {
    assert.equal(canonicalJson({ b: [{ z: 1, a: null }], a: 'x', B: true, é: 1, '\u{1f600}': 2, '\uffff': 3 }), '{"B":true,"a":"x","b":[{"a":null,"z":1}],"é":1,"\u{1f600}":2,"\uffff":3}');
    // (U+1F600 is the surrogate pair D83D DE00, which sorts before FFFF in code units though not in code points.)
    assert.equal(canonicalJson({ 10: 'a', 9: 'b' }), '{"10":"a","9":"b"}');
  });
  test('values without a single JSON form are refused', () => {
    for (const v of [undefined, () => 1, Symbol('s'), 1n, Infinity, new Map(), new Date(0), [undefined]]) {
      assert.throws(() => canonicalJson(v), TypeError);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    assert.throws(() => canonicalJson(deep), /nested deeper than 64/);
    assert.equal(canonicalJson(Object.assign(Object.create(null) as object, { a: 1 })), '{"a":1}');
  });
  test('a deeply nested manifest is refused as BadManifest, not a stack overflow', () => {
    const deep = new TextEncoder().encode(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    refused(() => parseCanonicalJson(deep, 'manifest'), 'BadManifest', /nested deeper than 64/);
  });
  test('property: canonical output parses back to itself, and any other spelling is refused', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), value => {
        const text = canonicalJson(value);
        const bytes = new TextEncoder().encode(text);
        assert.equal(canonicalJson(parseCanonicalJson(bytes, 'manifest')), text);
        const pretty = JSON.stringify(value, null, 2);
        if (pretty !== text) {
          const e = refused(() => parseCanonicalJson(new TextEncoder().encode(pretty), 'manifest'));
          assert.ok(e instanceof ImageError && (e.code === 'NotCanonical' || e.code === 'BadManifest'));
        }
      }),
      { numRuns: 300 },
    );
  });
});

test('the manifest inside an image is exactly its canonical form', () => {
  const { manifest } = manifestOf(IMAGE);
  const m = new DataView(IMAGE.buffer).getUint32(12, true);
  assert.equal(new TextDecoder().decode(IMAGE.subarray(16, 16 + m)), canonicalJson(manifest));
});

test('readImageFile reads an image, and refuses an oversized file before reading it', () => {
  const dir = tempDir();
  const file = path.join(dir, 'app.cimg');
  writeFileSync(file, IMAGE);
  assert.equal(verify(readImageFile(file)).manifest.solution, 'echo');
  const huge = path.join(dir, 'huge.cimg');
  const fd = openSync(huge, 'w');
  ftruncateSync(fd, MAX_IMAGE_BYTES + 1); // sparse: no disk space used
  closeSync(fd);
  refused(() => readImageFile(huge), 'TooLarge', /huge\.cimg is 536870913 bytes/);
  refused(() => readImageFile(dir), 'BadMagic', /is not a regular file/);
});
