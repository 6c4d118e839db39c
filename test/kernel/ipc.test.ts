// IPC through the real kernel and real worker sandboxes: replies, denials (request and response),
// typed error replies, IDL validation, foreign handles, flow control, concurrency, timeouts, and
// console output (and its denial). One solution, booted once; each test asserts on its log.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { clientEdl, policy, svcFiles } from '../helpers/kit.ts';
import { exitOf, fileCleanup, kernelLines, linesOf, REPORT_TS, results, runSolution, type RunResult } from '../helpers/run-solution.ts';

const INIT = `entities:
- name: t.Client
  connections:
  - target: t.Server
    id: svc
- name: t.Flood
  connections:
  - target: t.Server
    id: svc
  limits:
    inFlight: 2
- name: t.Quiet
  connections:
  - target: t.Server
    id: svc
- name: t.Server
`;

const PSL = policy(['t.Client', 't.Flood', 't.Quiet', 't.Server'], `
request src=t.Client, dst=t.Server, endpoint=svc, method=Forbidden { deny () }
response src=t.Server, dst=t.Client, endpoint=svc, method=Secret { deny () }
request src=t.Quiet, dst=kl.core.Core { deny () }
`);

const CLIENT = `import { CallFailed, connect, current, now } from 'citadel';
import { SvcProxy, Svc_Fail_Error, Svc_Echo_MID, encode_Svc_Echo_Request } from '../gen/t.Svc.idl.ts';
${REPORT_TS}
const ch = connect('svc');
const riid = ch.riid('svc');
const svc = new SvcProxy(ch, riid);
const why = (e: unknown) => e instanceof CallFailed ? { status: e.status, explanation: e.explanation } : { other: String(e) };

report('echo', (await svc.Echo({ text: 'hello' })).reply);
try { await svc.Forbidden({ x: 1 }); report('forbidden', 'granted'); } catch (e) { report('forbidden', why(e)); }
try { await svc.Secret({ x: 2 }); report('secret', 'granted'); } catch (e) { report('secret', why(e)); }
try {
  await svc.Fail({ code: 1 });
  report('fail', 'no error');
} catch (e) {
  report('fail', e instanceof Svc_Fail_Error ? { typed: true, name: e.name, status: e.params.status } : why(e));
}
report('fail0', (await svc.Fail({ code: 0 })).v);

// A string over its bound: the proxy's encoder refuses it, so encode it by hand. The payload
// keeps its total length within the message maximum, so only the descriptor's size is wrong.
const proxyRefuses = await svc.Echo({ text: 'x'.repeat(20) }).then(() => 'sent', (e) => String(e));
report('proxy-refuses', proxyRefuses);
const bytes = new Uint8Array(8 + 17);
new DataView(bytes.buffer).setUint32(4, 21, true);
bytes.fill(0x78, 8, 25);
try { await ch.call(riid, Svc_Echo_MID, bytes); report('overbound', 'delivered'); } catch (e) { report('overbound', why(e)); }
// The same string with its whole arena: the payload is longer than the message can be.
const whole = new Uint8Array(8 + 21);
new DataView(whole.buffer).setUint32(4, 21, true);
whole.fill(0x78, 8, 28);
try { await ch.call(riid, Svc_Echo_MID, whole); report('oversize', 'delivered'); } catch (e) { report('oversize', why(e)); }

// A handle this entity does not own (its table has only 1 = svc).
for (const h of [7, 0xffffffff]) {
  try { await current().call(h, riid, Svc_Echo_MID, encode_Svc_Echo_Request({ text: 'stolen' })); report('foreign-' + h, 'delivered'); } catch (e) { report('foreign-' + h, why(e)); }
}

// The server serves calls concurrently: five slow calls overlap.
const t0 = (await now()).monotonicNanos;
const slow = await Promise.all([1, 2, 3, 4, 5].map(() => svc.Slow({ ms: 300 })));
const took = Number(((await now()).monotonicNanos - t0) / 1_000_000n);
report('concurrency', { maxActive: Math.max(...slow.map((r) => r.v)), took });

// A call the server never answers, with a timeout; then release it (its late reply is dropped).
const t1 = (await now()).monotonicNanos;
try { await svc.Hang({ x: 9 }, { timeoutMs: 250 }); report('timeout', 'answered'); } catch (e) {
  report('timeout', { ...why(e), after: Number(((await now()).monotonicNanos - t1) / 1_000_000n) });
}
report('release', (await svc.Echo({ text: 'release' })).reply);
report('after-late-reply', (await svc.Echo({ text: 'still fine' })).reply);
console.log('done');
`;

const FLOOD = `import { CallFailed, connect } from 'citadel';
import { SvcProxy } from '../gen/t.Svc.idl.ts';
${REPORT_TS}
const ch = connect('svc');
const svc = new SvcProxy(ch, ch.riid('svc'));
const outcomes = await Promise.all(Array.from({ length: 10 }, () => svc.Slow({ ms: 400 }).then(() => 'ok', (e) => e instanceof CallFailed ? e.status + ': ' + e.explanation : String(e))));
report('flood', outcomes);
// Once the calls in flight are answered, the channel takes calls again.
report('flood-after', (await svc.Echo({ text: 'again' })).reply);
`;

const QUIET = `import { connect } from 'citadel';
import { SvcProxy } from '../gen/t.Svc.idl.ts';
console.log('QUIET says something');
const ch = connect('svc');
const svc = new SvcProxy(ch, ch.riid('svc'));
const r = await svc.Echo({ text: 'quiet' });
console.log('QUIET got ' + r.reply);
`;

const scope = fileCleanup();
let run: RunResult;
let got: Map<string, unknown>;

before(async () => {
  run = await runSolution(scope, {
    'init.yaml': INIT,
    'security.psl': PSL,
    ...svcFiles(),
    't/Client.edl': clientEdl('t.Client'),
    't/Flood.edl': clientEdl('t.Flood'),
    't/Quiet.edl': clientEdl('t.Quiet'),
    'src/Client.ts': CLIENT,
    'src/Flood.ts': FLOOD,
    'src/Quiet.ts': QUIET,
  }, { timeoutMs: 20_000 });
  got = new Map([...results(run, 't.Client'), ...results(run, 't.Flood')]);
});

const server = () => linesOf(run, 't.Server');
type Failure = { status: string; explanation: string };

test('the run ends by itself: clients exit, the server is stopped for having no living clients', () => {
  assert.ok(linesOf(run, 't.Client').includes('done'), run.lines.join('\n'));
  assert.deepEqual(exitOf(run, 't.Client'), { task: 't.Client', code: 0, stopped: false });
  assert.deepEqual(exitOf(run, 't.Server'), { task: 't.Server', code: 0, reason: 'no living clients', stopped: true });
  assert.ok(kernelLines(run).includes('t.Server stopped: no living clients'));
});

test('a granted call returns the server\'s reply', () => {
  assert.equal(got.get('echo'), 'HELLO');
  assert.ok(server().includes('GOT Echo hello'));
});

test('a denied request fails with SecurityDisallow and the explanation; the server never sees it', () => {
  const f = got.get('forbidden') as Failure;
  assert.equal(f.status, 'SecurityDisallow');
  assert.match(f.explanation, /^denied request: t\.Client \(t\.Client, sid \d+\) → t\.Server \(t\.Server, sid \d+\)/);
  assert.match(f.explanation, /method Forbidden/);
  assert.match(f.explanation, /security\.psl:\d+:\d+/);
  assert.ok(!server().some((l) => l.startsWith('GOT Forbidden')), 'the server saw a denied request');
  assert.ok(kernelLines(run).some((l) => l.startsWith('denied request: t.Client')), 'the kernel logs the denial');
});

test('a denied response fails with SecurityDisallow, and the server did run', () => {
  const f = got.get('secret') as Failure;
  assert.equal(f.status, 'SecurityDisallow');
  assert.match(f.explanation, /^denied response: t\.Server .* → t\.Client/);
  assert.match(f.explanation, /method Secret/);
  assert.ok(server().includes('GOT Secret 2'));
});

test('an error reply arrives as the generated typed error', () => {
  assert.deepEqual(got.get('fail'), { typed: true, name: 'Svc_Fail_Error', status: 7 });
  assert.equal(got.get('fail0'), 1);
});

test('a request violating the IDL fails with InvalidMessage and never reaches the server', () => {
  assert.match(String(got.get('proxy-refuses')), /CodecError|BoundExceeded|exceed/);
  const over = got.get('overbound') as Failure;
  assert.equal(over.status, 'InvalidMessage');
  assert.equal(over.explanation, 'the request does not match the IDL: request.text: string of 20 bytes exceeds string<16>');
  const size = got.get('oversize') as Failure;
  assert.equal(size.status, 'InvalidMessage');
  assert.match(size.explanation, /payload of 29 bytes exceeds the 25-byte maximum/);
  assert.ok(!server().some((l) => l.startsWith('GOT Echo x')), 'the server saw an invalid request');
});

test('a call through a handle the entity does not own fails with InvalidMessage', () => {
  for (const h of [7, 0xffffffff]) {
    const f = got.get(`foreign-${h}`) as Failure;
    assert.equal(f.status, 'InvalidMessage');
    assert.equal(f.explanation, `no handle ${h} in t.Client's handle table`);
  }
  assert.ok(!server().includes('GOT Echo stolen'));
});

test('flow control: with limits.inFlight 2, ten concurrent slow calls give 2 replies and 8 Busy', () => {
  const outcomes = got.get('flood') as string[];
  assert.equal(outcomes.length, 10);
  assert.equal(outcomes.filter((o) => o === 'ok').length, 2, outcomes.join('\n'));
  const busy = outcomes.filter((o) => o.startsWith('Busy: '));
  assert.equal(busy.length, 8, outcomes.join('\n'));
  assert.match(busy[0]!, /2 calls already in flight on channel svc \(limits\.inFlight = 2\)/);
  assert.equal(got.get('flood-after'), 'AGAIN');
});

test('the server handles calls concurrently', () => {
  const c = got.get('concurrency') as { maxActive: number; took: number };
  assert.ok(c.maxActive >= 5, `at most ${c.maxActive} calls were active at once`);
  assert.ok(c.took < 5 * 300, `five 300 ms calls took ${c.took} ms: they ran one after another`);
});

test('a call to a server that never answers fails with Timeout after timeoutMs; the late reply is dropped', () => {
  const f = got.get('timeout') as Failure & { after: number };
  assert.equal(f.status, 'Timeout');
  assert.equal(f.explanation, 'no reply within 250 ms');
  assert.ok(f.after >= 240 && f.after < 2000, `timed out after ${f.after} ms`);
  assert.ok(server().includes('GOT Hang 9'));
  assert.equal(got.get('release'), 'RELEASE');
  assert.equal(got.get('after-late-reply'), 'STILL FINE');
});

test('console output appears as [task] text', () => {
  assert.ok(server().includes('ready t.Server'));
  assert.ok(run.lines.includes('[t.Client] RESULT echo "HELLO"'));
});

test('a policy denying request dst=kl.core.Core silences the entity, which still works otherwise', () => {
  assert.deepEqual(linesOf(run, 't.Quiet'), []);
  const denials = kernelLines(run).filter((l) => /^denied request: t\.Quiet \(t\.Quiet, sid \d+\) → kl\.core\.Core \(kernel, sid 1\)$/.test(l));
  assert.equal(denials.length, 2, 'one denial per console.log of the silenced entity');
  assert.ok(run.lines.includes('  target:   endpoint log, interface kl.core.Log, method Write'));
  assert.ok(server().includes('GOT Echo quiet'), 'the silenced entity could not call the server');
  assert.deepEqual(exitOf(run, 't.Quiet'), { task: 't.Quiet', code: 0, stopped: false });
});
