// PSL/PAL parser: golden trees with exact spans, diagnostics as printed, the real-world corpus, fuzzing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import fc from 'fast-check';
import { DiagnosticBag, formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { parsePsl } from '../../src/lang/psl.ts';
import { makeSource, positionOf, type SourceFile, type Span } from '../../src/lang/source.ts';

function parse(text: string) {
  const file = makeSource('test.psl', text);
  const diags = new DiagnosticBag();
  const ast = parsePsl(file, diags);
  return { file, ast, diags, messages: diags.items.map(formatDiagnostic) };
}

function isSpan(v: unknown): v is Span {
  return typeof v === 'object' && v !== null && 'file' in v && 'start' in v && 'end' in v;
}

/**
 * The tree with each span replaced by the text it covers (`line:col-line:col` when that text is
 * long or multi-line) and each name by its text — only when the name's span covers exactly that
 * text, so a wrong span still shows up in the comparison.
 */
function shape(file: SourceFile, v: unknown): unknown {
  if (isSpan(v)) {
    const text = file.text.slice(v.start, v.end);
    if (text.length <= 40 && !text.includes('\n')) return text;
    const a = positionOf(file, v.start);
    const b = positionOf(file, v.end);
    return `${a.line}:${a.col}-${b.line}:${b.col}`;
  }
  if (Array.isArray(v)) return v.map((x) => shape(file, x));
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => k !== 'file');
    if (keys.length === 2 && typeof o.text === 'string' && isSpan(o.span) && file.text.slice(o.span.start, o.span.end) === o.text) {
      return o.text;
    }
    return Object.fromEntries(keys.map((k) => [k, shape(file, o[k])]));
  }
  return v;
}

/** Parses text that must be valid and returns the shaped declarations. */
function decls(text: string): unknown {
  const { file, ast, messages } = parse(text);
  assert.deepEqual(messages, []);
  return shape(file, ast.decls);
}

/** Every span lies inside the file and inside the span of the node that contains it. */
function assertSpansNested(file: SourceFile, v: unknown, outer: { start: number; end: number }): void {
  if (Array.isArray(v)) { for (const x of v) assertSpansNested(file, x, outer); return; }
  if (typeof v !== 'object' || v === null || isSpan(v)) return;
  const o = v as Record<string, unknown>;
  let inner = outer;
  if (isSpan(o.span)) {
    const s = o.span;
    assert.ok(s.file === file && outer.start <= s.start && s.start <= s.end && s.end <= outer.end,
      `span ${s.start}-${s.end} of ${String(o.kind ?? o.text)} escapes ${outer.start}-${outer.end}`);
    inner = s;
  }
  for (const [k, x] of Object.entries(o)) {
    if (k === 'file' || k === 'span') continue;
    if (isSpan(x)) assert.ok(inner.start <= x.start && x.end <= inner.end, `${k} escapes its node`);
    else assertSpansNested(file, x, inner);
  }
}

// Builders for the expected trees; each spells out the span text it expects.
const str = (value: string) => ({ kind: 'string', value, span: JSON.stringify(value) });
const int = (value: bigint, span = String(value)) => ({ kind: 'int', value, span });
const name = (text: string) => ({ kind: 'name', name: text, span: text });
const key = (text: string) => ({ kind: 'ident', text, span: text });
const unit = { kind: 'unit', span: '()' };
const entry = (k: unknown, value: unknown, span: string) => ({ kind: 'entry', key: k, value, span });
const record = (entries: unknown[], span: string) => ({ kind: 'record', entries, span });
const list = (items: unknown[], span: string) => ({ kind: 'list', items, span });
const sel = (k: string, value: string, span = `${k}=${value}`) => ({ kind: 'selector', key: k, keySpan: k, value, span });
const rule = (callee: string, arg: unknown, span: string) => ({ kind: 'rule', callee, arg, span });
const grant = rule('grant', unit, 'grant ()');
const binding = (event: string, selectors: unknown[], body: unknown[], span: string) =>
  ({ kind: 'binding', event, eventSpan: event, selectors, body, span });

// The reference's Appendix A policy: only alternating Ping/Pong calls are allowed.
const PING = `execute: kl.core.Execute
use nk.base._
use nk.flow._
use EDL Einit
use EDL kl.core.Core
use EDL Client
use EDL Server
policy object request_state : Flow {
    type States = "ping_next" | "pong_next"
    config = { states : ["ping_next", "pong_next"], initial : "ping_next"
             , transitions : { "ping_next" : ["pong_next"], "pong_next" : ["ping_next"] } }
}
execute { grant () }
request dst=kl.core.Core { grant () }
response { grant () }
error { grant () }
execute dst=Server { request_state.init {sid : dst_sid} }
request dst=Server, endpoint=pingComp.pingImpl, method=Ping {
    request_state.enter {sid : dst_sid, state : "pong_next"} }
request dst=Server, endpoint=pingComp.pingImpl, method=Pong {
    request_state.enter {sid : dst_sid, state : "ping_next"} }
`;

const PAL = `assert "ping tests" {
    setup { s <- execute dst=Server
            c <- execute src=core dst=Client }
    sequence ["alternation"] {
        grant "first Ping"  request src=c dst=s endpoint=pingComp.pingImpl method=Ping { value : 100 }
        deny  response src=s dst=c endpoint=pingComp.pingImpl method=Ping
        any fc ~> l:interface.Log { logEntry : "x" }
    }
    finally { }
}
`;

const CHOICE = `request dst=ResourceDriver {
    choice (service_flow.query {sid : dst_sid}) {
        "started" | "stopped" : grant ()
        _ : { audit trace
              deny () }
    }
}
`;

test('the ping policy of the reference (Appendix A) parses to the expected tree', () => {
  const enter = (state: string, line: number) => rule('request_state.enter', record([
    entry(key('sid'), name('dst_sid'), 'sid : dst_sid'),
    entry(key('state'), str(state), `state : "${state}"`),
  ], `{sid : dst_sid, state : "${state}"}`), `${line}:5-${line}:61`);
  const pingSelectors = (method: string) => [sel('dst', 'Server'), sel('endpoint', 'pingComp.pingImpl'), sel('method', method)];
  assert.deepEqual(decls(PING), [
    { kind: 'execute-interface', iface: 'kl.core.Execute', span: 'execute: kl.core.Execute' },
    { kind: 'use', module: 'nk.base', span: 'use nk.base._' },
    { kind: 'use', module: 'nk.flow', span: 'use nk.flow._' },
    { kind: 'use-edl', name: 'Einit', span: 'use EDL Einit' },
    { kind: 'use-edl', name: 'kl.core.Core', span: 'use EDL kl.core.Core' },
    { kind: 'use-edl', name: 'Client', span: 'use EDL Client' },
    { kind: 'use-edl', name: 'Server', span: 'use EDL Server' },
    {
      kind: 'policy-object', name: 'request_state', model: 'Flow',
      types: [{
        kind: 'type-param', name: 'States',
        type: {
          kind: 'variant',
          options: [
            { kind: 'literal', value: str('ping_next'), span: '"ping_next"' },
            { kind: 'literal', value: str('pong_next'), span: '"pong_next"' },
          ],
          span: '"ping_next" | "pong_next"',
        },
        span: 'type States = "ping_next" | "pong_next"',
      }],
      config: record([
        entry(key('states'), list([str('ping_next'), str('pong_next')], '["ping_next", "pong_next"]'), 'states : ["ping_next", "pong_next"]'),
        entry(key('initial'), str('ping_next'), 'initial : "ping_next"'),
        entry(key('transitions'), record([
          entry(str('ping_next'), list([str('pong_next')], '["pong_next"]'), '"ping_next" : ["pong_next"]'),
          entry(str('pong_next'), list([str('ping_next')], '["ping_next"]'), '"pong_next" : ["ping_next"]'),
        ], '11:30-11:90'), '11:16-11:90'),
      ], '10:14-11:92'),
      span: '8:1-12:2',
    },
    binding('execute', [], [grant], 'execute { grant () }'),
    binding('request', [sel('dst', 'kl.core.Core')], [grant], 'request dst=kl.core.Core { grant () }'),
    binding('response', [], [grant], 'response { grant () }'),
    binding('error', [], [grant], 'error { grant () }'),
    binding('execute', [sel('dst', 'Server')], [
      rule('request_state.init', record([entry(key('sid'), name('dst_sid'), 'sid : dst_sid')], '{sid : dst_sid}'),
        'request_state.init {sid : dst_sid}'),
    ], '17:1-17:58'),
    binding('request', pingSelectors('Ping'), [enter('pong_next', 19)], '18:1-19:63'),
    binding('request', pingSelectors('Pong'), [enter('ping_next', 21)], '20:1-21:63'),
  ]);
});

test('spans are exact source offsets', () => {
  const { ast } = parse(PING);
  const b = ast.decls[13]!;
  assert.equal(b.kind, 'binding');
  if (b.kind !== 'binding') return;
  const endpoint = b.selectors[1]!;
  const at = PING.indexOf('endpoint=pingComp.pingImpl, method=Ping');
  assert.deepEqual([endpoint.span.start, endpoint.span.end], [at, at + 'endpoint=pingComp.pingImpl'.length]);
  assert.deepEqual([endpoint.keySpan.start, endpoint.keySpan.end], [at, at + 'endpoint'.length]);
  assert.deepEqual([endpoint.value.span.start, endpoint.value.span.end], [at + 'endpoint='.length, at + 'endpoint=pingComp.pingImpl'.length]);
  assert.equal(b.span.end, PING.indexOf('request dst=Server, endpoint=pingComp.pingImpl, method=Pong') - 1);
});

test('choice dispatches on a call result, with alternatives, a wildcard and a block arm', () => {
  assert.deepEqual(decls(CHOICE), [binding('request', [sel('dst', 'ResourceDriver')], [{
    kind: 'choice',
    scrutinee: {
      kind: 'call', callee: 'service_flow.query',
      arg: record([entry(key('sid'), name('dst_sid'), 'sid : dst_sid')], '{sid : dst_sid}'),
      span: 'service_flow.query {sid : dst_sid}',
    },
    arms: [
      {
        kind: 'arm',
        pattern: { kind: 'values', values: [str('started'), str('stopped')], span: '"started" | "stopped"' },
        body: [grant],
        span: '"started" | "stopped" : grant ()',
      },
      {
        kind: 'arm',
        pattern: { kind: 'wildcard', span: '_' },
        body: [{ kind: 'audit', profile: 'trace', span: 'audit trace' }, rule('deny', unit, 'deny ()')],
        span: '4:9-5:24',
      },
    ],
    span: '2:5-6:6',
  }], '1:1-7:2')]);
});

test('match sections nest; selectors are split by commas, spaces and line breaks', () => {
  const text = `request {
    match dst=drone.Autopilot interface=drone.AutopilotInterface {
        match src = drone.FlightController,
              method=Arm { grant () }
    }
    match endpoint=interface method=Log { session.enter {sid : dst_sid, state : "started"} }
}
`;
  assert.deepEqual(decls(text), [binding('request', [], [
    {
      kind: 'match',
      selectors: [sel('dst', 'drone.Autopilot'), sel('interface', 'drone.AutopilotInterface')],
      body: [{
        kind: 'match',
        selectors: [sel('src', 'drone.FlightController', 'src = drone.FlightController'), sel('method', 'Arm')],
        body: [grant],
        span: '3:9-4:38',
      }],
      span: '2:5-5:6',
    },
    {
      kind: 'match',
      selectors: [sel('endpoint', 'interface'), sel('method', 'Log')],
      body: [rule('session.enter', record([
        entry(key('sid'), name('dst_sid'), 'sid : dst_sid'),
        entry(key('state'), str('started'), 'state : "started"'),
      ], '{sid : dst_sid, state : "started"}'), '6:43-6:91')],
      span: '6:5-6:93',
    },
  ], '1:1-7:2')]);
});

test('an audit profile is a record keyed by level; audit default names a profile and a level', () => {
  const text = `audit profile trace =
    { 0 : { base : { kss : ["denied"] } }
    , 1 : { session : { kss : ["granted", "denied"], omit : ["closed"], }, },
    }
audit default = trace 1
`;
  assert.deepEqual(decls(text), [
    {
      kind: 'audit-profile', name: 'trace',
      value: record([
        entry(int(0n), record([
          entry(key('base'), record([entry(key('kss'), list([str('denied')], '["denied"]'), 'kss : ["denied"]')], '{ kss : ["denied"] }'),
            'base : { kss : ["denied"] }'),
        ], '{ base : { kss : ["denied"] } }'), '0 : { base : { kss : ["denied"] } }'),
        entry(int(1n), record([
          entry(key('session'), record([
            entry(key('kss'), list([str('granted'), str('denied')], '["granted", "denied"]'), 'kss : ["granted", "denied"]'),
            entry(key('omit'), list([str('closed')], '["closed"]'), 'omit : ["closed"]'),
          ], '3:23-3:74'), '3:13-3:74'),
        ], '3:11-3:77'), '3:7-3:77'),
      ], '2:5-4:6'),
      span: '1:1-4:6',
    },
    { kind: 'audit-default', profile: 'trace', level: int(1n), span: 'audit default = trace 1' },
  ]);
});

test('PAL: an assert block with setup, a sequence, finally, "<-" bindings and the "~>" shorthand', () => {
  const testCase = (fields: Record<string, unknown>) =>
    ({ kind: 'test-case', expect: 'grant', expectSpan: undefined, name: undefined, message: undefined, shorthand: false, ...fields });
  assert.deepEqual(decls(PAL), [{
    kind: 'assert',
    name: str('ping tests'),
    setup: {
      kind: 'setup',
      steps: [
        { kind: 'test-bind', variable: 's', selectors: [sel('dst', 'Server')], span: 's <- execute dst=Server' },
        { kind: 'test-bind', variable: 'c', selectors: [sel('src', 'core'), sel('dst', 'Client')], span: 'c <- execute src=core dst=Client' },
      ],
      span: '2:5-3:47',
    },
    sequences: [{
      kind: 'sequence',
      name: str('alternation'),
      steps: [
        testCase({
          expectSpan: 'grant', name: str('first Ping'), event: 'request', eventSpan: 'request',
          selectors: [sel('src', 'c'), sel('dst', 's'), sel('endpoint', 'pingComp.pingImpl'), sel('method', 'Ping')],
          message: record([entry(key('value'), int(100n), 'value : 100')], '{ value : 100 }'),
          span: '5:9-5:103',
        }),
        testCase({
          expect: 'deny', expectSpan: 'deny', event: 'response', eventSpan: 'response',
          selectors: [sel('src', 's'), sel('dst', 'c'), sel('endpoint', 'pingComp.pingImpl'), sel('method', 'Ping')],
          span: '6:9-6:74',
        }),
        testCase({
          expect: 'any', expectSpan: 'any', event: 'request', eventSpan: '~>', shorthand: true,
          selectors: [
            { kind: 'selector', key: 'src', keySpan: 'fc', value: 'fc', span: 'fc' },
            { kind: 'selector', key: 'dst', keySpan: 'l', value: 'l', span: 'l' },
            { kind: 'selector', key: 'endpoint', keySpan: 'interface', value: 'interface', span: 'interface' },
            { kind: 'selector', key: 'method', keySpan: 'Log', value: 'Log', span: 'Log' },
          ],
          message: record([entry(key('logEntry'), str('x'), 'logEntry : "x"')], '{ logEntry : "x" }'),
          span: '7:9-7:53',
        }),
      ],
      span: '4:5-8:6',
    }],
    finally: { kind: 'finally', steps: [], span: 'finally { }' },
    span: '1:1-10:2',
  }]);
});

test('expressions: precedence from "==>" down to "*", unary operators, indexing, calls and literals', () => {
  const text = 'security { assert (!a || b && c.[0] == -1 ==> size (message.x[2]) + 2 * 3 >= 0x10 | ~d) }';
  const { ast, messages } = parse(text);
  assert.deepEqual(messages, []);
  const b = ast.decls[0]!;
  const item = b.kind === 'binding' ? b.body[0] : undefined;
  assert.ok(item?.kind === 'rule');
  // Renders the tree fully parenthesised, which is what precedence is about.
  const show = (e: unknown): string => {
    const x = e as Record<string, any>;
    switch (x.kind) {
      case 'binary': return `(${show(x.left)} ${x.op} ${show(x.right)})`;
      case 'unary': return `(${x.op}${show(x.operand)})`;
      case 'index': return `${show(x.target)}[${show(x.index)}]`;
      case 'call': return `${x.callee.text}<${show(x.arg)}>`;
      case 'name': return x.name.text;
      case 'int': return `${x.value}`;
      default: return `?${x.kind}`;
    }
  };
  assert.equal(show(item.arg),
    '(((!a) || (b && (c[0] == -1))) ==> ((size<message.x[2]> + (2 * 3)) >= (16 | (~d))))');
});

test('a call argument may be a record, a list, a name or parenthesised; "x[0]" indexes but "f [0]" calls', () => {
  const text = `request {
    match method=A { pred.empty message.items }
    match method=B { assert (bool.all [message.a, true]) }
    match method=C { assert (message.a[0] != 0) }
    match method=D { deny (re.select {text : message.name} == "x") }
}`;
  const { ast, messages } = parse(text);
  assert.deepEqual(messages, []);
  const b = ast.decls[0]!;
  assert.ok(b.kind === 'binding');
  const args = b.body.map((m) => m.kind === 'match' && m.body[0]!.kind === 'rule' ? m.body[0]!.arg : undefined);
  assert.equal(args[0]?.kind, 'name');
  assert.equal(args[1]?.kind, 'call');
  assert.equal(args[1]?.kind === 'call' && args[1].arg.kind, 'list');
  assert.equal(args[2]?.kind === 'binary' && args[2].left.kind, 'index');
  assert.equal(args[3]?.kind === 'binary' && args[3].left.kind, 'call');
});

test('types: primitives, literals, variants, dictionaries, tuples and generic containers', () => {
  const text = `policy object m : HashSet {
    type Entry = { handle : Handle, rights : UInt32 } | [Text, Sid] | -5 | 0xFF | true | ()
    type C = List<Set<UInt8>> | Map<Text, Boolean> | Array<UInt8, 4> | Sequence<SInt64, 8> | Number
    config = { set_size : 5, pool_size : 2 }
}`;
  const { file, ast, messages } = parse(text);
  assert.deepEqual(messages, []);
  const o = ast.decls[0]!;
  assert.ok(o.kind === 'policy-object');
  assert.deepEqual(shape(file, o.types[0]!.type), {
    kind: 'variant',
    options: [
      {
        kind: 'dict',
        fields: [
          { kind: 'type-field', name: 'handle', type: { kind: 'primitive', name: 'Handle', span: 'Handle' }, span: 'handle : Handle' },
          { kind: 'type-field', name: 'rights', type: { kind: 'primitive', name: 'UInt32', span: 'UInt32' }, span: 'rights : UInt32' },
        ],
        span: '{ handle : Handle, rights : UInt32 }',
      },
      { kind: 'tuple', elements: [{ kind: 'primitive', name: 'Text', span: 'Text' }, { kind: 'primitive', name: 'Sid', span: 'Sid' }], span: '[Text, Sid]' },
      { kind: 'literal', value: int(-5n, '-5'), span: '-5' },
      { kind: 'literal', value: int(255n, '0xFF'), span: '0xFF' },
      { kind: 'literal', value: { kind: 'bool', value: true, span: 'true' }, span: 'true' },
      { kind: 'unit', span: '()' },
    ],
    span: '2:18-2:92',
  });
  const c = shape(file, o.types[1]!.type) as { options: unknown[] };
  assert.deepEqual(c.options, [
    { kind: 'list', element: { kind: 'set', element: { kind: 'primitive', name: 'UInt8', span: 'UInt8' }, span: 'Set<UInt8>' }, span: 'List<Set<UInt8>>' },
    { kind: 'map', key: { kind: 'primitive', name: 'Text', span: 'Text' }, value: { kind: 'primitive', name: 'Boolean', span: 'Boolean' }, span: 'Map<Text, Boolean>' },
    { kind: 'array', element: { kind: 'primitive', name: 'UInt8', span: 'UInt8' }, size: int(4n), span: 'Array<UInt8, 4>' },
    { kind: 'sequence', element: { kind: 'primitive', name: 'SInt64', span: 'SInt64' }, size: int(8n), span: 'Sequence<SInt64, 8>' },
    { kind: 'named', name: 'Number', span: 'Number' },
  ]);
});

test('task class, "=" in records, trailing commas, continuation lines and comments', () => {
  assert.deepEqual(decls(`task class Uart0 : kl.drivers.UART /* renamed */
policy object mic : Mic { config = { degrees = ["low", "high",], } }
use EDL
    drone.Logger // continued on an indented line
`), [
    { kind: 'task-class', name: 'Uart0', edl: 'kl.drivers.UART', span: 'task class Uart0 : kl.drivers.UART' },
    {
      kind: 'policy-object', name: 'mic', model: 'Mic', types: [],
      config: record([entry(key('degrees'), list([str('low'), str('high')], '["low", "high",]'), 'degrees = ["low", "high",]')],
        '{ degrees = ["low", "high",], }'),
      span: '2:1-2:69',
    },
    { kind: 'use-edl', name: 'drone.Logger', span: '3:1-4:17' },
  ]);
});

// ---- Diagnostics -------------------------------------------------------------------------------

test('a binding without "{" says what was expected and what was found, under the right token', () => {
  assert.deepEqual(parse('request src=Client grant ()\n').messages, [
    'test.psl:1:20: error: expected "{" to open the binding body, found "grant"\n' +
    'request src=Client grant ()\n' +
    '                   ^~~~~',
  ]);
});

test('an unknown event kind names the valid declarations and events', () => {
  assert.deepEqual(parse('execute { grant () }\nreqest dst=Server { grant () }\n').messages, [
    'test.psl:2:1: error: expected a declaration (use, task class, policy object, audit, assert) or a security event (execute, request, response, error or security), found "reqest"\n' +
    'reqest dst=Server { grant () }\n' +
    '^~~~~~',
  ]);
});

test('a missing "}" is reported where the next declaration starts, which still parses', () => {
  const r = parse('request {\n    match dst=Server { grant () }\n\nexecute { grant () }\n');
  assert.deepEqual(r.messages, [
    'test.psl:4:1: error: expected "}" to close the binding body opened on line 1, found "execute"\n' +
    'execute { grant () }\n' +
    '^~~~~~~',
  ]);
  assert.deepEqual(r.ast.decls.map((d) => d.kind === 'binding' ? d.event : d.kind), ['request', 'execute']);
});

test('selectors: an unknown key, a key without "=", and a selector used without "match"', () => {
  assert.deepEqual(parse('request srx=A, dst=B method { grant () }\nresponse { src=B { grant () } }\n').messages, [
    'test.psl:1:9: error: expected a selector (src, dst, interface, component, endpoint or method), found "srx"\n' +
    'request srx=A, dst=B method { grant () }\n' +
    '        ^~~',
    'test.psl:1:29: error: expected "=" after the selector "method", found "{"\n' +
    'request srx=A, dst=B method { grant () }\n' +
    '                            ^',
    'test.psl:2:12: error: expected a rule, "match", "choice" or "audit", found the selector "src=" (selectors inside a body need "match")\n' +
    'response { src=B { grant () } }\n' +
    '           ^~~',
  ]);
});

test('rules need an argument; "use" paths end in "._"; a record needs commas', () => {
  assert.deepEqual(parse('use nk.base\nerror {\n    grant\n}\npolicy object f : Flow { config = { a : 1 b : 2 } }\n').messages, [
    'test.psl:1:5: error: expected a module path ending in "._" (use nk.base._), found "nk.base"\n' +
    'use nk.base\n' +
    '    ^~~~~~~',
    'test.psl:4:1: error: expected an argument after "grant" (such as "()"), found "}"\n' +
    '}\n' +
    '^',
    'test.psl:5:43: error: expected "," or "}" in the record opened on line 5, found "b"\n' +
    'policy object f : Flow { config = { a : 1 b : 2 } }\n' +
    '                                          ^',
  ]);
});

test('PAL mistakes: binding a variable to a non-execute event, a shorthand without a method, a duplicate setup', () => {
  const text = `assert {
    setup { a <- request dst=B }
    sequence { grant a ~> b:Log {} }
    setup { }
}
`;
  assert.deepEqual(parse(text).messages, [
    'test.psl:2:18: error: expected "execute" after "<-" (a variable holds the SID of a started process), found "request"\n' +
    '    setup { a <- request dst=B }\n' +
    '                 ^~~~~~~',
    'test.psl:3:29: error: expected "<endpoint>.<method>" after ":", found "Log" (no method name)\n' +
    '    sequence { grant a ~> b:Log {} }\n' +
    '                            ^~~',
    'test.psl:4:5: error: duplicate "setup" block (an assert has at most one; the first is on line 2)\n' +
    '    setup { }\n' +
    '    ^~~~~',
  ]);
});

test('a name missing at the end of a line does not swallow the next line', () => {
  assert.deepEqual(parse('use EDL\nexecute: kl.core.Execute\n').messages, [
    'test.psl:2:1: error: expected an EDL name after "use EDL", found "execute"\n' +
    'execute: kl.core.Execute\n' +
    '^~~~~~~',
  ]);
});

test('an unterminated body reports the missing expression and the missing "}" at the end of the file', () => {
  assert.deepEqual(parse('execute {\n    deny (').messages, [
    'test.psl:2:11: error: expected an expression, found end of file\n    deny (\n          ^',
    'test.psl:2:11: error: expected "}" to close the binding body opened on line 1, found end of file\n    deny (\n          ^',
  ]);
});

test('every error in a file is reported, and the good declarations between them still parse', () => {
  const text = `use nk.base._
request src=Client grant ()
execute { grant () }
audit default = trace
response {
    match dst=Server { deny (message.x > ) }
    match dst=Client { grant () }
    choice x { }
}
policy object s : Flow { type T = List<UInt8 }
error { grant () }
`;
  const r = parse(text);
  assert.deepEqual(r.diags.items.map((d) => `${positionOf(r.file, d.span.start).line}: ${d.message}`), [
    '2: expected "{" to open the binding body, found "grant"',
    '5: expected the initial audit level (an integer) after the profile name "trace", found "response"',
    '6: expected an expression, found ")"',
    '8: expected "(" after "choice" (the value to choose on), found "x"',
    '10: expected ">" to close "List<…>", found "}"',
  ]);
  // Only the broken pieces are dropped: the first match loses its rule, the choice is gone.
  assert.deepEqual(r.ast.decls.map((d) => d.kind === 'binding' ? d.event : d.kind), ['use', 'execute', 'response', 'policy-object', 'error']);
  const response = r.ast.decls[2]!;
  assert.deepEqual(response.kind === 'binding' && response.body.map((i) => i.kind === 'match' ? i.body.length : i.kind), [0, 1]);
});

test('hostile nesting gets a diagnostic instead of a stack overflow', () => {
  const deep = `request { assert (${'('.repeat(20000)}) }\nerror { ${'match src=a { '.repeat(5000)} }`;
  const r = parse(deep);
  assert.ok(r.diags.items.some((d) => d.message === 'nesting too deep (more than 200 levels)'));
});

// ---- Real files --------------------------------------------------------------------------------

const CORPUS = fileURLToPath(new URL('../../../shared/reference/kos-corpus', import.meta.url));
const isTemplate = (text: string) => /@|\{%|\{\{/.test(text);

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.psl(\.in)?$/.test(name)) out.push(path);
    }
  };
  if (existsSync(CORPUS)) walk(CORPUS);
  return out;
}

test('every non-template PSL file of the corpus parses without diagnostics, with well-nested spans', (t) => {
  const files = corpusFiles();
  if (files.length === 0) { t.skip(`no corpus at ${CORPUS}`); return; }
  let parsed = 0;
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    if (isTemplate(text)) continue; // CMake/Jinja templates are expanded by a pass before this one
    const file = makeSource(relative(CORPUS, path), text);
    const diags = new DiagnosticBag();
    const ast = parsePsl(file, diags);
    assert.deepEqual(diags.items.map(formatDiagnostic), [], file.path);
    assert.ok(ast.decls.length > 0, file.path);
    assertSpansNested(file, ast.decls, { start: 0, end: text.length });
    parsed++;
  }
  assert.ok(parsed >= 20, `only ${parsed} non-template files`);
});

test('snippet trees have well-nested spans', () => {
  for (const text of [PING, PAL, CHOICE]) {
    const { file, ast } = parse(text);
    assertSpansNested(file, ast.decls, { start: 0, end: text.length });
  }
});

test('fuzz: mangled policies never throw and every diagnostic points inside the file', () => {
  const bases = [PING, PAL, CHOICE];
  for (const path of corpusFiles().slice(0, 12)) bases.push(readFileSync(path, 'utf8'));
  const edit = fc.record({ dup: fc.boolean(), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) });
  fc.assert(fc.property(fc.constantFrom(...bases), fc.array(edit, { minLength: 1, maxLength: 12 }), (base, edits) => {
    let text = base;
    for (const e of edits) {
      const at = e.at % (text.length + 1);
      text = e.dup ? text.slice(0, at + e.len) + text.slice(at, at + e.len) + text.slice(at + e.len) : text.slice(0, at) + text.slice(at + e.len);
    }
    const file = makeSource('fuzz.psl', text);
    const diags = new DiagnosticBag();
    const ast = parsePsl(file, diags);
    for (const d of diags.items) {
      assert.ok(d.span.file === file && 0 <= d.span.start && d.span.start <= d.span.end && d.span.end <= text.length);
      formatDiagnostic(d);
    }
    assertSpansNested(file, ast.decls, { start: 0, end: text.length });
  }), { seed: 0x5e1, numRuns: 200 });
});
