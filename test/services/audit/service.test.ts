// The service's handlers over a writer (kernel records, app events, queries, the level through the
// kernel), the query filters, the kernel's bounded queue and record bounding, and the host crypto
// the service is endowed with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verify as nodeVerify, createPublicKey } from 'node:crypto';
import { AUDIT_QUEUE_MAX, AuditQueue, recordText } from '../../../src/kernel/audit.ts';
import { MaxRecord } from '../../../src/entity/gen/kl.core.AuditSink.idl.ts';
import { makeHostCrypto } from '../../../src/sandbox/host-crypto.ts';
import { Denied, Granted } from '../../../src/services/audit/gen/kl.AuditLog.idl.ts';
import { formatRecord, matches, parseTime } from '../../../src/services/audit/query.ts';
import { auditHandlers, fromKernelRecord } from '../../../src/services/audit/service.ts';
import { ed25519PublicKey, nodeLogCrypto, nodeSigner } from '../../../src/services/audit/node.ts';
import type { AuditRecord } from '../../../src/security/index.ts';
import type { LogRecord } from '../../../src/services/audit/log.ts';
import { MemoryFs, lines, openWriter, parse, verify } from './helpers.ts';

const kernelRecord = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  event: 'request', src: { class: 'app.Client', sid: 101, task: 'client' }, dst: { class: 'app.Server', sid: 102, task: 'server' },
  interface: 'app.Ping', endpoint: 'ping', method: 'Ping', bindings: ['security.psl:3:1'], time: 5_000, decision: 'denied',
  reason: 'base.deny: denied by policy', results: [{ object: 'base', method: 'deny', origin: 'security.psl:3:30', outcome: 'denied' }], ...over,
});

async function service() {
  const fs = new MemoryFs();
  const writer = await openWriter(fs);
  let level = 0, clock = 7_000;
  const calls: string[] = [];
  const handlers = auditHandlers(writer, {
    now: async () => clock++,
    kernel: {
      SetLevel: async ({ level: l }) => { calls.push(`SetLevel ${l}`); level = l; return {}; },
      GetLevel: async () => ({ level }),
    },
  });
  return { fs, writer, handlers, calls };
}

test('kernel records become decision records; a drop count becomes a records-lost record', async () => {
  const { fs, handlers } = await service();
  await handlers.sink.Write({ records: [JSON.stringify(kernelRecord()), JSON.stringify(kernelRecord({ decision: 'granted', method: 'Pong' })), 'not json'], dropped: 4 });
  await handlers.sink.Close({});
  const recs = lines(fs.segments()[0]!).map(parse).filter((o) => o['type'] === 'record') as unknown as LogRecord[];
  const lost = recs.find((r) => r.event === 'records-lost')!;
  assert.equal(lost.count, 4);
  const denied = recs.find((r) => r.method === 'Ping')!;
  assert.deepEqual({ ...denied, seq: 0, hash: '', prevHash: '' }, {
    type: 'record', seq: 0, time: 5_000, kind: 'decision', event: 'request', task: 'client', class: 'app.Client', sid: 101,
    dstTask: 'server', dstClass: 'app.Server', dstSid: 102, endpoint: 'ping', interface: 'app.Ping', method: 'Ping', decision: 'denied',
    reason: 'base.deny: denied by policy', results: [{ object: 'base', method: 'deny', origin: 'security.psl:3:30', outcome: 'denied' }],
    bindings: ['security.psl:3:1'], hash: '', prevHash: '',
  });
  assert.equal(recs.find((r) => r.event === 'malformed-kernel-record')!.detail, 'not json');
  assert.ok(verify(fs.segments()).closed);
});

test('invalid events keep what they carry: an unknown SID is left out, not stored as null', () => {
  const body = fromKernelRecord(JSON.stringify(kernelRecord({ src: { class: '#77', sid: NaN } })), 1, 'audit');
  assert.equal('sid' in body, false);
  assert.equal(body.class, '#77');
});

test('Append records the app event with the kernel\'s time; Query filters the recent records; SetLevel goes through the kernel', async () => {
  const { handlers, calls } = await service();
  await handlers.sink.Write({ records: [JSON.stringify(kernelRecord()), JSON.stringify(kernelRecord({ decision: 'granted', method: 'Pong' }))], dropped: 0 });
  const { seq } = await handlers.log.Append({ source: 'client', event: 'login', detail: 'alice' });
  assert.equal(typeof seq, 'bigint');
  const q = async (task: string, event: string, decision: number) => (await handlers.log.Query({ count: 16, task, event, decision })).records.map((l) => JSON.parse(l) as LogRecord);
  assert.deepEqual((await q('', '', Denied)).map((r) => r.method), ['Ping']);
  assert.deepEqual((await q('', '', Granted)).map((r) => r.method), ['Pong']);
  assert.deepEqual((await q('server', '', 0)).map((r) => r.method), ['Ping', 'Pong']);
  assert.deepEqual((await q('', 'ping.Pong', 0)).map((r) => r.method), ['Pong']);
  const [login] = await q('client', 'login', 0);
  assert.deepEqual([login!.kind, login!.seq, login!.time, login!.detail], ['app', Number(seq), 7_000, 'alice']);
  assert.equal((await handlers.log.Query({ count: 1, task: '', event: '', decision: 0 })).records.length, 1);
  assert.equal((await handlers.log.GetLevel({})).level, 0);
  await handlers.log.SetLevel({ level: 2 });
  assert.deepEqual(calls, ['SetLevel 2']);
  assert.equal((await handlers.log.GetLevel({})).level, 2);
  assert.match((await q('', 'audit-level', 0))[0]!.detail!, /set from 0 to 2/);
});

test('query filters: time range, task (either side), event (kind, method or endpoint.method), decision, kind; times parse', () => {
  const r = { type: 'record', seq: 3, time: Date.parse('2026-01-02T03:04:05Z'), kind: 'decision', event: 'request', task: 'a', dstTask: 'b',
    endpoint: 'ep', method: 'M', decision: 'granted', prevHash: '', hash: '' } as LogRecord;
  assert.ok(matches(r, {}));
  assert.ok(matches(r, { since: parseTime('2026-01-02')!, until: parseTime(String(r.time))! }));
  assert.ok(!matches(r, { since: r.time + 1 }));
  assert.ok(!matches(r, { until: r.time - 1 }));
  assert.ok(matches(r, { task: 'b' }) && !matches(r, { task: 'c' }));
  assert.ok(matches(r, { event: 'request' }) && matches(r, { event: 'M' }) && matches(r, { event: 'ep.M' }) && !matches(r, { event: 'x' }));
  assert.ok(matches(r, { decision: 'granted' }) && !matches(r, { decision: 'denied' }));
  assert.ok(matches(r, { kind: 'decision' }) && !matches(r, { kind: 'app' }));
  assert.equal(parseTime('yesterday-ish'), undefined);
  assert.equal(formatRecord({ ...r, reason: 'why\u001b[2J' }), '#3 2026-01-02T03:04:05.000Z decision granted request a → b ep.M — why\\u001b[2J');
});

test('the kernel queue is bounded: overflow is dropped, counted, said once, and reported with the next batch', () => {
  const log: string[] = [];
  const q = new AuditQueue('audit', 0, (l) => log.push(l));
  for (let i = 0; i < AUDIT_QUEUE_MAX + 10; i++) q.push(kernelRecord({ time: i }));
  assert.equal(q.pending, AUDIT_QUEUE_MAX);
  assert.equal(q.dropped, 10);
  assert.equal(log.length, 1);
  assert.match(log[0]!, /audit lags behind \(4096 records queued\): new audit records are dropped and counted/);
  const first = q.take();
  assert.equal(first.records.length, 64);
  assert.equal(first.dropped, 10);
  assert.equal(JSON.parse(first.records[0]!).time, 0);
  q.lost(2);
  assert.equal(q.take().dropped, 2);
  while (q.pending > 0) q.take();
  assert.match(log.at(-1)!, /audit caught up; 10 audit records were dropped meanwhile/);
  assert.equal(q.discard(), 0);
});

test('a record too long for the sink interface is cut down to fit, still JSON, and marked', () => {
  const long = kernelRecord({ reason: 'r'.repeat(20_000), results: Array.from({ length: 100 }, () => ({ object: 'o', method: 'm', origin: 'x', outcome: 'value' as const, value: 'v'.repeat(500) })) });
  const text = recordText(long);
  assert.ok(new TextEncoder().encode(text).length <= MaxRecord);
  const back = JSON.parse(text) as AuditRecord & { truncated: boolean };
  assert.equal(back.truncated, true);
  assert.equal(back.decision, 'denied');
  assert.equal(recordText(kernelRecord()), JSON.stringify(kernelRecord()));
});

test('the host crypto endowment agrees with node:crypto and refuses what is not bytes', () => {
  const c = makeHostCrypto();
  const seed = new Uint8Array(32).map((_, i) => 255 - i);
  const data = new TextEncoder().encode('checkpoint');
  assert.deepEqual(c.sha256(data), nodeLogCrypto.sha256(data));
  assert.deepEqual(c.ed25519PublicKey(seed), ed25519PublicKey(seed));
  const sig = c.ed25519Sign(seed, data);
  assert.deepEqual(sig, nodeSigner(seed).sign(data));
  const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), c.ed25519PublicKey(seed)]), format: 'der', type: 'spki' });
  assert.ok(nodeVerify(null, data, spki, sig));
  assert.equal(c.ed25519Verify(c.ed25519PublicKey(seed), data, sig), true);
  assert.equal(c.ed25519Verify(c.ed25519PublicKey(seed), new Uint8Array([1]), sig), false);
  assert.equal(Object.getPrototypeOf(c.sha256(data)), Uint8Array.prototype, 'plain Uint8Arrays, not Buffers');
  assert.throws(() => c.sha256('text' as unknown as Uint8Array), /must be a Uint8Array/);
  assert.throws(() => c.ed25519Sign(new Uint8Array(31), data), /32 bytes/);
});
