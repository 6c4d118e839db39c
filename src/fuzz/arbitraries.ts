// fast-check arbitraries for valid message values, built from the image's wire schema: every value
// they produce encodes (src/fuzz/encode.ts) to a payload the kernel's validator accepts. Integers
// lean on their boundaries and small numbers, strings and sequences on empty and full, and sizes are
// capped so one message stays small (a `string<4096>` is mostly short, sometimes exactly 4096 bytes).
import fc from 'fast-check';
import type { WireMessage, WireType } from '../kernel/schema.ts';
import type { Layout, WireValue } from './encode.ts';

/** Most elements a generated sequence or bytes value has unless it is generated full. */
const SMALL = 4;
/** Most bytes a generated string or bytes value has unless it is generated full. */
const SHORT_TEXT = 48;
/** A value is generated full (exactly at its bound) only up to this many arena bytes. */
const FULL_LIMIT = 4096;

/** The interesting values of an integer type, as bigints: 0, 1, the limits and their neighbours. */
export function intBoundaries(bytes: number, signed: boolean): bigint[] {
  const bits = BigInt(bytes * 8);
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const out = new Set<bigint>([0n, 1n, 2n, max, max - 1n, min, min + 1n, max >> 1n, (max >> 1n) + 1n]);
  if (signed) out.add(-1n);
  if (bytes > 1) for (const b of [0x7fn, 0x80n, 0xffn, 0x100n]) if (b <= max) out.add(b);
  return [...out].filter((v) => v >= min && v <= max).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function intArb(bytes: number, signed: boolean): fc.Arbitrary<bigint> {
  const all = intBoundaries(bytes, signed);
  const min = all[0]!, max = all[all.length - 1]!;
  return fc.oneof(
    { arbitrary: fc.constantFrom(...all), weight: 2 },
    { arbitrary: fc.bigInt(min < -16n ? -16n : min, max > 255n ? 255n : max), weight: 3 },
    { arbitrary: fc.bigInt(min, max), weight: 3 },
  );
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of `s` cut to at most `max` bytes at a code point boundary, NULs dropped. */
function utf8Within(s: string, max: number): Uint8Array {
  const bytes = utf8.encode(s.replaceAll('\0', ''));
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // do not split a code point
  return bytes.slice(0, end);
}

/**
 * One code point of two, three or four UTF-8 bytes (fc's `binary` unit does this too, but takes
 * most of a second to build).
 */
const wideChar = fc.oneof(
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
).map((c) => String.fromCodePoint(c));

function stringArb(max: number): fc.Arbitrary<Uint8Array> {
  const short = Math.min(max, SHORT_TEXT);
  const options: fc.MaybeWeightedArbitrary<Uint8Array>[] = [
    { arbitrary: fc.string({ maxLength: short }).map((s) => utf8Within(s, max)), weight: 4 },
    { arbitrary: fc.string({ unit: wideChar, maxLength: short }).map((s) => utf8Within(s, max)), weight: 2 },
  ];
  if (max <= FULL_LIMIT && max > 0) {
    options.push({ arbitrary: fc.constantFrom('a', '\u00e9', '\u20ac', '\u{1f600}').map((c) => utf8Within(c.repeat(max), max)), weight: 1 });
  }
  return fc.oneof(...options);
}

function bytesArb(max: number): fc.Arbitrary<Uint8Array> {
  const options: fc.MaybeWeightedArbitrary<Uint8Array>[] = [{ arbitrary: fc.uint8Array({ maxLength: Math.min(max, SHORT_TEXT) }), weight: 4 }];
  if (max <= FULL_LIMIT && max > 0) options.push({ arbitrary: fc.uint8Array({ minLength: max, maxLength: max }), weight: 1 });
  return fc.oneof(...options);
}

/** Arbitrary values of one wire type (memoised per type object: the schema is immutable). */
export class ValueArbitraries {
  readonly #layout: Layout;
  readonly #memo = new Map<WireType, fc.Arbitrary<WireValue>>();

  constructor(layout: Layout) {
    this.#layout = layout;
  }

  of(type: WireType): fc.Arbitrary<WireValue> {
    let a = this.#memo.get(type);
    if (!a) this.#memo.set(type, (a = this.#build(type)));
    return a;
  }

  /** A message's params, in order. */
  message(m: WireMessage): fc.Arbitrary<readonly WireValue[]> {
    return m.params.length === 0 ? fc.constant([]) : fc.tuple(...m.params.map((p) => this.of(p.type)));
  }

  #build(type: WireType): fc.Arbitrary<WireValue> {
    const t = this.#layout.resolve(type);
    switch (t.k) {
      case 'int': return intArb(t.bytes, t.signed);
      // No handle travels with a generated valid message: the slot says "none", the rights are anything.
      case 'handle': return fc.nat().map((rights) => ({ slot: 0xffffffff, rights }));
      case 'bytes': return bytesArb(t.max);
      case 'string': return stringArb(t.max);
      case 'array': return fc.array(this.of(t.of), { minLength: t.n, maxLength: t.n });
      case 'sequence': {
        const elemBytes = this.#layout.fixed(t.of);
        const lengths: fc.MaybeWeightedArbitrary<number>[] = [{ arbitrary: fc.nat(Math.min(t.max, SMALL)), weight: 5 }];
        if (t.max > SMALL && t.max * Math.max(1, elemBytes) <= FULL_LIMIT) lengths.push({ arbitrary: fc.constant(t.max), weight: 1 });
        const elem = this.of(t.of);
        return fc.oneof(...lengths).chain((n) => fc.array(elem, { minLength: n, maxLength: n }));
      }
      case 'struct':
        return t.fields.length === 0 ? fc.constant([]) : fc.tuple(...t.fields.map((f) => this.of(f.type)));
      case 'union':
        if (t.fields.length === 0) throw new Error('internal: a union with no members has no values');
        return fc.oneof(...t.fields.map((f, tag) => this.of(f.type).map((value) => ({ tag, value }))));
    }
  }
}
