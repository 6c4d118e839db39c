// End to end in one process: generated proxy → fake transport → generated class dispatcher → handlers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importFrom, loadGenerated, removeDir, representativeModel, type Wire } from './helpers.ts';

// Generated modules are imported dynamically, so they are typed loosely here; output.test.ts
// type-checks the same code statically.
type Gen = Record<string, any>;

let dir = '';
let echo: Gen;
let server: Gen;
let wire: Wire;

before(async () => {
  const loaded = await loadGenerated<Gen>(representativeModel(), 'app.Server.edl.ts');
  ({ dir, wire } = loaded);
  server = loaded.mod;
  echo = await importFrom<Gen>(dir, 'app.Echo.idl.ts');
});
after(() => removeDir(dir));

interface Call { riid: number; mid: number; timeoutMs: number | undefined }

/** A transport that copies the request bytes into the dispatcher, as a real one would. */
function fakeTransport(dispatch: (riid: number, mid: number, payload: Uint8Array) => Promise<{ kind: string; payload: Uint8Array }>) {
  const calls: Call[] = [];
  return {
    calls,
    async call(riid: number, mid: number, payload: Uint8Array, options?: { timeoutMs?: number }) {
      calls.push({ riid, mid, timeoutMs: options?.timeoutMs });
      const result = await dispatch(riid, mid, payload.slice());
      return { kind: result.kind, payload: result.payload.slice() };
    },
  };
}

const payloadValue = {
  u8: 255, s8: -128, u16: 65535, s16: -32768, u32: 0xffffffff, s32: -(2 ** 31),
  u64: 2n ** 64n - 1n, s64: -(2n ** 63n), size: 7n, ptr: 0n,
  h: { handle: 3, rights: 0x1f }, hi: { handle: 0xffffffff, rights: 0 },
  data: new Uint8Array([1, 2, 3]), text: 'héllo', grid: [-1, 0, 1, 127], list: ['a', '', 'ø'], none: [], zero: [],
};

function echoHandler(label: string) {
  return {
    seen: [] as unknown[],
    async Echo(req: any) {
      this.seen.push(req);
      if (req.tag === 0) throw new echo.Echo_Echo_Error({ code: -7, reason: `refused by ${label}` });
      if (req.tag === 1) throw new Error('handler crashed');
      if (req.tag === 2) return { value: req.value, count: -1 }; // out of UInt32 range
      return { value: req.value, count: req.tag };
    },
    Reset: () => ({}), // synchronous handlers are fine too
    constructor_: (req: any) => {
      assert.deepEqual(req.h, { handle: 9, rights: 1 });
      return {};
    },
    then_: () => ({ at: { delete: 1, pts: [{ x: -1, y: 2 }], m: [[1, 2], [3, 4], [5, 6]] } }),
    Sum(req: any) {
      const sum = req.values.reduce((a: bigint, b: bigint) => a + b, 0n);
      if (sum > 2n ** 63n - 1n) throw new echo.Echo_Sum_Error({ overflow: 1 });
      return { sum };
    },
  };
}

function setup() {
  const outer = echoHandler('outer');
  const inner = echoHandler('inner');
  const dispatch = server.createServerDispatcher({
    echo: outer,
    'inner.echo': inner,
    'inner.deep.nothing': {},
    single: { Get: () => ({ w: { a: 42 } }) },
  });
  const transport = fakeTransport(dispatch);
  const riid = server.Server_RIID;
  return { outer, inner, dispatch, transport, riid };
}

test('out params round-trip through proxy and dispatcher, routed by RIID', async () => {
  const { outer, inner, transport, riid } = setup();
  assert.deepEqual(riid, { echo: 0, 'inner.echo': 1, 'inner.deep.nothing': 2, single: 3 });
  const proxy = new echo.EchoProxy(transport, riid['inner.echo']);

  const value = { tag: 'payload', value: payloadValue };
  assert.deepEqual(await proxy.Echo({ value, tag: 5 }, { timeoutMs: 250 }), { value, count: 5 });
  assert.deepEqual(inner.seen, [{ value, tag: 5 }]);
  assert.deepEqual(outer.seen, []);
  assert.deepEqual(transport.calls, [{ riid: 1, mid: echo.Echo_Echo_MID, timeoutMs: 250 }]);

  const shape = { tag: 'shape', value: { tag: 'label', value: 'x' } };
  assert.deepEqual(await new echo.EchoProxy(transport, riid.echo).Echo({ value: shape, tag: 3 }), { value: shape, count: 3 });
  assert.equal(outer.seen.length, 1);

  assert.deepEqual(await proxy.Reset(), {});
  assert.deepEqual(await proxy.constructor_({ h: { handle: 9, rights: 1 } }), {});
  assert.deepEqual(await proxy.then_(), { at: { delete: 1, pts: [{ x: -1, y: 2 }], m: [[1, 2], [3, 4], [5, 6]] } });
  assert.deepEqual(await proxy.Sum({ values: [2n ** 62n, 5n, -3n] }), { sum: 2n ** 62n + 2n });
  // `then` was renamed, so a proxy is not a thenable: awaiting it yields the proxy itself.
  assert.equal(await Promise.resolve(proxy), proxy);

  const single = await importFrom<Gen>(dir, 'single.idl.ts');
  assert.deepEqual(await new single.singleProxy(transport, riid.single).Get(), { w: { a: 42 } });
});

test('a handler throwing the generated error class becomes a typed error reply', async () => {
  const { transport, riid } = setup();
  const proxy = new echo.EchoProxy(transport, riid['inner.echo']);
  await assert.rejects(proxy.Echo({ value: { tag: 'num', value: 1 }, tag: 0 }), (e: any) => {
    assert.ok(e instanceof echo.Echo_Echo_Error);
    assert.ok(e instanceof wire.IdlErrorReply);
    assert.equal(e.name, 'Echo_Echo_Error');
    assert.equal(e.method, 'app.Echo.Echo');
    assert.deepEqual(e.params, { code: -7, reason: 'refused by inner' });
    return true;
  });
  await assert.rejects(proxy.Sum({ values: [2n ** 63n - 1n, 1n] }), (e: any) => {
    assert.ok(e instanceof echo.Echo_Sum_Error);
    assert.deepEqual(e.params, { overflow: 1 });
    return true;
  });
});

test('dispatcher failures: other exceptions propagate, bad MIDs, RIIDs, requests and replies are CodecErrors', async () => {
  const { dispatch, transport, riid } = setup();
  const proxy = new echo.EchoProxy(transport, riid.echo);
  await assert.rejects(proxy.Echo({ value: { tag: 'num', value: 1 }, tag: 1 }), { message: 'handler crashed' });
  // The handler's out params are checked when the reply is encoded.
  await assert.rejects(proxy.Echo({ value: { tag: 'num', value: 1 }, tag: 2 }), { name: 'CodecError', code: 'BadValue', path: 'response.count' });

  await assert.rejects(dispatch(riid.echo, 99, new Uint8Array()), (e: any) => e instanceof wire.CodecError && e.path === 'mid');
  await assert.rejects(dispatch(17, 0, new Uint8Array()), (e: any) => e instanceof wire.CodecError && e.path === 'riid');
  await assert.rejects(dispatch(riid['inner.deep.nothing'], 0, new Uint8Array()), (e: any) => e instanceof wire.CodecError && e.path === 'mid');
  await assert.rejects(dispatch(riid.echo, echo.Echo_Echo_MID, new Uint8Array(3)), { name: 'CodecError', code: 'Truncated', path: 'request' });

  // A malformed reply is rejected on the client side as well.
  const liar = new echo.EchoProxy({ call: async () => ({ kind: 'reply', payload: new Uint8Array(1) }) }, 0);
  await assert.rejects(liar.Sum({ values: [] }), { name: 'CodecError', code: 'Truncated', path: 'response' });
  const liarError = new echo.EchoProxy({ call: async () => ({ kind: 'error', payload: new Uint8Array(2) }) }, 0);
  await assert.rejects(liarError.Sum({ values: [] }), { name: 'CodecError', code: 'Oversized', path: 'error' });

  // Encoding a bad request fails before anything is sent.
  const before = transport.calls.length;
  await assert.rejects(proxy.Sum({ values: [1] }), { name: 'CodecError', code: 'BadValue', path: 'request.values[0]' });
  assert.equal(transport.calls.length, before);
});
