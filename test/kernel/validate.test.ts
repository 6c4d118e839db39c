// Kernel payload validator: differential tests against the generated codecs, boundary cases, schema checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { buildWireSchema } from '../../src/build/schema.ts';
import { checkAll } from '../../src/build/check.ts';
import type { WireMessage, WireSchema, WireType } from '../../src/kernel/schema.ts';
import { compileSchema, decodePayload, validatePayload, type MessagePlan } from '../../src/kernel/validate.ts';
import type { IntName, MessageLayout, SolutionModel, TypeRef } from '../../src/model/model.ts';
import { unalias, type TypeTable } from '../../src/model/wire-size.ts';
import {
  buildModel, importFrom, INT_NAMES, loadGenerated, removeDir, representativeModel, t, type PackageSpec, type TypeSpec, type Wire,
} from '../codegen/helpers.ts';

type Gen = Record<string, (v: unknown) => any>;
const U32 = 0xffffffff;

// ---- generators --------------------------------------------------------------------------------

/** A random type as a tree; struct, union and typedef nodes become named declarations. */
type Shape =
  | { readonly k: 'int'; readonly name: IntName }
  | { readonly k: 'handle' }
  | { readonly k: 'bytes' | 'string'; readonly max: number }
  | { readonly k: 'array' | 'sequence'; readonly el: Shape; readonly n: number }
  | { readonly k: 'struct' | 'union'; readonly fields: readonly Shape[] }
  | { readonly k: 'typedef'; readonly target: Shape };

// Names include the generated union wrapper's own keys and JS specials.
const FIELD_NAMES = ['x', 'tag', 'value', '__proto__', 'constructor', 'y_1'];

const shapeArb: fc.Arbitrary<Shape> = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'shape' },
    fc.constantFrom(...INT_NAMES).map((name): Shape => ({ k: 'int', name })),
    fc.constant<Shape>({ k: 'handle' }),
    fc.record({ k: fc.constantFrom('bytes' as const, 'string' as const), max: fc.integer({ min: 0, max: 6 }) }),
    fc.record({ k: fc.constantFrom('array' as const, 'sequence' as const), el: tie('shape'), n: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('struct' as const), fields: fc.array(tie('shape'), { maxLength: FIELD_NAMES.length }) }),
    fc.record({ k: fc.constant('union' as const), fields: fc.array(tie('shape'), { minLength: 1, maxLength: 4 }) }),
    tie('shape').map((target): Shape => ({ k: 'typedef', target })),
  ),
})).shape;

/** Turns a shape into a TypeRef, declaring its named parts alternately in two packages. */
function declare(shape: Shape, decls: [Record<string, TypeSpec>, Record<string, TypeSpec>]): TypeRef {
  const named = (spec: TypeSpec): TypeRef => {
    const index = Object.keys(decls[0]).length + Object.keys(decls[1]).length;
    decls[index % 2]![`T${index}`] = spec;
    return t.ref(`${index % 2 === 0 ? 'prop.A' : 'prop.B'}.T${index}`);
  };
  const fields = (list: readonly Shape[]) => list.map((f, i) => [FIELD_NAMES[i]!, declare(f, decls)] as const);
  switch (shape.k) {
    case 'int': return t.int(shape.name);
    case 'handle': return t.handle();
    case 'bytes': return t.bytes(shape.max);
    case 'string': return t.str(shape.max);
    case 'array': return t.arr(declare(shape.el, decls), shape.n);
    case 'sequence': return t.seq(declare(shape.el, decls), shape.n);
    case 'struct': return named({ struct: fields(shape.fields) });
    case 'union': return named({ union: fields(shape.fields) });
    case 'typedef': return named({ typedef: declare(shape.target, decls) });
  }
}

const utf8 = new TextEncoder();

/** Longest prefix of `s` (by code point) whose UTF-8 encoding fits in `max` bytes. */
function fitUtf8(s: string, max: number): string {
  let out = '';
  for (const ch of s) {
    if (utf8.encode(out + ch).length > max) break;
    out += ch;
  }
  return out;
}

function intRange(bytes: number, signed: boolean): [bigint, bigint] {
  const bits = BigInt(bytes * 8);
  return signed ? [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n] : [0n, 2n ** bits - 1n];
}

/** Values of a type in the generated code's mapping (docs/wire-format.md), extremes favoured. */
function valueArb(type: TypeRef, types: TypeTable): fc.Arbitrary<unknown> {
  const u = unalias(type, types);
  switch (u.kind) {
    case 'int': {
      const [min, max] = intRange(u.bytes, u.signed);
      const big = fc.oneof(fc.constantFrom(min, max, 0n, -1n < min ? 0n : -1n), fc.bigInt({ min, max }));
      return u.bytes === 8 ? big : big.map(Number);
    }
    case 'handle':
      return fc.record({ handle: fc.oneof(fc.constantFrom(0, 1, U32), fc.nat()), rights: fc.nat({ max: U32 }) }, { noNullPrototype: true });
    // Bounds are favoured too: a value at its bound is where an off-by-one mutation tells.
    case 'bytes': return fc.oneof(fc.uint8Array({ minLength: u.max, maxLength: u.max }), fc.uint8Array({ maxLength: u.max }));
    case 'string':
      return fc.oneof(
        fc.constant('a'.repeat(u.max)),
        fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '€', '𝄞', '\uFEFF'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: u.max })
          .map((s) => fitUtf8(s.replaceAll('\0', '0'), u.max)),
      );
    case 'array': return fc.array(valueArb(u.element, types), { minLength: u.length, maxLength: u.length });
    case 'sequence':
      return fc.oneof(fc.array(valueArb(u.element, types), { minLength: u.max, maxLength: u.max }), fc.array(valueArb(u.element, types), { maxLength: u.max }));
    case 'ref': {
      const decl = types.get(u.name)!;
      if (decl.kind === 'struct') return record(decl.fields, types);
      if (decl.kind === 'union') return fc.oneof(...decl.fields.map((f) => valueArb(f.type, types).map((value) => ({ tag: f.name, value }))));
      throw new Error('unreachable: typedefs are unaliased');
    }
  }
}

function record(fields: readonly { name: string; type: TypeRef }[], types: TypeTable): fc.Arbitrary<unknown> {
  // Built by hand: fc.record would make `__proto__` the prototype instead of a field.
  return fc.tuple(...fields.map((f) => valueArb(f.type, types))).map((values) => {
    const o: Record<string, unknown> = {};
    fields.forEach((f, i) => Object.defineProperty(o, f.name, { value: values[i], enumerable: true, writable: true, configurable: true }));
    return o;
  });
}

/** A generated decoder's value in the kernel's mapping: null-prototype objects, unions as `{ member: value }`. */
function toKernel(type: TypeRef, types: TypeTable, v: any): unknown {
  const u = unalias(type, types);
  switch (u.kind) {
    case 'int': case 'bytes': case 'string': return v;
    case 'handle': return dict([['handle', v.handle], ['rights', v.rights]]);
    case 'array': case 'sequence': return (v as unknown[]).map((e) => toKernel(u.element, types, e));
    case 'ref': {
      const decl = types.get(u.name)!;
      if (decl.kind === 'struct') return dict(decl.fields.map((f) => [f.name, toKernel(f.type, types, v[f.name])]));
      const member = decl.kind === 'union' ? decl.fields.find((f) => f.name === v.tag)! : undefined;
      return dict([[member!.name, toKernel(member!.type, types, v.value)]]);
    }
  }
}

/** The handles a value holds (in a generated codec's mapping), in encode order: depth-first, in field order. */
function handlesIn(type: TypeRef, types: TypeTable, v: any, out: { handle: number; rights: number }[]): void {
  const u = unalias(type, types);
  switch (u.kind) {
    case 'handle': out.push({ handle: v.handle, rights: v.rights }); return;
    case 'array': case 'sequence': for (const e of v as unknown[]) handlesIn(u.element, types, e, out); return;
    case 'ref': {
      const decl = types.get(u.name)!;
      if (decl.kind === 'struct') for (const f of decl.fields) handlesIn(f.type, types, v[f.name], out);
      else if (decl.kind === 'union') handlesIn(decl.fields.find((f) => f.name === v.tag)!.type, types, v.value, out);
      return;
    }
    default: return;
  }
}

function paramHandles(layout: MessageLayout, types: TypeTable, v: any): { handle: number; rights: number }[] {
  const out: { handle: number; rights: number }[] = [];
  for (const p of layout.params) handlesIn(p.type, types, v[p.name], out);
  return out;
}

/** The compiled plan of a message of `schema` (one some class serves). */
const plans = new WeakMap<WireMessage, MessagePlan>();
function planFor(schema: WireSchema, message: WireMessage): MessagePlan {
  const known = plans.get(message);
  if (known) return known;
  const c = compileSchema(schema);
  for (const [cls, wc] of schema.classes.entries()) {
    for (const ep of wc.endpoints) {
      for (const [mid, wm] of schema.interfaces[ep.iface]!.methods.entries()) {
        for (const kind of ['request', 'response', 'error'] as const) plans.set(wm[kind], c.method(cls, ep.riid, mid)![kind]);
      }
    }
  }
  const plan = plans.get(message);
  assert.ok(plan, 'the message is served by some class');
  return plan;
}

function dict(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of entries) o[k] = v;
  return o;
}

// ---- the differential check ----------------------------------------------------------------

/** What a CodecError code looks like in the validator's reasons. */
const REASONS: Record<string, RegExp> = {
  Truncated: /: payload of \d+ bytes is shorter than the \d+-byte fixed part$/,
  Oversized: /: payload of \d+ bytes exceeds the \d+-byte maximum$/,
  OutOfBounds: /: (arena descriptor at offset \d+ points past the arena \(offset \d+ \+ size \d+ > \d+\)|arena block at offset \d+ starts before the end of the block before it \(\d+\): blocks must follow one another in encode order, without overlapping)$/,
  BoundExceeded: /: (\d+ bytes exceed bytes<\d+>|string of -?\d+ bytes exceeds string<\d+>|\d+ elements exceed sequence<\d+>|elements of zero size add up to \d+, more than the 16777216 a payload may hold)$/,
  BadValue: /: string (has no NUL terminator( \(size 0\))?|contains a NUL byte)$/,
  InvalidUtf8: /: invalid UTF-8$/,
  BadTag: /: union tag \d+ out of range \(\d+ members\)$/,
  BadPadding: /: non-zero padding byte \d+ after union member \S+$/,
};

interface Subject {
  readonly schema: WireSchema;
  readonly message: WireMessage;
  readonly layout: MessageLayout;
  readonly types: TypeTable;
  readonly decode: (b: Uint8Array) => unknown;
  readonly wire: Wire;
}

/** Rejections both sides word alike (the work limits of docs/wire-format.md): their reasons must be equal. */
const SAME_WORDS = /^(arena block at offset \d+ starts before|elements of zero size add up to) /;

const stats = { agreeAccept: 0, agreeReject: 0, handleOffsets: 0 };

/**
 * The validator (with every handle slot allowed) must accept exactly what the generated decoder
 * accepts, report the same field path and kind of error, and decode to the same value.
 */
function agree(s: Subject, bytes: Uint8Array, label: string): void {
  let gen: unknown;
  let err: InstanceType<Wire['CodecError']> | undefined;
  try {
    gen = s.decode(bytes);
  } catch (e) {
    if (!(e instanceof s.wire.CodecError)) throw e;
    err = e;
  }
  const why = validatePayload(s.schema, s.message, bytes, U32);
  if (err) {
    assert.ok(why !== undefined, `${label}: the generated decoder rejects (${err.message}) but the validator accepts`);
    assert.ok(why.startsWith(`${err.path}: `), `${label}: paths differ: generated ${err.message} / validator ${why}`);
    assert.match(why, REASONS[err.code]!, `${label}: kinds differ: generated ${err.message} / validator ${why}`);
    if (SAME_WORDS.test(err.detail) || SAME_WORDS.test(why.slice(err.path.length + 2))) {
      assert.equal(why, `${err.path}: ${err.detail}`, `${label}: reasons differ`);
    }
    assert.throws(() => planFor(s.schema, s.message).handleOffsets(bytes), /^Error: cannot find the handles of an invalid payload: /, label);
    stats.agreeReject++;
  } else {
    assert.equal(why, undefined, `${label}: the validator rejects (${why}) but the generated decoder accepts`);
    const expected = dict(s.layout.params.map((p) => [p.name, toKernel(p.type, s.types, (gen as any)[p.name])]));
    assert.deepEqual(decodePayload(s.schema, s.message, bytes), expected, `${label}: decoded values differ`);
    checkHandleOffsets(s, bytes, gen, label);
    stats.agreeAccept++;
  }
}

/**
 * handleOffsets on a valid payload names the slot of every handle the generated decoder reads, in
 * encode order: the slots there are the decoded handles (rights 4 bytes on), and renumbering them
 * renumbers the handles the decoder reads, in order.
 */
function checkHandleOffsets(s: Subject, bytes: Uint8Array, decoded: unknown, label: string): void {
  const offsets = planFor(s.schema, s.message).handleOffsets(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const at = offsets.map((o) => ({ handle: dv.getUint32(o, true), rights: dv.getUint32(o + 4, true) }));
  assert.deepEqual(at, paramHandles(s.layout, s.types, decoded), `${label}: handle offsets`);
  if (offsets.length === 0) return;
  const renumbered = bytes.slice();
  const rv = new DataView(renumbered.buffer);
  offsets.forEach((o, i) => rv.setUint32(o, 1000 + i, true));
  const again = paramHandles(s.layout, s.types, s.decode(renumbered));
  assert.deepEqual(again, at.map((h, i) => ({ handle: 1000 + i, rights: h.rights })), `${label}: renumbered handles`);
  stats.handleOffsets += offsets.length;
}

/** Mutations of an encoded payload: bit flips, planted u32s (plausible offsets, sizes and tags), cuts and extensions. */
const mutationArb = fc.oneof(
  fc.record({ op: fc.constant('xor' as const), at: fc.nat(), v: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('u32' as const), at: fc.nat(), v: fc.oneof(fc.nat({ max: 80 }), fc.constantFrom(U32, U32 - 1, 0x80000000)) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat(), v: fc.constant(0) }),
  fc.record({ op: fc.constant('extend' as const), at: fc.nat({ max: 24 }), v: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(bytes: Uint8Array, muts: readonly { op: string; at: number; v: number }[]): Uint8Array {
  let b = bytes.slice();
  for (const m of muts) {
    if (m.op === 'extend') {
      const next = new Uint8Array(b.length + 1 + m.at).fill(m.v);
      next.set(b);
      b = next;
    } else if (b.length === 0) {
      continue;
    } else if (m.op === 'cut') {
      b = b.slice(0, m.at % b.length);
    } else if (m.op === 'xor') {
      b[m.at % b.length] ^= m.v;
    } else {
      const at = m.at % b.length;
      for (let k = 0; k < 4 && at + k < b.length; k++) b[at + k] = (m.v >>> (8 * k)) & 0xff;
    }
  }
  return b;
}

/** Every single-step change at every position: a byte ±1, zeroed or 0xFF; the u32 there ±1. */
function systematic(s: Subject, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    for (const f of [(x: number) => x + 1, (x: number) => x - 1, () => 0, () => 0xff]) {
      const b = bytes.slice();
      b[i] = f(b[i]!);
      if (b[i] !== bytes[i]) agree(s, b, `byte ${i} → ${b[i]}`);
    }
    if (i + 4 > bytes.length) continue;
    const v = new DataView(bytes.buffer, bytes.byteOffset + i, 4).getUint32(0, true);
    for (const next of [v + 1, v - 1]) {
      const b = bytes.slice();
      new DataView(b.buffer, i, 4).setUint32(0, next >>> 0, true);
      agree(s, b, `u32 at ${i} → ${next >>> 0}`);
    }
  }
}

/** Random values through the generated encoder: valid, decoded alike; then mutations, prefixes and garbage agree. */
function exercise(s: Subject, encode: (v: unknown) => Uint8Array, runs: number, thorough: number): void {
  const valueOf = record(s.layout.params, s.types);
  let run = 0;
  fc.assert(
    fc.property(valueOf, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (value, muts) => {
      const bytes = encode(value);
      assert.equal(validatePayload(s.schema, s.message, bytes, U32), undefined, 'an encoded payload validates');
      // The handle slots handleOffsets names are the encoder's, value by value, in encode order.
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const slots = planFor(s.schema, s.message).handleOffsets(bytes).map((o) => ({ handle: dv.getUint32(o, true), rights: dv.getUint32(o + 4, true) }));
      assert.deepEqual(slots, paramHandles(s.layout, s.types, value), 'handle offsets of an encoded payload');
      agree(s, bytes, 'encoded');
      for (let n = 0; n < bytes.length; n++) agree(s, bytes.subarray(0, n), `prefix ${n}`);
      agree(s, mutate(bytes, muts), `mutated ${JSON.stringify(muts)}`);
      if (run++ < thorough) systematic(s, bytes);
    }),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: s.message.fixed, maxLength: s.message.fixed + Math.min(s.message.arenaMax, 48) + 2 }), (garbage) => {
      agree(s, garbage, 'garbage');
    }),
    { numRuns: Math.ceil(runs / 2) },
  );
}

/** The kernel's view of a model: its schema as it travels in the image (JSON). */
function schemaOf(model: SolutionModel, classes: readonly string[]): WireSchema {
  return JSON.parse(JSON.stringify(buildWireSchema(model, classes))) as WireSchema;
}

test('differential: random types, generated codecs vs validator (accept, reject, path, kind, decoded value)', async () => {
  let shapes = 0;
  await fc.assert(
    fc.asyncProperty(shapeArb, async (shape) => {
      shapes++;
      const decls: [Record<string, TypeSpec>, Record<string, TypeSpec>] = [{}, {}];
      const type = declare(shape, decls);
      // Between two other params, so the value is laid out at an odd offset.
      const a: PackageSpec = { types: decls[0], methods: { Echo: { in: [['pre', t.u8], ['v', type], ['post', t.s16]], out: [['v', type]] } } };
      const model = buildModel({ packages: { 'prop.A': a, 'prop.B': { types: decls[1] } }, classes: { 'prop.S': [['ep', 'prop.A']] } });
      const schema = schemaOf(model, ['kl.core.Core', 'prop.S']);
      const method = model.interfaces.get('prop.A')!.methods[0]!;
      const wireMethod = schema.interfaces[schema.classes[1]!.endpoints[0]!.iface]!.methods[0]!;
      assert.equal(compileSchema(schema).method(1, 0, 0)?.request.fixed, method.request.size.fixed);
      const { dir, mod, wire } = await loadGenerated<Gen>(model, 'prop.A.idl.ts');
      try {
        const subject = (kind: 'request' | 'response', decode: Gen[string]): Subject =>
          ({ schema, message: wireMethod[kind], layout: method[kind], types: model.types, decode, wire });
        exercise(subject('request', mod.decode_A_Echo_Request!), mod.encode_A_Echo_Request!, 25, 10);
        exercise(subject('response', mod.decode_A_Echo_Response!), mod.encode_A_Echo_Response!, 8, 2);
      } finally {
        removeDir(dir);
      }
    }),
    { numRuns: 100 },
  );
  assert.ok(shapes >= 100);
  assert.ok(stats.agreeAccept > 1000 && stats.agreeReject > 1000, `both outcomes exercised: ${JSON.stringify(stats)}`);
  assert.ok(stats.handleOffsets > 100, `handle offsets exercised: ${JSON.stringify(stats)}`);
});

/** Runs `exercise` on every message of every interface of `model` (all served by `classes`). */
async function everyMessage(model: SolutionModel, classes: readonly string[]): Promise<void> {
  const accepted = stats.agreeAccept, rejected = stats.agreeReject;
  const schema = schemaOf(model, classes);
  const { dir, wire } = await loadGenerated<Gen>(model, 'index.ts');
  try {
    for (const wi of schema.interfaces) {
      const mod = await importFrom<Gen>(dir, `${wi.name}.idl.ts`);
      const short = wi.name.split('.').pop()!;
      for (const m of model.interfaces.get(wi.name)!.methods) {
        for (const [kind, suffix] of [['request', 'Request'], ['response', 'Response'], ['error', 'ErrorParams']] as const) {
          const name = `${short}_${m.name}_${suffix}`;
          const s: Subject = { schema, message: wi.methods[m.mid]![kind], layout: m[kind], types: model.types, decode: mod[`decode_${name}`]!, wire };
          assert.ok(mod[`encode_${name}`] && mod[`decode_${name}`], name);
          exercise(s, mod[`encode_${name}`]!, 30, 10);
        }
      }
    }
  } finally {
    removeDir(dir);
  }
  assert.ok(stats.agreeAccept - accepted > 200 && stats.agreeReject - rejected > 2000, `both outcomes exercised: ${JSON.stringify(stats)}`);
}

test('differential: every message of the representative model', async () => {
  await everyMessage(representativeModel(), ['app.Server']);
});

test('differential: arrays, sequences and unions of every checked kind, nested', async () => {
  const checked = { str: t.str(2), handle: t.handle(), bytes: t.bytes(2), seq: t.seq(t.u8, 2), union: t.ref('mix.T.U'), inner: t.ref('mix.T.S') };
  const methods: Record<string, { in: readonly (readonly [string, TypeRef])[] }> = {};
  for (const [name, type] of Object.entries(checked)) {
    // Lengths 1 and 2 (a first and a later element), inside a sequence, and as a union member.
    methods[name] = { in: [['a1', t.arr(type, 1)], ['a2', t.arr(type, 2)], ['s', t.seq(t.arr(type, 1), 2)], ['u', t.ref('mix.T.W')]] };
  }
  const model = buildModel({
    packages: {
      'mix.T': {
        types: {
          U: { union: [['n', t.u8], ['s', t.str(1)], ['h', t.handle()]] },
          S: { struct: [['z', t.arr(t.u32, 0)], ['u', t.ref('mix.T.U')], ['b', t.bytes(1)]] },
          W: { union: [['a', t.arr(t.ref('mix.T.U'), 2)], ['q', t.seq(t.ref('mix.T.S'), 1)], ['e', t.ref('mix.T.E')]] },
          E: { struct: [] },
        },
        methods,
      },
    },
    classes: { 'mix.Server': [['t', 'mix.T']] },
  });
  await everyMessage(model, ['mix.Server']);
});

test('UTF-8: the validator agrees with a fatal TextDecoder on random byte strings', () => {
  const message: WireMessage = { params: [{ name: 's', type: { k: 'string', max: 16 } }], fixed: 8, arenaMax: 17, handles: 0 };
  const schema: WireSchema = { version: 1, types: [], interfaces: [], classes: [] };
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const interesting = fc.constantFrom(0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90);
  fc.assert(
    fc.property(fc.array(fc.oneof(interesting, fc.integer({ min: 1, max: 255 })), { maxLength: 16 }), (text) => {
      const payload = new Uint8Array([0, 0, 0, 0, text.length + 1, 0, 0, 0, ...text, 0]);
      let ok = true;
      try {
        decoder.decode(new Uint8Array(text));
      } catch {
        ok = false;
      }
      assert.equal(validatePayload(schema, message, payload, 0), ok ? undefined : 'message.s: invalid UTF-8');
    }),
    { numRuns: 3000 },
  );
});

// ---- boundary cases -----------------------------------------------------------------------------

const edge = buildModel({
  packages: {
    'edge.Box': {
      types: {
        Tri: { union: [['a', t.u8], ['b', t.u32], ['c', t.str(3)]] },
        Item: { struct: [['id', t.u16], ['names', t.seq(t.str(4), 3)]] },
      },
      methods: {
        Str: { in: [['s', t.str(5)]] },
        Seq: { in: [['v', t.seq(t.u16, 3)]] },
        Bytes: { in: [['b', t.bytes(4)]] },
        Tri: { in: [['t', t.ref('edge.Box.Tri')]] },
        Ints: { in: [['u64', t.u64], ['s64', t.s64], ['u32', t.u32], ['s32', t.s32], ['u16', t.u16], ['s16', t.s16], ['u8', t.u8], ['s8', t.s8]] },
        Item: { in: [['item', t.ref('edge.Box.Item')]] },
        Handles: { in: [['h', t.handle()], ['hs', t.seq(t.handle(), 3)]] },
        None: {},
      },
    },
  },
  classes: { 'edge.Server': [['box', 'edge.Box']] },
});
const edgeSchema = schemaOf(edge, ['edge.Server']);
const box = edgeSchema.interfaces[0]!;
const req = (method: string): WireMessage => box.methods.find((m) => m.name === method)!.request;
let g: Gen;
let gDir = '';
let gWire: Wire;
before(async () => {
  ({ dir: gDir, mod: g, wire: gWire } = await loadGenerated<Gen>(edge, 'edge.Box.idl.ts'));
});
after(() => removeDir(gDir));

/** A payload from little-endian u32s and raw byte lists. */
function bytesOf(...parts: readonly (number | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p & 0xff, (p >>> 8) & 0xff, (p >>> 16) & 0xff, (p >>> 24) & 0xff);
    else out.push(...p);
  }
  return new Uint8Array(out);
}

/** Checks the validator's verdict on a payload of method `m`'s request and that the generated decoder agrees. */
function expect(m: string, payload: Uint8Array, reason: string | undefined, handleCount = U32): void {
  assert.equal(validatePayload(edgeSchema, req(m), payload, handleCount), reason);
  const layout = edge.interfaces.get('edge.Box')!.methods.find((x) => x.name === m)!.request;
  if (handleCount === U32) agree({ schema: edgeSchema, message: req(m), layout, types: edge.types, decode: g[`decode_Box_${m}_Request`]!, wire: gWire }, payload, m);
}

test('lengths: checked before anything is read', () => {
  expect('Str', bytesOf([1, 2, 3]), 'request: payload of 3 bytes is shorter than the 8-byte fixed part');
  expect('Str', new Uint8Array(8 + 7), 'request: payload of 15 bytes exceeds the 14-byte maximum');
  expect('None', new Uint8Array(0), undefined);
  expect('None', new Uint8Array(1), 'request: payload of 1 bytes exceeds the 0-byte maximum');
});

test('strings: bounds, terminator, NUL, UTF-8', () => {
  expect('Str', g.encode_Box_Str_Request!({ s: '' }), undefined);
  expect('Str', bytesOf(0, 1, [0]), undefined); // empty string: size 1
  expect('Str', g.encode_Box_Str_Request!({ s: 'abcde' }), undefined); // exactly the bound
  expect('Str', g.encode_Box_Str_Request!({ s: 'é€' }), undefined); // 5 bytes of UTF-8
  expect('Str', bytesOf(0, 7, [97, 98, 99, 100, 101, 0]), 'request.s: string of 6 bytes exceeds string<5>'); // checked before the range
  expect('Str', bytesOf(0, 0, [0]), 'request.s: string has no NUL terminator (size 0)');
  expect('Str', bytesOf(0, 2, [97, 98]), 'request.s: string has no NUL terminator');
  expect('Str', bytesOf(0, 3, [97, 0, 0]), 'request.s: string contains a NUL byte');
  expect('Str', bytesOf(0, 3, [0, 98, 99]), 'request.s: string contains a NUL byte');
  expect('Str', bytesOf(0, 2, [97, 0, 98]), undefined); // the block is in bounds; trailing arena bytes are allowed
  for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80]]) {
    expect('Str', bytesOf(0, bad.length + 1, [...bad, 0]), 'request.s: invalid UTF-8');
  }
  expect('Str', bytesOf(0, 4, [0xef, 0xbb, 0xbf, 0]), undefined); // a BOM is text
  assert.equal((decodePayload(edgeSchema, req('Str'), bytesOf(0, 4, [0xef, 0xbb, 0xbf, 0])) as { s: string }).s, '\uFEFF');
});

test('descriptors: ranges must stay inside the arena', () => {
  expect('Str', bytesOf(1, 2, [97, 0]), 'request.s: arena descriptor at offset 0 points past the arena (offset 1 + size 2 > 2)');
  expect('Str', bytesOf(U32, 1, [0]), `request.s: arena descriptor at offset 0 points past the arena (offset ${U32} + size 1 > 1)`);
  expect('Bytes', bytesOf(U32, 4, [1, 2, 3, 4]), `request.b: arena descriptor at offset 0 points past the arena (offset ${U32} + size 4 > 4)`);
  expect('Bytes', bytesOf(4, 0, [1, 2, 3, 4]), undefined); // empty, at the very end: in bounds
  expect('Bytes', bytesOf(5, 0, [1, 2, 3, 4]), 'request.b: arena descriptor at offset 0 points past the arena (offset 5 + size 0 > 4)');
  expect('Bytes', bytesOf(0, 5, [1, 2, 3, 4]), 'request.b: 5 bytes exceed bytes<4>');
  expect('Bytes', bytesOf(0, U32, [1]), `request.b: ${U32} bytes exceed bytes<4>`);
  const ok = bytesOf(1, 2, [9, 7, 8, 9]);
  expect('Bytes', ok, undefined);
  assert.deepEqual((decodePayload(edgeSchema, req('Bytes'), ok) as { b: Uint8Array }).b, new Uint8Array([7, 8]));
});

test('sequences: count over the bound, elements past the arena, element paths', () => {
  expect('Seq', bytesOf(0, 4, [1, 0, 2, 0, 3, 0, 4, 0]).subarray(0, 8 + 6), 'request.v: 4 elements exceed sequence<3>');
  expect('Seq', bytesOf(0, 3, [1, 0, 2, 0, 3]), 'request.v: arena descriptor at offset 0 points past the arena (offset 0 + size 6 > 5)');
  expect('Seq', bytesOf(0x80000000, 3, [1, 0, 2, 0, 3, 0]), 'request.v: arena descriptor at offset 0 points past the arena (offset 2147483648 + size 6 > 6)');
  const item = g.encode_Box_Item_Request!({ item: { id: 7, names: ['ab', 'cd'] } });
  expect('Item', item, undefined);
  const broken = item.slice();
  broken[broken.length - 1] = 0x41; // the last string loses its terminator
  expect('Item', broken, 'request.item.names[1]: string has no NUL terminator');
});

test('arena blocks: in encode order, gaps allowed, never overlapping', () => {
  const overlap = (off: number, end: number) => `arena block at offset ${off} starts before the end of the block before it (${end}): blocks must follow one another in encode order, without overlapping`;
  // As the encoder lays them out: the element block, then each name.
  expect('Item', bytesOf([7, 0], 0, 2, 16, 3, 19, 3, [97, 98, 0, 99, 100, 0]), undefined);
  // Gaps before, between and after blocks reference nothing, and are allowed.
  const gaps = bytesOf([7, 0], 1, 2, [0], 18, 3, 22, 3, [0], [97, 98, 0], [0], [99, 100, 0], [0]);
  expect('Item', gaps, undefined);
  assert.deepEqual((decodePayload(edgeSchema, req('Item'), gaps) as any).item.names, ['ab', 'cd']);
  // Two names sharing one block (with room to spare in the arena, too).
  expect('Item', bytesOf([7, 0], 0, 2, 16, 3, 16, 3, [97, 98, 0]), `request.item.names[1]: ${overlap(16, 19)}`);
  expect('Item', bytesOf([7, 0], 0, 2, 16, 3, 16, 3, [97, 98, 0], [0, 0, 0]), `request.item.names[1]: ${overlap(16, 19)}`);
  // In the wrong order, though not overlapping: the strings before the element block.
  expect('Item', bytesOf([7, 0], 6, 2, [97, 98, 0, 99, 100, 0], 0, 3, 3, 3), `request.item.names[0]: ${overlap(0, 22)}`);
  // Names in swapped places.
  expect('Item', bytesOf([7, 0], 0, 2, 19, 3, 16, 3, [99, 100, 0, 97, 98, 0]), `request.item.names[1]: ${overlap(16, 22)}`);
  // The element block overlapping its own strings.
  expect('Item', bytesOf([7, 0], 0, 2, 0, 3, 8, 3), `request.item.names[0]: ${overlap(0, 16)}`);
  // Empty blocks constrain nothing, wherever in the arena they point.
  expect('Item', bytesOf([7, 0], 16, 0, new Array(16).fill(0)), undefined);
  expect('Item', bytesOf([7, 0], 0, 2, 16, 3, 0, 1, [97, 98, 0]), `request.item.names[1]: ${overlap(0, 19)}`); // size 1 is not empty
});

test('amplification: 6 KB of descriptors all naming the same blocks is rejected at once, by both sides', async () => {
  // 255 × 255 × 255 strings through three 2040-byte descriptor blocks: 16.5 million string reads
  // if blocks could be shared; as it is, the second string starts inside the first.
  const model = buildModel({
    packages: { 'amp.A': { methods: { Deep: { in: [['v', t.seq(t.seq(t.seq(t.str(1), 255), 255), 255)]] } } } },
    classes: { 'amp.S': [['a', 'amp.A']] },
  });
  const schema = schemaOf(model, ['amp.S']);
  const message = schema.interfaces[0]!.methods[0]!.request;
  const N = 255, D = N * 8;
  const payload = new Uint8Array(8 + 3 * D + 2);
  const dv = new DataView(payload.buffer);
  dv.setUint32(4, N, true); // v: offset 0, 255 elements
  for (let i = 0; i < N; i++) {
    for (const [level, next, count] of [[0, D, N], [1, 2 * D, N], [2, 3 * D, 2]] as const) {
      dv.setUint32(8 + level * D + i * 8, next, true);
      dv.setUint32(12 + level * D + i * 8, count, true);
    }
  }
  payload.set([97, 0], 8 + 3 * D);
  assert.equal(payload.length, 6130);
  const why = 'request.v[0][0][1]: arena block at offset 6120 starts before the end of the block before it (6122): blocks must follow one another in encode order, without overlapping';
  const { dir, mod, wire } = await loadGenerated<Gen>(model, 'amp.A.idl.ts');
  try {
    let t0 = performance.now();
    assert.equal(validatePayload(schema, message, payload, U32), why);
    const validator = performance.now() - t0;
    t0 = performance.now();
    assert.throws(() => mod.decode_A_Deep_Request!(payload), (e: unknown) => e instanceof wire.CodecError && e.code === 'OutOfBounds' && `${e.path}: ${e.detail}` === why);
    const decoder = performance.now() - t0;
    assert.ok(validator < 50 && decoder < 50, `validator ${validator.toFixed(1)} ms, generated decoder ${decoder.toFixed(1)} ms`);
    const layout = model.interfaces.get('amp.A')!.methods[0]!.request;
    agree({ schema, message, layout, types: model.types, decode: mod.decode_A_Deep_Request!, wire }, payload, 'amplification');
    // The same shape, encoded, is fine: 255 strings in one inner sequence.
    const ok = mod.encode_A_Deep_Request!({ v: [[new Array<string>(N).fill('a')]] });
    agree({ schema, message, layout, types: model.types, decode: mod.decode_A_Deep_Request!, wire }, ok, 'encoded');
  } finally {
    removeDir(dir);
  }
});

test('elements of zero size: counted where reached, at most 16 Mi per payload, on both sides', async () => {
  const M = 16 * 1024 * 1024;
  const model = buildModel({
    packages: {
      'zero.Z': {
        types: {
          E: { struct: [] },
          Z: { struct: [['a', t.arr(t.ref('zero.Z.E'), 3)], ['e', t.ref('zero.Z.E')]] }, // 3 elements of zero size
          U: { union: [['n', t.u8], ['z', t.ref('zero.Z.Z')]] },
        },
        methods: {
          Two: { in: [['b', t.seq(t.arr(t.ref('zero.Z.E'), 7), 1000)], ['a', t.seq(t.ref('zero.Z.E'), M)]] },
          Nest: { in: [['v', t.seq(t.seq(t.ref('zero.Z.E'), M), 255)]] },
          Mixed: { in: [['s', t.seq(t.ref('zero.Z.Z'), 10)], ['u', t.seq(t.ref('zero.Z.U'), 4)], ['z', t.ref('zero.Z.Z')]] },
          Root: { in: [['a', t.arr(t.ref('zero.Z.E'), 2)], ['z', t.ref('zero.Z.Z')]] },
        },
      },
    },
    classes: { 'zero.S': [['z', 'zero.Z']] },
  });
  const schema = schemaOf(model, ['zero.S']);
  const { dir, mod, wire } = await loadGenerated<Gen>(model, 'zero.Z.idl.ts');
  try {
    const subject = (name: string): Subject => {
      const method = model.interfaces.get('zero.Z')!.methods.find((m) => m.name === name)!;
      return { schema, message: schema.interfaces[0]!.methods[method.mid]!.request, layout: method.request, types: model.types, decode: mod[`decode_Z_${name}_Request`]!, wire };
    };
    const check = (name: string, payload: Uint8Array, reason: string | undefined) => {
      const s = subject(name);
      const t0 = performance.now();
      assert.equal(validatePayload(schema, s.message, payload, U32), reason);
      agree(s, payload, name);
      // A rejection comes before the elements are decoded: no time for 16 Mi of them.
      if (reason !== undefined) assert.ok(performance.now() - t0 < 50, `${name} took ${performance.now() - t0} ms`);
    };
    // `b` counts 8 per element (itself and its 7), then `a` one each: 8 + (M - 7) is one too many.
    check('Two', bytesOf(0, 1, 0, M - 7), `request.a: elements of zero size add up to ${M + 1}, more than the ${M} a payload may hold`);
    check('Two', bytesOf(0, 1000, 0, 5), undefined);
    check('Two', bytesOf(0, 1001, 0, 0), 'request.b: 1001 elements exceed sequence<1000>');
    // Nested sequences of zero-size elements: each inner count is counted as it is reached.
    const nest = (...counts: number[]) => bytesOf(0, counts.length, ...counts.flatMap((c) => [0, c]));
    check('Nest', nest(1, M), `request.v[1]: elements of zero size add up to ${M + 1}, more than the ${M} a payload may hold`);
    check('Nest', nest(...new Array<number>(255).fill(100)), undefined);
    // Zero-size values inside values that are not: a sequence of Z counts 4 each, a union member
    // Z 3, a field Z 3; all accepted here, and what the encoder wrote validates.
    const mixed = mod.encode_Z_Mixed_Request!({ s: [{ a: [{}, {}, {}], e: {} }], u: [{ tag: 'z', value: { a: [{}, {}, {}], e: {} } }, { tag: 'n', value: 1 }], z: { a: [{}, {}, {}], e: {} } });
    check('Mixed', mixed, undefined);
    check('Root', mod.encode_Z_Root_Request!({ a: [{}, {}], z: { a: [{}, {}, {}], e: {} } }), undefined);
    // The encoder refuses what the decoders would: one element past the cap, found before encoding any.
    const e = {};
    assert.throws(() => mod.encode_Z_Two_Request!({ b: [new Array(7).fill(e)], a: new Array(M - 7).fill(e) }), (x: unknown) =>
      x instanceof wire.CodecError && x.code === 'BoundExceeded' && x.path === 'request.a' && x.detail === `elements of zero size add up to ${M + 1}, more than the ${M} a payload may hold`);
  } finally {
    removeDir(dir);
  }
});

test('unions: tags and padding', () => {
  expect('Tri', g.encode_Box_Tri_Request!({ t: { tag: 'a', value: 255 } }), undefined);
  expect('Tri', bytesOf(3, 0, 0), 'request.t: union tag 3 out of range (3 members)');
  expect('Tri', bytesOf(U32, 0, 0), `request.t: union tag ${U32} out of range (3 members)`);
  expect('Tri', bytesOf(0, [1, 0, 0, 0, 0, 0, 0, 1]), 'request.t: non-zero padding byte 6 after union member a');
  expect('Tri', bytesOf(1, 5, [1, 0, 0, 0]), 'request.t: non-zero padding byte 0 after union member b');
  expect('Tri', bytesOf(2, 0, 2, [97, 0]), undefined);
  expect('Tri', bytesOf(2, 0, 5, [97, 98, 99, 0]), 'request.t.c: string of 4 bytes exceeds string<3>');
  assert.deepEqual(decodePayload(edgeSchema, req('Tri'), bytesOf(2, 0, 2, [97, 0])), dict([['t', dict([['c', 'a']])]]));
});

test('integers: every width at its extremes decodes as the generated decoder does', () => {
  for (const sign of [0, 1]) {
    const v = sign === 0
      ? { u64: 2n ** 64n - 1n, s64: 2n ** 63n - 1n, u32: U32, s32: 2 ** 31 - 1, u16: 65535, s16: 32767, u8: 255, s8: 127 }
      : { u64: 0n, s64: -(2n ** 63n), u32: 0, s32: -(2 ** 31), u16: 0, s16: -32768, u8: 0, s8: -128 };
    const payload = g.encode_Box_Ints_Request!(v);
    expect('Ints', payload, undefined);
    assert.deepEqual(decodePayload(edgeSchema, req('Ints'), payload), dict(Object.entries(v)));
  }
});

test('handles: slots below the frame\'s handle count, or 0xFFFFFFFF for none', () => {
  const p = (h: number, hs: readonly number[]) => g.encode_Box_Handles_Request!({ h: { handle: h, rights: 3 }, hs: hs.map((x) => ({ handle: x, rights: 1 })) });
  assert.equal(validatePayload(edgeSchema, req('Handles'), p(0, [1, U32]), 2), undefined);
  assert.equal(validatePayload(edgeSchema, req('Handles'), p(U32, []), 0), undefined);
  assert.equal(validatePayload(edgeSchema, req('Handles'), p(2, []), 2), 'request.h: handle slot 2 out of range (2 handles in the frame)');
  assert.equal(validatePayload(edgeSchema, req('Handles'), p(0, [0, U32 - 1]), 2), `request.hs[1]: handle slot ${U32 - 1} out of range (2 handles in the frame)`);
  assert.equal(validatePayload(edgeSchema, req('Handles'), p(0, []), 0), 'request.h: handle slot 0 out of range (0 handles in the frame)');
  const decoded = decodePayload(edgeSchema, req('Handles'), p(1, [U32])) as any;
  assert.deepEqual(decoded, dict([['h', dict([['handle', 1], ['rights', 3]])], ['hs', [dict([['handle', U32], ['rights', 1]])]]]));
});

test('handleOffsets: the slot of every handle, in encode order, wherever its block is', () => {
  const plan = compileSchema(edgeSchema).method(0, 0, box.methods.findIndex((m) => m.name === 'Handles'))!.request;
  // h at 0; hs's descriptor at 8, its elements in the arena from 16, 8 bytes each (slot, rights).
  const encoded = g.encode_Box_Handles_Request!({ h: { handle: 5, rights: 3 }, hs: [{ handle: 0, rights: 1 }, { handle: U32, rights: 1 }, { handle: 2, rights: 1 }] });
  assert.deepEqual(plan.handleOffsets(encoded), [0, 16, 24, 32]);
  assert.deepEqual(plan.handleOffsets(g.encode_Box_Handles_Request!({ h: { handle: U32, rights: 0 }, hs: [] })), [0]);
  // The element block placed after 8 unreferenced arena bytes.
  const moved = bytesOf(7, 0, 8, 2, 0, 0, 1, 9, 2, 9);
  assert.equal(validatePayload(edgeSchema, req('Handles'), moved, 8), undefined);
  assert.deepEqual(plan.handleOffsets(moved), [0, 24, 32]);
  assert.deepEqual(g.decode_Box_Handles_Request!(moved), { h: { handle: 7, rights: 0 }, hs: [{ handle: 1, rights: 9 }, { handle: 2, rights: 9 }] });
  // A message without handles has none (unions, structs and sequences of them: the differential tests).
  const ints = compileSchema(edgeSchema).method(0, 0, box.methods.findIndex((m) => m.name === 'Ints'))!.request;
  assert.deepEqual(ints.handleOffsets(g.encode_Box_Ints_Request!({ u64: 0n, s64: 0n, u32: 0, s32: 0, u16: 0, s16: 0, u8: 0, s8: 0 })), []);
  // Slots are not checked against a frame here (validate does that), but the payload must be valid.
  assert.deepEqual(plan.handleOffsets(bytesOf(U32 - 1, 0, 0, 0)), [0]);
  assert.throws(() => plan.handleOffsets(bytesOf(0, 0, 0, 4)), /^Error: cannot find the handles of an invalid payload: request.hs: 4 elements exceed sequence<3>$/);
  assert.throws(() => plan.handleOffsets(bytesOf(0, 0)), /cannot find the handles of an invalid payload: request: payload of 8 bytes is shorter than the 16-byte fixed part/);
  // Other validations are unaffected by a failed one.
  assert.equal(plan.validate(encoded, 3), `request.h: handle slot 5 out of range (3 handles in the frame)`);
  assert.deepEqual(plan.handleOffsets(encoded), [0, 16, 24, 32]);
});

test('decodePayload: plain null-prototype data, copies of bytes, and never an invalid payload', () => {
  const backing = new Uint8Array(64).fill(0xee);
  backing.set(bytesOf(0, 2, [5, 6]), 10);
  const view = Buffer.from(backing.buffer, 10, 10); // a Buffer at a non-zero offset
  const out = decodePayload(edgeSchema, req('Bytes'), view) as { b: Uint8Array };
  assert.equal(Object.getPrototypeOf(out), null);
  assert.deepEqual(out.b, new Uint8Array([5, 6]));
  backing[18] = 0;
  assert.deepEqual(out.b, new Uint8Array([5, 6]), 'bytes are copied out of the payload');
  assert.throws(() => decodePayload(edgeSchema, req('Bytes'), bytesOf(9, 9)), /cannot decode an invalid payload: request.b: 9 bytes exceed bytes<4>/);
  const proto: WireMessage = { params: [{ name: '__proto__', type: { k: 'int', bytes: 1, signed: false } }], fixed: 1, arenaMax: 0, handles: 0 };
  const d = decodePayload(edgeSchema, proto, new Uint8Array([9]));
  assert.deepEqual(Object.keys(d), ['__proto__']);
  assert.equal(Object.getPrototypeOf(d), null);
  assert.equal(validatePayload(edgeSchema, proto, new Uint8Array(0), 0), 'message: payload of 0 bytes is shorter than the 1-byte fixed part');
});

test('compiled schema: lookups by class, RIID and MID', () => {
  const c = compileSchema(edgeSchema);
  assert.equal(c, compileSchema(edgeSchema), 'compiled once per schema');
  assert.equal(c.method(0, 0, 0)?.name, 'Str');
  assert.equal(c.method(0, 0, 7)?.name, 'None');
  for (const [cls, riid, mid] of [[1, 0, 0], [0, 1, 0], [0, 0, 8], [-1, 0, 0], [0, 0, 0.5], [0, -0.5, 0]] as const) assert.equal(c.method(cls, riid, mid), undefined);
  assert.equal(c.securityMethod(0, 0), undefined);
  assert.equal(c.method(0, 0, 0)!.request.validate(bytesOf(0, 1, [0]), 0), undefined);
  assert.equal(c.method(0, 0, 0)!.response.validate(new Uint8Array(1), 0), 'response: payload of 1 bytes exceeds the 0-byte maximum');
});

test('a real solution: examples/ping through the policy IR\'s classes', async () => {
  const { model, policy } = checkAll(new URL('../../examples/ping', import.meta.url).pathname);
  assert.ok(model && policy);
  const classes = policy.ir.classes.map((c) => c.name);
  const schema = schemaOf(model, classes);
  const server = classes.indexOf('echo.Server');
  const c = compileSchema(schema);
  const describe = c.method(server, 0, 2)!;
  assert.equal(describe.name, 'Describe');
  const { dir, mod } = await loadGenerated<Gen>(model, 'echo.Ping.idl.ts');
  try {
    const ok = mod.encode_Ping_Describe_Request!({ peer: { name: 'drone', id: 1, tags: ['a', 'b'] } });
    assert.equal(describe.request.validate(ok, 0), undefined);
    assert.deepEqual(describe.request.decode(ok), dict([['peer', dict([['name', 'drone'], ['id', 1], ['tags', ['a', 'b']]])]]));
    const long = bytesOf(0, 71, [1], 0, 0, [...new Uint8Array(70).fill(97), 0]);
    assert.equal(describe.request.validate(long, 0), 'request.peer.name: string of 70 bytes exceeds string<64>');
    const reply = mod.encode_Ping_Describe_Response!({ reply: { tag: 'text', value: 'hi' }, known: 1 });
    assert.deepEqual(describe.response.decode(reply), dict([['reply', dict([['text', 'hi']])], ['known', 1]]));
  } finally {
    removeDir(dir);
  }
});

// ---- schema checks -------------------------------------------------------------------------

const u8: WireType = { k: 'int', bytes: 1, signed: false };
const msg = (params: WireMessage['params'], fixed: number, arenaMax = 0, handles = 0): WireMessage => ({ params, fixed, arenaMax, handles });
const method = (request: WireMessage) => ({ name: 'M', request, response: msg([], 0), error: msg([], 0) });

/** A small valid schema with one type, interface and class, to break one part at a time. */
function base(): any {
  return {
    version: 1,
    types: [{ name: 'p.T', type: { k: 'struct', fields: [{ name: 'a', type: u8 }, { name: 's', type: { k: 'string', max: 4 } }] } }],
    interfaces: [{ name: 'p', methods: [method(msg([{ name: 't', type: { k: 'ref', id: 0 } }], 9, 5))] }],
    classes: [{ name: 'C', endpoints: [{ name: 'e', riid: 0, iface: 0 }], security: 0 }, { name: 'kl.core.Core', endpoints: [] }],
  };
}

function nest(depth: number): WireType {
  let ty: WireType = u8;
  for (let i = 1; i < depth; i++) ty = { k: 'array', of: ty, n: 1 };
  return ty;
}

test('schema checks: a malformed schema fails the load with an error naming the bad part', () => {
  assert.doesNotThrow(() => compileSchema(base()));
  const cases: [string, (s: any) => unknown, RegExp][] = [
    ['not an object', () => null, /at schema: expected an object/],
    ['version', (s) => (s.version = 2), /schema.version: unsupported version 2/],
    ['types not a list', (s) => (s.types = {}), /at types: expected an array/],
    ['type name', (s) => (s.types[0].name = ''), /types\[0\].name: expected a non-empty string/],
    ['unknown kind', (s) => (s.types[0].type.k = 'float'), /types\[0\].type.k: unknown type kind "float"/],
    ['int width', (s) => (s.types[0].type.fields[0].type = { k: 'int', bytes: 3, signed: false }), /fields\[0\].type.bytes: expected 1, 2, 4 or 8/],
    ['int sign', (s) => (s.types[0].type.fields[0].type = { k: 'int', bytes: 1 }), /fields\[0\].type.signed: expected a boolean/],
    ['string bound', (s) => (s.types[0].type.fields[1].type.max = U32), /fields\[1\].type.max: expected an integer from 0 to 4294967294/],
    ['negative bound', (s) => (s.types[0].type.fields[1].type = { k: 'bytes', max: -1 }), /expected an integer from 0 to 4294967295, got -1/],
    ['fractional length', (s) => (s.types[0].type.fields[0].type = { k: 'array', of: u8, n: 1.5 }), /type.n: expected an integer/],
    ['duplicate field', (s) => (s.types[0].type.fields[1].name = 'a'), /fields\[1\].name: duplicate name "a"/],
    ['self reference', (s) => (s.types[0].type.fields[0].type = { k: 'ref', id: 0 }), /fields\[0\].type.id: 0 is not one of the 0 types before it/],
    ['forward reference', (s) => s.types.unshift({ name: 'p.U', type: { k: 'ref', id: 1 } }), /types\[0\].type.id: 1 is not one of the 0 types before it/],
    ['ref out of range', (s) => (s.interfaces[0].methods[0].request.params[0].type.id = 1), /params\[0\].type.id: 1 is not one of the 1 types before it/],
    ['nested too deep', (s) => (s.types[0].type.fields[0].type = nest(70)), /nest more than 64 levels deep/],
    ['deep through refs', (s) => {
      let deep: WireType = { k: 'ref', id: 0 };
      for (let i = 0; i < 30; i++) deep = { k: 'array', of: deep, n: 1 };
      s.types = [{ name: 'p.D0', type: nest(40) }, { name: 'p.D1', type: deep }];
    }, /types\[1\].type(\.of){30}: types nest more than 64 levels deep/],
    ['zero-size elements', (s) => (s.types[0].type.fields[0].type = { k: 'sequence', of: { k: 'struct', fields: [] }, max: 2 ** 25 }), /more than 16777216 elements of zero size/],
    // Nested ones count too: 4096 arrays of 4096, plus the 4096 arrays themselves.
    ['nested zero-size elements', (s) => (s.types[0].type.fields[0].type = { k: 'sequence', of: { k: 'array', of: { k: 'struct', fields: [] }, n: 4096 }, max: 4096 }), /fields\[0\].type: more than 16777216 elements of zero size/],
    ['zero-size struct', (s) => (s.types[0].type = { k: 'struct', fields: ['a', 'b'].map((name) => ({ name, type: { k: 'array', of: { k: 'struct', fields: [] }, n: 2 ** 23 + 1 } })) }), /types\[0\].type.fields: more than 16777216 elements of zero size/],
    ['huge fixed part', (s) => (s.types[0].type.fields[0].type = { k: 'array', of: { k: 'int', bytes: 8, signed: false }, n: 2 ** 30 }), /fixed part of 8589934592 bytes is too large/],
    ['fixed size', (s) => (s.interfaces[0].methods[0].request.fixed = 8), /request.fixed: is 8, but the params add up to 9/],
    ['arena size', (s) => (s.interfaces[0].methods[0].request.arenaMax = 4), /request.arenaMax: is 4, but the params add up to 5/],
    ['handle count', (s) => (s.interfaces[0].methods[0].request.handles = 1), /request.handles: is 1, but the params add up to 0/],
    ['missing message', (s) => delete s.interfaces[0].methods[0].error, /methods\[0\].error: expected an object/],
    ['params not a list', (s) => (s.interfaces[0].methods[0].response.params = 'x'), /response.params: expected an array/],
    ['riid', (s) => (s.classes[0].endpoints[0].riid = 1), /endpoints\[0\].riid: must equal its index 0/],
    ['interface index', (s) => (s.classes[0].endpoints[0].iface = 1), /endpoints\[0\].iface: expected an integer from 0 to 0, got 1/],
    ['security index', (s) => (s.classes[0].security = null), /classes\[0\].security: expected an integer/],
    ['class name', (s) => (s.classes[1].name = 7), /classes\[1\].name: expected a non-empty string/],
  ];
  for (const [label, breakIt, error] of cases) {
    const s = base();
    const replaced = breakIt(s);
    const schema = label === 'not an object' ? replaced : s;
    assert.throws(() => compileSchema(schema as WireSchema), (e: Error) => {
      assert.match(e.message, /^invalid wire schema at /, label);
      assert.match(e.message, error, label);
      return true;
    }, label);
  }
});

test('the validator is trusted code: no dynamic code, only type imports', () => {
  const src = readFileSync(new URL('../../src/kernel/validate.ts', import.meta.url), 'utf8');
  for (const banned of [/\beval\s*\(/, /new\s+Function\b/, /\bFunction\s*\(/, /node:vm/, /\bimport\s*\(/, /\brequire\s*\(/]) assert.doesNotMatch(src, banned);
  for (const [line] of src.matchAll(/^import .*$/gm)) assert.match(line, /^import type .* from '\.\/schema\.ts';$/);
});
