// The PSL policy compiler: every static check with the exact diagnostic it prints (message, location,
// source line and caret), and the shape of the IR it produces for small policies.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IrStmt } from '../../src/security/ir.ts';
import { clean, compile, errors, HEAD, pslError, SESSION } from '../helpers/policy.ts';

/** The first line a test appends to HEAD. */
const L = 11;
/** The first line after HEAD + SESSION. */
const LS = 15;

const FLOW_CONFIG = (config: string) => `policy object session : Flow {\n    config = ${config}\n}\n`;

describe('classes', () => {
  test('a selector naming a class no EDL declares', (t) => {
    const src = 'request dst=app.Nobody { grant () }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'app.Nobody', 'unknown process class "app.Nobody"')]);
  });

  test('a selector naming a class the policy does not include', (t) => {
    const src = 'request dst=app.Server { grant () }';
    const psl = HEAD.replace('use EDL app.Server\n', '') + src + '\n';
    assert.deepEqual(errors(t, psl), [pslError(L - 1, src, 'app.Server', 'process class "app.Server" is not included in the policy: add "use EDL app.Server"')]);
  });

  test('use EDL of a class no EDL declares', (t) => {
    const src = 'use EDL app.Nobody';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'app.Nobody', 'unknown process class "app.Nobody": no EDL file found for it')]);
  });

  test('task class of an unknown EDL, and a class name given to two EDLs', (t) => {
    const a = 'task class Srv : app.Nobody';
    const b = 'task class app.Server : app.Client';
    assert.deepEqual(errors(t, HEAD + a + '\n' + b + '\n'), [
      pslError(L, a, 'app.Nobody', 'unknown process class "app.Nobody": no EDL file found for it'),
      pslError(L + 1, b, 'app.Server', 'class "app.Server" is already declared for app.Server'),
    ]);
  });

  test('a task class alias selects the EDL it names, endpoints and message included', (t) => {
    const r = clean(t, HEAD + 'task class Srv : app.Server\nrequest dst=Srv, endpoint=calc, method=Add { assert (message.a < 5) }\n');
    const names = r.policy.ir.classes.map((c) => c.name);
    assert.ok(names.includes('Srv'));
    const srv = r.policy.ir.classes[names.indexOf('Srv')]!;
    assert.deepEqual(srv.endpoints.map((e) => e.name), ['calc']);
    assert.equal(r.policy.ir.bindings[0]!.selectors.dst, names.indexOf('Srv'));
  });
});

describe('endpoints, methods, interfaces and components', () => {
  test('an endpoint the selected class does not have, listing its endpoints', (t) => {
    const src = 'request dst=app.Server, endpoint=nope { grant () }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'nope', 'no endpoint "nope" in class app.Server; its endpoints are: calc')]);
  });

  test('a method the selected endpoint does not have', (t) => {
    const src = 'request dst=app.Server, endpoint=calc, method=Sub { grant () }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'Sub', 'no method "Sub" in endpoint calc of class app.Server')]);
  });

  test('a method no endpoint of the selected class has', (t) => {
    const src = 'request dst=app.Server, method=Sub { grant () }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'Sub', 'no method "Sub" in class app.Server')]);
  });

  test('a security event names a method of the security interface', (t) => {
    const bad = 'security src=app.Server, method=Nope { grant () }';
    assert.deepEqual(errors(t, HEAD + bad + '\n'), [pslError(L, bad, 'Nope', 'no method "Nope" in class app.Server')]);
    clean(t, HEAD + 'security src=app.Server, method=Reset { assert (message.level < 3) }\n');
  });

  test('an unknown interface and an unknown component', (t) => {
    const a = 'request interface=app.Nope { grant () }';
    const b = 'request component=app.Nope { grant () }';
    assert.deepEqual(errors(t, HEAD + a + '\n' + b + '\n'), [
      pslError(L, a, 'app.Nope', 'unknown interface "app.Nope"'),
      pslError(L + 1, b, 'app.Nope', 'unknown component "app.Nope"'),
    ]);
  });

  test('selectors that do not fit the event', (t) => {
    const a = 'request dst=app.Server, dst=app.Client { grant () }';
    const b = 'execute dst=app.Server, method=Add { grant () }';
    const c = 'security src=app.Server, dst=app.Client { grant () }';
    assert.deepEqual(errors(t, HEAD + [a, b, c].join('\n') + '\n'), [
      pslError(L, a, 'dst', 'selector "dst" is given twice', 2),
      pslError(L + 1, b, 'method', 'execute events have no method; they take only src= and dst='),
      pslError(L + 2, c, 'dst', 'security events have no destination (dst=); only src='),
    ]);
  });
});

describe('message', () => {
  const REQ = 'request dst=app.Server, endpoint=calc, method=Add';

  test('a request reads in parameters only', (t) => {
    const src = `${REQ} { assert (message.sum == 0) }`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'message.sum', '"sum" is not a parameter of app.Calc.Add (in parameters); its parameters are: a, b'),
    ]);
  });

  test('a response reads out parameters only', (t) => {
    const src = 'response src=app.Server, endpoint=calc, method=Add { assert (message.a == 0) }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'message.a', '"a" is not a parameter of app.Calc.Add (out parameters); its parameters are: sum'),
    ]);
  });

  test('an error response reads error parameters only', (t) => {
    const src = 'error src=app.Server, endpoint=calc, method=Add { assert (message.sum == 0) }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'message.sum', '"sum" is not a parameter of app.Calc.Add (error parameters); its parameters are: code'),
    ]);
  });

  test('each event reads the parameters of its own direction', (t) => {
    clean(t, HEAD + [
      `${REQ} { assert (message.a + message.b < 10) }`,
      'response src=app.Server, endpoint=calc, method=Add { assert (message.sum < 10) }',
      'error src=app.Server, endpoint=calc, method=Add { assert (message.code != 0) }',
    ].join('\n') + '\n');
  });

  test('message needs selectors that narrow the event to one method', (t) => {
    const src = 'request dst=app.Server { assert (message.a == 0) }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'message.a', '"message" needs selectors that narrow the event to one method (endpoint= and method=); here it could be any of: app.Calc.Add, app.Calc.Greet'),
    ]);
  });

  test('a nested match narrows the event enough for message', (t) => {
    clean(t, HEAD + 'request dst=app.Server {\n    match endpoint=calc, method=Add { assert (message.a == 0) }\n}\n');
  });

  test('execute events carry no message', (t) => {
    const src = 'execute dst=app.Server { assert (message.a == 0) }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'message.a', 'execute events carry no message')]);
  });
});

describe('types', () => {
  const REQ = 'request dst=app.Server, endpoint=calc';

  test('comparing an integer parameter with a string', (t) => {
    const src = `${REQ}, method=Add { assert (message.a == "x") }`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, '"x"', 'cannot compare int with text using "=="')]);
  });

  test('"!" on an integer', (t) => {
    const src = `${REQ}, method=Add { assert (!message.a) }`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'message.a', 'type error: the operand of "!" must be bool, found int')]);
  });

  test('ordering text with "<" reports both operands', (t) => {
    const src = `${REQ}, method=Greet { assert (message.name < "z") }`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'message.name', 'type error: the left operand of "<" must be int, found text'),
      pslError(L, src, '"z"', 'type error: the right operand of "<" must be int, found text'),
    ]);
  });

  test('a rule argument of the wrong kind', (t) => {
    const src = `${REQ}, method=Add { grant (1) }`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, '1', 'type error: the argument of grant must be unit, found int')]);
  });

  test('a name that is neither a SID, the message, nor a literal', (t) => {
    const src = `${REQ}, method=Add { assert (foo == 0) }`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'foo', 'unknown name "foo" (expected src_sid, dst_sid, message.<param>, a literal or a model call)'),
    ]);
  });
});

describe('Flow objects', () => {
  test('an initial state that is not one of the states', (t) => {
    const config = '{ states : ["idle", "busy"], initial : "gone", transitions : { "idle" : ["busy"] } }';
    assert.deepEqual(errors(t, HEAD + FLOW_CONFIG(config)), [
      pslError(L + 1, `    config = ${config}`, config, 'Flow object "session": initial state "gone" is not one of its states [idle, busy]'),
    ]);
  });

  test('a transition to an unknown state, and from one', (t) => {
    const config = '{ states : ["idle", "busy"], initial : "idle", transitions : { "idle" : ["done"], "gone" : ["idle"] } }';
    const line = `    config = ${config}`;
    assert.deepEqual(errors(t, HEAD + FLOW_CONFIG(config)), [
      pslError(L + 1, line, config, 'Flow object "session": transition "idle" → "done" names an unknown state (states: [idle, busy])'),
      pslError(L + 1, line, config, 'Flow object "session": transition from unknown state "gone" (states: [idle, busy])'),
    ]);
  });

  test('a Flow object without config', (t) => {
    const src = 'policy object session : Flow { }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'session', 'Flow object "session" needs config { states : ["a", …], initial : "a", transitions : { "a" : ["b"], … } }'),
    ]);
  });

  test('a non-constant config value is reported once, not also as a missing config', (t) => {
    // The config does list its states; only `initial` is not a constant. The compiler also says the
    // object "needs config { states : … }", which is a cascade of the first error and misleading.
    const config = '{ states : ["idle"], initial : src_sid }';
    const src = `    config = ${config}`;
    assert.deepEqual(errors(t, HEAD + FLOW_CONFIG(config)), [
      pslError(L + 1, src, 'src_sid', 'the config of "session" must be a constant (literals, lists and records only)'),
    ]);
  });

  test('enter and allow with a state literal the object does not have', (t) => {
    const a = 'request dst=app.Server, method=Add { session.enter {sid : dst_sid, state : "done"} }';
    const b = 'request dst=app.Server, method=Greet { session.allow {sid : dst_sid, states : ["idle", "done"]} }';
    assert.deepEqual(errors(t, HEAD + SESSION + a + '\n' + b + '\n'), [
      pslError(LS, a, '"done"', '"done" is not a state of Flow object "session" (states: [idle, busy])'),
      pslError(LS + 1, b, '"done"', '"done" is not a state of Flow object "session" (states: [idle, busy])'),
    ]);
  });

  test('a choice arm naming a state the Flow object does not have', (t) => {
    const arm = '        "done" | "busy" : deny ()';
    const psl = HEAD + SESSION + [
      'request dst=app.Server {',
      '    choice (session.query {sid : dst_sid}) {',
      '        "idle" : grant ()',
      arm,
      '        _ : grant ()',
      '    }',
      '}',
    ].join('\n') + '\n';
    assert.deepEqual(errors(t, psl), [pslError(LS + 3, arm, '"done"', '"done" is not a state of Flow object "session" (states: [idle, busy])')]);
  });
});

describe('objects and model methods', () => {
  test('an object of an unknown model', (t) => {
    const src = 'policy object x : Fsm { }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'Fsm', 'unknown security model "Fsm"; models are: Base, Pred, Bool, Math, Struct, Regex, HashSet, StaticMap, Flow, Mic'),
    ]);
  });

  test('a call on an unknown object', (t) => {
    const src = 'request dst=app.Server { nobody.enter {sid : dst_sid} }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'nobody.enter', 'unknown policy object "nobody"')]);
  });

  test('a method the model does not have, listing its methods', (t) => {
    const src = 'request dst=app.Server { session.jump {sid : dst_sid} }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [
      pslError(LS, src, 'session.jump', 'Flow object "session" has no method "jump"; its methods are: init, fini, enter, allow, query'),
    ]);
  });

  test('a rule used as a value', (t) => {
    const src = 'request dst=app.Server { assert (session.enter {sid : dst_sid, state : "busy"}) }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [
      pslError(LS, src, 'session.enter', 'session.enter is a rule (it grants or denies), not a value'),
    ]);
  });

  test('a value used as a rule', (t) => {
    const src = 'request dst=app.Server { session.query {sid : dst_sid} }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [
      pslError(LS, src, 'session.query', 'session.query yields a value, it does not grant or deny; use it inside assert (…) or choice (…)'),
    ]);
  });

  test('an object named where a value is expected', (t) => {
    const src = 'request dst=app.Server { assert (session) }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [
      pslError(LS, src, 'session', '"session" names a policy object; call one of its methods, e.g. session.init {…}'),
    ]);
  });

  test('an argument record missing a required field', (t) => {
    const src = 'request dst=app.Server { session.enter {sid : dst_sid} }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [
      pslError(LS, src, '{sid : dst_sid}', 'session.enter needs "state" in its argument record'),
    ]);
  });

  test('an argument record with a field the method does not take', (t) => {
    const src = 'request dst=app.Server { session.init {sid : dst_sid, state : "idle"} }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [pslError(LS, src, 'state', 'session.init has no argument "state"; it takes: sid')]);
  });

  test('a record method given a plain value', (t) => {
    const src = 'request dst=app.Server { session.init (dst_sid) }';
    assert.deepEqual(errors(t, HEAD + SESSION + src + '\n'), [pslError(LS, src, 'dst_sid', 'session.init takes a record {sid : …}')]);
  });

  test('a bare grant without nk.base', (t) => {
    const src = 'request dst=app.Server { grant () }';
    assert.deepEqual(errors(t, 'use EDL app.Server\n' + src + '\n'), [
      pslError(2, src, 'grant', '"grant" is a method of the Base model: add "use nk.base._" to the policy'),
    ]);
  });

  test('two objects with one name', (t) => {
    assert.deepEqual(errors(t, HEAD + SESSION + SESSION), [
      pslError(LS, 'policy object session : Flow {', 'session', 'duplicate policy object "session"'),
    ]);
  });

  test('an object of a stateless model given a config', (t) => {
    const src = 'policy object b2 : Base { config = { x : 1 } }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, '{ x : 1 }', 'Base object "b2" takes no config, found {x : 1}')]);
  });
});

describe('audit profiles', () => {
  test('a binding naming an unknown profile lists the known ones', (t) => {
    const src = 'request dst=app.Server { audit trace grant () }';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'trace', 'unknown audit profile "trace"; profiles are: empty')]);
  });

  test('audit default naming an unknown profile', (t) => {
    const src = 'audit default = trace 0';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, 'trace', 'unknown audit profile "trace"; profiles are: empty')]);
  });

  test('a profile naming an unknown policy object', (t) => {
    const value = '{ 0 : { nobody : { kss : ["denied"] } } }';
    const src = `audit profile trace = ${value}`;
    assert.deepEqual(errors(t, HEAD + src + '\n'), [pslError(L, src, value, 'audit profile "trace" level 0 names unknown policy object "nobody"')]);
  });

  test('a known profile compiles into the IR with its default level', (t) => {
    const r = clean(t, HEAD + SESSION + [
      'audit profile trace = { 1 : { session : { kss : ["granted", "denied"], omit : ["idle"] } } }',
      'audit default = trace 1',
      'request dst=app.Server { audit trace grant () }',
    ].join('\n') + '\n');
    assert.deepEqual(r.policy.ir.auditDefault, { profile: 'trace', level: 1 });
    assert.deepEqual(r.policy.ir.auditProfiles.find((p) => p.name === 'trace'), {
      name: 'trace',
      levels: [{ level: 1, objects: [{ object: 'session', kss: ['granted', 'denied'], omit: ['idle'], emit: [] }] }],
    });
    assert.deepEqual(r.policy.ir.bindings[0]!.body[0], { k: 'audit', profile: 'trace' });
  });
});

describe('policy modules', () => {
  test('use of a module that is nowhere', (t) => {
    const src = 'use app.missing._';
    assert.deepEqual(errors(t, HEAD + src + '\n'), [
      pslError(L, src, 'app.missing', 'unknown policy module "app.missing": no app/missing.psl beside this file, in the solution or in Citadel\'s include tree'),
    ]);
  });

  test('a module beside the policy is loaded, and its diagnostics point into it', (t) => {
    const src = 'request dst=app.Nobody { grant () }';
    const formatted = errors(t, HEAD + 'use parts.extra._\n', { 'parts/extra.psl': `use nk.base._\n${src}\n` });
    assert.deepEqual(formatted, [
      `parts/extra.psl:2:13: error: unknown process class "app.Nobody"\n${src}\n            ^~~~~~~~~~`,
    ]);
  });
});

describe('PAL tests', () => {
  const pal = (...steps: string[]) => HEAD + [
    'execute { grant () }',
    'request { grant () }',
    'response { grant () }',
    'assert "t" {',
    '    setup {',
    '        s <- execute dst=app.Server',
    '        c <- execute dst=app.Client',
    '    }',
    '    sequence "q" {',
    ...steps.map((s) => `        ${s}`),
    '    }',
    '}',
  ].join('\n') + '\n';
  /** Line of the first step. */
  const STEP = L + 9;

  test('a case naming an endpoint the server class does not have', (t) => {
    const src = '        c ~> s:nope.Add { a : 1 }';
    assert.deepEqual(errors(t, pal(src.trim())), [pslError(STEP, src, 'nope', 'class app.Server has no endpoint "nope"; its endpoints are: calc')]);
  });

  test('a case naming a method the endpoint does not have', (t) => {
    const src = '        request src=c dst=s endpoint=calc method=Sub {}';
    assert.deepEqual(errors(t, pal(src.trim())), [pslError(STEP, src, 'Sub', 'endpoint calc of app.Server has no method "Sub"; its methods are: Add, Greet')]);
  });

  test('a security case naming a method the security interface does not have', (t) => {
    const src = '        security src=s method=Nope {}';
    assert.deepEqual(errors(t, pal(src.trim())), [pslError(STEP, src, 'Nope', 'class app.Server has no security method "Nope"')]);
  });

  test('a message with a parameter the method does not take (request: in, response: out)', (t) => {
    const a = '        c ~> s:calc.Add { a : 1, z : 2 }';
    const b = '        response src=s dst=c endpoint=calc method=Add { a : 1 }';
    assert.deepEqual(errors(t, pal(a.trim(), b.trim())), [
      pslError(STEP, a, '{ a : 1, z : 2 }', '"z" is not a parameter of app.Calc.Add; its parameters are: a, b'),
      pslError(STEP + 1, b, '{ a : 1 }', '"a" is not a parameter of app.Calc.Add; its parameters are: sum'),
    ]);
  });

  test('a case referring to a variable nobody bound', (t) => {
    const a = '        c ~> x:calc.Add { a : 1 }';
    const b = '        request src=y dst=s endpoint=calc method=Add {}';
    const msg = (v: string) => `"${v}" is neither a test variable (bound with "<-") nor a process class included in the policy`;
    assert.deepEqual(errors(t, pal(a.trim(), b.trim())), [pslError(STEP, a, 'x', msg('x')), pslError(STEP + 1, b, 'y', msg('y'))]);
  });

  test('a variable bound in one sequence is not visible in the next', (t) => {
    const psl = HEAD + 'execute { grant () }\nassert {\n    sequence { srv <- execute dst=app.Server }\n    sequence { execute dst=srv }\n}\n';
    assert.deepEqual(errors(t, psl), [pslError(L + 3, '    sequence { execute dst=srv }', 'srv', '"srv" is neither a test variable (bound with "<-") nor a process class included in the policy')]);
  });

  test('a binding step without dst', (t) => {
    const src = '        y <- execute';
    assert.deepEqual(errors(t, pal(src.trim())), [pslError(STEP, src, 'y <- execute', '"y <- execute" needs dst=<class>')]);
  });

  test('messages are completed with defaults: 0, "" for missing parameters', (t) => {
    const r = clean(t, pal('c ~> s:calc.Add { a : 7 }', 'response src=s dst=c endpoint=calc method=Greet {}'));
    const steps = r.policy.suites[0]!.sequences[0]!.steps;
    assert.deepEqual(steps.map((s) => s.k === 'case' ? s.message : undefined), [
      { t: 'dict', fields: [['a', { t: 'int', v: '7' }], ['b', { t: 'int', v: '0' }]] },
      { t: 'dict', fields: [['greeting', { t: 'text', v: '' }]] },
    ]);
  });
});

describe('the compiled IR', () => {
  test('selectors resolve to class indices, nested matches inherit them, origins are file:line:col', (t) => {
    const r = clean(t, HEAD + [
      'request src=app.Client, dst=app.Server {',
      '    match endpoint=calc {',
      '        match method=Add { grant () }',
      '    }',
      '}',
    ].join('\n') + '\n');
    const { ir } = r.policy;
    assert.deepEqual(ir.classes.map((c) => c.name), ['Einit', 'app.Client', 'app.Server', 'kl.core.Core']);
    assert.deepEqual(ir.classes[2], {
      name: 'app.Server',
      endpoints: [{ name: 'calc', riid: 0, interface: 'app.Calc', components: [], methods: ['Add', 'Greet'] }],
      securityInterface: 'app.Admin',
      securityMethods: ['Reset'],
    });
    const grant: IrStmt = { k: 'rule', object: 'base', method: 'grant', arg: { k: 'lit', value: { t: 'unit' } }, origin: `security.psl:${L + 2}:28` };
    assert.deepEqual(ir.bindings, [{
      event: 'request',
      selectors: { src: 1, dst: 2 },
      body: [{
        k: 'match',
        selectors: { src: 1, dst: 2, endpoint: 'calc' },
        body: [{ k: 'match', selectors: { src: 1, dst: 2, endpoint: 'calc', method: 'Add' }, body: [grant], origin: `security.psl:${L + 2}:9` }],
        origin: `security.psl:${L + 1}:5`,
      }],
      origin: `security.psl:${L}:1`,
    }]);
  });

  test('a choice gets one arm per literal, and "_" becomes an arm without a pattern', (t) => {
    const r = clean(t, HEAD + SESSION + [
      'request dst=app.Server {',
      '    choice (session.query {sid : dst_sid}) {',
      '        "idle" | "busy" : grant ()',
      '        _ : deny ()',
      '    }',
      '}',
    ].join('\n') + '\n');
    const { ir } = r.policy;
    const rule = (method: string, line: number, col: number): IrStmt => ({ k: 'rule', object: 'base', method, arg: { k: 'lit', value: { t: 'unit' } }, origin: `security.psl:${line}:${col}` });
    assert.deepEqual(ir.bindings[0]!.body, [{
      k: 'choice',
      on: { k: 'call', object: 'session', method: 'query', arg: { k: 'dict', fields: [['sid', { k: 'dst_sid' }]] }, origin: `security.psl:${LS + 1}:13` },
      arms: [
        { pattern: { t: 'text', v: 'idle' }, body: [rule('grant', LS + 2, 27)] },
        { pattern: { t: 'text', v: 'busy' }, body: [rule('grant', LS + 2, 27)] },
        { pattern: undefined, body: [rule('deny', LS + 3, 13)] },
      ],
      origin: `security.psl:${LS + 1}:5`,
    }]);
    const session = ir.objects.find((o) => o.name === 'session')!;
    assert.equal(session.model, 'Flow');
    assert.equal(session.origin, `security.psl:${L}:1`);
  });

  test('message reads and operators compile to field and binary nodes', (t) => {
    const r = clean(t, HEAD + 'request dst=app.Server, endpoint=calc, method=Add { assert (message.a + 1 < message.b) }\n');
    const rule = r.policy.ir.bindings[0]!.body[0]!;
    assert.equal(rule.k, 'rule');
    assert.deepEqual(rule.k === 'rule' ? rule.arg : undefined, {
      k: 'binary', op: '<',
      left: { k: 'binary', op: '+', left: { k: 'field', of: { k: 'message' }, name: 'a' }, right: { k: 'lit', value: { t: 'int', v: '1' } } },
      right: { k: 'field', of: { k: 'message' }, name: 'b' },
    });
  });

  test('a policy with errors yields no IR, and the model is withheld too', (t) => {
    const r = compile(t, HEAD + 'request dst=app.Nobody { grant () }\n');
    assert.equal(r.formatted.length, 1);
    assert.equal(r.policy, undefined);
    assert.equal(r.model, undefined);
  });
});
