// Attacks on a signed image: bit flips everywhere, truncation, appended bytes, foreign signers, forged and
// non-canonical manifests, swapped and reordered blobs. Every one must end in an ImageError naming the region.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../src/image/canonical-json.ts';
import { encodeContainer, MAX_IMAGE_BYTES } from '../../src/image/format.ts';
import { type ImageErrorCode, packImage, verifyImage } from '../../src/image/index.ts';
import { ATTACKER, BLOBS, forge, IMAGE, INPUT, manifestOf, refused, regionsOf, tempDir, TRUSTED } from './fixtures.ts';

const trusted = [TRUSTED.publicKeyPem];
const noCommit = { stateDir: tempDir(), commitRollback: false };
const verify = (bytes: Uint8Array, keys = trusted) => verifyImage(bytes, keys, noCommit);

test('the untouched fixture verifies (so every refusal below is caused by the attack)', () => {
  assert.equal(verify(IMAGE).manifest.solution, 'echo');
});

test('every single-bit flip anywhere in the image is refused, naming the region', () => {
  const regions = regionsOf(IMAGE);
  const copy = new Uint8Array(IMAGE);
  let flips = 0;
  for (let byte = 0; byte < IMAGE.length; byte++) {
    const region = regions.find(r => byte >= r.start && byte < r.end)!;
    for (let bit = 0; bit < 8; bit++) {
      copy[byte]! ^= 1 << bit;
      const e = refused(() => verify(copy));
      assert.match(e.message, region.names, `flip of byte ${byte} bit ${bit} (${e.code})`);
      copy[byte]! ^= 1 << bit;
      flips++;
    }
  }
  assert.equal(flips, IMAGE.length * 8);
  assert.deepEqual(copy, IMAGE);
});

test('truncation at every length is refused', () => {
  for (let n = 0; n < IMAGE.length; n++) {
    // Layout is checked before any hash, so even a cut inside the last blob reads as truncation.
    refused(() => verify(IMAGE.subarray(0, n)), 'Truncated');
  }
});

test('appended bytes are refused', () => {
  for (const extra of [1, 64, 4096]) {
    const longer = new Uint8Array(IMAGE.length + extra);
    longer.set(IMAGE);
    refused(() => verify(longer), 'BlobLayout', new RegExp(`${extra} unexpected bytes after the last blob`));
  }
});

test('an image signed by a key that is not trusted is refused', () => {
  const foreign = packImage(INPUT, ATTACKER.privateKeyPem);
  refused(() => verify(foreign), 'UntrustedSigner', new RegExp(`signer ${ATTACKER.keyId} is not a trusted key \\(trusted: ${TRUSTED.keyId}\\)`));
  refused(() => verify(IMAGE, []), 'UntrustedSigner', /no keys are trusted/);
  // Trusting the attacker as well as us accepts it: the key set is the only authority.
  assert.equal(verify(foreign, [TRUSTED.publicKeyPem, ATTACKER.publicKeyPem]).manifest.signer, ATTACKER.keyId);
});

test('a manifest changed and re-signed by an attacker is refused', () => {
  const { manifest, blobArea } = manifestOf(IMAGE);
  const raised = canonicalJson({ ...manifest, rollbackIndex: 99 });
  // Claiming to be the trusted signer does not help: the signature is checked with the trusted key.
  refused(() => verify(forge(raised, ATTACKER.privateKeyPem, blobArea)), 'BadSignature', new RegExp(`manifest signature does not verify with trusted key ${TRUSTED.keyId}`));
  const own = canonicalJson({ ...manifest, rollbackIndex: 99, signer: ATTACKER.keyId });
  refused(() => verify(forge(own, ATTACKER.privateKeyPem, blobArea)), 'UntrustedSigner');
  // A blob replaced together with its manifest hash, signed by the attacker.
  const blobs = (manifest.blobs as { sha256: string }[]).map((b, i) => (i === 0 ? { ...b, sha256: '0'.repeat(64) } : b));
  refused(() => verify(forge(canonicalJson({ ...manifest, blobs }), ATTACKER.privateKeyPem, blobArea)), 'BadSignature');
});

test('a blob swapped in from another image signed by the same key is refused', () => {
  // Same sizes, different content: the layout matches, only the hash can tell.
  const other = packImage(
    { ...INPUT, blobs: BLOBS.map(b => (b.name === 'bundle:echo.Server' ? { ...b, data: b.data.map(c => (c === 0x62 ? 0x63 : c)) } : b)) },
    TRUSTED.privateKeyPem,
  );
  verify(other);
  const server = regionsOf(IMAGE).find(r => String(r.names).includes('echo.Server'))!;
  const spliced = new Uint8Array(IMAGE);
  spliced.set(other.subarray(server.start, server.end), server.start);
  refused(() => verify(spliced), 'BlobHash', new RegExp(`blob "bundle:echo.Server" \\(file bytes ${server.start}..${server.end - 1}\\): SHA-256 mismatch, expected [0-9a-f]{64}, got [0-9a-f]{64}`));
});

test('reordered blobs are refused', () => {
  const regions = regionsOf(IMAGE);
  const [policy, schema] = [regions[6]!, regions[7]!];
  // Swap the bytes of two blobs in the blob area (the manifest still lists them in the old order).
  const swapped = new Uint8Array(IMAGE);
  const a = IMAGE.slice(policy.start, policy.end);
  const b = IMAGE.slice(schema.start, schema.end);
  swapped.set(b, policy.start);
  swapped.set(a, policy.start + b.length);
  refused(() => verify(swapped), 'BlobHash', /blob "policy"/);
  // Reorder the manifest entries instead: unsigned, so the signature fails.
  const { manifest, blobArea } = manifestOf(IMAGE);
  const list = manifest.blobs as unknown[];
  const reordered = canonicalJson({ ...manifest, blobs: [list[1], list[0], ...list.slice(2)] });
  const resigned = encodeContainer(new TextEncoder().encode(reordered), IMAGE.subarray(regions[5]!.start, regions[5]!.end), [blobArea]);
  refused(() => verify(resigned), 'BadSignature');
});

describe('non-canonical manifests are refused before the signer is even looked at', () => {
  const { manifest, blobArea } = manifestOf(IMAGE);
  const canonical = canonicalJson(manifest);
  const variants: Record<string, string | Uint8Array> = {
    'extra whitespace': JSON.stringify(JSON.parse(canonical), null, 1),
    'one trailing space': `${canonical} `,
    'unsorted keys': JSON.stringify({ solution: manifest.solution, ...manifest }),
    'a duplicate key': `{"blobs":[],${canonical.slice(1)}`,
    'an escaped letter': canonical.replace('"echo"', '"\\u0065cho"'),
    'a number spelled 5.0': canonical.replace('"rollbackIndex":5', '"rollbackIndex":5.0'),
  };
  for (const [what, text] of Object.entries(variants)) {
    test(what, () => {
      assert.notEqual(text, canonical);
      for (const key of [ATTACKER, TRUSTED]) refused(() => verify(forge(text, key.privateKeyPem, blobArea)), 'NotCanonical', /manifest is not canonical JSON: at byte \d+/);
    });
  }
  test('a byte-order mark or invalid UTF-8', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(canonical)]);
    refused(() => verify(forge(bom, TRUSTED.privateKeyPem, blobArea)), 'BadManifest', /manifest is not valid JSON/);
    const bad = new TextEncoder().encode(canonical);
    bad[canonical.indexOf('echo')] = 0xff;
    refused(() => verify(forge(bad, TRUSTED.privateKeyPem, blobArea)), 'BadManifest', /manifest is not valid UTF-8/);
  });
});

describe('manifests that are signed by the trusted key but break the schema or layout are refused', () => {
  // What a buggy (or compromised) builder could emit: the verifier still refuses to interpret it.
  const { manifest, blobArea } = manifestOf(IMAGE);
  const blobs = manifest.blobs as Record<string, unknown>[];
  const signed = (m: unknown, area = blobArea) => forge(canonicalJson(m), TRUSTED.privateKeyPem, area);
  const cases: [string, unknown, ImageErrorCode, RegExp][] = [
    ['an unknown field', { ...manifest, extra: 1 }, 'BadManifest', /manifest top level has unknown field "extra"/],
    ['a missing field', { ...manifest, version: undefined }, 'BadManifest', /lacks field "version"/],
    ['format 2', { ...manifest, format: 2 }, 'BadManifest', /"format" must be 1/],
    ['a negative rollback index', { ...manifest, rollbackIndex: -1 }, 'BadManifest', /"rollbackIndex"/],
    ['a fractional size', { ...manifest, blobs: blobs.map((b, i) => (i === 0 ? { ...b, size: 1.5 } : b)) }, 'BadManifest', /"blobs\[0\]"\.size/],
    ['an unknown kind', { ...manifest, blobs: blobs.map((b, i) => (i === 1 ? { ...b, kind: 'exe' } : b)) }, 'BadManifest', /"blobs\[1\]"\.kind/],
    ['uppercase hex', { ...manifest, blobs: blobs.map((b, i) => (i === 1 ? { ...b, sha256: String(b.sha256).toUpperCase() } : b)) }, 'BadManifest', /sha256/],
    ['a duplicate blob name', { ...manifest, blobs: blobs.map((b, i) => (i === 1 ? { ...b, name: 'policy' } : b)) }, 'BadManifest', /names blob "policy" twice/],
    ['meta that is not an object', { ...manifest, meta: [1] }, 'BadManifest', /"meta" must be an object/],
    ['a gap between blobs', { ...manifest, blobs: blobs.map((b, i) => (i === 1 ? { ...b, offset: Number(b.offset) + 1 } : b)) }, 'BlobLayout', /blob "schema" starts at blob offset \d+, expected \d+/],
    ['overlapping blobs', { ...manifest, blobs: blobs.map((b, i) => (i === 1 ? { ...b, offset: 0 } : b)) }, 'BlobLayout', /blob "schema"/],
    ['a blob that runs past the end', { ...manifest, blobs: blobs.map((b, i) => (i === blobs.length - 1 ? { ...b, size: Number(b.size) + 1 } : b)) }, 'Truncated', /blob "logo" .* runs past the end/],
    ['a blob area left uncovered', { ...manifest, blobs: blobs.slice(0, -1) }, 'BlobLayout', /256 unexpected bytes after the last blob/],
  ];
  for (const [what, m, code, message] of cases) {
    test(what, () => {
      refused(() => verify(signed(JSON.parse(JSON.stringify(m)))), code, message);
    });
  }
  test('a blob name with control characters is escaped in the message', () => {
    const evil = { ...manifest, blobs: blobs.map((b, i) => (i === 0 ? { ...b, name: 'x\u001b[2J\nFAKE OK', sha256: '0'.repeat(64) } : b)) };
    const e = refused(() => verify(signed(evil)), 'BlobHash');
    assert.match(e.message, /blob "x\\u001b\[2J\\u000aFAKE OK"/);
    assert.doesNotMatch(e.message, /[\u0000-\u001f]/);
  });
});

describe('framing', () => {
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  test('wrong version, manifest length 0 or above the cap, wrong signature length', () => {
    const v2 = new Uint8Array(IMAGE);
    view(v2).setUint32(8, 2, true);
    refused(() => verify(v2), 'BadVersion', /format version is 2, this verifier reads version 1/);
    const zero = new Uint8Array(IMAGE);
    view(zero).setUint32(12, 0, true);
    refused(() => verify(zero), 'BadManifest', /manifest length field is 0/);
    const huge = new Uint8Array(IMAGE);
    view(huge).setUint32(12, 0xffffffff, true);
    refused(() => verify(huge), 'TooLarge', /manifest length field says 4294967295 bytes/);
    const { manifest, blobArea } = manifestOf(IMAGE);
    const short = encodeContainer(new TextEncoder().encode(canonicalJson(manifest)), new Uint8Array(63), [blobArea]);
    refused(() => verify(short), 'BadSignature', /signature length field at byte \d+ \(after a \d+-byte manifest\) is 63, expected 64/);
  });
  test('an image above the 512 MiB cap is refused before anything is read', () => {
    refused(() => verify(new Uint8Array(MAX_IMAGE_BYTES + 1)), 'TooLarge', /above the 536870912-byte cap/);
  });
  test('something that is not bytes is refused', () => {
    refused(() => verify('CITADEL' as never), 'BadMagic');
    refused(() => verify(null as never), 'BadMagic');
  });
});

test('random multi-byte corruption and random garbage only ever produce ImageError', () => {
  const mutation = fc.array(fc.tuple(fc.nat(IMAGE.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(mutation, edits => {
      const copy = new Uint8Array(IMAGE);
      for (const [at, x] of edits) copy[at]! ^= x;
      refused(() => verify(copy));
    }),
    { numRuns: 500 },
  );
  const header = Uint8Array.from(IMAGE.subarray(0, 16));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (tail, withHeader) => {
      const bytes = withHeader ? new Uint8Array([...header, ...tail]) : tail;
      refused(() => verify(bytes));
    }),
    { numRuns: 500 },
  );
});
