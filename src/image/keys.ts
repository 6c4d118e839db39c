// Ed25519 signing keys: generation, key ids (first 16 hex chars of SHA-256 over the raw 32-byte public
// key), PEM parsing that refuses anything but Ed25519, and the per-user dev key.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError } from './errors.ts';

export interface KeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOfKey(publicKey),
  };
}

export function keyIdOf(publicKeyPem: string): string {
  return keyIdOfKey(publicKeyFromPem(publicKeyPem, 'public key'));
}

export function keyIdOfKey(publicKey: KeyObject): string {
  const x = publicKey.export({ format: 'jwk' }).x;
  const raw = Buffer.from(x ?? '', 'base64url');
  if (raw.length !== 32) throw new ImageError('BadKey', 'Ed25519 public key is not 32 bytes');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** `what` names the key in errors (e.g. "trusted key #2"). Private-key PEMs are refused: roles stay apart. */
export function publicKeyFromPem(pem: string, what: string): KeyObject {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new ImageError('BadKey', `${what} is not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  }
  return ed25519(() => createPublicKey({ key: pem, format: 'pem' }), what);
}

export function privateKeyFromPem(pem: string, what: string): KeyObject {
  if (typeof pem !== 'string' || !pem.includes('PRIVATE KEY-----')) throw new ImageError('BadKey', `${what} is not a PEM private key`);
  return ed25519(() => createPrivateKey({ key: pem, format: 'pem' }), what);
}

function ed25519(parse: () => KeyObject, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = parse();
  } catch (e) {
    throw new ImageError('BadKey', `${what} cannot be parsed: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ImageError('BadKey', `${what} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export function readPublicKey(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ImageError('BadKey', `cannot read public key ${path}: ${(e as Error).message}`);
  }
  publicKeyFromPem(pem, `public key ${path}`);
  return pem;
}

export interface DevKey extends KeyPair {
  /** True when this call created the key files, so the CLI can say so. */
  readonly created: boolean;
}

/** The per-user dev key in `dir` (dev.key mode 0600, dev.pub), created on first use. */
export function loadOrCreateDevKey(dir: string): DevKey {
  const keyPath = join(dir, 'dev.key');
  const pubPath = join(dir, 'dev.pub');
  if (!existsSync(keyPath)) {
    const pair = generateKeyPair();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      // 'wx': never overwrite a key another process created meanwhile; that one wins and is read below.
      writeFileSync(keyPath, pair.privateKeyPem, { flag: 'wx', mode: 0o600 });
      chmodSync(keyPath, 0o600);
      writeFileSync(pubPath, pair.publicKeyPem, { mode: 0o644 });
      return { ...pair, created: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ImageError('BadKey', `cannot create dev key in ${dir}: ${(e as Error).message}`);
    }
  }
  let privateKeyPem: string;
  try {
    privateKeyPem = readFileSync(keyPath, 'utf8');
  } catch (e) {
    throw new ImageError('BadKey', `cannot read dev key ${keyPath}: ${(e as Error).message}`);
  }
  const publicKey = createPublicKey(privateKeyFromPem(privateKeyPem, `dev key ${keyPath}`));
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  // dev.pub is derived data: (re)write it when missing or stale rather than trust a mismatched copy.
  if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8') !== publicKeyPem) writeFileSync(pubPath, publicKeyPem, { mode: 0o644 });
  return { privateKeyPem, publicKeyPem, keyId: keyIdOfKey(publicKey), created: false };
}
