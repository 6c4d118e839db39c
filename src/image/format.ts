// The *.cimg container: magic, format version, manifest length + manifest, signature length + signature,
// blob area. Only framing lives here; what the manifest says is checked elsewhere.
import { ImageError } from './errors.ts';

/** "CITADEL\0" */
export const MAGIC = Uint8Array.of(0x43, 0x49, 0x54, 0x41, 0x44, 0x45, 0x4c, 0x00);
export const FORMAT_VERSION = 1;
/** Magic (8) + u32 LE version + u32 LE manifest length. */
export const HEADER_BYTES = 16;
export const SIGNATURE_BYTES = 64;
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_IMAGE_BYTES = 512 * 1024 * 1024;

export interface Container {
  /** Private copies: nothing the caller does to its buffer afterwards can change what was verified. */
  readonly manifestBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** File offset where the blob area starts. */
  readonly blobAreaStart: number;
}

export function encodeContainer(manifestBytes: Uint8Array, signature: Uint8Array, blobs: readonly Uint8Array[]): Uint8Array {
  const blobBytes = blobs.reduce((n, b) => n + b.length, 0);
  const total = HEADER_BYTES + manifestBytes.length + 4 + signature.length + blobBytes;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, manifestBytes.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  let at = HEADER_BYTES + manifestBytes.length;
  view.setUint32(at, signature.length, true);
  out.set(signature, at + 4);
  at += 4 + signature.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Check the framing, lengths before contents, and return copies of the manifest and signature. */
export function decodeContainer(bytes: Uint8Array): Container {
  if (!(bytes instanceof Uint8Array)) throw new ImageError('BadMagic', 'image is not a byte array');
  const size = bytes.length;
  if (size > MAX_IMAGE_BYTES) throw new ImageError('TooLarge', `image is ${size} bytes, above the ${MAX_IMAGE_BYTES}-byte cap`);
  if (size < HEADER_BYTES) {
    throw new ImageError('Truncated', `image is ${size} bytes, shorter than the ${HEADER_BYTES}-byte header (magic, format version, manifest length)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new ImageError('BadMagic', `bad magic at byte ${i}: not a Citadel image (expected "CITADEL\\0")`);
  }
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    throw new ImageError('BadVersion', `format version is ${version}, this verifier reads version ${FORMAT_VERSION}`);
  }
  const manifestLength = view.getUint32(12, true);
  if (manifestLength === 0) throw new ImageError('BadManifest', 'manifest length field is 0');
  if (manifestLength > MAX_MANIFEST_BYTES) {
    throw new ImageError('TooLarge', `manifest length field says ${manifestLength} bytes, above the ${MAX_MANIFEST_BYTES}-byte cap`);
  }
  const sigLengthAt = HEADER_BYTES + manifestLength;
  if (sigLengthAt + 4 > size) {
    throw new ImageError(
      'Truncated',
      `manifest length field says ${manifestLength} bytes, but the image ends before the manifest and signature length (${size} bytes)`,
    );
  }
  const sigLength = view.getUint32(sigLengthAt, true);
  if (sigLength !== SIGNATURE_BYTES) {
    throw new ImageError(
      'BadSignature',
      `signature length field at byte ${sigLengthAt} (after a ${manifestLength}-byte manifest) is ${sigLength}, expected ${SIGNATURE_BYTES}`,
    );
  }
  const blobAreaStart = sigLengthAt + 4 + SIGNATURE_BYTES;
  if (blobAreaStart > size) {
    throw new ImageError('Truncated', `image is ${size} bytes, ending inside the signature (bytes ${sigLengthAt + 4}..${blobAreaStart - 1})`);
  }
  return {
    manifestBytes: new Uint8Array(bytes.subarray(HEADER_BYTES, sigLengthAt)),
    signature: new Uint8Array(bytes.subarray(sigLengthAt + 4, blobAreaStart)),
    blobAreaStart,
  };
}
