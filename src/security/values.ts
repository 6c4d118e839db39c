// Run-time PSL values: Int = bigint, Text = string, Boolean, unit = null, lists, dicts (null-prototype
// objects). Host values (decoded messages) are normalized on read; errors here deny the decision.
import type { IrValue } from './ir.ts';

export type Value = bigint | string | boolean | null | readonly Value[] | Dict;
export interface Dict { readonly [field: string]: Value }

/** An expression or rule that could not be evaluated: the decision is denied with this message. */
export class PolicyError extends Error {}

export const INT_MIN = -(1n << 63n);
export const INT_MAX = (1n << 64n) - 1n;
const MAX_DEPTH = 64;

export function typeName(v: Value): string {
  switch (typeof v) {
    case 'bigint': return 'Int';
    case 'string': return 'Text';
    case 'boolean': return 'Boolean';
  }
  return v === null ? '()' : Array.isArray(v) ? 'List' : 'Dict';
}

function mismatch(what: string, expected: string, v: Value): never {
  throw new PolicyError(`type mismatch: ${what} expects ${expected}, got ${typeName(v)} ${show(v)}`);
}
export const asInt = (v: Value, what: string): bigint => (typeof v === 'bigint' ? v : mismatch(what, 'Int', v));
export const asText = (v: Value, what: string): string => (typeof v === 'string' ? v : mismatch(what, 'Text', v));
export const asBool = (v: Value, what: string): boolean => (typeof v === 'boolean' ? v : mismatch(what, 'Boolean', v));
export const asList = (v: Value, what: string): readonly Value[] => (Array.isArray(v) ? v : mismatch(what, 'List', v));
export function isDict(v: Value): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `d.name`, for dicts (incl. HandleDesc `{handle, rights}`) and model arguments. */
export function getField(d: Value, name: string): Value {
  if (!isDict(d)) mismatch(`.${name}`, 'Dict', d);
  if (!Object.hasOwn(d, name)) throw new PolicyError(`no field "${name}" in ${show(d)}`);
  return d[name]!;
}

export function checkRange(n: bigint): bigint {
  if (n < INT_MIN || n > INT_MAX) throw new PolicyError(`integer ${n} outside the 64-bit range`);
  return n;
}

export function fromIr(v: IrValue): Value {
  switch (v.t) {
    case 'int': return checkRange(BigInt(v.v));
    case 'text': return v.v;
    case 'bool': return v.v;
    case 'unit': return null;
    case 'list': return v.items.map(fromIr);
    case 'dict': {
      const d: Record<string, Value> = Object.create(null);
      for (const [k, x] of v.fields) d[k] = fromIr(x);
      return d;
    }
  }
}

/** Normalizes a value decoded by the kernel (number, bigint, string, bytes, arrays, objects). */
export function fromHost(x: unknown, depth = 0): Value {
  switch (typeof x) {
    case 'bigint': return checkRange(x);
    case 'string': case 'boolean': return x;
    case 'number':
      if (!Number.isSafeInteger(x)) throw new PolicyError(`message value ${x} is not an integer`);
      return BigInt(x);
    case 'object': {
      if (x === null) return null;
      if (depth >= MAX_DEPTH) throw new PolicyError('message value nested too deeply');
      if (ArrayBuffer.isView(x)) {
        const b = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
        const out = new Array<Value>(b.length);
        for (let i = 0; i < b.length; i++) out[i] = BigInt(b[i]!);
        return out;
      }
      if (Array.isArray(x)) return x.map(e => fromHost(e, depth + 1));
      const d: Record<string, Value> = Object.create(null);
      for (const k of Object.keys(x)) d[k] = fromHost((x as Record<string, unknown>)[k], depth + 1);
      return d;
    }
  }
  throw new PolicyError(`message value of type ${typeof x} is not a PSL value`);
}

export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a), da = a as Dict, db = b as Dict;
  if (ka.length !== Object.keys(db).length) return false;
  for (const k of ka) if (!Object.hasOwn(db, k) || !equals(da[k]!, db[k]!)) return false;
  return true;
}

/** Canonical string for a value, for set entries and map keys (dict fields in sorted order). */
export function keyOf(v: Value): string {
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'string': return JSON.stringify(v);
    case 'boolean': return v ? 'true' : 'false';
  }
  if (v === null) return '()';
  if (Array.isArray(v)) return `[${v.map(keyOf).join(',')}]`;
  const d = v as Dict;
  return `{${Object.keys(d).sort().map(k => `${JSON.stringify(k)}:${keyOf(d[k]!)}`).join(',')}}`;
}

/** Short, escaped display for explanations (message data is untrusted: no raw control chars). */
export function show(v: Value, max = 80): string {
  const s = render(v, 0);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
function render(v: Value, depth: number): string {
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'string': return JSON.stringify(v.length > 80 ? v.slice(0, 80) : v);
    case 'boolean': return String(v);
  }
  if (v === null) return '()';
  if (depth > 3) return '…';
  if (Array.isArray(v)) {
    const items = v.slice(0, 8).map(e => render(e, depth + 1));
    if (v.length > 8) items.push('…');
    return `[${items.join(', ')}]`;
  }
  const d = v as Dict;
  const keys = Object.keys(d);
  const items = keys.slice(0, 8).map(k => `${JSON.stringify(k).slice(1, -1)} : ${render(d[k]!, depth + 1)}`);
  if (keys.length > 8) items.push('…');
  return `{${items.join(', ')}}`;
}
