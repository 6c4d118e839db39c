// Property tests: random IDL types → generated codecs round-trip, and reject malformed payloads with CodecError only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { IntName, TypeRef } from '../../src/model/model.ts';
import { buildModel, INT_NAMES, loadGenerated, removeDir, t, type PackageSpec, type TypeSpec } from './helpers.ts';

/** A random type as a tree; struct, union and typedef nodes become named declarations. */
type Shape =
  | { readonly k: 'int'; readonly name: IntName }
  | { readonly k: 'handle' }
  | { readonly k: 'bytes'; readonly max: number }
  | { readonly k: 'string'; readonly max: number }
  | { readonly k: 'array'; readonly el: Shape; readonly len: number }
  | { readonly k: 'sequence'; readonly el: Shape; readonly max: number }
  | { readonly k: 'struct'; readonly fields: readonly Shape[] }
  | { readonly k: 'union'; readonly members: readonly Shape[] }
  | { readonly k: 'typedef'; readonly target: Shape };

// Field/member names include words that are reserved in TS, and the union wrapper's own keys.
const FIELD_NAMES = ['x', 'class', 'tag', 'value', 'delete', 'y_1'];

const shapeArb: fc.Arbitrary<Shape> = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'shape' },
    fc.constantFrom(...INT_NAMES).map((name): Shape => ({ k: 'int', name })),
    fc.constant<Shape>({ k: 'handle' }),
    fc.integer({ min: 0, max: 6 }).map((max): Shape => ({ k: 'bytes', max })),
    fc.integer({ min: 0, max: 8 }).map((max): Shape => ({ k: 'string', max })),
    fc.record({ el: tie('shape'), len: fc.integer({ min: 0, max: 3 }) }).map(({ el, len }): Shape => ({ k: 'array', el, len })),
    fc.record({ el: tie('shape'), max: fc.integer({ min: 0, max: 3 }) }).map(({ el, max }): Shape => ({ k: 'sequence', el, max })),
    fc.array(tie('shape'), { maxLength: FIELD_NAMES.length }).map((fields): Shape => ({ k: 'struct', fields })),
    fc.array(tie('shape'), { minLength: 1, maxLength: 4 }).map((members): Shape => ({ k: 'union', members })),
    tie('shape').map((target): Shape => ({ k: 'typedef', target })),
  ),
})).shape;

/** Turns a shape into a TypeRef, declaring its named parts alternately in two packages (cross-package refs). */
function declare(shape: Shape, decls: [Record<string, TypeSpec>, Record<string, TypeSpec>]): TypeRef {
  const named = (spec: TypeSpec): TypeRef => {
    const index = Object.keys(decls[0]).length + Object.keys(decls[1]).length;
    const pkg = index % 2 === 0 ? 'prop.A' : 'prop.B';
    decls[index % 2]![`T${index}`] = spec;
    return t.ref(`${pkg}.T${index}`);
  };
  switch (shape.k) {
    case 'int': return t.int(shape.name);
    case 'handle': return t.handle();
    case 'bytes': return t.bytes(shape.max);
    case 'string': return t.str(shape.max);
    case 'array': return t.arr(declare(shape.el, decls), shape.len);
    case 'sequence': return t.seq(declare(shape.el, decls), shape.max);
    // Children are declared first, as an IDL file would have to.
    case 'struct': {
      const fields = shape.fields.map((f, i) => [FIELD_NAMES[i]!, declare(f, decls)] as const);
      return named({ struct: fields });
    }
    case 'union': {
      const members = shape.members.map((m, i) => [FIELD_NAMES[i]!, declare(m, decls)] as const);
      return named({ union: members });
    }
    case 'typedef': return named({ typedef: declare(shape.target, decls) });
  }
}

const INT_RANGE: Record<IntName, readonly [bigint, bigint]> = {
  UInt8: [0n, 255n], SInt8: [-128n, 127n], UInt16: [0n, 65535n], SInt16: [-32768n, 32767n],
  UInt32: [0n, 0xffffffffn], SInt32: [-(2n ** 31n), 2n ** 31n - 1n],
  UInt64: [0n, 2n ** 64n - 1n], SInt64: [-(2n ** 63n), 2n ** 63n - 1n],
  UIntSize: [0n, 2n ** 64n - 1n], UIntPtr: [0n, 2n ** 64n - 1n],
};

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

/** Values of a shape, in the TS mapping of docs/wire-format.md; extremes of each int type are favoured. */
function valueArb(shape: Shape): fc.Arbitrary<unknown> {
  switch (shape.k) {
    case 'int': {
      const [min, max] = INT_RANGE[shape.name];
      const big = fc.oneof(fc.constantFrom(min, max, 0n), fc.bigInt({ min, max }));
      // 8-byte integers are bigints, smaller ones numbers.
      return INT_RANGE[shape.name][1] > 0xffffffffn ? big : big.map(Number);
    }
    case 'handle':
      return fc.record({ handle: fc.integer({ min: 0, max: 0xffffffff }), rights: fc.integer({ min: 0, max: 0xffffffff }) }, { noNullPrototype: true });
    case 'bytes': return fc.uint8Array({ maxLength: shape.max });
    case 'string':
      return fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '€', '𝄞', '\uFEFF'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: shape.max })
        .map((s) => fitUtf8(s.replaceAll('\0', '0'), shape.max));
    case 'array': return fc.array(valueArb(shape.el), { minLength: shape.len, maxLength: shape.len });
    case 'sequence': return fc.array(valueArb(shape.el), { maxLength: shape.max });
    // Decoders build plain objects, so generated records must have Object.prototype too.
    case 'struct': {
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      shape.fields.forEach((f, i) => (rec[FIELD_NAMES[i]!] = valueArb(f)));
      return fc.record(rec, { noNullPrototype: true });
    }
    case 'union':
      return fc.oneof(...shape.members.map((m, i) => valueArb(m).map((value) => ({ tag: FIELD_NAMES[i]!, value }))));
    case 'typedef': return valueArb(shape.target);
  }
}

type Codec = { encode(v: unknown): Uint8Array; decode(b: Uint8Array): unknown; fixed: number; arenaMax: number };

test('generated codecs: round trip, truncation, oversize and mutation over random types', async () => {
  let shapes = 0;
  await fc.assert(
    fc.asyncProperty(shapeArb, async (shape) => {
      shapes++;
      const decls: [Record<string, TypeSpec>, Record<string, TypeSpec>] = [{}, {}];
      const type = declare(shape, decls);
      // The value sits between two other params, so it is laid out at a non-zero offset.
      const a: PackageSpec = { types: decls[0], methods: { Echo: { in: [['pre', t.u8], ['v', type], ['post', t.s16]] } } };
      const model = buildModel({ packages: { 'prop.A': a, 'prop.B': { types: decls[1] } } });
      const { size } = model.interfaces.get('prop.A')!.methods[0]!.request;
      const { dir, mod, wire } = await loadGenerated<Record<string, (x: unknown) => unknown>>(model, 'prop.A.idl.ts');
      try {
        const codec: Codec = {
          encode: mod.encode_A_Echo_Request as Codec['encode'],
          decode: mod.decode_A_Echo_Request as Codec['decode'],
          fixed: size.fixed,
          arenaMax: size.arenaMax,
        };
        const onlyCodecErrors = (f: () => void, label: string) => {
          try {
            f();
          } catch (e) {
            if (!(e instanceof wire.CodecError)) assert.fail(`${label}: threw a non-CodecError: ${String(e)}`);
            return e;
          }
          return undefined;
        };
        const messageArb = fc.record({ pre: valueArb({ k: 'int', name: 'UInt8' }), v: valueArb(shape), post: valueArb({ k: 'int', name: 'SInt16' }) }, { noNullPrototype: true });
        fc.assert(
          fc.property(
            messageArb,
            fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
            fc.integer({ min: 1, max: 16 }),
            (value, flips, extra) => {
              const bytes = codec.encode(value);
              assert.ok(bytes.length >= codec.fixed && bytes.length <= codec.fixed + codec.arenaMax, 'encoded size within bounds');
              assert.deepEqual(codec.decode(bytes), value);

              // Every strict prefix is rejected (the last arena byte always belongs to some descriptor).
              for (let n = 0; n < bytes.length; n++) {
                const err = onlyCodecErrors(() => codec.decode(bytes.slice(0, n)), `prefix ${n}`);
                assert.ok(err, `prefix of ${n}/${bytes.length} bytes was accepted`);
                if (n < codec.fixed) assert.equal(err.code, 'Truncated');
              }

              // Longer than fixed + arenaMax: rejected before any field is read.
              const big = new Uint8Array(codec.fixed + codec.arenaMax + extra);
              big.set(bytes);
              const over = onlyCodecErrors(() => codec.decode(big), 'oversized');
              assert.equal(over?.code, 'Oversized');

              // Random byte flips: a CodecError or a value that re-encodes to something decoding to itself.
              const mutated = bytes.slice();
              for (const f of flips) {
                if (mutated.length === 0) break;
                const i = f.at % mutated.length;
                mutated[i] = mutated[i]! ^ f.xor;
              }
              let decoded: unknown;
              if (!onlyCodecErrors(() => (decoded = codec.decode(mutated)), 'mutated')) {
                const again = codec.encode(decoded);
                assert.deepEqual(codec.decode(again), decoded);
                // Without an arena the encoding is canonical (no placement freedom), so anything the
                // decoder accepts must be exactly what the encoder would produce.
                if (codec.arenaMax === 0) assert.deepEqual(again, mutated);
              }
            },
          ),
          { numRuns: 30 },
        );
        // Arbitrary garbage of every plausible length: a value or a CodecError, nothing else.
        fc.assert(
          fc.property(fc.uint8Array({ minLength: codec.fixed, maxLength: codec.fixed + Math.min(codec.arenaMax, 64) }), (garbage) => {
            onlyCodecErrors(() => codec.decode(garbage), 'garbage');
          }),
          { numRuns: 25 },
        );
      } finally {
        removeDir(dir);
      }
    }),
    { numRuns: 60 },
  );
  assert.equal(shapes >= 60, true);
});
