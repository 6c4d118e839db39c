// The manifest schema: what a signed image promises about its blobs. One strict checker serves the packer
// (never sign what the verifier would refuse) and the verifier (unknown keys and wrong types are refused).
import { ImageError } from './errors.ts';
import { MAX_IMAGE_BYTES } from './format.ts';
import { quote } from './quote.ts';

export const BLOB_KINDS = ['policy', 'schema', 'model', 'bundle', 'resource'] as const;
export type BlobKind = (typeof BLOB_KINDS)[number];

export interface BlobEntry {
  readonly name: string;
  readonly kind: BlobKind;
  /** Relative to the start of the blob area. */
  readonly offset: number;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

export interface Manifest {
  readonly format: 1;
  readonly solution: string;
  readonly version: string;
  readonly rollbackIndex: number;
  /** Key id: first 16 hex chars of SHA-256 over the raw 32-byte Ed25519 public key. */
  readonly signer: string;
  readonly blobs: readonly BlobEntry[];
  readonly entities?: unknown;
  /** Free-form, for the builder and `citadel inspect`; the verifier only checks it is an object. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

const MAX_NAME = 256;

function fail(message: string): never {
  throw new ImageError('BadManifest', `manifest ${message}`);
}

function fields(value: unknown, where: string, required: readonly string[], optional: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} must be an object`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!required.includes(key) && !optional.includes(key)) fail(`${where} has unknown field ${quote(key)}`);
  }
  for (const key of required) if (!Object.hasOwn(record, key)) fail(`${where} lacks field "${key}"`);
  return record;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME) {
    fail(`field ${where} must be a string of 1..${MAX_NAME} characters`);
  }
  return value;
}

function count(value: unknown, where: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    fail(`field ${where} must be an integer in 0..${max}`);
  }
  return value;
}

function hex(value: unknown, where: string, length: number): string {
  if (typeof value !== 'string' || value.length !== length || !/^[0-9a-f]+$/.test(value)) {
    fail(`field ${where} must be ${length} lowercase hex digits`);
  }
  return value;
}

export function checkManifest(value: unknown): Manifest {
  const m = fields(value, 'top level', ['format', 'solution', 'version', 'rollbackIndex', 'signer', 'blobs'], ['entities', 'meta']);
  if (m.format !== 1) fail('field "format" must be 1');
  text(m.solution, '"solution"');
  text(m.version, '"version"');
  count(m.rollbackIndex, '"rollbackIndex"', Number.MAX_SAFE_INTEGER);
  hex(m.signer, '"signer"', 16);
  if (m.meta !== undefined && (typeof m.meta !== 'object' || m.meta === null || Array.isArray(m.meta))) {
    fail('field "meta" must be an object');
  }
  if (!Array.isArray(m.blobs)) fail('field "blobs" must be an array');
  const names = new Set<string>();
  m.blobs.forEach((b: unknown, i: number) => {
    const where = `"blobs[${i}]"`;
    const blob = fields(b, where, ['name', 'kind', 'offset', 'size', 'sha256'], []);
    const name = text(blob.name, `${where}.name`);
    if (names.has(name)) fail(`names blob ${quote(name)} twice`);
    names.add(name);
    if (!(BLOB_KINDS as readonly unknown[]).includes(blob.kind)) fail(`field ${where}.kind must be one of ${BLOB_KINDS.join(', ')}`);
    count(blob.offset, `${where}.offset`, MAX_IMAGE_BYTES);
    count(blob.size, `${where}.size`, MAX_IMAGE_BYTES);
    hex(blob.sha256, `${where}.sha256`, 64);
  });
  return m as unknown as Manifest;
}
