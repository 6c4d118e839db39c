// The security models one by one, through the public API: each rule's verdicts, each expression's
// values, and the errors (missing contexts, bad arguments, range errors) that must deny.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicy, type SecurityModule } from '../../src/security/index.ts';
import type { IrExpr, IrObject, IrStmt } from '../../src/security/ir.ts';
import {
  CORE, SERVER, assert_, at, bin, bind, call, choice, deny, dict, dstSid, event, grant, lit, list, msg, object, ping,
  pingPolicy, policy, pong, rule, srcSid, un,
} from './helpers.ts';

/** A module whose `security` events (from Server, method Check) run `rules` with `message` = params. */
function harness(objects: IrObject[], ...body: IrStmt[]): (params?: Record<string, unknown>) => ReturnType<SecurityModule['decide']> {
  const m = loadPolicy(policy({ objects, bindings: [bind('request', {}, body)] }));
  return (params = {}) => m.decide(ping(params));
}
/** A module running one rule `object.method` with arg taken from message param `arg`. */
function ruleOf(objects: IrObject[], obj: string, method: string) {
  const m = loadPolicy(policy({ objects, bindings: [bind('request', {}, [rule(obj, method, msg('arg'))])] }));
  return (arg: unknown) => m.decide(ping({ arg }));
}
/** Evaluates expression `e` (with `message.x` available) and asserts it equals `expected`. */
function evaluates(e: IrExpr, expected: unknown, params: Record<string, unknown> = {}, objects: IrObject[] = []): void {
  const d = harness(objects, assert_(bin('==', e, lit(expected))))(params);
  assert.equal(d.granted, true, d.explanation?.reason ?? '');
}
function fails(e: IrExpr, reason: RegExp, params: Record<string, unknown> = {}, objects: IrObject[] = []): void {
  const d = harness(objects, assert_(bin('==', e, lit(0))))(params);
  assert.equal(d.granted, false);
  assert.match(d.explanation!.reason, reason);
}

test('Base: grant grants, deny denies, deny (b) denies only when b, assert (b) grants only when b', () => {
  assert.equal(harness([], grant())().granted, true);
  assert.equal(harness([], deny())().granted, false);
  assert.equal(harness([], rule('base', 'deny', bin('>', msg('n'), lit(7))))({ n: 8 }).granted, false);
  assert.equal(harness([], rule('base', 'deny', bin('>', msg('n'), lit(7))))({ n: 7 }).granted, true);
  assert.equal(harness([], assert_(lit(true)))().granted, true);
  assert.equal(harness([], assert_(lit(false)))().explanation?.reason, 'base.assert: assertion failed');
});

test('Pred: comparisons on Int, structural equality on anything, empty', () => {
  evaluates(bin('<', lit(-1), lit(0)), true);
  evaluates(bin('>=', lit(3), lit(3)), true);
  evaluates(bin('!=', lit({ a: [1] }), lit({ a: [1] })), false);
  evaluates(bin('==', lit('a'), lit(1)), false);
  for (const [v, e] of [['', true], ['x', false], [[], true], [{}, true], [null, true], [[0], false]] as const) {
    evaluates(call('pred', 'empty', lit(v)), e);
  }
  fails(call('pred', 'empty', lit(0)), /pred\.empty: type mismatch/);
  fails(bin('<', lit('a'), lit('b')), /type mismatch: < expects Int/);
});

test('Bool: !, &&, ||, ==> (short-circuit), all, any, cond, assert', () => {
  evaluates(un('!', lit(false)), true);
  evaluates(bin('==>', lit(false), msg('missing')), true, {}, []);
  evaluates(bin('&&', lit(false), msg('missing')), false);
  evaluates(bin('||', lit(true), msg('missing')), true);
  evaluates(bin('==>', lit(true), lit(false)), false);
  evaluates(call('bool', 'all', lit([])), true);
  evaluates(call('bool', 'all', list(lit(true), bin('>', msg('n'), lit(1)))), false, { n: 1 });
  evaluates(call('bool', 'any', lit([])), false);
  evaluates(call('bool', 'any', lit([false, true])), true);
  evaluates(call('bool', 'cond', dict({ if: bin('>', msg('n'), lit(1)), then: lit('big'), else: lit('small') })), 'small', { n: 1 });
  assert.equal(harness([], rule('bool', 'assert', lit(false)))().explanation?.reason, 'bool.assert: assertion failed');
  fails(un('!', lit(1)), /type mismatch: ! expects Boolean, got Int 1/);
  fails(bin('&&', lit(true), lit('x')), /&& expects Boolean/);
});

test('Math: operators, neg, abs, sum, product, range-checked casts', () => {
  evaluates(bin('+', lit(2), bin('*', lit(3), lit(4))), 14);
  evaluates(bin('-', lit(2), lit(5)), -3);
  evaluates(bin('/', lit(-7), lit(2)), -3);
  evaluates(bin('%', lit(7), lit(3)), 1);
  evaluates(bin('|', lit(0b1010), lit(0b0101)), 15);
  evaluates(bin('&', msg('rights'), un('~', lit(4))), 3, { rights: 7 });
  evaluates(bin('^', lit(6), lit(3)), 5);
  evaluates(bin('<<', lit(1), lit(63)), 2n ** 63n);
  evaluates(bin('>>', lit(256), lit(4)), 16);
  evaluates(un('-', lit(5)), -5);
  evaluates(call('math', 'neg', lit(-5)), 5);
  evaluates(call('math', 'abs', lit(-5)), 5);
  evaluates(call('math', 'sum', lit([])), 0);
  evaluates(call('math', 'sum', lit([1, 2, 3])), 6);
  evaluates(call('math', 'product', lit([])), 1);
  evaluates(call('math', 'product', lit([2, 3, 4])), 24);
  evaluates(call('math', 'uint8', lit(255)), 255);
  evaluates(call('math', 'sint8', lit(-128)), -128);
  evaluates(call('math', 'uint64', lit(2n ** 64n - 1n)), 2n ** 64n - 1n);
  fails(call('math', 'uint8', lit(256)), /^math\.uint8: 256 out of range 0\.\.255$/);
  fails(call('math', 'sint16', lit(40000)), /40000 out of range -32768\.\.32767/);
  fails(call('math', 'uint32', lit(-1)), /-1 out of range 0\.\.4294967295/);
  fails(bin('%', lit(1), lit(0)), /division by zero: 1 % 0/);
  fails(bin('<<', lit(1), lit(64)), /shift count 64 outside 0\.\.63/);
  fails(bin('*', lit(2n ** 63n), lit(4)), /outside the 64-bit range/);
  fails(bin('+', lit(1), lit('1')), /type mismatch: \+ expects Int, got Text "1"/);
});

test('Struct: fields, HandleDesc .handle/.rights, 0-based index, out of range denies', () => {
  const p = { h: { handle: 12, rights: 0b101 }, xs: [10, 20], rec: { inner: { v: 'x' } } };
  evaluates(bin('&', { k: 'field', of: msg('h'), name: 'rights' }, lit(4)), 4, p);
  evaluates({ k: 'field', of: msg('h'), name: 'handle' }, 12, p);
  evaluates(at(msg('xs'), lit(1)), 20, p);
  evaluates({ k: 'field', of: { k: 'field', of: msg('rec'), name: 'inner' }, name: 'v' }, 'x', p);
  evaluates({ k: 'field', of: { k: 'message' }, name: 'xs' }, [10, 20], p);
  fails(at(msg('xs'), lit(2)), /index 2 out of range \(length 2\)/, p);
  fails(at(msg('xs'), lit(-1)), /index -1 out of range/, p);
  fails(at(msg('h'), lit(0)), /\[index\] expects List, got Dict/, p);
  fails({ k: 'field', of: msg('rec'), name: 'outer' }, /no field "outer" in \{inner : \{v : "x"\}\}/, p);
  fails({ k: 'field', of: msg('xs'), name: 'a' }, /\.a expects Dict, got List/, p);
});

test('Regex: match tests a pattern, bad patterns deny', () => {
  evaluates(call('re', 'match', dict({ text: msg('t'), pattern: lit('^/tmp/[a-z]+$') })), true, { t: '/tmp/abc' });
  evaluates(call('re', 'match', dict({ text: msg('t'), pattern: lit('^/tmp/[a-z]+$') })), false, { t: '/tmp/../etc' });
  fails(call('re', 'match', dict({ text: lit('x'), pattern: msg('p') })), /re\.match: invalid regular expression "\("/, { p: '(' });
});

const setObj = object('ports', 'HashSet', { set_size: 2, pool_size: 2 });
const setRule = (method: string, entry?: IrExpr) => rule('ports', method, dict(entry === undefined ? { sid: msg('sid') } : { sid: msg('sid'), entry }));
function setModule() {
  return loadPolicy(policy({
    objects: [setObj],
    bindings: [bind('request', { method: 'Ping' }, [choice(msg('op'), [
      ['init', [setRule('init')]], ['fini', [setRule('fini')]],
      ['add', [setRule('add', msg('entry'))]], ['remove', [setRule('remove', msg('entry'))]],
      ['contains', [assert_(call('ports', 'contains', dict({ sid: msg('sid'), entry: msg('entry') })))]],
    ])])],
  }));
}

test('HashSet: add until full, add of a present entry grants, remove, contains, pool limit', () => {
  const m = setModule();
  const op = (o: string, sid: number, entry?: unknown) => m.decide(ping({ op: o, sid, entry })).explanation?.reason ?? 'granted';
  assert.match(op('add', 1, 80), /^ports\.add: no set attached to sid 1 \(init not called\)$/);
  assert.equal(op('init', 1), 'granted');
  assert.equal(op('init', 1), 'ports.init: a set is already attached to sid 1');
  assert.equal(op('add', 1, 80), 'granted');
  assert.equal(op('add', 1, { port: 443, tls: true }), 'granted');
  assert.equal(op('add', 1, 80), 'granted', 'already present');
  assert.equal(op('add', 1, 22), 'ports.add: set of sid 1 is full (set_size 2)');
  assert.equal(op('contains', 1, { tls: true, port: 443 }), 'granted', 'dict entries compare by content');
  assert.equal(op('contains', 1, 22), 'base.assert: assertion failed');
  assert.equal(op('remove', 1, 80), 'granted');
  assert.equal(op('remove', 1, 80), 'granted', 'removing an absent entry is a no-op');
  assert.equal(op('add', 1, 22), 'granted');
  assert.equal(op('init', 2), 'granted');
  assert.equal(op('init', 3), 'ports.init: pool full (pool_size 2)');
  assert.equal(op('fini', 2), 'granted');
  assert.equal(op('init', 3), 'granted');
  assert.match(op('fini', 2), /no set attached to sid 2/);
  assert.match(op('add', 1, 'x'), /full/);
  assert.match(m.decide(ping({ op: 'add', sid: 'one', entry: 1 })).explanation!.reason, /ports\.add: type mismatch: sid expects Int/);
});

test('HashSet: the pool limit counts contexts staged in the same decision', () => {
  const m = loadPolicy(policy({
    objects: [object('s', 'HashSet', { set_size: 1, pool_size: 1 })],
    bindings: [bind('request', {}, [rule('s', 'init', dict({ sid: lit(1) })), rule('s', 'init', dict({ sid: lit(2) }))])],
  }));
  assert.equal(m.decide(ping()).explanation?.reason, 's.init: pool full (pool_size 1)');
});

test('StaticMap: set writes the working copy; commit publishes it; rollback discards it', () => {
  const m = loadPolicy(policy({
    objects: [object('mmio', 'StaticMap', { keys: { base: 0, size: 0 }, pool_size: 1 })],
    bindings: [bind('request', { method: 'Ping' }, [choice(msg('op'), [
      ['init', [rule('mmio', 'init', dict({ sid: srcSid }))]],
      ['fini', [rule('mmio', 'fini', dict({ sid: srcSid }))]],
      ['set', [rule('mmio', 'set', dict({ sid: srcSid, key: msg('key'), value: msg('value') }))]],
      ['commit', [rule('mmio', 'commit', dict({ sid: srcSid }))]],
      ['rollback', [rule('mmio', 'rollback', dict({ sid: srcSid }))]],
      ['get', [assert_(bin('==', call('mmio', 'get', dict({ sid: srcSid, key: msg('key') })), msg('value')))]],
      ['work', [assert_(bin('==', call('mmio', 'get_uncommited', dict({ sid: srcSid, key: msg('key') })), msg('value')))]],
    ])])],
  }));
  const op = (o: string, more: Record<string, unknown> = {}, srcSid = 1) =>
    m.decide(event('request', 2, SERVER, { riid: 0, mid: 0, srcSid, params: { op: o, ...more } })).explanation?.reason ?? 'granted';
  assert.match(op('get', { key: 'base', value: 0 }), /mmio\.get: no map attached to sid 1/);
  assert.equal(op('init'), 'granted');
  assert.equal(op('init', {}, 2), 'mmio.init: pool full (pool_size 1)');
  assert.equal(op('get', { key: 'base', value: 0 }), 'granted');
  assert.equal(op('set', { key: 'base', value: 0x1000 }), 'granted');
  assert.equal(op('work', { key: 'base', value: 0x1000 }), 'granted');
  assert.equal(op('get', { key: 'base', value: 0 }), 'granted', 'base copy unchanged before commit');
  assert.equal(op('commit'), 'granted');
  assert.equal(op('get', { key: 'base', value: 0x1000 }), 'granted');
  assert.equal(op('set', { key: 'size', value: 64 }), 'granted');
  assert.equal(op('rollback'), 'granted');
  assert.equal(op('work', { key: 'size', value: 0 }), 'granted', 'rollback restored the working copy');
  assert.equal(op('set', { key: 'limit', value: 1 }), 'mmio.set: unknown key "limit"');
  assert.equal(op('fini'), 'granted');
  assert.match(op('commit'), /no map attached to sid 1/);
});

test('Flow: init once, enter only along transitions, allow, query for choice, fini', () => {
  const m = loadPolicy(pingPolicy({
    bindings: [
      ...pingPolicy().bindings,
      bind('response', { method: 'Ping' }, [rule('request_state', 'allow', dict({ sid: srcSid, states: lit(['pong_next']) }))]),
      bind('execute', { dst: CORE }, [rule('request_state', 'fini', dict({ sid: lit(103) }))]),
      bind('security', {}, [choice(call('request_state', 'query', dict({ sid: lit(103) })), [['pong_next', [grant()]], ['_', [deny()]]])]),
    ],
  }));
  const start = () => m.decide(event('execute', CORE, SERVER, { dstSid: 103 }));
  const queryIsPong = () => m.decide(event('security', 4, 4, { mid: 0 })).granted;
  assert.match(m.decide(ping()).explanation!.reason, /^request_state\.enter: FSM not initialised for sid 103$/);
  assert.equal(start().granted, true);
  assert.equal(start().explanation?.reason, 'request_state.init: FSM already attached to sid 103 (state ping_next)');
  assert.equal(queryIsPong(), false);
  const pingReply = () => m.decide(event('response', SERVER, 2, { riid: 0, mid: 0, srcSid: 103 }));
  assert.equal(pingReply().explanation?.reason, 'request_state.allow: state ping_next not in [pong_next]');
  assert.equal(m.decide(ping()).granted, true);
  assert.equal(pingReply().granted, true);
  assert.equal(queryIsPong(), true);
  assert.equal(m.decide(ping()).explanation?.reason, 'request_state.enter: transition pong_next → pong_next not allowed; allowed from pong_next: [ping_next]');
  assert.equal(m.decide(pong()).granted, true);
  assert.equal(m.decide(event('execute', CORE, CORE)).granted, true, 'fini');
  assert.match(m.decide(pong()).explanation!.reason, /FSM not initialised for sid 103/);
  assert.equal(start().granted, true, 'init again after fini');
});

test('Flow: allow denies outside the listed states and rejects unknown states', () => {
  const flow = object('f', 'Flow', { states: ['a', 'b'], initial: 'a', transitions: { a: ['b'] } });
  const m = loadPolicy(policy({
    objects: [flow],
    bindings: [
      bind('execute', {}, [rule('f', 'init', dict({ sid: dstSid }))]),
      bind('request', {}, [rule('f', 'allow', dict({ sid: dstSid, states: msg('states') }))]),
    ],
  }));
  m.decide(event('execute', CORE, SERVER, { dstSid: 103 }));
  assert.equal(m.decide(ping({ states: ['a'] })).granted, true);
  assert.equal(m.decide(ping({ states: ['b'] })).explanation?.reason, 'f.allow: state a not in [b]');
  assert.equal(m.decide(ping({ states: ['c'] })).explanation?.reason, 'f.allow: unknown state "c"; states: [a, b]');
});

const mic = object('mic', 'Mic', ['LOW', 'MEDIUM', 'HIGH']);
const mic2 = object('mic2', 'Mic', { degrees: ['low', 'high'], categories: ['net', 'log'] });

test('Mic: execute labels a subject; writes, calls and invokes may not raise integrity', () => {
  const m = loadPolicy(policy({
    objects: [mic],
    bindings: [
      bind('execute', {}, [rule('mic', 'execute', dict({ target: dstSid, level: msg('level') }))]),
      bind('request', { method: 'Ping' }, [rule('mic', 'write', dict({ source: srcSid, target: dstSid }))]),
      bind('request', { method: 'Pong' }, [rule('mic', 'call', dict({ source: srcSid, target: dstSid }))]),
      bind('security', {}, [rule('mic', 'invoke', dict({ source: srcSid, target: lit(1) }))]),
      bind('response', {}, [rule('mic', 'create', dict({ source: srcSid, target: msg('h'), level: msg('level') }))]),
    ],
  }));
  const start = (sid: number, level: string) => m.decide(event('execute', CORE, SERVER, { dstSid: sid, params: { level } }));
  const req = (mid: number, src: number, dst: number) => m.decide(event('request', 2, SERVER, { riid: 0, mid, srcSid: src, dstSid: dst }));
  assert.equal(start(1, 'LOW').granted, true);
  assert.equal(start(2, 'MEDIUM').granted, true);
  assert.equal(start(3, 'HIGH').granted, true);
  assert.equal(start(3, 'LOW').explanation?.reason, 'mic.execute: target sid 3 already has integrity level HIGH');
  assert.match(start(4, 'TOP').explanation!.reason, /mic\.execute: unknown level "TOP"; known: \[LOW, MEDIUM, HIGH\]/);
  assert.equal(req(0, 3, 1).granted, true, 'HIGH writes to LOW');
  assert.equal(req(0, 2, 2).granted, true, 'same level');
  assert.equal(req(0, 1, 3).explanation?.reason, 'mic.write: flow from source (LOW) to target (HIGH) would raise integrity');
  assert.equal(req(1, 1, 3).granted, true, 'LOW calls HIGH: the reply flows down');
  assert.equal(req(1, 3, 1).explanation?.reason, 'mic.call: flow from target (LOW) to source (HIGH) would raise integrity');
  assert.match(req(0, 9, 1).explanation!.reason, /mic\.write: no integrity level for source sid 9/);
  assert.equal(m.decide(event('security', 4, 4, { mid: 0, srcSid: 2 })).granted, true, 'MEDIUM invokes LOW');
  const create = (src: number, h: number, level: string) => m.decide(event('response', SERVER, 2, { riid: 0, mid: 0, srcSid: src, params: { h, level } }));
  assert.equal(create(2, 50, 'LOW').granted, true);
  assert.equal(create(2, 51, 'HIGH').explanation?.reason, 'mic.create: source (MEDIUM) cannot create a resource at HIGH');
  assert.equal(req(0, 50, 1).granted, true, 'the created resource has its level');
});

test('Mic: with categories, levels form a lattice and incomparable levels deny both ways', () => {
  const m = loadPolicy(policy({
    objects: [mic2],
    bindings: [
      bind('execute', {}, [rule('mic2', 'execute', dict({ target: dstSid, level: msg('level') }))]),
      bind('request', {}, [rule('mic2', 'write', dict({ source: srcSid, target: dstSid }))]),
      bind('security', {}, [assert_(bin('==', call('mic2', 'level', dict({ sid: srcSid })), msg('level')))]),
    ],
  }));
  const start = (sid: number, level: unknown) => m.decide(event('execute', CORE, SERVER, { dstSid: sid, params: { level } })).granted;
  assert.equal(start(1, { degree: 'high', categories: ['net'] }), true);
  assert.equal(start(2, { degree: 'high', categories: ['log'] }), true);
  assert.equal(start(3, { degree: 'high', categories: ['net', 'log'] }), true);
  assert.equal(start(4, 'low'), true);
  assert.equal(start(5, { degree: 'high', categories: ['disk'] }), false);
  const write = (s: number, t: number) => m.decide(event('request', 2, SERVER, { riid: 0, mid: 0, srcSid: s, dstSid: t })).granted;
  assert.equal(write(1, 2), false, 'incomparable');
  assert.equal(write(2, 1), false, 'incomparable');
  assert.equal(write(3, 1), true, 'dominates');
  assert.equal(write(1, 3), false);
  assert.equal(write(1, 4), true);
  assert.equal(write(4, 1), false);
  assert.equal(m.decide(event('security', 4, 4, { mid: 0, srcSid: 3, params: { level: { degree: 'high', categories: ['net', 'log'] } } })).granted, true);
});

test('Mic: execute with an image cannot start a subject above the image level', () => {
  const m = loadPolicy(policy({
    objects: [mic],
    bindings: [
      bind('execute', { dst: CORE }, [rule('mic', 'execute', dict({ target: dstSid, level: lit('MEDIUM') }))]),
      bind('execute', { dst: SERVER }, [rule('mic', 'execute', dict({ target: dstSid, image: lit(100), level: msg('level') }))]),
    ],
  }));
  assert.equal(m.decide(event('execute', CORE, CORE, { dstSid: 100 })).granted, true);
  assert.equal(m.decide(event('execute', CORE, SERVER, { dstSid: 1, params: { level: 'HIGH' } })).explanation?.reason, "mic.execute: level HIGH exceeds the image's level MEDIUM");
  assert.equal(m.decide(event('execute', CORE, SERVER, { dstSid: 1, params: { level: 'LOW' } })).granted, true);
});

test('stateful model configs are checked at load', () => {
  const bad: [IrObject, RegExp][] = [
    [object('s', 'HashSet', { set_size: 0, pool_size: 1 }), /set_size must be in 1\.\.1000000/],
    [object('s', 'HashSet', { set_size: 1 }), /no field "pool_size"/],
    [object('m', 'StaticMap', { keys: [['a', 0], ['a', 1]], pool_size: 1 }), /keys must be distinct/],
    [object('f', 'Flow', { states: ['a', 'a'], initial: 'a', transitions: {} }), /states must be distinct/],
    [object('f', 'Flow', { states: ['a'], initial: 'a', transitions: { a: ['z'] } }), /unknown state "z"/],
    [object('x', 'Mic', []), /at least one level/],
    [object('x', 'Mic', { degrees: ['a'], categories: Array.from({ length: 31 }, (_, i) => `c${i}`) }), /categories must be distinct \(at most 30\)/],
  ];
  for (const [o, e] of bad) assert.throws(() => loadPolicy(policy({ objects: [o] })), e);
});

test('StaticMap keys may also be given as [key, default] pairs with list keys', () => {
  const m = loadPolicy(policy({
    objects: [object('t', 'StaticMap', { keys: [[[1, 2], 'x']], pool_size: 1 })],
    bindings: [
      bind('execute', {}, [rule('t', 'init', dict({ sid: dstSid }))]),
      bind('request', {}, [assert_(bin('==', call('t', 'get', dict({ sid: dstSid, key: msg('k') })), lit('x')))]),
    ],
  }));
  m.decide(event('execute', CORE, SERVER, { dstSid: 103 }));
  assert.equal(m.decide(ping({ k: new Uint8Array([1, 2]) })).granted, true);
});
