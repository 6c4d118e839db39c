// Shared fixtures for the image attack tests: keys, a representative ~2 KiB image, its regions, temp dirs.
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { encodeContainer } from '../../src/image/format.ts';
import { generateKeyPair, ImageError, packImage, type ImageErrorCode, type PackBlob, type PackInput } from '../../src/image/index.ts';

export const TRUSTED = generateKeyPair();
export const ATTACKER = generateKeyPair();

const enc = new TextEncoder();

export const BLOBS: readonly PackBlob[] = [
  { name: 'policy', kind: 'policy', data: enc.encode(JSON.stringify({ bindings: [{ event: 'call', src: 1, dst: 2, rule: 'grant' }] })) },
  { name: 'schema', kind: 'schema', data: enc.encode(JSON.stringify({ entities: ['echo.Client', 'echo.Server'], riids: { echo: 0 } })) },
  { name: 'bundle:echo.Client', kind: 'bundle', data: enc.encode(`export default async function main(ipc){ await ipc.echo.Ping('${'a'.repeat(300)}'); }\n`) },
  { name: 'bundle:echo.Server', kind: 'bundle', data: enc.encode(`export default { Ping(s){ return '${'b'.repeat(300)}' + s; } };\n`) },
  { name: 'empty', kind: 'resource', data: new Uint8Array(0) },
  { name: 'logo', kind: 'resource', data: Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff) },
];

export const INPUT: PackInput = {
  solution: 'echo',
  version: '1.0.0',
  rollbackIndex: 5,
  meta: {
    entities: [{ name: 'echo.Client', isolation: 'worker' }, { name: 'echo.Server', isolation: 'worker' }],
    channels: ['echo.Client.echo -> echo.Server'],
    policy: { bindings: 1, rules: 1 },
  },
  blobs: BLOBS,
};

export const IMAGE = packImage(INPUT, TRUSTED.privateKeyPem);

// One root per test file, removed when the file's tests end; each test gets a fresh directory in it.
const ROOT = mkdtempSync(path.join(os.tmpdir(), 'citadel-image-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

export function tempDir(): string {
  return mkdtempSync(path.join(ROOT, 't-'));
}

/** Run `fn`, which must throw an ImageError (never anything else); returns it for further checks. */
export function refused(fn: () => unknown, code?: ImageErrorCode, message?: RegExp): ImageError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, 'expected a refusal, but the image verified');
  assert.ok(thrown instanceof ImageError, `expected ImageError, got ${String(thrown)}`);
  if (code !== undefined) assert.equal(thrown.code, code, thrown.message);
  if (message !== undefined) assert.match(thrown.message, message);
  return thrown;
}

export interface Region {
  readonly start: number;
  readonly end: number;
  /** What the refusal message must mention for a flip inside this region. */
  readonly names: RegExp;
}

/** Byte regions of a well-formed image, read straight from its framing. */
export function regionsOf(image: Uint8Array): Region[] {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const m = view.getUint32(12, true);
  const manifest = JSON.parse(new TextDecoder().decode(image.subarray(16, 16 + m))) as { blobs: { name: string; offset: number; size: number }[] };
  const area = 16 + m + 4 + 64;
  return [
    { start: 0, end: 8, names: /magic/ },
    { start: 8, end: 12, names: /format version/ },
    { start: 12, end: 16, names: /manifest/ },
    { start: 16, end: 16 + m, names: /manifest/ },
    { start: 16 + m, end: 20 + m, names: /signature length/ },
    { start: 20 + m, end: area, names: /signature/ },
    ...manifest.blobs.map(b => ({ start: area + b.offset, end: area + b.offset + b.size, names: new RegExp(`blob "${b.name}"`) })),
  ];
}

/** Split a well-formed image into its parsed manifest and its blob area. */
export function manifestOf(image: Uint8Array): { manifest: Record<string, unknown>; blobArea: Uint8Array } {
  const m = new DataView(image.buffer, image.byteOffset).getUint32(12, true);
  return {
    manifest: JSON.parse(new TextDecoder().decode(image.subarray(16, 16 + m))) as Record<string, unknown>,
    blobArea: image.subarray(16 + m + 4 + 64),
  };
}

/** Frame `manifest` (text or bytes, used verbatim) with a signature by `privateKeyPem`: what an attacker can build. */
export function forge(manifest: string | Uint8Array, privateKeyPem: string, blobArea: Uint8Array): Uint8Array {
  const bytes = typeof manifest === 'string' ? enc.encode(manifest) : manifest;
  return encodeContainer(bytes, sign(null, bytes, createPrivateKey(privateKeyPem)), [blobArea]);
}
