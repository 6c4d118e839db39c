// Specialized encoders and decoders: straight-line code per struct, union and message (docs/wire-format.md).
import type { Field, MessageLayout, TypeDecl, TypeRef } from '../model/model.ts';
import { UNION_TAG_BYTES, unalias, type TypeTable } from '../model/wire-size.ts';
import { Code, lit, type ModuleContext } from './emit.ts';
import { decoderOf, encoderOf, prop, propKey } from './names.ts';
import { tsType } from './types.ts';

// Every generated function works on absolute payload positions: constants in message functions,
// `at + k` in per-type helpers, `e + k` inside array/sequence loops. All offsets are computed here,
// at generation time, from wireSize; the generated code only adds element index × element size.
//
// Error paths cost nothing while encoding/decoding succeeds: every Writer/Reader call passes a
// constant path relative to its innermost scope (the message, a per-type helper, or one element of
// an array/sequence), and scopes nest through try/catch blocks that prefix the path with
// `$w.within` only when an error passes through them.
//
// Elements of zero size (docs/wire-format.md) are counted where a value of zero size is reached
// from outside one — a param, a struct field, a union member, or the element block of a sequence
// of zero-size elements — all of the value's nested ones at once (`w.empties` / `r.empties`);
// inside such a value (`Fn.zero`) nothing is counted again. The kernel's validator
// (src/kernel/validate.ts) counts at the same points, so the two fail at the same path.

type IntType = Extract<TypeRef, { kind: 'int' }>;

/** Writer/Reader method for an integer type (UIntSize/UIntPtr are 8-byte unsigned). */
function intMethod(t: IntType): string {
  return `${t.signed ? 's' : 'u'}${t.bytes * 8}`;
}

/** A payload position: `base + off`, or the constant `off` when there is no base variable. */
interface Pos {
  readonly base: string | undefined;
  readonly off: number;
}

function shift(p: Pos, by: number): Pos {
  return { base: p.base, off: p.off + by };
}

/** One generated function body under construction. */
class Fn {
  readonly code = new Code();
  readonly mod: ModuleContext;
  /** Parameters and locals the body referenced (unused parameters get a `_` prefix). */
  readonly used = new Set<string>();
  /** Whether the code being emitted is inside a value of zero size, whose elements are already counted. */
  zero = false;
  private next = 0;

  constructor(mod: ModuleContext) {
    this.mod = mod;
  }

  local(prefix: string): string {
    return `${prefix}${this.next++}`;
  }

  at(p: Pos): string {
    if (p.base === undefined) return String(p.off);
    this.used.add(p.base);
    return p.off === 0 ? p.base : `${p.base} + ${p.off}`;
  }

  get types(): TypeTable {
    return this.mod.model.types;
  }

  fixed(t: TypeRef): number {
    return this.mod.size(t).fixed;
  }

  /** Runs `emit` with `zero` set (restored afterwards). */
  inZero<T>(emit: () => T): T {
    const was = this.zero;
    this.zero = true;
    try {
      return emit();
    } finally {
      this.zero = was;
    }
  }
}

// ---- elements of zero size ------------------------------------------------------------------

const emptiesMemo = new WeakMap<TypeTable, Map<string, number>>();

/**
 * For a type of zero fixed size: the elements of zero size one value holds — its arrays'
 * elements, and theirs, recursively (a struct's fields' together). As src/kernel/validate.ts
 * computes it, operation for operation, so the two count alike.
 */
function zeroElements(t: TypeRef, mod: ModuleContext): number {
  const types = mod.model.types;
  const u = unalias(t, types);
  if (u.kind === 'array') return mod.size(u.element).fixed === 0 ? u.length * (1 + zeroElements(u.element, mod)) : 0;
  if (u.kind !== 'ref') return 0;
  let memo = emptiesMemo.get(types);
  if (!memo) emptiesMemo.set(types, (memo = new Map()));
  const known = memo.get(u.name);
  if (known !== undefined) return known;
  const decl = types.get(u.name);
  let n = 0;
  if (decl?.kind === 'struct' && mod.size(u).fixed === 0) for (const f of decl.fields) n += zeroElements(f.type, mod);
  memo.set(u.name, n);
  return n;
}

/** The Writer/Reader call counting `count` zero-size elements (an expression), if there may be any. */
function countEmpties(fn: Fn, obj: 'w' | 'r', count: string, path: string): void {
  if (count === '0') return;
  fn.used.add(obj);
  fn.code.line(`${obj}.empties(${count}, ${lit(path)});`);
}

/**
 * Where a value of type `t` is reached: if it has zero size (and is not inside one already),
 * counts its nested zero-size elements and emits it as inside one.
 */
function reach<T>(fn: Fn, t: TypeRef, obj: 'w' | 'r', path: string, emit: () => T): T {
  if (fn.zero || fn.fixed(t) !== 0) return emit();
  countEmpties(fn, obj, String(zeroElements(t, fn.mod)), path);
  return fn.inZero(emit);
}

/** `count × (1 + zeroElements(elem))`: what a sequence of `count` zero-size elements counts. */
function perElement(fn: Fn, elem: TypeRef, count: string): string {
  const per = 1 + zeroElements(elem, fn.mod);
  return per === 1 ? count : `${count} * ${per}`;
}

// ---- decode-side analysis -------------------------------------------------------------------

const throwsMemo = new WeakMap<TypeTable, Map<string, boolean>>();

/**
 * Whether decoding a value of type `t` can fail once the payload length has been checked, not
 * counting the zero-size elements counted where the value is reached (see `reachCanThrow`).
 * Integers and handles cannot fail (every bit pattern is valid), and neither can values of zero
 * size, so loops and helper calls that only read those need no try/catch for error paths.
 */
function decodeCanThrow(t: TypeRef, mod: ModuleContext): boolean {
  const types = mod.model.types;
  const u = unalias(t, types);
  if (mod.size(u).fixed === 0) return false;
  switch (u.kind) {
    case 'int':
    case 'handle':
      return false;
    case 'bytes':
    case 'string':
    case 'sequence':
      return true;
    case 'array':
      return u.length > 0 && decodeCanThrow(u.element, mod);
    case 'ref': {
      let memo = throwsMemo.get(types);
      if (!memo) throwsMemo.set(types, (memo = new Map()));
      const known = memo.get(u.name);
      if (known !== undefined) return known;
      const decl = types.get(u.name);
      const result = decl === undefined || decl.kind !== 'struct' || decl.fields.some((f) => reachCanThrow(f.type, mod));
      memo.set(u.name, result);
      return result;
    }
  }
}

/** Whether reaching a value of type `t` from outside a zero-size value can fail: its decoding, or counting its zero-size elements. */
function reachCanThrow(t: TypeRef, mod: ModuleContext): boolean {
  return mod.size(t).fixed === 0 ? zeroElements(t, mod) > 0 : decodeCanThrow(t, mod);
}

// ---- encoding -------------------------------------------------------------------------------

/** Emits code writing `value` (an expression of type `t`) at `pos`; errors report `path`. */
function encodeValue(fn: Fn, t: TypeRef, value: string, pos: Pos, path: string): void {
  reach(fn, t, 'w', path, () => encodeShape(fn, t, value, pos, path));
}

function encodeShape(fn: Fn, t: TypeRef, value: string, pos: Pos, path: string): void {
  const u = unalias(t, fn.types);
  const c = fn.code;
  switch (u.kind) {
    case 'int':
      c.line(`w.${intMethod(u)}(${fn.at(pos)}, ${value}, ${lit(path)});`);
      return;
    case 'handle':
      c.line(`w.handle(${fn.at(pos)}, ${value}, ${lit(path)});`);
      return;
    case 'bytes':
      c.line(`w.bytes(${fn.at(pos)}, ${value}, ${u.max}, ${lit(path)});`);
      return;
    case 'string':
      c.line(`w.string(${fn.at(pos)}, ${value}, ${u.max}, ${lit(path)});`);
      return;
    case 'ref':
      guarded(c, `${fn.mod.typeRef(u.name, encoderOf)}(w, ${fn.at(pos)}, ${value});`, path);
      return;
    case 'array': {
      const a = fn.local('a');
      c.line(`const ${a} = ${value};`);
      c.line(`w.array(${a}, ${u.length}, ${lit(path)});`);
      if (u.length > 0) encodeElements(fn, u.element, a, String(u.length), pos, path);
      return;
    }
    case 'sequence': {
      const a = fn.local('a');
      c.line(`const ${a} = ${value};`);
      const reserve = `w.sequence(${fn.at(pos)}, ${a}, ${u.max}, ${fn.fixed(u.element)}, ${lit(path)});`;
      if (u.max === 0) {
        c.line(reserve); // only the empty sequence is valid: nothing to loop over
        return;
      }
      const p = fn.local('p');
      c.line(`const ${p} = ${reserve}`);
      const elements = () => encodeElements(fn, u.element, a, `${a}.length`, { base: p, off: 0 }, path);
      if (fn.fixed(u.element) !== 0) {
        elements();
        return;
      }
      countEmpties(fn, 'w', perElement(fn, u.element, `${a}.length`), path);
      fn.inZero(elements);
      return;
    }
  }
}

/** A loop encoding the elements of array `arr` laid out from `start`, `fixed(elem)` bytes apart. */
function encodeElements(fn: Fn, elem: TypeRef, arr: string, count: string, start: Pos, path: string): void {
  const c = fn.code;
  const i = fn.local('i');
  c.open(`for (let ${i} = 0; ${i} < ${count}; ${i}++) {`);
  c.open('try {');
  encodeValue(fn, elem, `${arr}[${i}]!`, elementPos(fn, start, i, fn.fixed(elem)), '');
  c.between('} catch (e) {');
  c.line(`throw $w.within(e, ${lit(path)}, ${i});`);
  c.close();
  c.close();
}

/** Position of element `i`: a fresh local `e = start + i × size`. */
function elementPos(fn: Fn, start: Pos, i: string, size: number): Pos {
  if (size === 0) return start;
  const e = fn.local('e');
  const first = start.base === undefined && start.off === 0 ? '' : `${fn.at(start)} + `;
  fn.code.line(`const ${e} = ${first}${i}${size === 1 ? '' : ` * ${size}`};`);
  return { base: e, off: 0 };
}

/** A statement run in a nested error-path scope (unless the path is the current scope itself). */
function guarded(c: Code, statement: string, path: string): void {
  if (path === '') {
    c.line(statement);
    return;
  }
  c.open('try {');
  c.line(statement);
  c.between('} catch (e) {');
  c.line(`throw $w.within(e, ${lit(path)});`);
  c.close();
}

// ---- decoding -------------------------------------------------------------------------------

/**
 * What decodeValue produced: a local the emitted statements assigned, or an expression that reads
 * the value (which may still throw, if decodeCanThrow says so).
 */
interface Decoded {
  readonly expr: string;
  readonly local: boolean;
}

const read = (expr: string): Decoded => ({ expr, local: false });
const local = (expr: string): Decoded => ({ expr, local: true });

/** Emits code reading a value of type `t` at `pos`; returns how to refer to the value. */
function decodeValue(fn: Fn, t: TypeRef, pos: Pos, path: string): Decoded {
  return reach(fn, t, 'r', path, () => decodeShape(fn, t, pos, path));
}

function decodeShape(fn: Fn, t: TypeRef, pos: Pos, path: string): Decoded {
  const u = unalias(t, fn.types);
  const c = fn.code;
  switch (u.kind) {
    case 'int':
      fn.used.add('r');
      return read(`r.${intMethod(u)}(${fn.at(pos)})`);
    case 'handle':
      fn.used.add('r');
      return read(`r.handle(${fn.at(pos)})`);
    case 'bytes':
      fn.used.add('r');
      return read(`r.bytes(${fn.at(pos)}, ${u.max}, ${lit(path)})`);
    case 'string':
      fn.used.add('r');
      return read(`r.string(${fn.at(pos)}, ${u.max}, ${lit(path)})`);
    case 'ref': {
      fn.used.add('r');
      const call = `${fn.mod.typeRef(u.name, decoderOf)}(r, ${fn.at(pos)})`;
      if (path === '' || !decodeCanThrow(u, fn.mod)) return read(call);
      const x = fn.local('x');
      c.line(`let ${x}: ${tsType(u, fn.mod)};`);
      guarded(c, `${x} = ${call};`, path);
      return local(x);
    }
    case 'array': {
      const a = fn.local('a');
      c.line(`const ${a} = new Array<${tsType(u.element, fn.mod)}>(${u.length});`);
      if (u.length > 0) decodeElements(fn, u.element, a, String(u.length), pos, path);
      return local(a);
    }
    case 'sequence': {
      fn.used.add('r');
      const n = fn.local('n');
      const p = fn.local('p');
      const a = fn.local('a');
      const size = fn.fixed(u.element);
      c.line(`const ${n} = r.count(${fn.at(pos)}, ${u.max}, ${lit(path)});`);
      const len = size === 0 ? '0' : size === 1 ? n : `${n} * ${size}`;
      const block = `r.block(${fn.at(pos)}, ${len}, ${lit(path)});`;
      c.line(u.max === 0 ? block : `const ${p} = ${block}`);
      // Zero-size elements are counted before the array for them is made.
      if (size === 0 && u.max > 0) countEmpties(fn, 'r', perElement(fn, u.element, n), path);
      c.line(`const ${a} = new Array<${tsType(u.element, fn.mod)}>(${n});`);
      const elements = () => decodeElements(fn, u.element, a, n, { base: p, off: 0 }, path);
      if (u.max > 0) {
        if (size === 0) fn.inZero(elements);
        else elements();
      }
      return local(a);
    }
  }
}

function decodeElements(fn: Fn, elem: TypeRef, arr: string, count: string, start: Pos, path: string): void {
  const c = fn.code;
  const i = fn.local('i');
  const canThrow = !fn.zero && decodeCanThrow(elem, fn.mod);
  c.open(`for (let ${i} = 0; ${i} < ${count}; ${i}++) {`);
  if (canThrow) c.open('try {');
  const x = decodeValue(fn, elem, elementPos(fn, start, i, fn.fixed(elem)), '');
  c.line(`${arr}[${i}] = ${x.expr};`);
  if (canThrow) {
    c.between('} catch (e) {');
    c.line(`throw $w.within(e, ${lit(path)}, ${i});`);
    c.close();
  }
  c.close();
}

/**
 * Decodes fields laid out back to back from `start` into an object literal. Reads that can fail
 * are bound to locals in field order (so the first bad field is the one reported); infallible
 * reads are inlined into the literal.
 */
function decodeFields(fn: Fn, fields: readonly Field[], start: Pos, pathOf: (name: string) => string): string {
  let pos = start;
  const entries: string[] = [];
  for (const f of fields) {
    let x = decodeValue(fn, f.type, pos, pathOf(f.name));
    if (!x.local && !fn.zero && decodeCanThrow(f.type, fn.mod)) x = bind(fn, x);
    entries.push(`${propKey(f.name)}: ${x.expr}`);
    pos = shift(pos, fn.fixed(f.type));
  }
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/** Binds a read to a fresh local at this point of the body, fixing the order reads happen in. */
function bind(fn: Fn, x: Decoded): Decoded {
  const name = fn.local('x');
  fn.code.line(`const ${name} = ${x.expr};`);
  return local(name);
}

// ---- per-type helpers -----------------------------------------------------------------------

/** Parameter name, `_`-prefixed when the body does not use it (clean under noUnusedParameters). */
function param(fn: Fn, name: string): string {
  return fn.used.has(name) ? name : `_${name}`;
}

/** `$enc_X` / `$dec_X` for one struct or union declaration (typedefs are inlined at use sites). */
export function emitTypeCodec(code: Code, qualified: string, decl: TypeDecl, tsName: string, mod: ModuleContext): void {
  if (decl.kind === 'typedef') return;
  const atStart: Pos = { base: 'at', off: 0 };
  // A struct of zero size is only ever reached where its zero-size elements have been counted.
  const zero = mod.size({ kind: 'ref', name: qualified }).fixed === 0;

  // Encoder
  const enc = new Fn(mod);
  enc.zero = zero;
  enc.code.line('w.object(v, "");');
  if (decl.kind === 'struct') {
    let pos = atStart;
    for (const f of decl.fields) {
      encodeValue(enc, f.type, prop('v', f.name), pos, f.name);
      pos = shift(pos, enc.fixed(f.type));
    }
  } else if (decl.fields.length === 0) {
    enc.code.line('throw $w.badTag(v, "");');
  } else {
    enc.code.open('switch (v.tag) {');
    decl.fields.forEach((f, index) => {
      enc.code.open(`case ${lit(f.name)}: {`);
      enc.code.line(`w.tag(${enc.at(atStart)}, ${index});`);
      encodeValue(enc, f.type, 'v.value', shift(atStart, UNION_TAG_BYTES), f.name);
      enc.code.line('return;');
      enc.code.close();
    });
    enc.code.line('default: throw $w.badTag(v, "");');
    enc.code.close();
  }
  code.open(`export function ${encoderOf(tsName)}(w: $w.Writer, ${param(enc, 'at')}: number, v: ${tsName}): void {`);
  code.append(enc.code);
  code.close();
  code.line();

  // Decoder
  const dec = new Fn(mod);
  dec.zero = zero;
  if (decl.kind === 'struct') {
    const obj = decodeFields(dec, decl.fields, atStart, (name) => name);
    dec.code.line(`return ${obj};`);
  } else if (decl.fields.length === 0) {
    dec.used.add('r');
    dec.code.line(`return r.tag(${dec.at(atStart)}, 0, "") as never; // always throws BadTag`);
  } else {
    dec.used.add('r');
    const span = mod.size({ kind: 'ref', name: qualified }).fixed;
    dec.code.open(`switch (r.tag(${dec.at(atStart)}, ${decl.fields.length}, "")) {`);
    decl.fields.forEach((f, index) => {
      // The last member is the default branch: r.tag has already rejected tags out of range.
      dec.code.open(index === decl.fields.length - 1 ? 'default: {' : `case ${index}: {`);
      const memberFixed = dec.fixed(f.type);
      let x = decodeValue(dec, f.type, shift(atStart, UNION_TAG_BYTES), f.name);
      if (UNION_TAG_BYTES + memberFixed < span) {
        if (!x.local) x = bind(dec, x); // read the member before checking the padding after it
        dec.code.line(`r.zeros(${dec.at(shift(atStart, UNION_TAG_BYTES + memberFixed))}, ${dec.at(shift(atStart, span))}, "");`);
      }
      dec.code.line(`return { tag: ${lit(f.name)}, value: ${x.expr} };`);
      dec.code.close();
    });
    dec.code.close();
  }
  code.open(`export function ${decoderOf(tsName)}(${param(dec, 'r')}: $w.Reader, ${param(dec, 'at')}: number): ${tsName} {`);
  code.append(dec.code);
  code.close();
}

// ---- per-message codecs ---------------------------------------------------------------------

export interface MessageNames {
  /** TS type of the params object. */
  readonly type: string;
  readonly encode: string;
  readonly decode: string;
  /** Root of error paths: `request`, `response` or `error`. */
  readonly root: string;
}

/** `encode_…(v): Uint8Array` and `decode_…(payload)` for one message of a method. */
export function emitMessageCodec(code: Code, layout: MessageLayout, names: MessageNames, mod: ModuleContext): void {
  const { fixed, arenaMax } = layout.size;
  const origin: Pos = { base: undefined, off: 0 };
  const pathOf = (name: string) => `${names.root}.${name}`;

  // Params of zero size altogether are one value of zero size, reached at the root.
  const zeroRoot = fixed === 0 ? String(layout.params.reduce((n, p) => n + zeroElements(p.type, mod), 0)) : undefined;

  const enc = new Fn(mod);
  enc.code.line(`w.object(v, ${lit(names.root)});`);
  if (zeroRoot !== undefined) {
    countEmpties(enc, 'w', zeroRoot, names.root);
    enc.zero = true;
  }
  let pos = origin;
  for (const p of layout.params) {
    encodeValue(enc, p.type, prop('v', p.name), pos, pathOf(p.name));
    pos = shift(pos, enc.fixed(p.type));
  }
  if (pos.off !== fixed) throw new Error(`internal: ${names.type} lays out ${pos.off} fixed bytes, the model says ${fixed}`);
  code.open(`export function ${names.encode}(v: ${names.type}): Uint8Array {`);
  code.line(`const w = new $w.Writer(${fixed}, ${arenaMax});`);
  code.append(enc.code);
  code.line('return w.finish();');
  code.close();
  code.line();

  const dec = new Fn(mod);
  if (zeroRoot !== undefined) {
    countEmpties(dec, 'r', zeroRoot, names.root);
    dec.zero = true;
  }
  const obj = decodeFields(dec, layout.params, origin, pathOf);
  code.open(`export function ${names.decode}(payload: Uint8Array): ${names.type} {`);
  // The Reader checks the payload length against fixed and fixed + arenaMax before anything is read.
  const reader = `new $w.Reader(payload, ${fixed}, ${arenaMax}, ${lit(names.root)});`;
  code.line(dec.used.has('r') ? `const r = ${reader}` : reader);
  code.append(dec.code);
  code.line(`return ${obj};`);
  code.close();
}
