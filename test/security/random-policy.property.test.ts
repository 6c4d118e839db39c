// Random policies over every stateful model: decide never throws, and a denied decision never
// changes model state (changes commit only when the whole decision is granted).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { loadPolicy } from '../../src/security/index.ts';
import type { IrStmt } from '../../src/security/ir.ts';
import { SERVER, assert_, bin, bind, deny, dict, dstSid, event, grant, lit, msg, object, policy, rule, srcSid } from './helpers.ts';

const OBJECTS = [
  object('flow', 'Flow', { states: ['a', 'b', 'c'], initial: 'a', transitions: { a: ['b'], b: ['c', 'a'], c: ['a'] } }),
  object('set', 'HashSet', { set_size: 2, pool_size: 2 }),
  object('map', 'StaticMap', { keys: { k: 0, j: 1 }, pool_size: 2 }),
  object('mic', 'Mic', ['LOW', 'MEDIUM', 'HIGH']),
];

const sid = fc.constantFrom(dstSid, srcSid);
/** One rule of some model, with arguments that are sometimes wrong on purpose. */
const stmt: fc.Arbitrary<IrStmt> = fc.oneof(
  fc.constant(grant()),
  fc.constant(deny()),
  fc.integer({ min: 0, max: 5 }).map((n) => assert_(bin('<', msg('value'), lit(n)))),
  sid.map((s) => rule('flow', 'init', dict({ sid: s }))),
  fc.tuple(sid, fc.constantFrom('a', 'b', 'c', 'zz')).map(([s, st]) => rule('flow', 'enter', dict({ sid: s, state: lit(st) }))),
  sid.map((s) => rule('flow', 'fini', dict({ sid: s }))),
  sid.map((s) => rule('set', 'init', dict({ sid: s }))),
  fc.tuple(sid, fc.integer({ min: 0, max: 4 })).map(([s, e]) => rule('set', 'add', dict({ sid: s, entry: lit(e) }))),
  fc.tuple(sid, fc.integer({ min: 0, max: 4 })).map(([s, e]) => rule('set', 'remove', dict({ sid: s, entry: lit(e) }))),
  sid.map((s) => rule('map', 'init', dict({ sid: s }))),
  fc.tuple(sid, fc.constantFrom('k', 'j', 'x'), fc.integer({ min: 0, max: 9 })).map(([s, k, v]) => rule('map', 'set', dict({ sid: s, key: lit(k), value: lit(v) }))),
  sid.map((s) => rule('map', 'commit', dict({ sid: s }))),
  sid.map((s) => rule('map', 'rollback', dict({ sid: s }))),
  fc.tuple(sid, fc.constantFrom('LOW', 'MEDIUM', 'HIGH')).map(([s, l]) => rule('mic', 'execute', dict({ target: s, level: lit(l) }))),
  fc.constant(rule('mic', 'write', dict({ source: srcSid, target: dstSid }))),
);

const randomPolicy = fc.array(fc.array(stmt, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 })
  .map((bodies) => policy({ objects: OBJECTS, bindings: bodies.map((body) => bind('request', {}, body)) }));

const randomEvent = fc.record({
  srcSid: fc.integer({ min: 1, max: 3 }),
  dstSid: fc.integer({ min: 1, max: 3 }),
  value: fc.integer({ min: 0, max: 6 }),
});

// Snapshots are opaque, so the property is checked by behaviour: module B undoes every denied
// decision with restore(); if denials never change state, A (which never restores) behaves exactly
// like B on every later event.
test('a random policy never throws, and its denied decisions never change model state', () => {
  let divergenceChecks = 0;
  fc.assert(fc.property(randomPolicy, fc.array(randomEvent, { minLength: 1, maxLength: 25 }), (ir, events) => {
    const a = loadPolicy(ir);
    const b = loadPolicy(ir);
    for (const e of events) {
      const ev = event('request', 2, SERVER, { riid: 0, mid: 0, srcSid: e.srcSid, dstSid: e.dstSid, params: { value: e.value } });
      const da = a.decide(ev);
      const saved = b.snapshot();
      const db = b.decide(ev);
      if (!db.granted) b.restore(saved);
      assert.equal(da.granted, db.granted, `A and B disagree after a denial: ${da.explanation?.reason ?? 'granted'} / ${db.explanation?.reason ?? 'granted'}`);
      assert.equal(da.explanation?.reason, db.explanation?.reason);
      if (!da.granted) assert.equal(typeof da.explanation?.reason, 'string');
      divergenceChecks++;
    }
  }), { numRuns: 300, seed: 20261126 });
  assert.ok(divergenceChecks > 1000);
});

test('the check above can fail: a denied decision that kept its change would be visible later', () => {
  // Flow init then a vetoing binding: if the init were committed despite the denial, a second
  // init would be denied ("already attached") in A but granted in B.
  const ir = policy({ objects: OBJECTS, bindings: [bind('request', {}, [rule('flow', 'init', dict({ sid: dstSid }))]), bind('request', {}, [assert_(bin('<', msg('value'), lit(1)))])] });
  const m = loadPolicy(ir);
  const veto = event('request', 2, SERVER, { riid: 0, mid: 0, dstSid: 1, params: { value: 5 } });
  const pass = event('request', 2, SERVER, { riid: 0, mid: 0, dstSid: 1, params: { value: 0 } });
  assert.equal(m.decide(veto).granted, false);
  assert.equal(m.decide(pass).granted, true, 'the vetoed init left no trace');
  assert.equal(m.decide(pass).granted, false, 'a committed init is visible to later decisions');
});
