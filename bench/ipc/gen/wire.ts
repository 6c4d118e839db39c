// Wire codec runtime for Citadel message payloads (docs/wire-format.md); generated code builds on it.
// This file must stay dependency-free: the code generator copies it verbatim next to its output.

export type CodecErrorCode =
  | 'Truncated'
  | 'Oversized'
  | 'OutOfBounds'
  | 'BoundExceeded'
  | 'InvalidUtf8'
  | 'BadTag'
  | 'BadPadding'
  | 'BadValue';

/** Every rejection by an encoder or decoder: a code plus the path of the offending field. */
export class CodecError extends Error {
  readonly code: CodecErrorCode;
  /** Field path such as `request.item.name` or `response.list[3]`; grows as the error unwinds. */
  path: string;
  readonly detail: string;

  constructor(code: CodecErrorCode, path: string, detail: string) {
    super(formatMessage(code, path, detail));
    this.name = 'CodecError';
    this.code = code;
    this.path = path;
    this.detail = detail;
  }
}

function formatMessage(code: CodecErrorCode, path: string, detail: string): string {
  return path === '' ? `${code}: ${detail}` : `${code} at ${path}: ${detail}`;
}

/**
 * Prefixes the path of a CodecError thrown from a nested scope (a per-type helper or one element
 * of an array/sequence) with the scope's own path. Paths are only joined here, on the error path,
 * so encoders and decoders never build strings while they succeed. Returns `e` for rethrowing.
 */
export function within(e: unknown, prefix: string, index?: number): unknown {
  if (!(e instanceof CodecError)) return e;
  let head = prefix;
  if (index !== undefined) head += `[${index}]`;
  if (e.path === '') e.path = head;
  else if (head !== '') e.path = e.path.charCodeAt(0) === 91 /* [ */ ? head + e.path : `${head}.${e.path}`;
  e.message = formatMessage(e.code, e.path, e.detail);
  return e;
}

/** A handle as it travels in a message: slot in the frame's handle list (0xFFFFFFFF = none) and rights mask. */
export interface HandleRef {
  handle: number;
  rights: number;
}

/** Slot value meaning "no handle". */
export const NO_HANDLE = 0xffffffff;

/**
 * Base class of the per-method error classes generated code defines. A server handler throws one
 * to send an error response; a client proxy throws one when it receives an error response.
 */
export class IdlErrorReply<P extends object = object> extends Error {
  /** `package.Method` of the method that replied with the error. */
  readonly method: string;
  /** The method's `error` params. */
  readonly params: P;

  constructor(method: string, params: P) {
    super(`${method} replied with an error`);
    this.name = 'IdlErrorReply';
    this.method = method;
    this.params = params;
  }
}

export interface CallOptions {
  timeoutMs?: number;
  /**
   * Handles to send with the request, as [handle number in the caller's table, rights to grant].
   * A `Handle` field of the request names one by its index here; the receiver finds the field
   * rewritten to the number of the new handle in its own table.
   */
  handles?: readonly (readonly [number, number])[];
}

/** What one call produces: a normal reply or an error reply, each as an encoded payload. */
export interface CallResult {
  kind: 'reply' | 'error';
  payload: Uint8Array;
}

/** What generated client proxies send requests through. */
export interface ClientTransport {
  call(riid: number, mid: number, payload: Uint8Array, options?: CallOptions): Promise<CallResult>;
}

/** A server for one interface (one endpoint): decodes, calls the handler, encodes the reply. */
export type InterfaceDispatch = (mid: number, payload: Uint8Array) => Promise<CallResult>;

/** A server for a whole process class: routes by RIID to the endpoint's interface dispatcher. */
export type ServerDispatch = (riid: number, mid: number, payload: Uint8Array) => Promise<CallResult>;

const utf8Encoder = new TextEncoder();
// fatal: reject invalid UTF-8 instead of substituting U+FFFD; ignoreBOM: keep a leading U+FEFF
// as text, so every string survives a round trip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Arena bytes reserved up front beyond the fixed part; the buffer grows past it on demand. */
const INITIAL_ARENA = 256;

/**
 * Most elements of zero size (of arrays and sequences whose element type takes no bytes, nested
 * ones included) one payload may hold: the 16 MiB a frame's payload may take. No arena bytes pay
 * for such elements, so this cap is what keeps decoding them bounded (docs/wire-format.md).
 */
export const MAX_EMPTY_ELEMENTS = 16 * 1024 * 1024;

function overlapping(off: number, cursor: number): string {
  return `arena block at offset ${off} starts before the end of the block before it (${cursor}): blocks must follow one another in encode order, without overlapping`;
}

function tooManyEmpties(total: number, path: string): CodecError {
  return new CodecError('BoundExceeded', path, `elements of zero size add up to ${total}, more than the ${MAX_EMPTY_ELEMENTS} a payload may hold`);
}

/**
 * Encodes one payload: a zero-filled fixed part of known size, then an arena that grows as
 * variable-size data is appended (depth-first, in field order). Positions are absolute offsets
 * into the payload; descriptors store them relative to the arena start. Bytes past `len` are
 * always zero, which is what makes union padding zero without extra writes.
 */
export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  private len: number;
  /** Absolute offset of the arena (= size of the fixed part). */
  private readonly arena: number;
  /** Elements of zero size written so far (see `empties`). */
  private empty = 0;

  constructor(fixed: number, arenaMax: number) {
    this.arena = fixed;
    this.len = fixed;
    this.buf = new Uint8Array(fixed + Math.min(arenaMax, INITIAL_ARENA));
    this.dv = new DataView(this.buf.buffer);
  }

  /**
   * The encoded payload: a view at offset 0 of a buffer owned by this payload alone (possibly with
   * spare capacity after it), so a transport may transfer `payload.buffer` without affecting others.
   */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Appends `n` zero bytes to the arena; returns their absolute position. */
  reserve(n: number): number {
    const at = this.len;
    const end = at + n;
    if (end > this.buf.length) this.grow(end);
    this.len = end;
    return at;
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Asserts `v` is a non-null object (a struct, union or params object). */
  object(v: unknown, path: string): void {
    if (typeof v !== 'object' || v === null) throw new CodecError('BadValue', path, `expected an object, got ${describe(v)}`);
  }

  /** Asserts `v` is an array of exactly `length` elements (an IDL `array<T, length>`). */
  array(v: unknown, length: number, path: string): void {
    if (!Array.isArray(v)) throw new CodecError('BadValue', path, `expected an array, got ${describe(v)}`);
    if (v.length !== length) throw new CodecError('BadValue', path, `array must have exactly ${length} elements, got ${v.length}`);
  }

  // Integer writers: the value must be an integer of the exact type's range, else BadValue.
  // The bitwise tests reject non-numbers, fractions, NaN and out-of-range values in one step.

  u8(at: number, v: number, path: string): void {
    if (typeof v !== 'number' || (v & 0xff) !== v) throw badInt('UInt8', v, path);
    this.buf[at] = v;
  }

  s8(at: number, v: number, path: string): void {
    if (typeof v !== 'number' || ((v << 24) >> 24) !== v) throw badInt('SInt8', v, path);
    this.dv.setInt8(at, v);
  }

  u16(at: number, v: number, path: string): void {
    if (typeof v !== 'number' || (v & 0xffff) !== v) throw badInt('UInt16', v, path);
    this.dv.setUint16(at, v, true);
  }

  s16(at: number, v: number, path: string): void {
    if (typeof v !== 'number' || ((v << 16) >> 16) !== v) throw badInt('SInt16', v, path);
    this.dv.setInt16(at, v, true);
  }

  u32(at: number, v: number, path: string): void {
    if (typeof v !== 'number' || v >>> 0 !== v) throw badInt('UInt32', v, path);
    this.dv.setUint32(at, v, true);
  }

  s32(at: number, v: number, path: string): void {
    if (typeof v !== 'number' || (v | 0) !== v) throw badInt('SInt32', v, path);
    this.dv.setInt32(at, v, true);
  }

  u64(at: number, v: bigint, path: string): void {
    if (typeof v !== 'bigint' || BigInt.asUintN(64, v) !== v) throw badInt('UInt64', v, path);
    this.dv.setBigUint64(at, v, true);
  }

  s64(at: number, v: bigint, path: string): void {
    if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) throw badInt('SInt64', v, path);
    this.dv.setBigInt64(at, v, true);
  }

  /** Writes a union tag (the generated switch picks it, so it is always in range). */
  tag(at: number, index: number): void {
    this.dv.setUint32(at, index, true);
  }

  /**
   * Counts `n` elements of zero size toward the payload's MAX_EMPTY_ELEMENTS, at the same points
   * the Reader does, so that every payload the encoder produces decodes.
   */
  empties(n: number, path: string): void {
    const total = this.empty + n;
    if (total > MAX_EMPTY_ELEMENTS) throw tooManyEmpties(total, path);
    this.empty = total;
  }

  handle(at: number, v: HandleRef, path: string): void {
    this.object(v, path);
    const { handle, rights } = v;
    if (typeof handle !== 'number' || handle >>> 0 !== handle) throw within(badInt('UInt32', handle, 'handle'), path);
    if (typeof rights !== 'number' || rights >>> 0 !== rights) throw within(badInt('UInt32', rights, 'rights'), path);
    this.dv.setUint32(at, handle, true);
    this.dv.setUint32(at + 4, rights, true);
  }

  /** `bytes<max>`: descriptor at `at`, the bytes in the arena. */
  bytes(at: number, v: Uint8Array, max: number, path: string): void {
    if (!(v instanceof Uint8Array)) throw new CodecError('BadValue', path, `expected a Uint8Array, got ${describe(v)}`);
    const n = v.length;
    if (n > max) throw new CodecError('BoundExceeded', path, `${n} bytes exceed the bound of ${max}`);
    if (n === 0) return; // descriptor stays {0, 0}
    const p = this.reserve(n);
    this.buf.set(v, p);
    this.dv.setUint32(at, p - this.arena, true);
    this.dv.setUint32(at + 4, n, true);
  }

  /** `string<max>`: descriptor at `at` (size counts the NUL), UTF-8 text plus NUL in the arena. */
  string(at: number, v: string, max: number, path: string): void {
    if (typeof v !== 'string') throw new CodecError('BadValue', path, `expected a string, got ${describe(v)}`);
    // Every UTF-16 unit takes at least one UTF-8 byte: an over-long string fails before encoding.
    if (v.length > max) throw new CodecError('BoundExceeded', path, `string longer than ${max} bytes`);
    if (!v.isWellFormed()) throw new CodecError('InvalidUtf8', path, 'string has a lone surrogate');
    if (v.indexOf('\0') !== -1) throw new CodecError('BadValue', path, 'string contains a NUL character');
    // Encode straight into the arena: at most 3 bytes per UTF-16 unit, plus the terminator,
    // which is already zero because bytes past `len` are always zero.
    const start = this.len;
    const cap = start + v.length * 3 + 1;
    if (cap > this.buf.length) this.grow(cap);
    const written = utf8Encoder.encodeInto(v, this.buf.subarray(start, cap - 1)).written;
    if (written > max) {
      this.buf.fill(0, start, start + written); // keep the zero-tail invariant for the caller's sake
      throw new CodecError('BoundExceeded', path, `${written} UTF-8 bytes exceed the bound of ${max}`);
    }
    this.len = start + written + 1;
    this.dv.setUint32(at, start - this.arena, true);
    this.dv.setUint32(at + 4, written + 1, true);
  }

  /**
   * `sequence<T, max>`: checks the count, writes the descriptor and reserves `count × elemFixed`
   * arena bytes for the elements' fixed parts; returns their absolute position.
   */
  sequence(at: number, v: readonly unknown[], max: number, elemFixed: number, path: string): number {
    if (!Array.isArray(v)) throw new CodecError('BadValue', path, `expected an array, got ${describe(v)}`);
    const n = v.length;
    if (n > max) throw new CodecError('BoundExceeded', path, `${n} elements exceed the bound of ${max}`);
    if (n === 0) return 0; // descriptor stays {0, 0}; no element is visited
    const p = this.reserve(n * elemFixed);
    this.dv.setUint32(at, p - this.arena, true);
    this.dv.setUint32(at + 4, n, true);
    return p;
  }
}

/**
 * Decodes one payload. The constructor checks the total length against the message's fixed
 * size and arena bound before any field is read, so fixed-part reads need no further checks;
 * arena reads go through `block`, which checks each descriptor's range and that its block starts
 * at or after the end of the one read before it: blocks follow one another in the order they are
 * read, so none overlap and decoding work stays proportional to the payload however the
 * descriptors point (docs/wire-format.md).
 */
export class Reader {
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  /** Absolute offset of the arena (= size of the fixed part). */
  private readonly arena: number;
  private readonly arenaLen: number;
  /** Where the last non-empty arena block read so far ends (relative to the arena): the next one starts there or later. */
  private cursor = 0;
  /** Elements of zero size read so far (at most MAX_EMPTY_ELEMENTS). */
  private empty = 0;

  constructor(payload: Uint8Array, fixed: number, arenaMax: number, path: string) {
    if (!(payload instanceof Uint8Array)) throw new CodecError('BadValue', path, `expected a Uint8Array payload, got ${describe(payload)}`);
    const n = payload.length;
    if (n < fixed) throw new CodecError('Truncated', path, `payload of ${n} bytes is shorter than the fixed part of ${fixed}`);
    if (n - fixed > arenaMax) throw new CodecError('Oversized', path, `payload of ${n} bytes exceeds the maximum of ${fixed + arenaMax}`);
    // A plain view: Buffer's slice() would alias instead of copy.
    this.buf = new Uint8Array(payload.buffer, payload.byteOffset, n);
    this.dv = new DataView(payload.buffer, payload.byteOffset, n);
    this.arena = fixed;
    this.arenaLen = n - fixed;
  }

  u8(at: number): number { return this.buf[at]!; }
  s8(at: number): number { return this.dv.getInt8(at); }
  u16(at: number): number { return this.dv.getUint16(at, true); }
  s16(at: number): number { return this.dv.getInt16(at, true); }
  u32(at: number): number { return this.dv.getUint32(at, true); }
  s32(at: number): number { return this.dv.getInt32(at, true); }
  u64(at: number): bigint { return this.dv.getBigUint64(at, true); }
  s64(at: number): bigint { return this.dv.getBigInt64(at, true); }

  handle(at: number): HandleRef {
    return { handle: this.dv.getUint32(at, true), rights: this.dv.getUint32(at + 4, true) };
  }

  /** The count (or size) half of the descriptor at `at`, checked against the IDL bound. */
  count(at: number, max: number, path: string): number {
    const n = this.dv.getUint32(at + 4, true);
    if (n > max) throw new CodecError('BoundExceeded', path, `count ${n} exceeds the bound of ${max}`);
    return n;
  }

  /**
   * The offset half of the descriptor at `at`, checked so `len` bytes fit in the arena and, unless
   * `len` is 0, start no earlier than the end of the previous block; absolute position.
   */
  block(at: number, len: number, path: string): number {
    const off = this.dv.getUint32(at, true);
    if (off + len > this.arenaLen) {
      throw new CodecError('OutOfBounds', path, `arena range ${off}+${len} exceeds the arena of ${this.arenaLen} bytes`);
    }
    if (len !== 0) {
      if (off < this.cursor) throw new CodecError('OutOfBounds', path, overlapping(off, this.cursor));
      this.cursor = off + len;
    }
    return this.arena + off;
  }

  /** Counts `n` elements of zero size toward the payload's MAX_EMPTY_ELEMENTS (before they are decoded). */
  empties(n: number, path: string): void {
    const total = this.empty + n;
    if (total > MAX_EMPTY_ELEMENTS) throw tooManyEmpties(total, path);
    this.empty = total;
  }

  bytes(at: number, max: number, path: string): Uint8Array {
    const n = this.count(at, max, path);
    const p = this.block(at, n, path);
    return this.buf.slice(p, p + n);
  }

  string(at: number, max: number, path: string): string {
    const n = this.count(at, max + 1, path);
    if (n === 0) throw new CodecError('BadValue', path, 'string has no NUL terminator (size 0)');
    const p = this.block(at, n, path);
    const s = this.buf.subarray(p, p + n);
    const nul = s.indexOf(0);
    if (nul !== n - 1) {
      throw new CodecError('BadValue', path, nul === -1 ? 'string has no NUL terminator' : 'string contains a NUL byte');
    }
    try {
      return utf8Decoder.decode(s.subarray(0, n - 1));
    } catch {
      throw new CodecError('InvalidUtf8', path, 'string is not valid UTF-8');
    }
  }

  /** A union tag, checked against the member count. */
  tag(at: number, members: number, path: string): number {
    const t = this.dv.getUint32(at, true);
    if (t >= members) throw new CodecError('BadTag', path, `union tag ${t} is out of range (${members} members)`);
    return t;
  }

  /** Checks the padding after a union's active member is all zero. */
  zeros(from: number, to: number, path: string): void {
    for (let i = from; i < to; i++) {
      if (this.buf[i] !== 0) throw new CodecError('BadPadding', path, `non-zero padding byte after the union member at offset ${i - from}`);
    }
  }
}

/** An unknown union tag on encode (the value's `tag` names no member). */
export function badTag(v: unknown, path: string): CodecError {
  const tag = typeof v === 'object' && v !== null ? (v as { tag?: unknown }).tag : v;
  return new CodecError('BadTag', path, `unknown union member ${describe(tag)}`);
}

/** A method id the interface does not have (dispatchers reject the request). */
export function unknownMethod(iface: string, mid: number): CodecError {
  return new CodecError('BadValue', 'mid', `interface ${iface} has no method with id ${mid}`);
}

/** An RIID the process class does not serve. */
export function unknownEndpoint(cls: string, riid: number): CodecError {
  return new CodecError('BadValue', 'riid', `process class ${cls} has no endpoint with RIID ${riid}`);
}

function badInt(type: string, v: unknown, path: string): CodecError {
  return new CodecError('BadValue', path, `${describe(v)} is not a ${type}`);
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
