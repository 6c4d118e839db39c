// Cryptographic primitives a process-tier entity is endowed with: SHA-256, Ed25519, HKDF and
// AES-256-GCM over node:crypto (OpenSSL), so no entity carries hand-written crypto. Inputs are copied in (they come from the entity), results are plain Uint8Arrays.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import type { HostCrypto } from '../entity/host.ts';

// DER prefixes that wrap a raw Ed25519 seed (RFC 8410 PKCS#8) and public key (SPKI).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function bytes(value: unknown, what: string, length?: number): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${value.length}`);
  return Buffer.from(new Uint8Array(value));
}

const privateKey = (seed: unknown): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, bytes(seed, 'an Ed25519 seed', 32)]), format: 'der', type: 'pkcs8' });
const publicKey = (raw: unknown): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes(raw, 'an Ed25519 public key', 32)]), format: 'der', type: 'spki' });

const TAG_BYTES = 16;

export function makeHostCrypto(): HostCrypto {
  return {
    sha256: (data) => new Uint8Array(createHash('sha256').update(bytes(data, 'data')).digest()),
    ed25519PublicKey: (seed) => new Uint8Array(createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)),
    ed25519Sign: (seed, data) => new Uint8Array(sign(null, bytes(data, 'data'), privateKey(seed))),
    ed25519Verify: (key, data, signature) => {
      const sig = bytes(signature, 'a signature');
      return sig.length === 64 && verify(null, bytes(data, 'data'), publicKey(key), sig);
    },
    hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', bytes(ikm, 'key material'), bytes(salt, 'salt'), bytes(info, 'info'), length)),
    aesGcmSeal: (key, nonce, plaintext, aad) => {
      const c = createCipheriv('aes-256-gcm', bytes(key, 'an AES-256 key', 32), bytes(nonce, 'a GCM nonce', 12), { authTagLength: TAG_BYTES });
      c.setAAD(bytes(aad, 'additional data'));
      return new Uint8Array(Buffer.concat([c.update(bytes(plaintext, 'plaintext')), c.final(), c.getAuthTag()]));
    },
    aesGcmOpen: (key, nonce, sealed, aad) => {
      const box = bytes(sealed, 'sealed data');
      if (box.length < TAG_BYTES) return undefined;
      const d = createDecipheriv('aes-256-gcm', bytes(key, 'an AES-256 key', 32), bytes(nonce, 'a GCM nonce', 12), { authTagLength: TAG_BYTES });
      d.setAAD(bytes(aad, 'additional data'));
      d.setAuthTag(box.subarray(box.length - TAG_BYTES));
      const plain = d.update(box.subarray(0, box.length - TAG_BYTES));
      try {
        d.final();
      } catch {
        plain.fill(0);
        return undefined;
      }
      return new Uint8Array(plain);
    },
  };
}
