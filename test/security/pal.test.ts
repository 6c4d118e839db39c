// PAL support: test cases with message params as a plain dict, name lookups, and rolling all model
// state back after each sequence with snapshot/restore.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicy } from '../../src/security/index.ts';
import { assert_, bin, bind, lit, msg, object, pingPolicy } from './helpers.ts';

test('a PAL sequence runs against the module and its state is rolled back afterwards', () => {
  const ir = pingPolicy({ objects: [object('request_state', 'Flow', { states: ['ping_next', 'pong_next'], initial: 'ping_next', transitions: { ping_next: ['pong_next'], pong_next: ['ping_next'] } }), object('seen', 'HashSet', { set_size: 4, pool_size: 4 })] });
  const m = loadPolicy({ ...ir, bindings: [...ir.bindings, bind('request', { method: 'Ping' }, [assert_(bin('<', msg('value'), lit(1000)))])] });
  const server = m.classIndex('Server')!, client = m.classIndex('Client')!, core = m.classIndex('kl.core.Core')!;
  const { riid, mid: pingMid } = m.methodIds(server, 'pingComp.pingImpl', 'Ping')!;
  const pongMid = m.methodIds(server, 'pingComp.pingImpl', 'Pong')!.mid;
  const call = (mid: number, params: Record<string, unknown>) =>
    m.evaluate({ kind: 'request', srcClass: client, dstClass: server, srcSid: 2, dstSid: 1, riid, mid }, params).granted;

  const clean = m.snapshot();
  // setup { s <- execute dst=Server }
  assert.equal(m.evaluate({ kind: 'execute', srcClass: core, dstClass: server, srcSid: 0, dstSid: 1 }).granted, true);
  const afterSetup = m.snapshot();
  // sequence "alternation"
  assert.equal(call(pingMid, { value: 100 }), true);
  assert.equal(call(pingMid, { value: 1 }), false);
  assert.equal(call(pingMid, { value: 5000 }), false);
  m.restore(afterSetup);
  // sequence "pong first" starts from the setup state again
  assert.equal(call(pongMid, { value: 0 }), false);
  assert.equal(call(pingMid, { value: 1 }), true);
  m.restore(afterSetup);
  assert.equal(call(pingMid, { value: 1 }), true);
  m.restore(clean);
  assert.match(m.evaluate({ kind: 'request', srcClass: client, dstClass: server, srcSid: 2, dstSid: 1, riid, mid: pingMid }, { value: 1 }).explanation!.reason, /FSM not initialised/);
});

test('name lookups cover endpoints and the security interface, and miss cleanly', () => {
  const m = loadPolicy(pingPolicy());
  const verifier = m.classIndex('Verifier')!;
  assert.deepEqual(m.methodIds(verifier, 'admin.ctl', 'Reset'), { riid: 1, mid: 0 });
  assert.deepEqual(m.methodIds(verifier, undefined, 'Login'), { riid: 0, mid: 1 });
  assert.equal(m.methodIds(verifier, 'admin.ctl', 'Get'), undefined);
  assert.equal(m.methodIds(99, 'admin.ctl', 'Reset'), undefined);
  assert.equal(m.classIndex('Nobody'), undefined);
});

test('restore accepts only snapshots taken from the same module', () => {
  const a = loadPolicy(pingPolicy()), b = loadPolicy(pingPolicy());
  assert.throws(() => a.restore(b.snapshot()), /not a snapshot taken from this security module/);
  assert.throws(() => a.restore({}), /not a snapshot/);
  assert.throws(() => a.restore(null), /not a snapshot/);
});
