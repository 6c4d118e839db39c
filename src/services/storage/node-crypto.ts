// The StorageCrypto interface over node:crypto directly, for host-side tools and tests (reading
// stores the entity wrote); the entity itself uses the sandbox's primitives (crypto.ts).
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { checkAeadParams, TAG_BYTES, type StorageCrypto } from './crypto.ts';

export const nodeCrypto: StorageCrypto = Object.freeze({
  name: 'node:crypto',
  sha256: (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest()),
  hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    checkAeadParams(key, nonce);
    const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    c.setAAD(aad);
    const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
    checkAeadParams(key, nonce);
    if (sealed.length < TAG_BYTES) return undefined;
    const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      d.final();
    } catch {
      plain.fill(0);
      return undefined;
    }
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  },
});
