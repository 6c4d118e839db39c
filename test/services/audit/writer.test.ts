// The writer: continuing a log across runs, recovering from a crash, refusing a log that does not
// verify, both full-disk policies (each stated, each recorded, the log verifiable after), the key
// file, and a failing disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entryLine, keyId, publicKeyFromPem, seedFromPem, type LogRecord } from '../../../src/services/audit/log.ts';
import { ed25519PublicKey, nodeLogCrypto } from '../../../src/services/audit/node.ts';
import { loadOrCreateKey, parseServiceArgs } from '../../../src/services/audit/writer.ts';
import { MemoryFs, OTHER_SEED, PUBLIC_KEY, closedLog, lines, openWriter, options, parse, verify } from './helpers.ts';

const records = (fs: MemoryFs): LogRecord[] => fs.segments().flatMap((s) => lines(s).map(parse).filter((o) => o['type'] === 'record') as unknown as LogRecord[]);

test('service arguments: defaults, every option, and a clear refusal of anything else', () => {
  const d = parseServiceArgs([], 'audit');
  assert.deepEqual(d, { dir: 'audit', maxBytes: 16 * 1024 * 1024, onFull: 'stop', checkpointEvery: 256, segmentBytes: 4 * 1024 * 1024, task: 'audit' });
  const o = parseServiceArgs(['--dir', 'var/log', '--max-bytes', '65536', '--on-full', 'drop-oldest', '--checkpoint-every', '16'], 'a');
  assert.deepEqual([o.dir, o.maxBytes, o.onFull, o.checkpointEvery, o.segmentBytes], ['var/log', 65536, 'drop-oldest', 16, 16384]);
  assert.throws(() => parseServiceArgs(['--on-full', 'panic'], 'a'), /unknown or incomplete argument "--on-full"/);
  assert.throws(() => parseServiceArgs(['--max-bytes', '100'], 'a'), /--max-bytes takes an integer of at least 16384/);
});

test('a second run continues the log: one chain, one tree, start and stop records for each run', async () => {
  const fs = await closedLog(5);
  const w = await openWriter(fs);
  w.append({ time: 10_000, kind: 'app', event: 'second-run' });
  await w.close(11_000);
  const r = verify(fs.segments());
  assert.ok(r.ok && r.closed, JSON.stringify(r.error));
  assert.deepEqual(records(fs).map((x) => x.event), ['start', ...[0, 1, 2, 3, 4].map((i) => `event-${i}`), 'stop', 'start', 'second-run', 'stop']);
});

test('after a crash: the torn last line is removed and recorded, the uncovered records are named and covered again', async () => {
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(['--checkpoint-every', '100']));
  for (let i = 0; i < 5; i++) w.append({ time: 2_000 + i, kind: 'app', event: `e${i}` });
  await w.flush();
  const path = 'audit/audit-000001.log';
  const half = entryLine({ ...records(fs)[0]!, seq: 99 }).slice(0, 40);
  fs.files.set(path, new Uint8Array([...fs.files.get(path)!, ...new TextEncoder().encode(half)]));
  assert.match(verify(fs.segments()).error!.message, /the last line is incomplete/);
  const again = await openWriter(fs);
  await again.close(5_000);
  const r = verify(fs.segments());
  assert.ok(r.ok && r.closed, JSON.stringify(r.error));
  const events = records(fs).map((x) => x.event);
  assert.deepEqual(events.slice(6), ['recovered', 'unclean-stop', 'start', 'stop']);
  const unclean = records(fs).find((x) => x.event === 'unclean-stop')!;
  assert.equal(unclean.count, 5);
  assert.match(unclean.detail!, /records 2–6 were covered by no checkpoint/);
});

test('a log that does not verify, or was signed with another key, is left alone and the service refuses to start', async () => {
  const fs = await closedLog(4);
  const path = 'audit/audit-000001.log';
  const original = fs.files.get(path)!;
  fs.files.set(path, new TextEncoder().encode(new TextDecoder().decode(original).replace('event-2', 'event-X')));
  await assert.rejects(openWriter(fs), /the audit log in audit does not verify \(audit-000001\.log:\d+: record 4 was changed.*left as it is/);
  fs.files.set(path, original);
  await assert.rejects(openWriter(fs, options(), [], OTHER_SEED), /not by the trusted key/);
});

test('--on-full stop: stated at start, one record when it triggers, then nothing more; the loss is counted and the log verifies', async () => {
  const said: string[] = [];
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(['--max-bytes', '16384', '--checkpoint-every', '10']), said);
  assert.match(said[1]!, /WHEN FULL \(16384 bytes\): --on-full stop: .*NO FURTHER RECORDS ARE WRITTEN/);
  let refused = 0;
  for (let i = 0; i < 200; i++) if (!w.append({ time: 2_000 + i, kind: 'app', event: 'e', detail: 'x'.repeat(60) })) refused++;
  assert.ok(refused > 50 && w.stopped);
  assert.ok(said.some((l) => /THE AUDIT LOG IS FULL .*--on-full stop/.test(l)));
  w.lose(3, 9_000, 'kernel drops');
  await w.close(9_000);
  assert.ok(w.totalBytes <= 16384, `${w.totalBytes} bytes`);
  const r = verify(fs.segments());
  assert.ok(r.ok && r.closed, JSON.stringify(r.error));
  const all = records(fs);
  assert.equal(all.filter((x) => x.event === 'log-full').length, 1);
  assert.equal(all.at(-1)!.event, 'log-full');
  const last = lines(fs.segments().at(-1)!).map(parse).at(-1)!;
  assert.equal(last['reason'], 'shutdown');
  assert.equal(last['lost'], refused + 3);
  // A restart on a full log says so and records nothing.
  const said2: string[] = [];
  const w2 = await openWriter(fs, options(['--max-bytes', '16384']), said2);
  assert.ok(said2.some((l) => /THE LOG IS FULL .* nothing will be recorded in this run/.test(l)));
  assert.equal(w2.append({ time: 1, kind: 'app', event: 'x' }), undefined);
});

test('--on-full drop-oldest: whole old segments go, each deletion is recorded, the rest verifies from its signed header', async () => {
  const said: string[] = [];
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(['--max-bytes', '16384', '--on-full', 'drop-oldest', '--checkpoint-every', '10']), said);
  assert.match(said[1]!, /--on-full drop-oldest: THE OLDEST SEGMENTS ARE DELETED/);
  for (let i = 0; i < 400; i++) assert.ok(w.append({ time: 2_000 + i, kind: 'app', event: `e${i}`, detail: 'x'.repeat(60) }));
  await w.close(9_000);
  assert.ok(w.totalBytes <= 16384, `${w.totalBytes} bytes`);
  assert.ok(said.filter((l) => /DELETED records/.test(l)).length >= 3);
  const segs = fs.segments();
  assert.ok(segs[0]!.name !== 'audit-000001.log');
  const r = verify(segs);
  assert.ok(r.ok && r.closed, JSON.stringify(r.error));
  assert.ok(r.dropped > 300 && r.first === r.dropped + 1);
  const notes = records(fs).filter((x) => x.event === 'log-full');
  assert.ok(notes.length >= 1);
  assert.match(notes.at(-1)!.detail!, /--on-full drop-oldest: deleted audit-\d{6}\.log \(records \d+–\d+\); the signed header of audit-\d{6}\.log commits to them/);
  // Segments of another log put in front do not fit.
  const forged = await closedLog(3);
  assert.equal(verify([...forged.segments(), ...segs]).ok, false);
});

test('the signing key is created once, mode 0600, as PEM that node:crypto reads; its public half beside it', async () => {
  const fs = new MemoryFs();
  const seed = new Uint8Array(32).fill(3);
  const a = await loadOrCreateKey(fs, 'audit', { publicKey: ed25519PublicKey }, async () => seed);
  assert.equal(a.created, true);
  assert.equal(fs.modes.get('audit/audit.key'), 0o600);
  const pem = new TextDecoder().decode(fs.files.get('audit/audit.key'));
  assert.deepEqual(seedFromPem(pem), seed);
  assert.deepEqual(publicKeyFromPem(new TextDecoder().decode(fs.files.get('audit/audit.pub'))), a.publicKey);
  const { createPrivateKey } = await import('node:crypto');
  assert.equal(createPrivateKey(pem).asymmetricKeyType, 'ed25519');
  const b = await loadOrCreateKey(fs, 'audit', { publicKey: ed25519PublicKey }, async () => { throw new Error('not again'); });
  assert.equal(b.created, false);
  assert.deepEqual(b.publicKey, a.publicKey);
  assert.equal(keyId(nodeLogCrypto.sha256, PUBLIC_KEY).length, 16);
});

test('a failing disk is said loudly, and the writer stops rather than continue an inconsistent log', async () => {
  const said: string[] = [];
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(), said);
  fs.fail = true;
  w.append({ time: 2_000, kind: 'app', event: 'lost' });
  await assert.rejects(w.flush(), /EIO/);
  assert.ok(said.some((l) => /WRITING THE AUDIT LOG FAILED/.test(l)));
  assert.equal(w.append({ time: 2_001, kind: 'app', event: 'after' }), undefined);
});

test('Query keeps the most recent records in memory, across a restart too', async () => {
  const fs = await closedLog(6);
  const w = await openWriter(fs);
  const alice = w.recent((r) => r.task === 'alice', 10);
  assert.deepEqual(alice.map((r) => r.event), ['event-1', 'event-3', 'event-5']);
  assert.deepEqual(w.recent(() => true, 2).map((r) => r.event), ['stop', 'start']);
});

test('--on-full drop-oldest with records near the size of the cap: old segments go, nothing loops, the log verifies', async () => {
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(['--max-bytes', '16384', '--on-full', 'drop-oldest']));
  for (let i = 0; i < 12; i++) assert.ok(w.append({ time: 2_000 + i, kind: 'app', event: 'big', detail: 'x'.repeat(9_000) }));
  await w.close(9_000);
  const r = verify(fs.segments());
  assert.ok(r.ok && r.closed, JSON.stringify(r.error));
  assert.ok(r.dropped > 0);
});
