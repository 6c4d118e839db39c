// Properties checked on random inputs: a Flow FSM only ever reaches states its transition table
// reaches (also when other bindings veto), and decide never throws, whatever the event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadPolicy } from '../../src/security/index.ts';
import {
  CLASSES, CORE, SERVER, assert_, bin, bind, call, choice, dict, dstSid, event, grant, lit, msg, object, pingPolicy,
  policy, rule, srcSid,
} from './helpers.ts';

const fsm = fc.integer({ min: 1, max: 5 }).chain(n => fc.record({
  n: fc.constant(n),
  initial: fc.nat(n - 1),
  table: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
}));
const step = fc.record({
  op: fc.constantFrom('enter', 'enter', 'enter', 'init', 'fini'),
  sid: fc.integer({ min: 1, max: 3 }),
  state: fc.integer({ min: 0, max: 5 }),
  veto: fc.boolean(),
});

function reachable(initial: number, table: boolean[][]): Set<number> {
  const seen = new Set([initial]), todo = [initial];
  while (todo.length > 0) {
    const s = todo.pop()!;
    table[s]!.forEach((ok, t) => { if (ok && !seen.has(t)) { seen.add(t); todo.push(t); } });
  }
  return seen;
}

test('random Flow enter sequences never leave the FSM in a state the transition table cannot reach', () => {
  fc.assert(fc.property(fsm, fc.array(step, { maxLength: 40 }), ({ n, initial, table }, steps) => {
    const states = Array.from({ length: n }, (_, i) => `s${i}`);
    const transitions = Object.fromEntries(states.map((s, i) => [s, states.filter((_, j) => table[i]![j])]));
    const m = loadPolicy(policy({
      objects: [object('f', 'Flow', { states, initial: states[initial], transitions })],
      bindings: [
        bind('request', {}, [choice(msg('op'), [
          ['init', [rule('f', 'init', dict({ sid: dstSid }))]],
          ['fini', [rule('f', 'fini', dict({ sid: dstSid }))]],
          ['enter', [rule('f', 'enter', dict({ sid: dstSid, state: msg('state') }))]],
        ])]),
        // A second binding that may veto the whole decision after the enter staged its change.
        bind('request', {}, [rule('base', 'deny', msg('veto'))]),
        bind('security', {}, [assert_(bin('==', call('f', 'query', dict({ sid: srcSid })), msg('state')))]),
      ],
    }));
    const ok = reachable(initial, table);
    const model = new Map<number, number>();
    for (const s of steps) {
      const name = s.state < n ? states[s.state] : 'bogus';
      const d = m.decide(event('request', 2, SERVER, { riid: 0, mid: 0, dstSid: s.sid, params: { op: s.op, state: name, veto: s.veto } }));
      const cur = model.get(s.sid);
      const expected = !s.veto && (s.op === 'init' ? cur === undefined : cur !== undefined && (s.op === 'fini' || (s.state < n && table[cur]![s.state]!)));
      assert.equal(d.granted, expected, `${s.op} ${name} from ${cur}: ${d.explanation?.reason}`);
      if (expected && s.op === 'init') model.set(s.sid, initial);
      if (expected && s.op === 'fini') model.delete(s.sid);
      if (expected && s.op === 'enter') model.set(s.sid, s.state);
      for (const sid of [1, 2, 3]) {
        const inStates = states.filter(st => m.decide(event('security', 4, 4, { mid: 0, srcSid: sid, params: { state: st } })).granted);
        const want = model.get(sid);
        assert.deepEqual(inStates, want === undefined ? [] : [states[want]]);
        if (want !== undefined) assert.ok(ok.has(want));
      }
    }
  }), { numRuns: 150 });
});

test('decide never throws and denies every event naming unknown classes, endpoints or methods', () => {
  const ir = pingPolicy();
  const m = loadPolicy({
    ...ir,
    objects: [...ir.objects, object('mic', 'Mic', ['LOW', 'HIGH']), object('hs', 'HashSet', { set_size: 2, pool_size: 2 })],
    bindings: [
      ...ir.bindings,
      bind('request', {}, [assert_(bin('<', msg('value'), lit(10)))]),
      bind('response', {}, [rule('mic', 'call', dict({ source: srcSid, target: dstSid }))]),
      bind('error', {}, [rule('hs', 'add', dict({ sid: srcSid, entry: message() }))]),
      bind('security', {}, [grant()]),
      bind('execute', { dst: CORE }, [rule('mic', 'execute', dict({ target: dstSid, level: msg('level') }))]),
    ],
  });
  function message() {
    return { k: 'message' } as const;
  }
  const anyInt = fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constant(2 ** 53), fc.double(), fc.constant(undefined));
  const ev = fc.record({
    kind: fc.constantFrom('execute', 'request', 'response', 'error', 'security', 'bogus', '__proto__'),
    srcClass: anyInt, dstClass: anyInt, srcSid: anyInt, dstSid: anyInt, riid: anyInt, mid: anyInt,
    params: fc.option(fc.anything(), { nil: undefined }),
  });
  fc.assert(fc.property(fc.array(ev, { minLength: 1, maxLength: 20 }), events => {
    for (const e of events) {
      const { params, ...rest } = e;
      const d = m.decide({ ...rest, ...(params === undefined ? {} : { message: () => params as Record<string, unknown> }) } as never);
      assert.equal(typeof d.granted, 'boolean');
      if (!d.granted) assert.equal(typeof d.explanation?.reason, 'string');
      const known = (c: unknown) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < CLASSES.length;
      if (!known(e.srcClass) || (e.kind !== 'security' && !known(e.dstClass))) assert.equal(d.granted, false);
      if (e.kind === 'request' && e.dstClass === SERVER && !(e.riid === 0 && (e.mid === 0 || e.mid === 1))) assert.equal(d.granted, false);
    }
  }), { numRuns: 300 });
});
