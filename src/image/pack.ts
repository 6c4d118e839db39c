// Build-time packing: lay out blobs, write the canonical manifest, sign it with Ed25519. Packing runs the
// verifier's own checks first, so the builder can never produce an image the kernel would refuse.
import { createHash, createPublicKey, sign } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { ImageError } from './errors.ts';
import { encodeContainer, HEADER_BYTES, MAX_IMAGE_BYTES, MAX_MANIFEST_BYTES, SIGNATURE_BYTES } from './format.ts';
import { keyIdOfKey, privateKeyFromPem } from './keys.ts';
import { quote } from './quote.ts';
import { type BlobEntry, type BlobKind, checkManifest, type Manifest } from './manifest.ts';

export interface PackBlob {
  readonly name: string;
  readonly kind: BlobKind;
  readonly data: Uint8Array;
}

export interface PackInput {
  readonly solution: string;
  readonly version: string;
  readonly rollbackIndex: number;
  readonly entities?: unknown;
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Load order: the kernel and the measured-boot chain see blobs in exactly this order. */
  readonly blobs: readonly PackBlob[];
}

export function packImage(input: PackInput, privateKeyPem: string): Uint8Array {
  const key = privateKeyFromPem(privateKeyPem, 'signing key');
  let offset = 0;
  const entries: BlobEntry[] = input.blobs.map(b => {
    if (!(b.data instanceof Uint8Array)) throw new ImageError('BadManifest', `blob ${quote(String(b.name))}: data is not a Uint8Array`);
    const entry = { name: b.name, kind: b.kind, offset, size: b.data.length, sha256: createHash('sha256').update(b.data).digest('hex') };
    offset += b.data.length;
    return entry;
  });
  const manifest: Manifest = {
    format: 1,
    solution: input.solution,
    version: input.version,
    rollbackIndex: input.rollbackIndex,
    signer: keyIdOfKey(createPublicKey(key)),
    blobs: entries,
    ...(input.entities === undefined ? {} : { entities: input.entities }),
    ...(input.meta === undefined ? {} : { meta: input.meta }),
  };
  checkManifest(manifest);
  let text: string;
  try {
    text = canonicalJson(manifest);
  } catch (e) {
    throw new ImageError('BadManifest', `manifest cannot be serialised: ${(e as Error).message}`);
  }
  const manifestBytes = new TextEncoder().encode(text);
  if (manifestBytes.length > MAX_MANIFEST_BYTES) {
    throw new ImageError('TooLarge', `manifest is ${manifestBytes.length} bytes, above the ${MAX_MANIFEST_BYTES}-byte cap`);
  }
  const total = HEADER_BYTES + manifestBytes.length + 4 + SIGNATURE_BYTES + offset;
  if (total > MAX_IMAGE_BYTES) throw new ImageError('TooLarge', `image would be ${total} bytes, above the ${MAX_IMAGE_BYTES}-byte cap`);
  const signature = sign(null, manifestBytes, key);
  return encodeContainer(manifestBytes, signature, input.blobs.map(b => b.data));
}
