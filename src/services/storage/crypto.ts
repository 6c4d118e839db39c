// The cryptography Secure Storage needs, behind one small interface: SHA-256, HKDF-SHA256 and
// AES-256-GCM. The entity gets it from the sandbox (`hostCrypto()`: node:crypto, i.e. OpenSSL,
// outside the compartment); host-side tools and tests use node-crypto.ts directly.
import type { HostCrypto } from '../../entity/host.ts';

export interface StorageCrypto {
  readonly name: string;
  sha256(data: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF with SHA-256. */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** AES-256-GCM with a 96-bit nonce: ciphertext followed by the 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when the tag does not verify (nothing of the plaintext is released then). */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined;
}

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export function checkAeadParams(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length}`);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`AES-256-GCM here takes a ${NONCE_BYTES}-byte nonce, got ${nonce.length}`);
}

/** Secure Storage's crypto over the primitives the process tier endows (node:crypto in the sandbox). */
export function fromHostCrypto(host: HostCrypto): StorageCrypto {
  return Object.freeze({
    name: 'host node:crypto',
    sha256: (data: Uint8Array) => host.sha256(data),
    hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => host.hkdfSha256(ikm, salt, info, length),
    seal: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => {
      checkAeadParams(key, nonce);
      return host.aesGcmSeal(key, nonce, plaintext, aad);
    },
    open: (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => {
      checkAeadParams(key, nonce);
      return host.aesGcmOpen(key, nonce, sealed, aad);
    },
  });
}
