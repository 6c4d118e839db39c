// On-disk formats of Secure Storage. Everything a decision depends on is authenticated: a record's
// header (kind, version, key, nonce) and its namespace (which is not in the file but in its path)
// are the AES-GCM additional data, so a record copied to another key, namespace or version does
// not decrypt. Integers are big-endian.
//
//   record (ns/<namespace>/<sha256(key) hex>.rec)
//     0  4  magic "CSR1"
//     4  1  kind (1 = value)
//     5  1  reserved (0)
//     6  2  key length k (UTF-8 bytes)
//     8  8  version
//    16 12  nonce
//    28  k  key (UTF-8)
//  28+k  …  AES-256-GCM(data key of the namespace, nonce, value, AAD) ‖ 16-byte tag
//     AAD = "citadel.SecureStorage.record.v1\0" ‖ u16 namespace length ‖ namespace ‖ bytes 0..28+k
//
//   namespace meta (ns/<namespace>/namespace.meta): the highest version ever deleted in the
//   namespace, so a re-created key continues above it (a stale CompareAndSet cannot succeed).
//     "CSN1" ‖ u64 high-water version ‖ nonce ‖ GCM tag over nothing, AAD = label ‖ namespace ‖ header
//
//   store meta (store.meta): "CSS1" ‖ format (1) ‖ 16-byte key check = HKDF(sealing key, "key-check")
//   sealing key file: "CSK1" ‖ 32 random bytes
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES, type StorageCrypto } from './crypto.ts';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

export const RECORD_MAGIC = 'CSR1';
export const RECORD_HEADER = 28;
export const KIND_VALUE = 1;
const RECORD_LABEL = utf8.encode('citadel.SecureStorage.record.v1\0');
const NSMETA_MAGIC = 'CSN1';
const NSMETA_LABEL = utf8.encode('citadel.SecureStorage.namespace.v1\0');
const STORE_MAGIC = 'CSS1';
const KEYFILE_MAGIC = 'CSK1';
const HKDF_SALT = utf8.encode('citadel.SecureStorage.v1');
export const STORE_FORMAT = 1;

export const SEALING_KEY_FILE_BYTES = 4 + KEY_BYTES;
export const STORE_META_BYTES = 4 + 1 + 16;
export const NSMETA_BYTES = 4 + 8 + NONCE_BYTES + TAG_BYTES;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function lengthPrefixed(s: string): Uint8Array {
  const b = utf8.encode(s);
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setUint16(0, b.length);
  out.set(b, 2);
  return out;
}

const hasMagic = (b: Uint8Array, magic: string) => b.length >= 4 && String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!) === magic;

function setU64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, Math.floor(v / 0x100000000));
  dv.setUint32(at + 4, v >>> 0);
}

function getU64(dv: DataView, at: number): number {
  const hi = dv.getUint32(at);
  if (hi >= 0x200000) return Number.NaN; // beyond 2^53: not a version this service writes
  return hi * 0x100000000 + dv.getUint32(at + 4);
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** A record's file name: the key's SHA-256 (keys may hold any character; names stay short and safe). */
export function recordFileName(crypto: StorageCrypto, key: string): string {
  return `${toHex(crypto.sha256(utf8.encode(key)))}.rec`;
}

/** The data key of a namespace: HKDF-SHA256(sealing key, salt, "data-key\0" ‖ namespace). */
export function dataKey(crypto: StorageCrypto, sealingKey: Uint8Array, namespace: string): Uint8Array {
  return crypto.hkdf(sealingKey, HKDF_SALT, concat(utf8.encode('data-key\0'), utf8.encode(namespace)), KEY_BYTES);
}

export function keyCheck(crypto: StorageCrypto, sealingKey: Uint8Array): Uint8Array {
  return crypto.hkdf(sealingKey, HKDF_SALT, utf8.encode('key-check'), 16);
}

export function encodeRecord(crypto: StorageCrypto, key: Uint8Array, namespace: string, name: string, version: number, nonce: Uint8Array, value: Uint8Array): Uint8Array {
  const keyBytes = utf8.encode(name);
  const header = new Uint8Array(RECORD_HEADER + keyBytes.length);
  const dv = new DataView(header.buffer);
  header.set(utf8.encode(RECORD_MAGIC), 0);
  header[4] = KIND_VALUE;
  dv.setUint16(6, keyBytes.length);
  setU64(dv, 8, version);
  header.set(nonce, 16);
  header.set(keyBytes, RECORD_HEADER);
  const aad = concat(RECORD_LABEL, lengthPrefixed(namespace), header);
  return concat(header, crypto.seal(key, nonce, value, aad));
}

export interface RecordHeader {
  readonly key: string;
  readonly version: number;
}

/** Parses a record's header without trusting it; `openRecord` is what authenticates. */
export function readRecordHeader(file: Uint8Array): RecordHeader | string {
  if (file.length < RECORD_HEADER + TAG_BYTES) return `${file.length} bytes: shorter than any record (torn or truncated write?)`;
  if (!hasMagic(file, RECORD_MAGIC)) return 'no record magic (not a Secure Storage record, or overwritten)';
  if (file[4] !== KIND_VALUE || file[5] !== 0) return `unknown record kind ${file[4]}/${file[5]}`;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const keyLength = dv.getUint16(6);
  if (RECORD_HEADER + keyLength + TAG_BYTES > file.length) return 'key length runs past the end of the file (truncated?)';
  const version = getU64(dv, 8);
  if (!Number.isSafeInteger(version) || version < 1) return 'version out of range';
  let key: string;
  try {
    key = utf8d.decode(file.subarray(RECORD_HEADER, RECORD_HEADER + keyLength));
  } catch {
    return 'key is not UTF-8';
  }
  return { key, version };
}

/** The value of an authentic record of `namespace`/`name`, or why it is not one. */
export function openRecord(crypto: StorageCrypto, key: Uint8Array, namespace: string, name: string, file: Uint8Array): { header: RecordHeader; value: Uint8Array } | string {
  const header = readRecordHeader(file);
  if (typeof header === 'string') return header;
  if (header.key !== name) return 'the record belongs to another key (moved or copied file?)';
  const end = RECORD_HEADER + utf8.encode(name).length;
  const aad = concat(RECORD_LABEL, lengthPrefixed(namespace), file.subarray(0, end));
  const value = crypto.open(key, file.subarray(16, 28), file.subarray(end), aad);
  if (!value) return 'authentication failed: the record was modified, torn, or moved from another namespace, key or version';
  return { header, value };
}

export function encodeNamespaceMeta(crypto: StorageCrypto, key: Uint8Array, namespace: string, highWater: number, nonce: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 8 + NONCE_BYTES);
  header.set(utf8.encode(NSMETA_MAGIC), 0);
  setU64(new DataView(header.buffer), 4, highWater);
  header.set(nonce, 12);
  return concat(header, crypto.seal(key, nonce, new Uint8Array(0), concat(NSMETA_LABEL, lengthPrefixed(namespace), header)));
}

export function openNamespaceMeta(crypto: StorageCrypto, key: Uint8Array, namespace: string, file: Uint8Array): number | string {
  if (file.length !== NSMETA_BYTES || !hasMagic(file, NSMETA_MAGIC)) return `not a namespace meta file (${file.length} bytes)`;
  const header = file.subarray(0, 4 + 8 + NONCE_BYTES);
  const ok = crypto.open(key, file.subarray(12, 24), file.subarray(header.length), concat(NSMETA_LABEL, lengthPrefixed(namespace), header));
  if (!ok) return 'authentication failed: the namespace meta file was modified or moved';
  const v = getU64(new DataView(file.buffer, file.byteOffset, file.byteLength), 4);
  return Number.isSafeInteger(v) ? v : 'high-water version out of range';
}

export function encodeStoreMeta(check: Uint8Array): Uint8Array {
  return concat(utf8.encode(STORE_MAGIC), Uint8Array.of(STORE_FORMAT), check);
}

/** The key check of a store meta file, or why it is not one. */
export function readStoreMeta(file: Uint8Array): Uint8Array | string {
  if (file.length !== STORE_META_BYTES || !hasMagic(file, STORE_MAGIC)) return `not a Secure Storage store.meta file (${file.length} bytes)`;
  if (file[4] !== STORE_FORMAT) return `store format ${file[4]} is not supported (this service reads format ${STORE_FORMAT})`;
  return file.subarray(5);
}

export function encodeSealingKeyFile(key: Uint8Array): Uint8Array {
  return concat(utf8.encode(KEYFILE_MAGIC), key);
}

export function readSealingKeyFile(file: Uint8Array): Uint8Array | string {
  if (file.length !== SEALING_KEY_FILE_BYTES || !hasMagic(file, KEYFILE_MAGIC)) return `not a Secure Storage sealing key file (${file.length} bytes; expected ${SEALING_KEY_FILE_BYTES} starting "${KEYFILE_MAGIC}")`;
  return file.slice(4);
}
