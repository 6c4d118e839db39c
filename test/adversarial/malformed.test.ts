// Malformed frames sent raw (via __citadel.send) to the real kernel: bad headers, bad lengths,
// unknown versions and kinds, oversized frames and payloads, arena descriptors out of range,
// bad strings and UTF-8, union tags, sequence bounds — in requests and in responses — plus a
// seeded bit-flip fuzzer. Each is refused (InvalidMessage for calls, a log line otherwise); the
// server never sees one, and valid calls keep working.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { clientEdl, MID, policy, RAW_TS, serverEdl, SERVER_TS, SVC_IDL } from '../helpers/kit.ts';
import { exitOf, fileCleanup, kernelLines, linesOf, REPORT_TS, results, runSolution, type RunResult } from '../helpers/run-solution.ts';
import { refused } from './report.ts';

const INIT = `entities:
- name: t.Client
  task: mal
  path: src/mal.ts
  connections:
  - target: honest
    id: svc
  - target: badserver
    id: bad
- name: t.Client
  task: fuzzer
  path: src/fuzzer.ts
  connections:
  - target: honest
    id: svc
- name: t.Server
  task: honest
- name: t.Raw
  task: badserver
  path: src/badserver.ts
`;

// Probe name → [header fields, payload]; each is sent, then a valid call settles what got no answer.
const MAL = `${RAW_TS}
${REPORT_TS}
rawSetup();
const S = __citadel.boot.channels.svc.handle, BAD = __citadel.boot.channels.bad.handle;
const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);
/** A string param whose descriptor says (offset, size) over the given arena bytes. */
const desc = (offset: number, size: number, arena: Uint8Array) => { const p = new Uint8Array(8 + arena.length); p.set(u32(offset, size)); p.set(arena, 8); return p; };
const cat = (...parts: Uint8Array[]) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let at = 0; for (const p of parts) { out.set(p, at); at += p.length; } return out; };
const echo = { handle: S, riid: 0, mid: ${MID.Echo} };
const pick = { handle: S, riid: 0, mid: ${MID.Pick} };
const count = { handle: S, riid: 0, mid: ${MID.Count} };
const big = 16 * 1024 * 1024 + 64;
const probes: [string, Fields, Uint8Array][] = [
  ['empty', { ...echo, size: 0 }, new Uint8Array(0)],
  ['truncated-header', { ...echo, size: 10 }, new Uint8Array(0)],
  ['header-31', { ...echo, size: 31 }, new Uint8Array(0)],
  ['length-mismatch', { ...echo, payloadLength: 100 }, strPayload('a')],
  ['length-huge', { ...echo, payloadLength: 0xffffffff }, strPayload('a')],
  ['handles-huge', { ...echo, handleCount: 0xffffffff }, strPayload('a')],
  ['trailing-bytes', { ...echo, size: 32 + 10 + 5 }, strPayload('a')],
  ['version-0', { ...echo, version: 0 }, strPayload('a')],
  ['version-2', { ...echo, version: 2 }, strPayload('a')],
  ['kind-0', { ...echo, kind: 0 }, strPayload('a')],
  ['kind-5', { ...echo, kind: 5 }, strPayload('a')],
  ['kind-255', { ...echo, kind: 255 }, strPayload('a')],
  ['frame-over-limit', { ...echo, payloadLength: big - 32, size: big }, new Uint8Array(0)],
  ['payload-over-message', echo, desc(0, 992, new Uint8Array(992))],
  ['payload-short', echo, bytes(1, 2, 3, 4)],
  ['arena-offset', echo, desc(1000, 2, enc('a\\0'))],
  ['arena-offset-max', echo, desc(0xffffffff, 2, enc('a\\0'))],
  ['string-size-0', echo, desc(0, 0, enc('ab'))],
  ['string-no-nul', echo, desc(0, 3, enc('abc'))],
  ['string-inner-nul', echo, desc(0, 4, enc('a\\0b\\0'))],
  ['utf8-invalid', echo, desc(0, 3, bytes(0xff, 0xfe, 0))],
  ['utf8-overlong', echo, desc(0, 3, bytes(0xc0, 0xaf, 0))],
  ['utf8-surrogate', echo, desc(0, 4, bytes(0xed, 0xa0, 0x80, 0))],
  ['utf8-truncated', echo, desc(0, 3, bytes(0xe2, 0x82, 0))],
  ['union-tag', pick, cat(u32(2), new Uint8Array(8))],
  ['union-tag-max', pick, cat(u32(0xffffffff), new Uint8Array(8))],
  ['union-padding', pick, cat(u32(0, 5, 0x01010101))],
  ['seq-over-bound', count, cat(u32(0, 5), bytes(1, 2, 3, 4))],
  ['seq-oversized-payload', count, cat(u32(0, 5), bytes(1, 2, 3, 4, 5))],
  ['seq-offset', count, cat(u32(2, 4), bytes(1, 2, 3, 4))],
  ['kernel-log-short', { handle: 0, riid: 0, mid: 0 }, bytes(1, 2)],
];
const out: Record<string, unknown> = {};
const show = (a: Answer | 'none') => a === 'none' ? 'none' : { kind: a.kind, status: a.status, text: a.kind === 4 ? a.text : new TextDecoder().decode(a.bytes.subarray(8, Math.max(8, a.bytes.length - 1))) };
for (const [name, fields, payload] of probes) {
  const answer = raw(fields, payload);
  await settle(S, 0);
  out[name] = show(await answer);
}
report('requests', out);

// Invalid responses from a server.
const responses: Record<string, unknown> = {};
for (const text of ['utf8', 'short', 'error-shape', 'fault', 'ok']) responses[text] = show(await raw({ handle: BAD, riid: 0, mid: ${MID.Echo} }, strPayload(text)));
report('responses', responses);
report('final', show(await raw(echo, strPayload('final'))));
__citadel.exit(0);
`;

// A server answering Echo with the response its text names.
const BADSERVER = `${RAW_TS}
__citadel.keepAlive(true);
__citadel.receive((f) => {
  const v = new DataView(f);
  if (f.byteLength < 32 || v.getUint8(1) !== 1) return;
  const h = { handle: v.getUint32(4, true), riid: v.getUint32(8, true), mid: v.getUint32(12, true), requestId: v.getUint32(16, true) };
  const p = new Uint8Array(f, 32);
  const text = new TextDecoder().decode(p.subarray(8, p.length - 1));
  if (text === 'utf8') __citadel.send(frame({ ...h, kind: 2 }, strPayload(Uint8Array.of(0x61, 0xff))));
  else if (text === 'short') __citadel.send(frame({ ...h, kind: 2 }, Uint8Array.of(1, 2, 3)));
  else if (text === 'error-shape') __citadel.send(frame({ ...h, kind: 3 }, u32(7)));
  else if (text === 'fault') __citadel.send(frame({ ...h, kind: 4, status: 5 }, new TextEncoder().encode('x'.repeat(100000))));
  else __citadel.send(frame({ ...h, kind: 2 }, strPayload('fine')));
});
`;

// Seeded bit flips in a valid call's header and payload (entities have no Math.random).
const FUZZER = `${RAW_TS}
${REPORT_TS}
rawSetup();
const S = __citadel.boot.channels.svc.handle;
let seed = 0x2545f491;
const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
const base = new Uint8Array(frame({ handle: S, riid: 0, mid: ${MID.Echo} }, strPayload('fuzz')));
let sent = 0;
for (let i = 0; i < 50; i++) {
  const f = base.slice();
  const flips = 1 + rnd(3);
  for (let k = 0; k < flips; k++) f[rnd(f.length)] ^= 1 << rnd(8);
  new DataView(f.buffer).setUint32(16, 0x60000000 + i, true);
  __citadel.send(f.buffer);
  sent++;
}
const after = await settle(S, 0);
report('fuzz', { sent, answered: received.filter((a) => a.requestId >= 0x60000000 && a.requestId < 0x60000000 + 50).length, settle: after === 'none' ? 'none' : after.kind });
__citadel.exit(0);
`;

const scope = fileCleanup();
let run: RunResult;
let requests: Record<string, { kind: number; status: number; text: string } | 'none'>;

before(async () => {
  run = await runSolution(scope, {
    'init.yaml': INIT,
    'security.psl': policy(['t.Client', 't.Server', 't.Raw']),
    't/Svc.idl': SVC_IDL,
    't/Server.edl': serverEdl('t.Server'),
    't/Raw.edl': serverEdl('t.Raw'),
    't/Client.edl': clientEdl('t.Client'),
    'src/Server.ts': SERVER_TS,
    'src/mal.ts': MAL,
    'src/badserver.ts': BADSERVER,
    'src/fuzzer.ts': FUZZER,
  }, { timeoutMs: 20_000 });
  requests = (results(run, 'mal').get('requests') ?? {}) as typeof requests;
});

const k = () => kernelLines(run);
const invalid = (name: string, text: string | RegExp) => {
  const a = requests[name];
  assert.ok(a && a !== 'none', `${name}: no answer\n${run.lines.join('\n')}`);
  assert.equal(a.kind, 4, `${name}: ${JSON.stringify(a)}`);
  assert.equal(a.status, 2, `${name}: status ${a.status} (${a.text})`);
  if (typeof text === 'string') assert.equal(a.text, text);
  else assert.match(a.text, text);
};
/** Dropped without an answer, with this abuse line in the kernel log. */
const dropped = (name: string, line: string) => {
  assert.equal(requests[name], 'none', `${name} was answered: ${JSON.stringify(requests[name])}`);
  assert.ok(k().includes(line), `no kernel line "${line}"`);
};

test('the malformed-frame client ran to the end', () => {
  assert.ok(results(run, 'mal').has('final'), run.lines.join('\n'));
  assert.deepEqual(exitOf(run, 'mal'), { task: 'mal', code: 0, stopped: false });
});

test('malformed: truncated headers are dropped and logged', () => refused('malformed', 'truncated-header', () => {
  dropped('empty', 'mal sent a malformed frame (0 bytes; header lengths do not match)');
  dropped('truncated-header', 'mal sent a malformed frame (10 bytes; header lengths do not match)');
  dropped('header-31', 'mal sent a malformed frame (31 bytes; header lengths do not match)');
}));

test('malformed: header lengths that do not match the buffer are dropped and logged', () => refused('malformed', 'length-mismatch', () => {
  dropped('length-mismatch', 'mal sent a malformed frame (42 bytes; header lengths do not match)');
  dropped('length-huge', 'mal sent a malformed frame (42 bytes; header lengths do not match)');
  dropped('handles-huge', 'mal sent a malformed frame (42 bytes; header lengths do not match)');
  dropped('trailing-bytes', 'mal sent a malformed frame (47 bytes; header lengths do not match)');
}));

test('malformed: unknown versions are dropped and logged', () => refused('malformed', 'unknown-version', () => {
  dropped('version-0', 'mal sent a frame of unknown version 0');
  dropped('version-2', 'mal sent a frame of unknown version 2');
}));

test('malformed: unknown kinds are dropped and logged', () => refused('malformed', 'unknown-kind', () => {
  dropped('kind-0', 'mal sent a frame of unknown kind 0');
  dropped('kind-5', 'mal sent a frame of unknown kind 5');
  dropped('kind-255', 'mal sent a frame of unknown kind 255');
}));

test('malformed: a frame over the size limit is dropped before it is read', () => refused('malformed', 'oversized-frame', () => {
  dropped('frame-over-limit', `mal sent a ${16 * 1024 * 1024 + 64}-byte frame, over the ${16 * 1024 * 1024 + 32}-byte limit`);
}));

test('malformed: payloads longer than the message can be, or shorter than its fixed part → InvalidMessage', () => refused('malformed', 'payload-size', () => {
  invalid('payload-over-message', 'the request does not match the IDL: request: payload of 1000 bytes exceeds the 25-byte maximum');
  invalid('payload-short', 'the request does not match the IDL: request: payload of 4 bytes is shorter than the 8-byte fixed part');
}));

test('malformed: arena offsets out of range → InvalidMessage', () => refused('malformed', 'arena-offset', () => {
  invalid('arena-offset', 'the request does not match the IDL: request.text: arena descriptor at offset 0 points past the arena (offset 1000 + size 2 > 2)');
  invalid('arena-offset-max', 'the request does not match the IDL: request.text: arena descriptor at offset 0 points past the arena (offset 4294967295 + size 2 > 2)');
  invalid('seq-offset', 'the request does not match the IDL: request.items: arena descriptor at offset 0 points past the arena (offset 2 + size 4 > 4)');
}));

test('malformed: strings without a terminator, with an inner NUL or of size 0 → InvalidMessage', () => refused('malformed', 'string-terminator', () => {
  invalid('string-size-0', 'the request does not match the IDL: request.text: string has no NUL terminator (size 0)');
  invalid('string-no-nul', 'the request does not match the IDL: request.text: string has no NUL terminator');
  invalid('string-inner-nul', 'the request does not match the IDL: request.text: string contains a NUL byte');
}));

test('malformed: invalid UTF-8 (bad bytes, overlong, surrogate, truncated) → InvalidMessage', () => refused('malformed', 'invalid-utf8', () => {
  for (const name of ['utf8-invalid', 'utf8-overlong', 'utf8-surrogate', 'utf8-truncated']) invalid(name, 'the request does not match the IDL: request.text: invalid UTF-8');
}));

test('malformed: union tags out of range and non-zero union padding → InvalidMessage', () => refused('malformed', 'union-tag', () => {
  invalid('union-tag', 'the request does not match the IDL: request.c: union tag 2 out of range (2 members)');
  invalid('union-tag-max', 'the request does not match the IDL: request.c: union tag 4294967295 out of range (2 members)');
  invalid('union-padding', 'the request does not match the IDL: request.c: non-zero padding byte 0 after union member num');
}));

test('malformed: a sequence longer than its IDL bound → InvalidMessage', () => refused('malformed', 'sequence-bound', () => {
  invalid('seq-over-bound', 'the request does not match the IDL: request.items: 5 elements exceed sequence<4>');
  invalid('seq-oversized-payload', 'the request does not match the IDL: request: payload of 13 bytes exceeds the 12-byte maximum');
}));

test('malformed: calls to the kernel are validated too', () => refused('malformed', 'kernel-call', () => {
  invalid('kernel-log-short', /^the request does not match the IDL: request: payload of 2 bytes is shorter than the \d+-byte fixed part$/);
}));

test('malformed: the server never sees an invalid request', () => refused('malformed', 'server-sees-invalid', () => {
  const got = linesOf(run, 'honest').filter((l) => l.startsWith('GOT '));
  // mal sent only invalid Pick and Count requests; its invalid Echo texts were 'a', 'ab', 'abc', 'a\0b' and bad bytes.
  const invalidSeen = got.filter((l) => /^GOT (Pick|Count)/.test(l) || /^GOT Echo (a|ab|abc|a.b)$/s.test(l) || l.includes('\ufffd'));
  assert.deepEqual(invalidSeen, [], `the server saw: ${invalidSeen.join(', ')}`);
  // Every Echo it did see was a valid one (mal's own, or a fuzzed frame that stayed valid).
  for (const l of got) assert.match(l, /^GOT Echo [^\0]{1,16}$/s);
  assert.ok(got.includes('GOT Echo final'));
}));

test('malformed: invalid responses never reach the client (InvalidMessage instead); fault texts are capped', () => refused('malformed', 'invalid-response', () => {
  const r = results(run, 'mal').get('responses') as Record<string, { kind: number; status: number; text: string }>;
  assert.deepEqual(r['utf8'], { kind: 4, status: 2, text: 'badserver\'s response does not match the IDL: response.reply: invalid UTF-8' });
  assert.deepEqual(r['short'], { kind: 4, status: 2, text: 'badserver\'s response does not match the IDL: response: payload of 3 bytes is shorter than the 8-byte fixed part' });
  assert.deepEqual(r['error-shape'], { kind: 4, status: 2, text: 'badserver\'s error does not match the IDL: error: payload of 4 bytes exceeds the 0-byte maximum' });
  assert.equal(r['fault']!.kind, 4);
  assert.equal(r['fault']!.status, 5);
  assert.equal(r['fault']!.text, `badserver failed to serve the call: ${'x'.repeat(1024)}`);
  assert.deepEqual(r['ok'], { kind: 2, status: 0, text: 'fine' });
  assert.ok(k().includes('badserver sent an invalid response: response.reply: invalid UTF-8'));
}));

test('malformed: after all of it the kernel is unharmed — a valid call still works, and no entity was terminated', () => refused('malformed', 'kernel-unharmed', () => {
  assert.deepEqual(results(run, 'mal').get('final'), { kind: 2, status: 0, text: 'FINAL' });
  assert.ok(!k().some((l) => l.includes('terminated after')), 'an entity hit the abuse limit');
  assert.deepEqual(exitOf(run, 'honest'), { task: 'honest', code: 0, reason: 'no living clients', stopped: true });
}));

test('malformed: 50 seeded bit-flipped frames leave the kernel working', () => refused('malformed', 'bit-flip-fuzz', () => {
  const f = results(run, 'fuzzer').get('fuzz') as { sent: number; answered: number; settle: number | string };
  assert.equal(f.sent, 50);
  assert.equal(f.settle, 2, 'the valid call after the fuzzing was not answered');
  assert.deepEqual(exitOf(run, 'fuzzer'), { task: 'fuzzer', code: 0, stopped: false });
}));
