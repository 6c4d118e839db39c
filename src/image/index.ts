// The image module's public API: the builder packs and signs, the kernel verifies (secure boot), the CLI
// generates keys and describes images. Everything else in src/image is internal.
export { describeImage } from './describe.ts';
export { ImageError, type ImageErrorCode } from './errors.ts';
export { readImageFile } from './file.ts';
export { FORMAT_VERSION, MAX_IMAGE_BYTES, MAX_MANIFEST_BYTES } from './format.ts';
export { generateKeyPair, keyIdOf, loadOrCreateDevKey, readPublicKey, type DevKey, type KeyPair } from './keys.ts';
export { BLOB_KINDS, type BlobEntry, type BlobKind, type Manifest } from './manifest.ts';
export { MEASURE_SEED } from './measure.ts';
export { packImage, type PackBlob, type PackInput } from './pack.ts';
export { ROLLBACK_FILE } from './rollback.ts';
export { verifyImage, type VerifiedBlob, type VerifiedImage, type VerifyOptions } from './verify.ts';
