// Forgery through the real kernel: servers replying to calls they never received (random ids,
// wrong method or slot, another server's call, replays), clients forging handles, RIIDs, MIDs,
// handle transfers and reply frames, and an entity terminated after 64 malformed frames while
// the others keep working. Hostile entities craft frames by hand with __citadel.send.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { clientEdl, MID, policy, RAW_TS, serverEdl, SERVER_TS, SVC_IDL } from '../helpers/kit.ts';
import { exitOf, fileCleanup, kernelLines, linesOf, REPORT_TS, results, runSolution, type RunResult } from '../helpers/run-solution.ts';
import { refused } from './report.ts';

const INIT = `entities:
- name: t.Client
  task: victim
  path: src/victim.ts
  connections:
  - target: forger
    id: a
  - target: honest
    id: b
  - target: thief
    id: c
  - target: broker
    id: d
- name: t.Client
  task: spammer
  path: src/spammer.ts
- name: t.Client
  task: liar
  path: src/liar.ts
- name: t.Client
  task: liar2
  path: src/liar2.ts
- name: t.Client
  task: bystander
  path: src/bystander.ts
  connections:
  - target: honest
    id: svc
- name: t.Server
  task: honest
- name: t.Raw
  task: forger
  path: src/forger.ts
- name: t.Raw
  task: thief
  path: src/thief.ts
- name: t.Raw
  task: broker
  path: src/broker.ts
`;

// The broker calls through every handle it is passed and reports what happened.
const BROKER = `import { CallFailed, channelFromHandle, serve } from 'citadel';
import { createRawDispatcher } from '../gen/t.Raw.edl.ts';
import { SvcProxy } from '../gen/t.Svc.idl.ts';
serve(createRawDispatcher({
  svc: {
    Pass: async ({ h }) => {
      const svc = new SvcProxy(channelFromHandle(h), 0);
      const outcome = await svc.Echo({ text: 'rights ' + h.rights }).then((r) => 'called: ' + r.reply, (e) => e instanceof CallFailed ? e.status + ': ' + e.explanation : String(e));
      console.log('BROKER handle ' + h.handle + ' rights ' + h.rights + ' → ' + outcome);
      return { v: h.handle };
    },
  },
} as never));
`;

/** A raw server: answers calls itself, through `onCall(slot, riid, mid, id, payload)`. */
const RAW_SERVER = `${RAW_TS}
__citadel.keepAlive(true);
const reply = (slot: number, riid: number, mid: number, requestId: number, payload: Uint8Array, kind = 2) =>
  __citadel.send(frame({ kind, handle: slot, riid, mid, requestId }, payload));
function onCalls(onCall: (slot: number, riid: number, mid: number, id: number, payload: Uint8Array) => void): void {
  __citadel.receive((f) => {
    const v = new DataView(f);
    if (f.byteLength < 32 || v.getUint8(1) !== 1) return; // calls only (kernel replies to console output are ignored)
    onCall(v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true), new Uint8Array(f, 32));
  });
}
`;

// The forger answers each Echo correctly, but first sends replies to calls it never received
// (an unknown id, the right id with the wrong method or slot, error and fault kinds), and after
// the real reply replays it twice.
const FORGER = `${RAW_SERVER}
onCalls((slot, riid, mid, id, payload) => {
  const text = new TextDecoder().decode(payload.subarray(8, payload.length - 1));
  const answer = strPayload(text.toUpperCase() + '!');
  reply(slot, riid, mid, id + 1000, strPayload('FORGED'));
  reply(slot, riid, mid, 0xffffffff, strPayload('FORGED'));
  reply(slot, riid, ${MID.Hang}, id, u32(666));
  reply(slot + 5, riid, mid, id, strPayload('FORGED'));
  reply(slot, riid, mid, id + 1, u32(1), 4);
  reply(slot, riid, mid, id, answer);
  reply(slot, riid, mid, id, answer);
  reply(slot, riid, mid, id, strPayload('REPLAYED'));
  console.log('forger answered ' + id + ' after 5 forgeries, then replayed it twice');
});
`;

// The thief tries to answer the honest server's pending Hang call (ids 1..6, every slot) before
// answering its own Echo.
const THIEF = `${RAW_SERVER}
onCalls((slot, riid, mid, id, payload) => {
  if (new TextDecoder().decode(payload.subarray(8, payload.length - 1)) === 'handles') {
    // A response carrying a handle list (responses name handles in their Handle fields instead).
    __citadel.send(frame({ kind: 2, handle: slot, riid, mid, requestId: id, handleCount: 1, extra: u32(1, 3) }, strPayload('HANDLES')));
    return;
  }
  for (let stolen = 1; stolen <= 6; stolen++) for (let s = 1; s <= 3; s++) reply(s, 0, ${MID.Hang}, stolen, u32(666));
  reply(slot, riid, mid, id, strPayload('NOT YOURS'));
  console.log('thief sent 18 replies to calls it never received');
});
`;

const VICTIM = `${RAW_TS}
${REPORT_TS}
rawSetup();
const ch = __citadel.boot.channels;
const [A, B, C, D] = [ch.a.handle, ch.b.handle, ch.c.handle, ch.d.handle];
const str = (a: Awaited<ReturnType<typeof raw>>) => a === 'none' ? 'none' : { kind: a.kind, status: a.status, text: a.kind === 2 ? new TextDecoder().decode(a.bytes.subarray(8, a.bytes.length - 1)) : a.text };
const count = (id: number) => received.filter((a) => a.requestId === id).length;

// 1. Forged, misdirected and replayed replies from the forger.
const id1 = 0x50000001;
report('forger-echo', str(await raw({ handle: A, riid: 0, mid: ${MID.Echo}, requestId: id1 }, strPayload('one'))));
report('forger-echo-2', str(await raw({ handle: A, riid: 0, mid: ${MID.Echo}, requestId: 0x50000002 }, strPayload('two'))));
report('forger-deliveries', { first: count(id1), forgedIds: received.filter((a) => a.requestId === id1 + 1000 || a.requestId === 0xffffffff).length, total: received.filter((a) => a.requestId >= 0x40000000).length });

// 2. Another server answering the honest server's pending call.
const hang = raw({ handle: B, riid: 0, mid: ${MID.Hang}, requestId: 0x50000010 }, u32(5));
report('thief-echo', str(await raw({ handle: C, riid: 0, mid: ${MID.Echo}, requestId: 0x50000011 }, strPayload('steal'))));
report('thief-handles', str(await raw({ handle: C, riid: 0, mid: ${MID.Echo} }, strPayload('handles'))));
report('release', str(await raw({ handle: B, riid: 0, mid: ${MID.Echo}, requestId: 0x50000012 }, strPayload('release'))));
const h = await hang;
report('honest-hang', h === 'none' ? 'none' : { kind: h.kind, v: new DataView(h.bytes.buffer).getUint32(0, true), deliveries: count(0x50000010) });

// 3. Forged handles, RIIDs and MIDs, handle transfer, and client-side reply frames.
const echo = strPayload('x');
report('bad-handle', str(await raw({ handle: 9, riid: 0, mid: ${MID.Echo} }, echo)));
report('bad-riid', str(await raw({ handle: B, riid: 7, mid: ${MID.Echo} }, echo)));
report('bad-mid', str(await raw({ handle: B, riid: 0, mid: 99 }, echo)));
report('bad-kernel-riid', str(await raw({ handle: 0, riid: 99, mid: 0 }, echo)));
report('handle-transfer', str(await raw({ handle: B, riid: 0, mid: ${MID.Echo}, handleCount: 1, extra: u32(1, 3) }, echo)));
// Handle transfer (Pass takes a Handle): only own handles, never more rights than held.
const pass = (slot: number, number: number, rights: number) => raw({ handle: B, riid: 0, mid: ${MID.Pass}, handleCount: 1, extra: u32(number, rights) }, u32(slot, rights));
report('transfer-unowned', str(await pass(0, 9, 1)));
report('transfer-kernel', str(await pass(0, 0, 1)));
report('transfer-escalate', str(await pass(0, B, 7)));
report('transfer-slot', str(await pass(5, B, 1)));
report('transfer-ok', str(await pass(0, A, 1)));
// Passing the honest server's channel to the broker with the call right, then without it.
const toBroker = (rights: number) => raw({ handle: D, riid: 0, mid: ${MID.Pass}, handleCount: 1, extra: u32(B, rights) }, u32(0, rights));
report('broker-call-right', str(await toBroker(1)));
report('broker-transfer-only', str(await toBroker(2)));
report('broker-no-rights', str(await toBroker(0)));
// Reply, error and fault frames from a client: no answer may come; the kernel logs them.
const forged = [
  raw({ kind: 2, handle: B, riid: 0, mid: ${MID.Echo}, requestId: 1 }, strPayload('FAKE')),
  raw({ kind: 3, handle: B, riid: 0, mid: ${MID.Echo}, requestId: 2 }, strPayload('FAKE')),
  raw({ kind: 4, handle: B, riid: 0, mid: ${MID.Echo}, requestId: 3, status: 1 }, strPayload('FAKE')),
];
report('settled', str(await settle(B, 0)));
const [cr, ce, cf] = await Promise.all(forged);
report('client-reply', cr);
report('client-error', ce);
report('client-fault', cf);
report('ignored-fields', str(await raw({ handle: B, riid: 0, mid: ${MID.Echo}, flags: 0xffff, status: 5 }, strPayload('flags'))));
report('still-works', str(await raw({ handle: B, riid: 0, mid: ${MID.Echo} }, strPayload('after'))));
__citadel.exit(0);
`;

const SPAMMER = `${RAW_TS}
rawSetup();
for (let i = 0; i < 70; i++) __citadel.send(new ArrayBuffer(10));
__citadel.setTimer(5000, false, () => console.log('SPAMMER SURVIVED'));
`;

const BYSTANDER = `import { CallFailed, connect } from 'citadel';
import { SvcProxy } from '../gen/t.Svc.idl.ts';
${REPORT_TS}
const ch = connect('svc');
const svc = new SvcProxy(ch, ch.riid('svc'));
const out: string[] = [];
for (let i = 0; i < 20; i++) {
  out.push(await svc.Echo({ text: 'b' + i }).then((r) => r.reply, (e) => e instanceof CallFailed ? e.status : String(e)));
  await new Promise((r) => setTimeout(r, 40));
}
report('bystander', out);
`;

// Log forgery: console text and a crash message that try to pass as kernel or boot lines.
const LIAR = `console.log('innocent\\n[kernel] FORGED: honest stopped: no living clients\\n[boot] FORGED measured-boot head=00 blobs=0');
console.log('\\x1b[2K\\r[kernel] FORGED with a terminal escape');
console.log('carriage\\r[kernel] FORGED after a carriage return');
`;
const LIAR2 = `throw new Error('bad\\n[kernel] FORGED: victim exited');\n`;

const scope = fileCleanup();
let run: RunResult;
let got: Map<string, unknown>;

before(async () => {
  run = await runSolution(scope, {
    'init.yaml': INIT,
    'security.psl': policy(['t.Client', 't.Server', 't.Raw']),
    't/Svc.idl': SVC_IDL,
    't/Server.edl': serverEdl('t.Server'),
    't/Raw.edl': serverEdl('t.Raw'),
    't/Client.edl': clientEdl('t.Client'),
    'src/Server.ts': SERVER_TS,
    'src/forger.ts': FORGER,
    'src/thief.ts': THIEF,
    'src/broker.ts': BROKER,
    'src/liar.ts': LIAR,
    'src/liar2.ts': LIAR2,
    'src/victim.ts': VICTIM,
    'src/spammer.ts': SPAMMER,
    'src/bystander.ts': BYSTANDER,
  }, { timeoutMs: 20_000 });
  got = results(run, 'victim');
});

const k = () => kernelLines(run);

test('the victim ran to the end', () => {
  assert.ok(got.has('still-works'), run.lines.join('\n'));
  assert.deepEqual(exitOf(run, 'victim'), { task: 'victim', code: 0, stopped: false });
});

test('forgery: replies to calls never made (unknown id, wrong method, wrong slot, fault) are dropped and logged as abuse', () => refused('forgery', 'reply-to-unknown-call', () => {
  assert.ok(linesOf(run, 'forger').some((l) => /^forger answered \d+ after 5 forgeries/.test(l)));
  const abuse = k().filter((l) => /^forger sent a reply to call \d+ it never received$/.test(l));
  assert.equal(abuse.length, 2 * (5 + 2), abuse.join('\n')); // two Echo calls, each with 5 forgeries and 2 replays
  assert.ok(k().includes('forger sent a reply to call 4294967295 it never received'));
  assert.ok(k().includes('forger sent a reply to call 1001 it never received'));
}));

test('forgery: the client gets exactly the real reply, once', () => refused('forgery', 'forged-reply-delivered', () => {
  assert.deepEqual(got.get('forger-echo'), { kind: 2, status: 0, text: 'ONE!' });
  assert.deepEqual(got.get('forger-echo-2'), { kind: 2, status: 0, text: 'TWO!' });
  assert.deepEqual(got.get('forger-deliveries'), { first: 1, forgedIds: 0, total: 2 });
}));

test('forgery: replaying a reply is dropped (the call is answered once)', () => refused('forgery', 'reply-replay', () => {
  assert.deepEqual(got.get('forger-deliveries'), { first: 1, forgedIds: 0, total: 2 });
  assert.ok(!run.lines.some((l) => l.includes('REPLAYED')));
}));

test('forgery: a server cannot answer another server\'s call', () => refused('forgery', 'reply-to-other-server-call', () => {
  assert.equal(k().filter((l) => /^thief sent a reply to call [1-6] it never received$/.test(l)).length, 18);
  assert.deepEqual(got.get('thief-echo'), { kind: 2, status: 0, text: 'NOT YOURS' });
  assert.deepEqual(got.get('honest-hang'), { kind: 2, v: 5, deliveries: 1 });
}));

test('forgery: a client forging handle, RIID or MID values gets InvalidMessage', () => refused('forgery', 'forged-handle-riid-mid', () => {
  const invalid = (text: string) => ({ kind: 4, status: 2, text });
  assert.deepEqual(got.get('bad-handle'), invalid('no handle 9 in victim\'s handle table'));
  assert.deepEqual(got.get('bad-riid'), invalid('the server has no endpoint 7 with method 0'));
  assert.deepEqual(got.get('bad-mid'), invalid('the server has no endpoint 0 with method 99'));
  assert.deepEqual(got.get('bad-kernel-riid'), invalid('the server has no endpoint 99 with method 0'));
  assert.deepEqual(got.get('handle-transfer'), invalid('the request does not match the IDL: the request carries 1 handles; its IDL allows at most 0'));
  assert.ok(!linesOf(run, 'honest').includes('GOT Echo x'));
}));

test('forgery: handles can be passed only if owned, with no more rights than held', () => refused('forgery', 'handle-transfer', () => {
  const invalid = (text: string) => ({ kind: 4, status: 2, text });
  assert.deepEqual(got.get('transfer-unowned'), invalid('handle 9 is not in victim\'s handle table'));
  assert.deepEqual(got.get('transfer-kernel'), invalid('handle 0 is not in victim\'s handle table'));
  assert.deepEqual(got.get('transfer-escalate'), invalid('handle 2 holds rights 3; it cannot grant 7'));
  assert.match((got.get('transfer-slot') as { text: string }).text, /^the request does not match the IDL: request\.h: handle slot 5 out of range \(1 handles in the frame\)$/);
  // The one legitimate transfer reaches the server as a handle of its own table.
  assert.equal((got.get('transfer-ok') as { kind: number }).kind, 2);
  assert.deepEqual(linesOf(run, 'honest').filter((l) => l.startsWith('GOT Pass')).length, 1);
}));

test('forgery: a handle passed on without the call right cannot be used to call', () => refused('forgery', 'call-without-call-right', () => {
  const broker = linesOf(run, 'broker');
  assert.ok(broker.includes('BROKER handle 1 rights 1 → called: RIGHTS 1'), broker.join('\n'));
  for (const [n, rights] of [[2, 2], [3, 0]]) {
    const line = broker.find((l) => l.startsWith(`BROKER handle ${n} rights ${rights} → `));
    assert.ok(line, broker.join('\n'));
    // BUG: the kernel never checks Rights.call when a handle is used for a call.
    assert.doesNotMatch(line!, /→ called: /, `a handle with rights ${rights} (no call right) was used to call`);
    assert.match(line!, /→ (InvalidMessage|SecurityDisallow): /);
  }
  assert.ok(!linesOf(run, 'honest').includes('GOT Echo rights 2') && !linesOf(run, 'honest').includes('GOT Echo rights 0'), 'the honest server was called through a handle without the call right');
}));

test('forgery: a response carrying a handle list is refused (InvalidMessage to the client)', () => refused('forgery', 'handle-in-response', () => {
  assert.deepEqual(got.get('thief-handles'), { kind: 4, status: 2, text: 'thief\'s response does not match the IDL: a response names its handles in its Handle fields, not in a handle list' });
  assert.ok(k().includes('thief sent an invalid response: a response names its handles in its Handle fields, not in a handle list'));
}));

test('forgery: reply, error and fault frames from a client are dropped and logged', () => refused('forgery', 'client-sends-replies', () => {
  assert.equal(got.get('client-reply'), 'none');
  assert.equal(got.get('client-error'), 'none');
  assert.equal(got.get('client-fault'), 'none');
  for (const id of [1, 2, 3]) assert.ok(k().includes(`victim sent a reply to call ${id} it never received`), `no abuse line for forged reply ${id}`);
  assert.deepEqual(got.get('settled'), { kind: 2, status: 0, text: 'SYNC' });
}));

test('forgery: header flags and status on a call are ignored; the kernel still works', () => {
  assert.deepEqual(got.get('ignored-fields'), { kind: 2, status: 0, text: 'FLAGS' });
  assert.deepEqual(got.get('still-works'), { kind: 2, status: 0, text: 'AFTER' });
});

test('forgery: after 64 malformed frames the entity is terminated, and the others keep running', () => refused('forgery', 'abuse-limit', () => {
  const malformed = k().filter((l) => l === 'spammer sent a malformed frame (10 bytes; header lengths do not match)');
  assert.ok(malformed.length >= 64 && malformed.length <= 70, `${malformed.length} abuse lines`);
  assert.ok(k().includes('spammer failed (exit code 1): terminated after 64 malformed or forged frames'), k().join('\n'));
  assert.deepEqual(exitOf(run, 'spammer'), { task: 'spammer', code: 1, reason: 'terminated after 64 malformed or forged frames', stopped: false });
  assert.ok(!run.lines.some((l) => l.includes('SPAMMER SURVIVED')));
  assert.deepEqual(results(run, 'bystander').get('bystander'), Array.from({ length: 20 }, (_, i) => `B${i}`));
  // Abuse below the limit is not punished: the forgers served to the end.
  assert.deepEqual(exitOf(run, 'forger'), { task: 'forger', code: 0, reason: 'no living clients', stopped: true });
  assert.deepEqual(exitOf(run, 'thief'), { task: 'thief', code: 0, reason: 'no living clients', stopped: true });
}));

test('forgery: an entity cannot forge kernel or boot log lines (newlines, carriage returns, terminal escapes)', () => refused('forgery', 'log-line-forgery', () => {
  assert.ok(linesOf(run, 'liar').includes('innocent'), run.lines.join('\n'));
  // Every output line that mentions FORGED must still carry the entity's own prefix.
  const forged = run.lines.filter((l) => l.includes('FORGED') && !/^\[liar2?\] /.test(l) && !/^\[kernel\] liar2 failed/.test(l));
  // BUG: console text and crash messages are logged verbatim, so a newline starts a line of the entity's choosing.
  assert.deepEqual(forged, [], `lines an entity forged:\n${forged.join('\n')}`);
  const raw = run.entries.filter((e) => e.includes('FORGED') && /[\r\x1b]/.test(e));
  assert.deepEqual(raw, [], 'carriage returns or terminal escapes from an entity reach the log unescaped');
}));
