// Canonical JSON: the single byte spelling a manifest may have (keys sorted by UTF-16 code units at every
// level, no whitespace, JSON.stringify's string and number forms), so the signature covers one spelling.
import { ImageError } from './errors.ts';

/** Deep enough for any builder `meta`, shallow enough that recursion cannot exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

/** Serialise plain JSON data; throws TypeError (naming the path) for anything without a JSON form. */
export function canonicalJson(value: unknown): string {
  return write(value, '$', 0);
}

function write(value: unknown, path: string, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new TypeError(`${path}: nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(write(value[i], `${path}[${i}]`, depth + 1));
    return `[${items.join(',')}]`;
  }
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    // Dates, Maps, class instances would serialise lossily (or via toJSON); refuse rather than guess.
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: not a plain object`);
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map(k => `${JSON.stringify(k)}:${write(record[k], `${path}.${k}`, depth + 1)}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`${path}: ${typeof value} has no JSON form`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Parse bytes that must already be canonical. Parsing and re-serialising, then comparing bytes, rejects
 * whitespace, key order, duplicate keys, escapes and number spellings without a hand-written parser.
 */
export function parseCanonicalJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ImageError('BadManifest', `${what} is not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the input; keep only the position so hostile bytes never reach a terminal.
    const at = /position (\d+)/.exec(String((e as Error).message))?.[1];
    throw new ImageError('BadManifest', `${what} is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`);
  }
  let canonical: Uint8Array;
  try {
    canonical = encoder.encode(canonicalJson(value));
  } catch (e) {
    throw new ImageError('BadManifest', `${what}: ${(e as Error).message}`);
  }
  const n = Math.min(bytes.length, canonical.length);
  let at = 0;
  while (at < n && bytes[at] === canonical[at]) at++;
  if (at < n || bytes.length !== canonical.length) {
    throw new ImageError(
      'NotCanonical',
      `${what} is not canonical JSON: at byte ${at} it has ${byteName(bytes[at])} where the canonical form has ${byteName(canonical[at])}`,
    );
  }
  return value;
}

function byteName(b: number | undefined): string {
  if (b === undefined) return 'the end';
  const printable = b >= 0x20 && b < 0x7f;
  return `0x${b.toString(16).padStart(2, '0')}${printable ? ` '${String.fromCharCode(b)}'` : ''}`;
}
