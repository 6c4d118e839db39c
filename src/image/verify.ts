// Secure boot: verify an image before anything in it is used. Order: framing and lengths, canonical
// manifest + schema, trusted signer, signature, blob layout, blob hashes, rollback; then measure.
import { createHash, type KeyObject, verify } from 'node:crypto';
import { parseCanonicalJson } from './canonical-json.ts';
import { ImageError } from './errors.ts';
import { decodeContainer } from './format.ts';
import { keyIdOfKey, publicKeyFromPem } from './keys.ts';
import { type BlobEntry, checkManifest, type Manifest } from './manifest.ts';
import { measureBoot } from './measure.ts';
import { quote } from './quote.ts';
import { checkRollback, commitRollbackIndex, readRollbackState } from './rollback.ts';

export interface VerifyOptions {
  /** Holds rollback.json. */
  readonly stateDir: string;
  /** Store the image's rollback index after a successful verification (default true). */
  readonly commitRollback?: boolean;
  /** Default true. `citadel inspect` passes false: reading an old image is not booting it. */
  readonly checkRollback?: boolean;
}

export interface VerifiedBlob extends BlobEntry {
  /** Verified bytes, a private copy; treat as read-only (it is the verifier's, shared by `blob()`). */
  readonly data: Uint8Array;
}

export interface VerifiedImage {
  /** Deep-frozen. */
  readonly manifest: Manifest;
  /** In manifest (= load) order. */
  readonly blobs: readonly VerifiedBlob[];
  /** The verified bytes of a blob; throws ImageError (BadManifest) when the image has no such blob. */
  blob(name: string): Uint8Array;
  readonly bootLog: readonly string[];
  readonly measurement: string;
}

export function verifyImage(bytes: Uint8Array, trustedPublicKeysPem: readonly string[], options: VerifyOptions): VerifiedImage {
  // Configuration first: a broken trust store is reported whatever image is presented.
  const trusted = trustedPublicKeysPem.map((pem, i) => publicKeyFromPem(pem, `trusted key #${i + 1}`));
  const ids = trusted.map(keyIdOfKey);

  const { manifestBytes, signature, blobAreaStart } = decodeContainer(bytes);
  const manifest = checkManifest(parseCanonicalJson(manifestBytes, 'manifest'));

  // Every trusted key with the signer's id is tried, so even a 64-bit id collision cannot lock out a key.
  const candidates = trusted.filter((_, i) => ids[i] === manifest.signer);
  if (candidates.length === 0) {
    const list = ids.length === 0 ? 'no keys are trusted' : `trusted: ${ids.join(', ')}`;
    throw new ImageError('UntrustedSigner', `manifest signer ${manifest.signer} is not a trusted key (${list})`);
  }
  if (!candidates.some(key => signatureVerifies(manifestBytes, key, signature))) {
    throw new ImageError('BadSignature', `manifest signature does not verify with trusted key ${manifest.signer}`);
  }

  const blobs = readBlobs(bytes, blobAreaStart, manifest.blobs);

  if (options.checkRollback ?? true) {
    const state = readRollbackState(options.stateDir);
    checkRollback(state, manifest.solution, manifest.rollbackIndex);
    if (options.commitRollback ?? true) commitRollbackIndex(options.stateDir, state, manifest.solution, manifest.rollbackIndex);
  }

  const byName = new Map(blobs.map(b => [b.name, b.data]));
  const { bootLog, measurement } = measureBoot(blobs);
  return Object.freeze({
    manifest: deepFreeze(manifest),
    blobs: Object.freeze(blobs),
    blob(name: string): Uint8Array {
      const data = byName.get(name);
      if (data === undefined) throw new ImageError('BadManifest', `image has no blob ${quote(name)}`);
      return data;
    },
    bootLog: Object.freeze([...bootLog]),
    measurement,
  });
}

function signatureVerifies(message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Layout first (contiguous, in order, exactly covering the rest of the file), then hash private copies. */
function readBlobs(bytes: Uint8Array, areaStart: number, entries: readonly BlobEntry[]): VerifiedBlob[] {
  const areaLength = bytes.length - areaStart;
  let next = 0;
  for (const e of entries) {
    if (e.offset !== next) {
      throw new ImageError('BlobLayout', `blob ${quote(e.name)} starts at blob offset ${e.offset}, expected ${next} (blobs must be contiguous, in manifest order)`);
    }
    if (e.offset + e.size > areaLength) {
      throw new ImageError('Truncated', `blob ${quote(e.name)} (${span(areaStart, e)}) runs past the end of the image (${bytes.length} bytes)`);
    }
    next += e.size;
  }
  if (next !== areaLength) {
    throw new ImageError('BlobLayout', `${areaLength - next} unexpected bytes after the last blob (file bytes ${areaStart + next}..${bytes.length - 1})`);
  }
  return entries.map(e => {
    const data = new Uint8Array(bytes.subarray(areaStart + e.offset, areaStart + e.offset + e.size));
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== e.sha256) {
      throw new ImageError('BlobHash', `blob ${quote(e.name)} (${span(areaStart, e)}): SHA-256 mismatch, expected ${e.sha256}, got ${actual}`);
    }
    return Object.freeze({ ...e, data });
  });
}

function span(areaStart: number, e: BlobEntry): string {
  const start = areaStart + e.offset;
  return e.size === 0 ? `empty, at file byte ${start}` : `file bytes ${start}..${start + e.size - 1}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
