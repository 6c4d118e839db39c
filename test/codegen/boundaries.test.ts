// Boundary cases of generated codecs, against the exact layout of docs/wire-format.md.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildModel, loadGenerated, removeDir, t, type Wire } from './helpers.ts';

type Gen = Record<string, any>;

const model = buildModel({
  packages: {
    'edge.Box': {
      types: {
        Tri: { union: [['a', t.u8], ['b', t.u32], ['c', t.str(3)]] },
        Item: { struct: [['id', t.u16], ['names', t.seq(t.str(4), 3)]] },
      },
      methods: {
        Str: { in: [['s', t.str(5)]] },
        Str2: { in: [['a', t.str(5)], ['b', t.str(5)]] },
        Seq: { in: [['v', t.seq(t.u16, 3)]] },
        Bytes: { in: [['b', t.bytes(4)]] },
        Tri: { in: [['t', t.ref('edge.Box.Tri')]] },
        Ints: {
          in: [['u64', t.u64], ['s64', t.s64], ['u32', t.u32], ['s32', t.s32], ['u16', t.u16], ['s16', t.s16], ['u8', t.u8], ['s8', t.s8]],
        },
        Item: { in: [['item', t.ref('edge.Box.Item')]] },
        Handle: { in: [['h', t.handle()]] },
        Arr: { in: [['a', t.arr(t.u8, 2)]] },
        Pair: { in: [['n', t.u32], ['s', t.str(8)]] },
      },
    },
  },
});

let dir = '';
let g: Gen;
let wire: Wire;

before(async () => {
  ({ dir, mod: g, wire } = await loadGenerated<Gen>(model, 'edge.Box.idl.ts'));
});
after(() => removeDir(dir));

/** Asserts `f` throws a CodecError with the given code (and path, if given). */
function rejects(f: () => unknown, code: string, path?: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof wire.CodecError, `expected a CodecError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (path !== undefined) assert.equal(e.path, path, e.message);
    return true;
  });
}

/** A payload from little-endian u32 words and raw byte arrays. */
function payload(...parts: (number | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p & 0xff, (p >>> 8) & 0xff, (p >>> 16) & 0xff, p >>> 24);
    else out.push(...p);
  }
  return new Uint8Array(out);
}

const utf8 = (s: string) => [...new TextEncoder().encode(s)];

test('layout matches docs/wire-format.md byte for byte', () => {
  // Fixed part: u32, then a string descriptor (offset 0 into the arena, size incl. NUL).
  assert.deepEqual(g.encode_Box_Pair_Request({ n: 7, s: 'hi' }), payload(7, 0, 3, utf8('hi\0')));
  // Empty string: size 1 (just the terminator); empty bytes/sequence: offset 0, size 0.
  assert.deepEqual(g.encode_Box_Str_Request({ s: '' }), payload(0, 1, [0]));
  assert.deepEqual(g.encode_Box_Bytes_Request({ b: new Uint8Array() }), payload(0, 0));
  assert.deepEqual(g.encode_Box_Seq_Request({ v: [] }), payload(0, 0));
  // A sequence of strings: the element descriptors first, then each element's text, depth-first.
  assert.deepEqual(
    g.encode_Box_Item_Request({ item: { id: 0x0102, names: ['ab', 'c'] } }),
    payload([2, 1], 0, 2, /* arena: element fixed parts */ 16, 3, 19, 2, /* element data */ utf8('ab\0c\0')),
  );
  // A union: u32 tag, the member, zero padding up to the largest member (string descriptor, 8 bytes).
  assert.deepEqual(g.encode_Box_Tri_Request({ t: { tag: 'a', value: 9 } }), payload(0, [9, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(g.encode_Box_Tri_Request({ t: { tag: 'c', value: 'xyz' } }), payload(2, 0, 4, utf8('xyz\0')));
  assert.deepEqual(g.encode_Box_Handle_Request({ h: { handle: 0xffffffff, rights: 5 } }), payload(0xffffffff, 5));
});

test('string<N>: N bytes accepted, N+1 rejected on encode and decode', () => {
  const five = 'héll'; // h, é (2 bytes), l, l: 5 bytes
  assert.equal(utf8(five).length, 5);
  const bytes = g.encode_Box_Str_Request({ s: five });
  assert.deepEqual(g.decode_Box_Str_Request(bytes), { s: five });

  rejects(() => g.encode_Box_Str_Request({ s: 'abcdef' }), 'BoundExceeded', 'request.s');
  rejects(() => g.encode_Box_Str_Request({ s: 'ééé' }), 'BoundExceeded', 'request.s'); // 3 chars, 6 bytes
  // Alone, an N+1 string makes the payload longer than fixed + arenaMax: rejected up front.
  rejects(() => g.decode_Box_Str_Request(payload(0, 7, utf8('abcdef\0'))), 'Oversized', 'request');
  // With arena slack from another param, the descriptor's own bound check fires.
  rejects(() => g.decode_Box_Str2_Request(payload(0, 7, 7, 1, utf8('abcdef\0'), [0])), 'BoundExceeded', 'request.a');
  assert.deepEqual(g.decode_Box_Str2_Request(payload(0, 6, 6, 1, utf8('abcde\0'), [0])), { a: 'abcde', b: '' });
});

test('strings: terminator, interior NUL and UTF-8 validity', () => {
  rejects(() => g.decode_Box_Str_Request(payload(0, 0)), 'BadValue', 'request.s'); // size 0: no terminator
  rejects(() => g.decode_Box_Str_Request(payload(0, 2, utf8('ab'))), 'BadValue', 'request.s'); // last byte not NUL
  rejects(() => g.decode_Box_Str_Request(payload(0, 4, utf8('a\0b\0'))), 'BadValue', 'request.s');
  rejects(() => g.encode_Box_Str_Request({ s: 'a\0b' }), 'BadValue', 'request.s');
  for (const bad of [[0xc3, 0x28], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x82]]) {
    rejects(() => g.decode_Box_Str_Request(payload(0, bad.length + 1, [...bad, 0])), 'InvalidUtf8', 'request.s');
  }
  rejects(() => g.encode_Box_Str_Request({ s: '\ud800' }), 'InvalidUtf8', 'request.s'); // lone surrogate
  // A leading byte-order mark is text, not a marker to strip.
  assert.deepEqual(g.decode_Box_Str_Request(g.encode_Box_Str_Request({ s: '\ufeffa' })), { s: '\ufeffa' });
  rejects(() => g.encode_Box_Str_Request({ s: 5 }), 'BadValue', 'request.s');
});

test('sequence and bytes bounds', () => {
  assert.deepEqual(g.decode_Box_Seq_Request(g.encode_Box_Seq_Request({ v: [1, 2, 65535] })), { v: [1, 2, 65535] });
  rejects(() => g.encode_Box_Seq_Request({ v: [1, 2, 3, 4] }), 'BoundExceeded', 'request.v');
  rejects(() => g.decode_Box_Seq_Request(payload(0, 4, [1, 0, 2, 0, 3, 0])), 'BoundExceeded', 'request.v');
  rejects(() => g.decode_Box_Seq_Request(payload(2, 3, [1, 0, 2, 0, 3, 0])), 'OutOfBounds', 'request.v');
  rejects(() => g.decode_Box_Seq_Request(payload(0xffffffff, 1, [1, 0])), 'OutOfBounds', 'request.v');
  rejects(() => g.encode_Box_Seq_Request({ v: 'no' }), 'BadValue', 'request.v');

  assert.deepEqual(g.decode_Box_Bytes_Request(payload(0, 4, [1, 2, 3, 4])), { b: new Uint8Array([1, 2, 3, 4]) });
  rejects(() => g.encode_Box_Bytes_Request({ b: new Uint8Array(5) }), 'BoundExceeded', 'request.b');
  rejects(() => g.encode_Box_Bytes_Request({ b: [1, 2] }), 'BadValue', 'request.b');
  // Empty bytes may point anywhere inside the arena, but not past it.
  assert.deepEqual(g.decode_Box_Bytes_Request(payload(2, 0, [7, 7])), { b: new Uint8Array() });
  rejects(() => g.decode_Box_Bytes_Request(payload(3, 0, [7, 7])), 'OutOfBounds', 'request.b');
});

test('nested error paths name the offending element', () => {
  rejects(() => g.encode_Box_Item_Request({ item: { id: 1, names: ['ok', 'toolong'] } }), 'BoundExceeded', 'request.item.names[1]');
  rejects(() => g.encode_Box_Item_Request({ item: { id: -1, names: [] } }), 'BadValue', 'request.item.id');
  rejects(() => g.encode_Box_Item_Request({ item: null }), 'BadValue', 'request.item');
  rejects(() => g.encode_Box_Item_Request(undefined), 'BadValue', 'request');
  // Second element's descriptor points past the arena.
  const p = payload([1, 0], 0, 2, 16, 3, 99, 1, utf8('ab\0'), [0]);
  rejects(() => g.decode_Box_Item_Request(p), 'OutOfBounds', 'request.item.names[1]');
  rejects(() => g.encode_Box_Tri_Request({ t: { tag: 'c', value: 'four' } }), 'BoundExceeded', 'request.t.c');
  rejects(() => g.encode_Box_Handle_Request({ h: { handle: -1, rights: 0 } }), 'BadValue', 'request.h.handle');
  rejects(() => g.encode_Box_Arr_Request({ a: [1] }), 'BadValue', 'request.a');
  rejects(() => g.encode_Box_Arr_Request({ a: [1, 256] }), 'BadValue', 'request.a[1]');
});

test('unions: tag out of range → BadTag, non-zero padding → BadPadding', () => {
  for (const tag of [0, 1, 2] as const) {
    const value = [{ tag: 'a', value: 255 }, { tag: 'b', value: 0xffffffff }, { tag: 'c', value: 'abc' }][tag];
    assert.deepEqual(g.decode_Box_Tri_Request(g.encode_Box_Tri_Request({ t: value })), { t: value });
  }
  rejects(() => g.decode_Box_Tri_Request(payload(3, 0, 0)), 'BadTag', 'request.t');
  rejects(() => g.decode_Box_Tri_Request(payload(0xffffffff, 0, 0)), 'BadTag', 'request.t');
  rejects(() => g.encode_Box_Tri_Request({ t: { tag: 'd', value: 1 } }), 'BadTag', 'request.t');
  rejects(() => g.decode_Box_Tri_Request(payload(0, [9, 0, 0, 0, 0, 0, 0, 1])), 'BadPadding', 'request.t');
  rejects(() => g.decode_Box_Tri_Request(payload(1, 9, [0, 1, 0, 0])), 'BadPadding', 'request.t');
  assert.deepEqual(g.decode_Box_Tri_Request(payload(1, 9, 0)), { t: { tag: 'b', value: 9 } });
});

test('integers: 64-bit min/max, ranges of every width', () => {
  const extremes = [
    { u64: 0n, s64: -(2n ** 63n), u32: 0, s32: -(2 ** 31), u16: 0, s16: -32768, u8: 0, s8: -128 },
    { u64: 2n ** 64n - 1n, s64: 2n ** 63n - 1n, u32: 2 ** 32 - 1, s32: 2 ** 31 - 1, u16: 65535, s16: 32767, u8: 255, s8: 127 },
  ];
  for (const v of extremes) assert.deepEqual(g.decode_Box_Ints_Request(g.encode_Box_Ints_Request(v)), v);
  assert.deepEqual(
    [...g.encode_Box_Ints_Request(extremes[0]).subarray(0, 16)],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80],
  );
  assert.deepEqual(
    [...g.encode_Box_Ints_Request(extremes[1]).subarray(0, 16)],
    [...Array<number>(8).fill(0xff), ...Array<number>(7).fill(0xff), 0x7f],
  );

  const bad: [string, unknown][] = [
    ['u64', 2n ** 64n], ['u64', -1n], ['u64', 1], ['s64', 2n ** 63n], ['s64', -(2n ** 63n) - 1n],
    ['u32', 2 ** 32], ['u32', -1], ['u32', 1.5], ['u32', NaN], ['u32', 1n], ['s32', 2 ** 31], ['s32', '1'],
    ['u16', 65536], ['s16', -32769], ['u8', 256], ['u8', true], ['s8', 128], ['s8', -129], ['s8', undefined],
  ];
  for (const [field, value] of bad) {
    rejects(() => g.encode_Box_Ints_Request({ ...extremes[0], [field]: value }), 'BadValue', `request.${field}`);
  }
});

test('payload length is checked first; decoding copies, and accepts blocks in encode order, with gaps', () => {
  rejects(() => g.decode_Box_Ints_Request(new Uint8Array(29)), 'Truncated', 'request');
  rejects(() => g.decode_Box_Ints_Request(new Uint8Array(31)), 'Oversized', 'request');
  rejects(() => g.decode_Box_Ints_Request([1, 2, 3]), 'BadValue', 'request');

  // A view with a non-zero byteOffset into a larger buffer (as from a frame) decodes correctly.
  const frame = new Uint8Array(64).fill(0xee);
  const body = payload(0, 4, [1, 2, 3, 4]);
  frame.set(body, 10);
  const view = Buffer.from(frame.buffer, 10, body.length);
  const decoded = g.decode_Box_Bytes_Request(view);
  assert.deepEqual(decoded, { b: new Uint8Array([1, 2, 3, 4]) });
  view[8] = 99; // the decoded bytes are a copy, not a view of the payload
  assert.deepEqual(decoded.b, new Uint8Array([1, 2, 3, 4]));

  // Blocks in encode order, with gaps around them: accepted.
  assert.deepEqual(g.decode_Box_Str2_Request(payload(1, 3, 5, 2, [0], utf8('ok\0'), [0], utf8('x\0'), [0])), { a: 'ok', b: 'x' });
  // Two descriptors sharing the same arena bytes, or blocks in reverse order: rejected.
  rejects(() => g.decode_Box_Str2_Request(payload(0, 3, 0, 3, utf8('ok\0'))), 'OutOfBounds', 'request.b');
  rejects(() => g.decode_Box_Str2_Request(payload(3, 3, 0, 3, utf8('ab\0ok\0'))), 'OutOfBounds', 'request.b');
  // An empty block constrains nothing.
  assert.deepEqual(g.decode_Box_Item_Request(payload([1, 0], 5, 0, [0, 0, 0, 0, 0])), { item: { id: 1, names: [] } });
});

test('elements of zero size: at most 16 Mi per payload, counted before they are decoded', async () => {
  const M = 16 * 1024 * 1024;
  const zero = buildModel({
    packages: {
      'zero.Z': {
        types: { E: { struct: [] }, Z: { struct: [['a', t.arr(t.ref('zero.Z.E'), 3)]] } },
        methods: {
          Huge: { in: [['v', t.seq(t.ref('zero.Z.E'), 2 ** 31 - 1)]] },
          Nest: { in: [['v', t.seq(t.seq(t.ref('zero.Z.E'), M), 255)]] },
          Fixed: { in: [['a', t.arr(t.ref('zero.Z.Z'), 2)], ['z', t.ref('zero.Z.Z')]] },
        },
      },
    },
  });
  const { dir: zdir, mod: z } = await loadGenerated<Gen>(zero, 'zero.Z.idl.ts');
  try {
    const quickly = (f: () => unknown, path: string, total: number) => {
      const t0 = performance.now();
      assert.throws(f, (e: unknown) => {
        assert.ok(e instanceof Error && e.name === 'CodecError', String(e));
        const c = e as InstanceType<Wire['CodecError']>;
        assert.equal(c.code, 'BoundExceeded');
        assert.equal(c.path, path);
        assert.equal(c.detail, `elements of zero size add up to ${total}, more than the ${M} a payload may hold`);
        return true;
      });
      assert.ok(performance.now() - t0 < 50, `took ${performance.now() - t0} ms`);
    };
    // Within the IDL bound, past the cap: refused before an array of 2^31 - 1 is made.
    quickly(() => z.decode_Z_Huge_Request(payload(0, 2 ** 31 - 1)), 'request.v', 2 ** 31 - 1);
    quickly(() => z.decode_Z_Huge_Request(payload(0, M + 1)), 'request.v', M + 1);
    assert.deepEqual(z.decode_Z_Huge_Request(payload(0, 3)), { v: [{}, {}, {}] });
    // 2 KB of descriptors claiming 16 Mi elements each (but the first): the total is what counts.
    quickly(() => z.decode_Z_Nest_Request(payload(0, 255, 0, 1, ...new Array<number>(254).fill(0).flatMap(() => [0, M]))), 'request.v[1]', M + 1);
    // The encoder counts alike, so it never produces what the decoder refuses.
    const many = new Array<object>(M + 1).fill({});
    quickly(() => z.encode_Z_Huge_Request({ v: many }), 'request.v', M + 1);
    // Params of zero size: counted at the root (2 × (1 + 3) + 3), then decoded.
    const fixed = { a: [{ a: [{}, {}, {}] }, { a: [{}, {}, {}] }], z: { a: [{}, {}, {}] } };
    assert.deepEqual(z.encode_Z_Fixed_Request(fixed), new Uint8Array(0));
    assert.deepEqual(z.decode_Z_Fixed_Request(new Uint8Array(0)), fixed);
  } finally {
    removeDir(zdir);
  }
});
