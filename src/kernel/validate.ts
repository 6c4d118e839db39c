// Kernel payload validator (TCB): checks IPC payloads against the image's wire schema, decodes them for the policy.
import type { WireMessage, WireSchema } from './schema.ts';

// The layout is docs/wire-format.md; the validator must accept exactly what the generated decoders
// (src/codegen/codecs.ts over src/entity/wire.ts) accept, and report the same field path, plus it
// checks handle slots against the frame. The schema is compiled once, at load, into a tree of
// plain nodes with every size and offset precomputed; validation walks that tree over the bytes,
// allocating nothing unless it fails (the path of the bad field is collected while unwinding).
// Like the generated decoders it requires every non-empty arena block to start at or after the end
// of the one read before it (so no two overlap), and counts elements of zero size against
// MAX_EMPTY_ELEMENTS, at the same points and in the same order as they do: so validating (and
// decoding, for the policy) takes work proportional to the payload, however its descriptors
// point, and every handle slot is bytes of its own (the kernel rewrites them in place).

const U32 = 0xffffffff, NO_HANDLE = 0xffffffff;
/** Deepest type nesting a schema may have: keeps the recursive walks far from the stack limit. */
const MAX_DEPTH = 64;
/**
 * Most elements of zero size (nested ones included) an array or sequence may have, and a payload
 * may hold in all: the 16 MiB a frame's payload may take. As MAX_EMPTY_ELEMENTS in src/entity/wire.ts.
 */
const MAX_EMPTY_ELEMENTS = 16 * 1024 * 1024;

// Node kinds: small integers, so the hot path switches on a number rather than a string.
const INT = 0, HANDLE = 1, BYTES = 2, STRING = 3, ARRAY = 4, SEQUENCE = 5, STRUCT = 6, UNION = 7;

/** A compiled type. Every node has all fields, in one order, so the walks stay monomorphic. */
interface Node {
  readonly kind: number;
  /** Bytes in the fixed part, most bytes in the arena, most handles (as src/model/wire-size.ts). */
  readonly fixed: number; readonly arenaMax: number; readonly handles: number;
  /** Height of the type tree (an int is 1). */
  readonly depth: number;
  /**
   * Whether validation must visit it: it holds a handle, descriptor or union (any bits make an
   * int), or it has zero size and holds elements of zero size (which are counted where it is reached).
   */
  readonly check: boolean;
  /** Zero-size types only: the elements of zero size a value holds, its arrays' and theirs, recursively. */
  readonly zeros: number;
  /** INT: byte width (and `signed`); ARRAY: length; BYTES, STRING, SEQUENCE: the bound. */
  readonly n: number; readonly signed: boolean;
  /** ARRAY, SEQUENCE: the element type. */
  readonly elem: Node | undefined;
  /** STRUCT, UNION: fields (members), their names, and their offsets from the start of the value. */
  readonly fields: readonly Node[]; readonly names: readonly string[]; readonly offsets: readonly number[];
}

function mk(kind: number, p: Partial<Node>): Node {
  return { kind, fixed: 0, arenaMax: 0, handles: 0, depth: 1, check: true, zeros: 0, n: 0, signed: false, elem: undefined, fields: [], names: [], offsets: [], ...p };
}

// ---- validation (the hot path) --------------------------------------------------------------

// State of the one validation in progress. Validation is synchronous and calls out to nothing,
// so module-level state is safe, and it saves passing (or allocating) a context per call.
const EMPTY = new Uint8Array(0);
let buf: Uint8Array = EMPTY;
let arena = 0, arenaLen = 0, frameHandles = 0;
/** Where the last non-empty arena block checked so far ends (relative to the arena); elements of zero size counted so far. */
let cursor = 0, empties = 0;
/** Where handleOffsets collects the offsets of handle slots; undefined while validating. */
let slots: number[] | undefined;
/** Why validation failed, and the path segments of the bad field, innermost first. */
let reason = '';
const trail: string[] = [];

const fail = (why: string): false => ((reason = why), (trail.length = 0), false);
/** Adds one path segment while a failure unwinds. */
const within = (segment: string): false => (trail.push(segment), false);
const u32 = (at: number) => (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;

/**
 * The arena block a descriptor at `at` names, `len` bytes long: its absolute position, or -1.
 * Unless empty, it must start at or after the end of the block before it (as the encoder lays them out).
 */
function block(at: number, len: number): number {
  const off = u32(at);
  // off < 2^32 and len < 2^64, so the sum is exact or far past arenaLen (< 2^25): it compares right.
  if (off + len > arenaLen) {
    fail(`arena descriptor at offset ${at} points past the arena (offset ${off} + size ${len} > ${arenaLen})`);
    return -1;
  }
  if (len !== 0) {
    if (off < cursor) {
      fail(`arena block at offset ${off} starts before the end of the block before it (${cursor}): blocks must follow one another in encode order, without overlapping`);
      return -1;
    }
    cursor = off + len;
  }
  return arena + off;
}

/** Counts `n` elements of zero size (the generated decoders' `empties`). */
function countEmpties(n: number): boolean {
  empties += n;
  return empties <= MAX_EMPTY_ELEMENTS || fail(`elements of zero size add up to ${empties}, more than the ${MAX_EMPTY_ELEMENTS} a payload may hold`);
}

function check(n: Node, at: number): boolean {
  switch (n.kind) {
    case HANDLE: {
      const slot = u32(at);
      if (slot >= frameHandles && slot !== NO_HANDLE) return fail(`handle slot ${slot} out of range (${frameHandles} handles in the frame)`);
      if (slots !== undefined) slots.push(at);
      return true;
    }
    case BYTES: {
      const size = u32(at + 4);
      if (size > n.n) return fail(`${size} bytes exceed bytes<${n.n}>`);
      return block(at, size) >= 0;
    }
    case STRING: return checkString(n.n, at);
    // An array or struct of zero size is visited only if it holds elements of zero size, which
    // are all counted here, where it is reached; its own elements and fields are not visited.
    case ARRAY: return n.fixed === 0 ? countEmpties(n.zeros) : elements(n.elem!, at, n.n);
    case SEQUENCE: {
      const count = u32(at + 4), e = n.elem!;
      if (count > n.n) return fail(`${count} elements exceed sequence<${n.n}>`);
      const p = block(at, count * e.fixed);
      if (p < 0) return false;
      // Elements of zero size are counted (each with the ones it holds), not visited.
      return e.fixed === 0 ? countEmpties(count * (1 + e.zeros)) : elements(e, p, count);
    }
    case STRUCT:
      if (n.fixed === 0) return countEmpties(n.zeros);
      for (let i = 0; i < n.fields.length; i++) {
        if (n.fields[i]!.check && !check(n.fields[i]!, at + n.offsets[i]!)) return within(`.${n.names[i]}`);
      }
      return true;
    case UNION: {
      const tag = u32(at);
      if (tag >= n.fields.length) return fail(`union tag ${tag} out of range (${n.fields.length} members)`);
      const m = n.fields[tag]!;
      // Member first, then padding: the order the generated decoders check in (same error, same path).
      if (m.check && !check(m, at + 4)) return within(`.${n.names[tag]}`);
      const from = at + 4 + m.fixed;
      for (let i = from; i < at + n.fixed; i++) if (buf[i] !== 0) return fail(`non-zero padding byte ${i - from} after union member ${n.names[tag]}`);
      return true;
    }
  }
  return true; // INT: every bit pattern is a value
}

/** Elements of a type of non-zero size (those of zero size are counted where the array or sequence is reached). */
function elements(e: Node, start: number, count: number): boolean {
  if (!e.check) return true;
  for (let i = 0; i < count; i++) if (!check(e, start + i * e.fixed)) return within(`[${i}]`);
  return true;
}

function checkString(max: number, at: number): boolean {
  const size = u32(at + 4); // UTF-8 bytes + the NUL terminator
  if (size > max + 1) return fail(`string of ${size - 1} bytes exceeds string<${max}>`);
  if (size === 0) return fail('string has no NUL terminator (size 0)');
  const p = block(at, size);
  if (p < 0) return false;
  const end = p + size - 1; // where the terminator must be
  // Scans at most `size` bytes unless it fails: a valid string has its 0 byte at `end`.
  const nul = buf.indexOf(0, p);
  if (nul !== end) return fail(nul < 0 || nul > end ? 'string has no NUL terminator' : 'string contains a NUL byte');
  return isUtf8(p, end) || fail('invalid UTF-8');
}

/** Well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF), as TextDecoder's fatal mode. */
function isUtf8(i: number, end: number): boolean {
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x80) { i++; continue; }
    let more: number, lo = 0x80, hi = 0xbf; // continuation bytes needed; range of the first one
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) { more = 2; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { more = 3; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; }
    else return false;
    if (i + more >= end) return false;
    const c1 = buf[i + 1]!;
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= more; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return false;
    i += more + 1;
  }
  return true;
}

// ---- decoding (only when a policy rule reads `message`) --------------------------------------

// ignoreBOM keeps a leading U+FEFF as text, as the generated decoders do.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Objects without a prototype: a field named `__proto__` stays a field, and nothing is inherited. */
const dict = () => Object.create(null) as Record<string, unknown>;

function decode(n: Node, at: number, dv: DataView): unknown {
  switch (n.kind) {
    case INT:
      switch (n.n) {
        case 1: return n.signed ? dv.getInt8(at) : dv.getUint8(at);
        case 2: return n.signed ? dv.getInt16(at, true) : dv.getUint16(at, true);
        case 4: return n.signed ? dv.getInt32(at, true) : dv.getUint32(at, true);
        default: return n.signed ? dv.getBigInt64(at, true) : dv.getBigUint64(at, true);
      }
    case HANDLE: {
      const h = dict();
      h.handle = u32(at);
      h.rights = u32(at + 4);
      return h;
    }
    case BYTES: return buf.slice(arena + u32(at), arena + u32(at) + u32(at + 4));
    case STRING: return utf8.decode(buf.subarray(arena + u32(at), arena + u32(at) + u32(at + 4) - 1));
    case ARRAY: return decodeList(n.elem!, at, n.n, dv);
    case SEQUENCE: return decodeList(n.elem!, arena + u32(at), u32(at + 4), dv);
    case STRUCT: {
      const o = dict();
      for (let i = 0; i < n.fields.length; i++) o[n.names[i]!] = decode(n.fields[i]!, at + n.offsets[i]!, dv);
      return o;
    }
    default: { // UNION, as `{ member: value }`
      const tag = u32(at), o = dict();
      o[n.names[tag]!] = decode(n.fields[tag]!, at + 4, dv);
      return o;
    }
  }
}

function decodeList(e: Node, start: number, count: number, dv: DataView): unknown[] {
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) out[i] = decode(e, start + i * e.fixed, dv);
  return out;
}

// ---- compiled messages and schemas ---------------------------------------------------------

/** One message shape, ready to validate and decode payloads. */
export class MessagePlan {
  /** Root of error paths: `request`, `response`, `error` (or `message` outside a schema). */
  readonly root: string;
  private readonly node: Node;

  constructor(root: string, node: Node) {
    this.root = root;
    this.node = node;
  }

  get fixed(): number { return this.node.fixed; }
  get arenaMax(): number { return this.node.arenaMax; }
  /** Most handles the message can carry (a frame with more is the kernel's to reject). */
  get handles(): number { return this.node.handles; }

  /** undefined if `payload` is valid with `handleCount` handles in its frame, else why not (`path: reason`). */
  validate(payload: Uint8Array, handleCount: number): string | undefined {
    const len = payload.length, { fixed, arenaMax } = this.node;
    // The length first, so every fixed-part read below is in bounds.
    if (len < fixed) return `${this.root}: payload of ${len} bytes is shorter than the ${fixed}-byte fixed part`;
    if (len - fixed > arenaMax) return `${this.root}: payload of ${len} bytes exceeds the ${fixed + arenaMax}-byte maximum`;
    buf = payload;
    arena = fixed;
    arenaLen = len - fixed;
    frameHandles = handleCount;
    cursor = 0;
    empties = 0;
    let ok: boolean;
    try {
      ok = !this.node.check || check(this.node, 0);
    } finally {
      buf = EMPTY; // keep no reference to the payload
    }
    if (ok) return undefined;
    let path = this.root;
    for (let i = trail.length - 1; i >= 0; i--) path += trail[i];
    trail.length = 0;
    return `${path}: ${reason}`;
  }

  /**
   * The byte offsets, from the start of `payload`, of the u32 handle-slot field of every `Handle` /
   * `handle<I>` value the payload holds (those with no handle, 0xFFFFFFFF, included; the rights
   * mask follows each at +4), in encode order: the order of the values in the message, depth-first,
   * a sequence's elements where the sequence is, whatever the placement of its arena block. The
   * kernel rewrites handle slots in place through them when it moves handles between entities.
   * It walks the payload as `validate` does, at about its cost, and throws if the payload is
   * invalid (its handle slots are not checked against a frame: `validate` does that).
   */
  handleOffsets(payload: Uint8Array): number[] {
    const out: number[] = [];
    slots = this.node.handles > 0 ? out : undefined;
    let why: string | undefined;
    try {
      why = this.validate(payload, U32);
    } finally {
      slots = undefined;
    }
    if (why !== undefined) throw new Error(`cannot find the handles of an invalid payload: ${why}`);
    return out;
  }

  /** The params as null-prototype objects (see decodePayload); throws if the payload is invalid. */
  decode(payload: Uint8Array): Record<string, unknown> {
    // Validating again is cheap next to decoding, and makes every read below safe on any input.
    const why = this.validate(payload, U32);
    if (why !== undefined) throw new Error(`cannot decode an invalid payload: ${why}`);
    // A plain view: a Buffer's slice() would alias the payload instead of copying bytes out.
    buf = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
    arena = this.node.fixed;
    try {
      return decode(this.node, 0, new DataView(payload.buffer, payload.byteOffset, payload.length)) as Record<string, unknown>;
    } finally {
      buf = EMPTY;
    }
  }
}

export interface CompiledMethod { readonly name: string; readonly request: MessagePlan; readonly response: MessagePlan; readonly error: MessagePlan }

export interface CompiledSchema {
  /** By class index (the policy IR's): methods by RIID then MID, and by MID in the security interface. */
  readonly classes: readonly { readonly name: string; readonly endpoints: readonly (readonly CompiledMethod[])[]; readonly security: readonly CompiledMethod[] | undefined }[];
  /** Method `mid` of endpoint `riid` of class `cls`; undefined if any index is out of range. */
  method(cls: number, riid: number, mid: number): CompiledMethod | undefined;
  /** Method `mid` of class `cls`'s security interface, or undefined. */
  securityMethod(cls: number, mid: number): CompiledMethod | undefined;
}

/** Per compiled schema: its type nodes and the plan of each of its messages (by object). */
const compiled = new WeakMap<WireSchema, { readonly api: CompiledSchema; readonly types: readonly Node[]; readonly plans: WeakMap<WireMessage, MessagePlan> }>();

/** Checks a schema, throwing an Error that names the bad part, and compiles it (once per schema object: it is immutable image data). */
export function compileSchema(schema: WireSchema): CompiledSchema {
  return (compiled.get(schema) ?? load(schema)).api;
}

function load(schema: WireSchema) {
  const s = obj(schema, 'schema');
  if (s.version !== 1) bad('schema.version', `unsupported version ${String(s.version)}`);
  const types: Node[] = [];
  list(s.types, 'types').forEach((t, i) => {
    name(obj(t, `types[${i}]`).name, `types[${i}].name`);
    types.push(type((t as { type: unknown }).type, `types[${i}].type`, types, 1)); // refs see only types[0..i)
  });
  const plans = new WeakMap<WireMessage, MessagePlan>();
  const interfaces = list(s.interfaces, 'interfaces').map((x, i) => {
    name(obj(x, `interfaces[${i}]`).name, `interfaces[${i}].name`);
    return list((x as { methods: unknown }).methods, `interfaces[${i}].methods`).map((m, mid): CompiledMethod => {
      const at = `interfaces[${i}].methods[${mid}]`, mo = obj(m, at);
      const msg = (kind: string) => {
        const plan = compileMessage(mo[kind], `${at}.${kind}`, types, kind);
        plans.set(mo[kind] as WireMessage, plan);
        return plan;
      };
      return { name: name(mo.name, `${at}.name`), request: msg('request'), response: msg('response'), error: msg('error') };
    });
  });
  const ifaceAt = (v: unknown, at: string) => interfaces[count(v, at, interfaces.length - 1)]!;
  const classes = list(s.classes, 'classes').map((x, c) => {
    const co = obj(x, `classes[${c}]`);
    const endpoints = list(co.endpoints, `classes[${c}].endpoints`).map((e, riid) => {
      const at = `classes[${c}].endpoints[${riid}]`, eo = obj(e, at);
      name(eo.name, `${at}.name`);
      if (eo.riid !== riid) bad(`${at}.riid`, `must equal its index ${riid}`);
      return ifaceAt(eo.iface, `${at}.iface`);
    });
    const security = co.security === undefined ? undefined : ifaceAt(co.security, `classes[${c}].security`);
    return { name: name(co.name, `classes[${c}].name`), endpoints, security };
  });
  const method = (cls: number, riid: number, mid: number) => classes[cls]?.endpoints[riid]?.[mid];
  const entry = { api: { classes, method, securityMethod: (cls: number, mid: number) => classes[cls]?.security?.[mid] }, types, plans };
  compiled.set(schema, entry);
  return entry;
}

/** The plan of `message`: the one compiled with `schema` if it is part of it, else compiled now. */
function planOf(schema: WireSchema, message: WireMessage): MessagePlan {
  const c = compiled.get(schema) ?? load(schema);
  let plan = c.plans.get(message);
  if (!plan) c.plans.set(message, (plan = compileMessage(message, 'message', c.types, 'message')));
  return plan;
}

/**
 * undefined when `payload` is a valid `message` of `schema` whose frame carries `handleCount`
 * handles, else the reason, as `path: what` (`request.peer.name: string of 70 bytes exceeds string<64>`).
 */
export function validatePayload(schema: WireSchema, message: WireMessage, payload: Uint8Array, handleCount: number): string | undefined {
  return planOf(schema, message).validate(payload, handleCount);
}

/**
 * The params of a valid payload as null-prototype objects: integers of 1–4 bytes as numbers,
 * 8-byte ones as bigints, bytes as Uint8Array, strings, arrays (and sequences) as arrays, structs
 * as objects, unions as `{ member: value }`, handles as `{ handle, rights }`. Throws on an invalid payload.
 */
export function decodePayload(schema: WireSchema, message: WireMessage, payload: Uint8Array): Record<string, unknown> {
  return planOf(schema, message).decode(payload);
}

// ---- schema checks (load time) -------------------------------------------------------------

function bad(at: string, what: string): never {
  throw new Error(`invalid wire schema at ${at}: ${what}`);
}

const obj = (v: unknown, at: string) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : bad(at, 'expected an object');
const list = (v: unknown, at: string): readonly unknown[] => Array.isArray(v) ? v : bad(at, 'expected an array');
const name = (v: unknown, at: string) => typeof v === 'string' && v !== '' ? v : bad(at, 'expected a non-empty string');
/** An integer in 0..max. */
const count = (v: unknown, at: string, max = U32) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : bad(at, `expected an integer from 0 to ${max}, got ${String(v)}`);

/** Checks and compiles a type; `level` is its nesting depth, checked before recursing. */
function type(v: unknown, at: string, types: readonly Node[], level: number): Node {
  if (level > MAX_DEPTH) bad(at, `types nest more than ${MAX_DEPTH} levels deep`);
  const t = obj(v, at);
  let n: Node;
  switch (t.k) {
    case 'int':
      if (t.bytes !== 1 && t.bytes !== 2 && t.bytes !== 4 && t.bytes !== 8) bad(`${at}.bytes`, 'expected 1, 2, 4 or 8');
      if (typeof t.signed !== 'boolean') bad(`${at}.signed`, 'expected a boolean');
      return mk(INT, { fixed: t.bytes, n: t.bytes, signed: t.signed, check: false });
    case 'handle': return mk(HANDLE, { fixed: 8, handles: 1 });
    case 'bytes': { const max = count(t.max, `${at}.max`); return mk(BYTES, { fixed: 8, arenaMax: max, n: max }); }
    case 'string': { const max = count(t.max, `${at}.max`, U32 - 1); return mk(STRING, { fixed: 8, arenaMax: max + 1, n: max }); }
    case 'array': case 'sequence': {
      const e = type(t.of, `${at}.of`, types, level + 1);
      const isArray = t.k === 'array';
      const len = count(isArray ? t.n : t.max, `${at}.${isArray ? 'n' : 'max'}`);
      // Elements of zero size, each with the ones it holds (as src/codegen/codecs.ts counts them).
      const zeros = e.fixed === 0 ? len * (1 + e.zeros) : 0;
      if (zeros > MAX_EMPTY_ELEMENTS) bad(at, `more than ${MAX_EMPTY_ELEMENTS} elements of zero size`);
      // Sizes as src/model/wire-size.ts computes them, operation for operation, so they compare equal.
      n = isArray
        ? mk(ARRAY, { fixed: e.fixed * len, arenaMax: e.arenaMax * len, handles: e.handles * len, depth: e.depth + 1, check: len > 0 && (e.check || e.fixed === 0), zeros, n: len, elem: e })
        : mk(SEQUENCE, { fixed: 8, arenaMax: (e.fixed + e.arenaMax) * len, handles: e.handles * len, depth: e.depth + 1, n: len, elem: e });
      break;
    }
    case 'struct': case 'union': n = record(t.k === 'union', t.fields, `${at}.fields`, types, level); break;
    case 'ref': { // only to types compiled before this point: no cycles
      const target = typeof t.id === 'number' ? types[t.id] : undefined;
      if (!target) bad(`${at}.id`, `${String(t.id)} is not one of the ${types.length} types before it`);
      if (level - 1 + target.depth > MAX_DEPTH) bad(at, `types nest more than ${MAX_DEPTH} levels deep`);
      return target;
    }
    default: bad(`${at}.k`, `unknown type kind ${JSON.stringify(t.k)}`);
  }
  if (n.fixed > U32) bad(at, `fixed part of ${n.fixed} bytes is too large`);
  return n;
}

/** A struct (fields back to back) or union (u32 tag, then room for the largest member); also a message's params. */
function record(isUnion: boolean, v: unknown, at: string, types: readonly Node[], level: number): Node {
  const fields: Node[] = [], names: string[] = [], offsets: number[] = [];
  let fixed = 0, arenaMax = 0, handles = 0, depth = 0, check = false, zeros = 0;
  for (const [i, f] of list(v, at).entries()) {
    const fo = obj(f, `${at}[${i}]`);
    const fieldName = name(fo.name, `${at}[${i}].name`);
    if (names.includes(fieldName)) bad(`${at}[${i}].name`, `duplicate name ${JSON.stringify(fieldName)}`);
    const n = type(fo.type, `${at}[${i}].type`, types, level + 1);
    fields.push(n); names.push(fieldName); offsets.push(isUnion ? 4 : fixed);
    fixed = isUnion ? Math.max(fixed, n.fixed) : fixed + n.fixed;
    arenaMax = isUnion ? Math.max(arenaMax, n.arenaMax) : arenaMax + n.arenaMax;
    handles = isUnion ? Math.max(handles, n.handles) : handles + n.handles;
    depth = Math.max(depth, n.depth);
    check ||= n.check;
    zeros += n.zeros;
  }
  if (isUnion) return mk(UNION, { fixed: 4 + fixed, arenaMax, handles, depth: depth + 1, fields, names, offsets });
  // Only a struct of zero size counts its fields' elements of zero size as its own.
  if (fixed !== 0) zeros = 0;
  else if (zeros > MAX_EMPTY_ELEMENTS) bad(at, `more than ${MAX_EMPTY_ELEMENTS} elements of zero size`);
  return mk(STRUCT, { fixed, arenaMax, handles, depth: depth + 1, check, zeros, fields, names, offsets });
}

/** Checks and compiles a message; its declared sizes must be what its params add up to. */
function compileMessage(v: unknown, at: string, types: readonly Node[], root: string): MessagePlan {
  const m = obj(v, at);
  const n = record(false, m.params, `${at}.params`, types, 0);
  for (const k of ['fixed', 'arenaMax', 'handles'] as const) if (m[k] !== n[k]) bad(`${at}.${k}`, `is ${String(m[k])}, but the params add up to ${n[k]}`);
  return new MessagePlan(root, n);
}
