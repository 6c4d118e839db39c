// Secure Audit on the host: node:crypto and node:fs behind the log's interfaces, for `citadel audit`
// and the tests (the service itself uses its hostCrypto() and hostFs()).
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SEGMENT_PATTERN, type LogCrypto, type SegmentFile, type Signer } from './log.ts';
import type { LogFs } from './writer.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const nodeLogCrypto: LogCrypto = {
  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  verify: (key, data, signature) => {
    if (key.length !== 32 || signature.length !== 64) return false;
    return verify(null, data, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, key]), format: 'der', type: 'spki' }), signature);
  },
};

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
}

export function nodeSigner(seed: Uint8Array): Signer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { publicKey: ed25519PublicKey(seed), sign: (data) => new Uint8Array(sign(null, data, key)) };
}

/** LogFs over node:fs, paths as given (relative to the current directory). */
export const nodeLogFs: LogFs = {
  readFile: async (p) => new Uint8Array(await readFile(p)),
  writeFile: (p, data, options) => writeFile(p, data, { mode: options?.mode ?? 0o666 }),
  appendFile: (p, data) => appendFile(p, data),
  readdir: (p) => readdir(p),
  stat: (p) => stat(p),
  mkdir: async (p) => { await mkdir(p, { recursive: true }); },
  rm: (p) => rm(p, { force: true }),
  rename: (from, to) => rename(from, to),
};

/** The segments of a log: every audit-NNNNNN.log of a directory in order, or one segment file. */
export function readSegments(target: string): SegmentFile[] {
  if (statSync(target).isDirectory()) {
    return readdirSync(target).filter((n) => SEGMENT_PATTERN.test(n)).sort()
      .map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(target, name))) }));
  }
  return [{ name: path.basename(target), bytes: new Uint8Array(readFileSync(target)) }];
}
