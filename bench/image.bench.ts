// Image verification (secure boot) time per MiB, against hashing the same bytes with SHA-256 alone
// in the same run: what the signature, canonical-JSON and layout checks add on top of hashing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, packImage, verifyImage } from '../src/image/index.ts';
import { measure, report, row, type ResultRow } from './harness.ts';

const key = generateKeyPair();
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'citadel-image-bench-'));
const rows: ResultRow[] = [];
for (const mib of [1, 16, 64]) {
  // Several blobs, as a real image has (bundles, policy, schema, plan).
  const blobs = Array.from({ length: 8 }, (_, i) => ({ name: `bundle:${i}`, kind: 'bundle' as const, data: new Uint8Array(randomBytes((mib * 2 ** 20) / 8)) }));
  const image = packImage({ solution: 'bench', version: '1', rollbackIndex: 0, blobs }, key.privateKeyPem);
  const hash = `SHA-256 alone, ${mib} MiB image, per MiB`;
  const verify = `verify, ${mib} MiB image, per MiB`;
  const perOp = measure([
    { name: hash, ops: 1, fn: () => { createHash('sha256').update(image).digest(); } },
    { name: verify, ops: 1, fn: () => { verifyImage(image, [key.publicKeyPem], { stateDir, commitRollback: false }); } },
  ], { runs: 5, time: 300, iterations: 3 });
  const perMiB = new Map([...perOp].map(([name, ns]) => [name, ns.map((v) => v / mib)]));
  rows.push(row(perMiB, hash, 'ms'), row(perMiB, verify, 'ms', [hash]));
}
report({ title: 'Image verification (secure boot) per MiB', runs: 5, rows, checks: [], notes: ['8 blobs per image; verification = canonical manifest + Ed25519 signature + layout + SHA-256 of every blob (from a private copy) + rollback state read'] });
