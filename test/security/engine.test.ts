// Decision semantics of the security module, written as attacks on it: default deny, every
// matching binding applies, all rules must grant, state commits only on grant, errors deny.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicy } from '../../src/security/index.ts';
import {
  CLIENT, CORE, SERVER, VERIFIER, assert_, bin, bind, call, choice, deny, dict, dstSid, event, grant, lit,
  field, match, msg, object, ping, pingPolicy, policy, pong, rule, size, srcSid,
} from './helpers.ts';

test('an empty policy denies everything: default deny', () => {
  const m = loadPolicy(policy({}));
  const d = m.decide(event('execute', CORE, CORE));
  assert.equal(d.granted, false);
  assert.equal(d.explanation?.reason, 'no binding matches');
  assert.deepEqual(d.explanation?.bindings, []);
});

test('an event of another kind than the binding is not granted by it', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [grant()])] }));
  assert.equal(m.decide(ping()).granted, true);
  assert.equal(m.decide(event('response', SERVER, CLIENT, { riid: 0, mid: 0 })).granted, false);
  assert.equal(m.decide(event('execute', CORE, SERVER)).granted, false);
});

test('every matching binding applies: one deny among two matching bindings denies', () => {
  const m = loadPolicy(policy({
    bindings: [
      bind('request', { dst: SERVER }, [grant('a.psl:1:1')], 'a.psl:1:1'),
      bind('request', { method: 'Pong' }, [deny('b.psl:2:3')], 'b.psl:2:1'),
    ],
  }));
  assert.equal(m.decide(ping()).granted, true);
  const d = m.decide(pong());
  assert.equal(d.granted, false);
  assert.deepEqual(d.explanation?.bindings, ['a.psl:1:1', 'b.psl:2:1']);
  assert.equal(d.explanation?.rule, 'b.psl:2:3');
  assert.equal(d.explanation?.reason, 'base.deny: denied by policy');
});

test('state changed by one binding is not committed when another binding denies', () => {
  const ir = pingPolicy();
  const m = loadPolicy({ ...ir, bindings: [...ir.bindings, bind('request', { method: 'Ping' }, [assert_(bin('>', msg('value'), lit(10)))])] });
  assert.equal(m.decide(event('execute', CORE, SERVER, { dstSid: 103 })).granted, true);
  assert.equal(m.decide(ping({ value: 1 })).granted, false, 'value 1 fails the assert');
  // The Flow enter in the first binding granted, but was rolled back: Ping is still next.
  assert.equal(m.decide(pong()).granted, false);
  assert.equal(m.decide(ping({ value: 11 })).granted, true);
  assert.equal(m.decide(pong()).granted, true);
});

test('a binding whose nested match sections all miss grants nothing', () => {
  const m = loadPolicy(policy({
    bindings: [bind('request', {}, [match({ dst: CORE }, [match({ src: CLIENT }, [grant()])])])],
  }));
  assert.equal(m.decide(event('request', CLIENT, CORE, { riid: 0, mid: 0 })).granted, false, 'Core has no endpoint 0');
  const d = m.decide(ping());
  assert.equal(d.granted, false);
  assert.match(d.explanation!.reason, /no rule applies/);
});

test('nested match narrows by src, dst, interface, component, endpoint and method', () => {
  const m = loadPolicy(policy({
    bindings: [bind('request', {}, [
      match({ dst: VERIFIER, interface: 'Store', method: 'Get' }, [grant()]),
      match({ dst: VERIFIER, component: 'Admin' }, [match({ src: CLIENT }, [grant()])]),
      match({ dst: SERVER, endpoint: 'pingComp.pingImpl' }, [grant()]),
    ])],
  }));
  const req = (src: number, riid: number, mid: number, dst = VERIFIER) => m.decide(event('request', src, dst, { riid, mid })).granted;
  assert.equal(req(CLIENT, 0, 0), true, 'Store.Get');
  assert.equal(req(CLIENT, 0, 1), false, 'Store.Put');
  assert.equal(req(CLIENT, 1, 0), true, 'admin.ctl.Reset from Client');
  assert.equal(req(SERVER, 1, 0), false, 'admin.ctl.Reset from Server');
  assert.equal(req(CLIENT, 0, 1, SERVER), true, 'Pong');
});

test('a component selector names the CDL component on the endpoint path, not an instance or a prefix', () => {
  const sel = (component: string) => loadPolicy(policy({ bindings: [bind('request', { component }, [grant()])] }));
  const reset = event('request', CLIENT, VERIFIER, { riid: 1, mid: 0 }), get = event('request', CLIENT, VERIFIER, { riid: 0, mid: 0 });
  assert.equal(sel('Admin').decide(reset).granted, true);
  assert.equal(sel('admin').decide(reset).granted, false, 'instance name');
  assert.equal(sel('Adm').decide(reset).granted, false, 'prefix');
  assert.equal(sel('Ping').decide(ping()).granted, true);
  assert.equal(sel('Ping').decide(get).granted, false, 'an endpoint without a component list matches no component');
});

test('responses and errors are matched on the server endpoint, which is their source', () => {
  const m = loadPolicy(policy({ bindings: [bind('response', { src: SERVER, method: 'Ping' }, [grant()])] }));
  assert.equal(m.decide(event('response', SERVER, CLIENT, { riid: 0, mid: 0 })).granted, true);
  const d = m.decide(event('response', SERVER, CLIENT, { riid: 0, mid: 1 }));
  assert.equal(d.granted, false);
  assert.equal(d.explanation?.method, 'Pong');
  assert.equal(m.decide(event('error', SERVER, CLIENT, { riid: 0, mid: 0 })).granted, false);
});

test('security events take their method from the source class security interface', () => {
  const m = loadPolicy(policy({
    bindings: [bind('security', { src: VERIFIER, interface: 'Approve', method: 'Check' }, [assert_(bin('>', msg('port'), lit(80)))])],
  }));
  const check = (port: number) => m.decide(event('security', VERIFIER, VERIFIER, { mid: 0, params: { port } })).granted;
  assert.equal(check(443), true);
  assert.equal(check(22), false);
  assert.equal(m.decide(event('security', VERIFIER, VERIFIER, { mid: 1, params: {} })).granted, false, 'Login is not bound');
  const bad = m.decide(event('security', CLIENT, CLIENT, { mid: 0 }));
  assert.match(bad.explanation!.reason, /invalid event: class Client has no security method/);
});

test('events naming unknown classes, endpoints or methods are denied as invalid, never thrown', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [grant()]), bind('execute', {}, [grant()])] }));
  const cases = [
    event('request', CLIENT, 99, { riid: 0, mid: 0 }),
    event('request', -1, SERVER, { riid: 0, mid: 0 }),
    event('request', CLIENT, SERVER, { riid: 5, mid: 0 }),
    event('request', CLIENT, SERVER, { riid: 0, mid: 2 }),
    event('request', CLIENT, SERVER, { riid: 0 }),
    event('request', CLIENT, VERIFIER, { riid: 1, mid: 1 }),
    event('request', 1.5, SERVER, { riid: 0, mid: 0 }),
    { ...event('execute', CORE, SERVER), kind: 'bogus' as 'execute' },
    { ...event('execute', CORE, SERVER), srcSid: 2 ** 60 },
  ];
  for (const e of cases) {
    const d = m.decide(e);
    assert.equal(d.granted, false, JSON.stringify(e));
    assert.match(d.explanation!.reason, /^invalid event: /);
  }
  assert.equal(m.decide(null as never).granted, false);
});

test('choice runs the first arm whose literal equals the value, `_` is the default', () => {
  const m = loadPolicy(policy({
    bindings: [bind('request', { dst: SERVER }, [choice(msg('mode'), [
      ['read', [grant()]],
      [7, [grant()]],
      ['write', [deny()]],
      ['_', [assert_(bin('==', msg('mode'), lit('admin')))]],
    ])])],
  }));
  const mode = (v: unknown) => m.decide(ping({ mode: v })).granted;
  assert.equal(mode('read'), true);
  assert.equal(mode(7), true);
  assert.equal(mode(7n), true);
  assert.equal(mode('7'), false);
  assert.equal(mode('write'), false);
  assert.equal(mode('admin'), true);
  assert.equal(mode('other'), false);
});

test('choice without a matching arm denies and says which value fell through', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [choice(msg('mode'), [['read', [grant()]]], 'c.psl:4:2')])] }));
  const d = m.decide(ping({ mode: 'wr\nite' }));
  assert.equal(d.granted, false);
  assert.equal(d.explanation?.rule, 'c.psl:4:2');
  assert.equal(d.explanation?.reason, 'choice: no arm matches "wr\\nite"');
});

test('choice on re.select tests the arms as regular expressions', () => {
  const m = loadPolicy(policy({
    bindings: [bind('request', {}, [choice(call('re', 'select', dict({ text: msg('name') })), [
      ['^hello .*', [grant()]],
      ['^[0-9]+$', [deny()]],
      ['_', [assert_(bin('==', msg('name'), lit('admin')))]],
    ])])],
  }));
  const name = (v: string) => m.decide(ping({ name: v })).granted;
  assert.equal(name('hello world'), true);
  assert.equal(name('say hello world'), false);
  assert.equal(name('12345'), false);
  assert.equal(name('admin'), true);
});

test('an invalid re.select arm pattern fails the load with its origin', () => {
  const ir = policy({ bindings: [bind('request', {}, [choice(call('re', 'select', dict({ text: msg('n') })), [['(', [grant()]]], 'r.psl:9:9')])] });
  assert.throws(() => loadPolicy(ir), /r\.psl:9:9: invalid regular expression "\("/);
});

test('expression errors deny with an explanation naming the cause', () => {
  const cases: [ReturnType<typeof assert_>, RegExp][] = [
    [assert_(bin('>', msg('port'), lit(80))), /^message has no field "port"$/],
    [assert_(bin('>', msg('value'), lit('x'))), /^type mismatch: > expects Int, got Text "x"$/],
    [assert_(bin('>', { k: 'index', of: msg('list'), index: lit(3) }, lit(0))), /^index 3 out of range \(length 2\)$/],
    [assert_(bin('==', bin('/', msg('value'), lit(0)), lit(0))), /^division by zero/],
    [assert_(msg('value')), /^base\.assert: type mismatch: assert expects Boolean, got Int 1$/],
  ];
  for (const [stmt, expected] of cases) {
    const m = loadPolicy(policy({ bindings: [bind('request', {}, [stmt])] }));
    const d = m.decide(ping({ value: 1, list: [1, 2] }));
    assert.equal(d.granted, false);
    assert.equal(d.explanation?.error, true);
    assert.match(d.explanation!.reason, expected);
  }
});

test('a message thunk that throws, or an event without a message, denies instead of throwing', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [assert_(bin('==', msg('value'), lit(1)))])] }));
  const d1 = m.decide({ ...ping(), message: () => { throw new Error('bad arena offset'); } });
  assert.equal(d1.explanation?.reason, 'the message could not be decoded: bad arena offset');
  const { message: _, ...noMessage } = ping();
  assert.equal(m.decide(noMessage).explanation?.reason, 'the event carries no message');
});

test('the message is decoded only when a rule reads it', () => {
  let reads = 0;
  const m = loadPolicy(policy({ bindings: [bind('request', { method: 'Ping' }, [grant()]), bind('request', { method: 'Pong' }, [
    assert_(bin('==', msg('a'), lit(1))), assert_(bin('==', msg('b'), lit(2))),
  ])] }));
  const counted = (mid: number) => ({ ...ping(), mid, message: () => { reads++; return { a: 1, b: 2 }; } });
  assert.equal(m.decide(counted(0)).granted, true);
  assert.equal(reads, 0);
  assert.equal(m.decide(counted(1)).granted, true);
  assert.equal(reads, 1, 'fetched once per decision');
});

test('message values of every host shape are normalized', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [
    assert_(bin('==', msg('n'), lit(2n ** 64n - 1n))),
    assert_(bin('==', msg('bytes'), lit([1, 2, 255]))),
    assert_(bin('==', field(msg('h'), 'rights'), lit(6))),
    assert_(bin('==', msg('nested'), lit({ tag: 'a', value: [true, null] }))),
    assert_(bin('==', size(msg('s')), lit(4))),
  ])] }));
  const params = { n: 2n ** 64n - 1n, bytes: new Uint8Array([1, 2, 255]), h: { handle: 5, rights: 6 }, nested: { tag: 'a', value: [true, null] }, s: 'é€' };
  assert.equal(m.decide(ping(params)).granted, false, 'é€ is 5 UTF-8 bytes');
  assert.equal(m.decide(ping({ ...params, s: 'abcd' })).granted, true);
  assert.equal(m.decide(ping({ ...params, n: 1.5 })).granted, false);
  assert.equal(m.decide(ping({ ...params, n: 2n ** 64n })).granted, false);
});

test('src_sid and dst_sid are the event participants', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [assert_(bin('&&', bin('==', srcSid, lit(7)), bin('==', dstSid, lit(9))))])] }));
  assert.equal(m.decide(event('request', CLIENT, SERVER, { riid: 0, mid: 0, srcSid: 7, dstSid: 9 })).granted, true);
  assert.equal(m.decide(event('request', CLIENT, SERVER, { riid: 0, mid: 0, srcSid: 9, dstSid: 7 })).granted, false);
});

test('malformed IR is rejected at load with the offending path', () => {
  const good = pingPolicy();
  const bad: [unknown, RegExp][] = [
    [null, /at policy: expected an object/],
    [{ ...good, version: 2 }, /at version: expected 1/],
    [{ ...good, bindings: [{ ...good.bindings[0], event: 'send' }] }, /at bindings\[0\]\.event: expected one of/],
    [{ ...good, bindings: [bind('request', { dst: 17 }, [grant()])] }, /at bindings\[0\]\.selectors\.dst: expected an integer in 0\.\.4/],
    [{ ...good, bindings: [bind('request', {}, [{ k: 'loop' } as never])] }, /bindings\[0\]\.body\[0\]\.k: unknown statement kind "loop"/],
    [{ ...good, bindings: [bind('request', {}, [assert_({ k: 'lit', value: { t: 'int', v: '0x10' } })])] }, /expected a decimal integer string/],
    [{ ...good, bindings: [bind('request', {}, [rule('nobody', 'grant')])] }, /test\.psl:0:0: unknown policy object "nobody"/],
    [{ ...good, bindings: [bind('request', {}, [rule('request_state', 'teleport')])] }, /Flow object "request_state" has no rule method "teleport" \(has: init, fini, enter, allow\)/],
    [{ ...good, bindings: [bind('request', {}, [assert_(call('request_state', 'enter', lit(1)))])] }, /has no expression method "enter"/],
    [{ ...good, objects: [object('f', 'Flow', { states: ['a'], initial: 'b', transitions: {} })] }, /policy object f \(test\.psl:f\): bad config: unknown state "b"/],
    [{ ...good, objects: [...good.objects, ...good.objects] }, /at objects\[1\]\.name: duplicate "request_state"/],
    [{ ...good, auditDefault: { profile: 'nope', level: 0 } }, /unknown audit profile "nope"/],
    [{ ...good, bindings: [bind('request', {}, [{ k: 'audit', profile: 'nope' }, grant()], 'x.psl:1:1')] }, /x\.psl:1:1: unknown audit profile "nope"/],
    [{ ...good, classes: [{ name: 'A', endpoints: [{ name: 'e', riid: 0, interface: 'I', methods: [] }, { name: 'f', riid: 0, interface: 'I', methods: [] }] }] }, /endpoints\[1\]\.riid: duplicate 0/],
    [{ ...good, bindings: [bind('request', {}, new Array(2) as never)] }, /hole at index 0/],
    [{ ...good, objects: [{ ...good.objects[0], config: () => 1 }] }, /invalid policy IR: not plain data/],
  ];
  for (const [ir, expected] of bad) assert.throws(() => loadPolicy(ir as never), expected);
  let deep: never = { k: 'src_sid' } as never;
  for (let i = 0; i < 500; i++) deep = { k: 'unary', op: '!', arg: deep } as never;
  assert.throws(() => loadPolicy(policy({ bindings: [bind('request', {}, [assert_(deep)])] })), /nested too deeply/);
});

test('the loaded policy is a copy: mutating the IR afterwards changes nothing', () => {
  const ir = policy({ bindings: [bind('request', {}, [grant()])] });
  const m = loadPolicy(ir);
  (ir.bindings[0]!.body as unknown[]).splice(0, 1, deny());
  (ir.bindings[0]!.selectors as { dst?: number }).dst = CORE;
  assert.equal(m.decide(ping()).granted, true);
});

test('a re-entrant decision from the audit sink is refused and cannot disturb the outer one', () => {
  let inner: boolean | undefined;
  const ir = pingPolicy({ auditProfiles: [{ name: 'all', levels: [{ level: 0, objects: [{ object: 'request_state', kss: ['granted', 'denied'], omit: [], emit: [] }] }] }], auditDefault: { profile: 'all', level: 0 } });
  const m = loadPolicy(ir, { audit: () => { inner ??= m.decide(pong()).granted; } });
  m.decide(event('execute', CORE, SERVER, { dstSid: 103 }));
  assert.equal(m.decide(ping()).granted, true);
  assert.equal(inner, false);
  assert.equal(m.decide(pong()).granted, true, 'the outer Ping was committed');
});
