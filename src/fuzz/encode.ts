// Payload encoder for the fuzzer, driven by the image's wire schema (src/kernel/schema.ts) rather
// than by generated code, so it works on any image. It lays values out exactly as the generated
// codecs do (docs/wire-format.md: fixed part, then the arena depth-first in field order) and, while
// encoding, records where every integer, descriptor, union tag, handle and string sits: the
// mutators use that map to lie precisely (a descriptor's size one past its bound, a tag out of
// range, an integer at its limits) instead of flipping bits blindly.
import type { WireMessage, WireSchema, WireType } from '../kernel/schema.ts';

/**
 * A value of some wire type: integers are bigints (any width), strings their UTF-8 bytes (no NUL),
 * arrays, sequences and structs lists (a struct's in field order), unions `{ tag, value }`.
 */
export type WireValue =
  | bigint
  | Uint8Array
  | { readonly slot: number; readonly rights: number }
  | { readonly tag: number; readonly value: WireValue }
  | readonly WireValue[];

/** One place in an encoded payload a mutator can aim at; `path` is the field path (`request.peer.name`). */
export type Mark =
  | { readonly k: 'int'; readonly at: number; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean; readonly path: string }
  | { readonly k: 'handle'; readonly at: number; readonly path: string }
  | { readonly k: 'tag'; readonly at: number; readonly members: number; readonly path: string }
  /** A descriptor (u32 offset, u32 size or count) at `at`; its block starts at absolute `data` and is `size` bytes long. */
  | { readonly k: 'desc'; readonly of: 'bytes' | 'string' | 'sequence'; readonly at: number; readonly bound: number; readonly elemFixed: number; readonly count: number; readonly data: number; readonly size: number; readonly path: string };

export interface Encoded {
  readonly payload: Uint8Array;
  readonly marks: readonly Mark[];
}

/** Sizes of the fixed part per type, and type resolution through refs. */
export class Layout {
  readonly schema: WireSchema;
  readonly #fixed = new Map<WireType, number>();

  constructor(schema: WireSchema) {
    this.schema = schema;
  }

  /** The type a ref names (refs resolved until a concrete type). */
  resolve(t: WireType): Exclude<WireType, { k: 'ref' }> {
    let r = t;
    while (r.k === 'ref') r = this.schema.types[r.id]!.type;
    return r;
  }

  fixed(t: WireType): number {
    const known = this.#fixed.get(t);
    if (known !== undefined) return known;
    const r = this.resolve(t);
    let n: number;
    switch (r.k) {
      case 'int': n = r.bytes; break;
      case 'handle': case 'bytes': case 'string': case 'sequence': n = 8; break;
      case 'array': n = this.fixed(r.of) * r.n; break;
      case 'struct': n = r.fields.reduce((s, f) => s + this.fixed(f.type), 0); break;
      case 'union': n = 4 + r.fields.reduce((m, f) => Math.max(m, this.fixed(f.type)), 0); break;
    }
    this.#fixed.set(t, n);
    return n;
  }
}

/** Growable payload buffer: the zero-filled fixed part, then the arena. */
class Buf {
  bytes: Uint8Array;
  dv: DataView;
  len: number;
  readonly arena: number;

  constructor(fixed: number) {
    this.arena = fixed;
    this.len = fixed;
    this.bytes = new Uint8Array(Math.max(64, fixed * 2));
    this.dv = new DataView(this.bytes.buffer);
  }

  reserve(n: number): number {
    const at = this.len;
    if (at + n > this.bytes.length) {
      const next = new Uint8Array(Math.max(at + n, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, this.len));
      this.bytes = next;
      this.dv = new DataView(next.buffer);
    }
    this.len = at + n;
    return at;
  }

  desc(at: number, p: number, n: number): void {
    this.dv.setUint32(at, p - this.arena, true);
    this.dv.setUint32(at + 4, n, true);
  }
}

function writeInt(b: Buf, at: number, bytes: number, v: bigint): void {
  // Two's complement of any bigint, truncated to the width: out-of-range values wrap (mutators rely on it).
  const u = BigInt.asUintN(bytes * 8, v);
  for (let i = 0; i < bytes; i++) b.bytes[at + i] = Number((u >> BigInt(8 * i)) & 0xffn);
}

/** Encodes `value` (params in order) as a payload of `message`, recording marks. */
export function encodeMessage(layout: Layout, message: WireMessage, value: readonly WireValue[]): Encoded {
  const b = new Buf(message.fixed);
  const marks: Mark[] = [];
  let at = 0;
  message.params.forEach((p, i) => {
    encodeAt(layout, b, marks, p.type, value[i]!, at, `request.${p.name}`);
    at += layout.fixed(p.type);
  });
  return { payload: b.bytes.slice(0, b.len), marks };
}

function encodeAt(layout: Layout, b: Buf, marks: Mark[], type: WireType, v: WireValue, at: number, path: string): void {
  const t = layout.resolve(type);
  switch (t.k) {
    case 'int':
      writeInt(b, at, t.bytes, v as bigint);
      marks.push({ k: 'int', at, bytes: t.bytes, signed: t.signed, path });
      return;
    case 'handle': {
      const h = v as { slot: number; rights: number };
      b.dv.setUint32(at, h.slot >>> 0, true);
      b.dv.setUint32(at + 4, h.rights >>> 0, true);
      marks.push({ k: 'handle', at, path });
      return;
    }
    case 'bytes': case 'string': {
      const data = v as Uint8Array;
      const size = t.k === 'string' ? data.length + 1 : data.length;
      let p = 0;
      if (size > 0) {
        p = b.reserve(size);
        b.bytes.set(data, p); // a string's terminator is the zero byte reserve left after it
        b.desc(at, p, size);
      }
      marks.push({ k: 'desc', of: t.k, at, bound: t.max, elemFixed: 1, count: size, data: p, size, path });
      return;
    }
    case 'array': {
      const list = v as readonly WireValue[];
      const ef = layout.fixed(t.of);
      list.forEach((e, i) => encodeAt(layout, b, marks, t.of, e, at + i * ef, `${path}[${i}]`));
      return;
    }
    case 'sequence': {
      const list = v as readonly WireValue[];
      const ef = layout.fixed(t.of);
      let p = 0;
      if (list.length > 0) {
        p = b.reserve(list.length * ef);
        b.desc(at, p, list.length);
      }
      marks.push({ k: 'desc', of: 'sequence', at, bound: t.max, elemFixed: ef, count: list.length, data: p, size: list.length * ef, path });
      list.forEach((e, i) => encodeAt(layout, b, marks, t.of, e, p + i * ef, `${path}[${i}]`));
      return;
    }
    case 'struct': {
      const list = v as readonly WireValue[];
      let off = at;
      t.fields.forEach((f, i) => {
        encodeAt(layout, b, marks, f.type, list[i]!, off, `${path}.${f.name}`);
        off += layout.fixed(f.type);
      });
      return;
    }
    case 'union': {
      const u = v as { tag: number; value: WireValue };
      b.dv.setUint32(at, u.tag, true);
      marks.push({ k: 'tag', at, members: t.fields.length, path });
      const m = t.fields[u.tag]!;
      encodeAt(layout, b, marks, m.type, u.value, at + 4, `${path}.${m.name}`);
      return;
    }
  }
}
