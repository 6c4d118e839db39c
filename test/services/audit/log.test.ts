// The log format's verification: the Merkle tree against RFC 6962's vectors, a clean log, and every
// kind of tampering (edits, re-hashed and re-chained edits, insertion, deletion, reordering,
// truncation, bit flips, bad signatures, another key) — each caught, naming the first bad record.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Frontier, frontierLength, leafHash, nodeHash } from '../../../src/services/audit/merkle.ts';
import { canonicalJson, fromBase64, base64, hex, publicKeyFromPem, publicKeyPem, seedFromPem, privateKeyPem, describeProblem } from '../../../src/services/audit/log.ts';
import { nodeLogCrypto } from '../../../src/services/audit/node.ts';
import { OTHER_SEED, closedLog, fromLines, isRecord, lines, openWriter, options, parse, rechain, reseal, text, verify, MemoryFs, file } from './helpers.ts';

const sha = nodeLogCrypto.sha256;

/** RFC 9162 MTH, straight from the definition. */
function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha(new Uint8Array(0));
  if (leaves.length === 1) return leafHash(sha, leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(sha, mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

test('the Merkle tree head matches the RFC 6962 test vectors for 1 to 8 leaves', () => {
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4', '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c', '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const f = new Frontier(sha);
  assert.equal(hex(f.root()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  leaves.forEach((l, i) => {
    f.append(Buffer.from(l, 'hex'));
    assert.equal(hex(f.root()), roots[i], `${i + 1} leaves`);
  });
});

test('property: the frontier gives the tree head of the definition, and continues from its saved form', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 70 }), fc.nat(), (leaves, cut) => {
    const at = leaves.length === 0 ? 0 : cut % (leaves.length + 1);
    const f = new Frontier(sha);
    leaves.slice(0, at).forEach((l) => f.append(l));
    assert.equal(f.hashes.length, frontierLength(at));
    const resumed = new Frontier(sha, at, f.hashes);
    leaves.slice(at).forEach((l) => resumed.append(l));
    assert.deepEqual(resumed.root(), mth(leaves));
  }), { numRuns: 150 });
});

test('a frontier of the wrong shape is refused', () => {
  assert.throws(() => new Frontier(sha, 3, [new Uint8Array(32)]), /3 leaves has 2 subtree roots/);
});

test('keys round-trip through PEM as node:crypto reads them; base64 matches Buffer\'s', async () => {
  const { createPrivateKey, createPublicKey } = await import('node:crypto');
  const seed = new Uint8Array(32).map((_, i) => i);
  const pub = (await import('../../../src/services/audit/node.ts')).ed25519PublicKey(seed);
  const node = createPrivateKey(privateKeyPem(seed));
  assert.equal(node.asymmetricKeyType, 'ed25519');
  assert.deepEqual(new Uint8Array(createPublicKey(node).export({ format: 'der', type: 'spki' }).subarray(12)), pub);
  assert.equal(createPublicKey(publicKeyPem(pub)).asymmetricKeyType, 'ed25519');
  assert.deepEqual(seedFromPem(privateKeyPem(seed)), seed);
  assert.deepEqual(publicKeyFromPem(publicKeyPem(pub)), pub);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
    assert.equal(base64(b), Buffer.from(b).toString('base64'));
    assert.deepEqual(fromBase64(base64(b)), b);
  }));
});

test('a closed log verifies: every record chained and covered, sealed by the shutdown checkpoint', async () => {
  const fs = await closedLog(10);
  const r = verify(fs.segments());
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.equal(r.records, 12); // start + 10 + stop
  assert.deepEqual([r.first, r.last, r.uncovered, r.dropped], [1, 12, 0, 0]);
  assert.equal(r.closed, true);
  assert.ok(r.checkpoints >= 4);
  // Every line is canonical JSON.
  for (const l of lines(fs.segments()[0]!)) assert.equal(canonicalJson(JSON.parse(l)), l);
});

test('an unsealed log is reported with the records no checkpoint covers', async () => {
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(['--checkpoint-every', '5']));
  for (let i = 0; i < 8; i++) w.append({ time: 2_000 + i, kind: 'app', event: 'e' });
  await w.flush();
  const r = verify(fs.segments());
  assert.ok(r.ok);
  assert.equal(r.closed, false);
  assert.equal(r.last, 9);
  assert.equal(r.covered, 6);
  assert.equal(r.uncovered, 3);
});

/** The closed test log's single segment, its lines, and the index of each record line. */
async function sample(n = 12) {
  const seg = (await closedLog(n)).segments()[0]!;
  const ls = lines(seg);
  const records = ls.map((l, i) => (isRecord(l) ? i : -1)).filter((i) => i >= 0);
  return { seg, ls, records };
}

test('an edited record is named: its hash does not match', async () => {
  const { seg, ls, records } = await sample();
  const i = records[4]!;
  const o = parse(ls[i]!);
  ls[i] = canonicalJson({ ...o, detail: 'nothing happened' });
  const r = verify([fromLines(seg.name, ls)]);
  assert.equal(r.ok, false);
  assert.equal(r.error!.seq, o['seq']);
  assert.match(describeProblem(r.error!), new RegExp(`^audit-000001\\.log:${i + 1}: record ${o['seq']} was changed: its hash does not match its contents$`));
});

test('an edited record with its hash recomputed breaks the chain at the next record', async () => {
  const { seg, ls, records } = await sample();
  const i = records[4]!;
  ls[i] = reseal({ ...parse(ls[i]!), detail: 'nothing happened' });
  const r = verify([fromLines(seg.name, ls)]);
  assert.equal(r.ok, false);
  assert.match(r.error!.message, /does not match records|does not chain to record/);
});

test('an edit re-chained to the end is caught by the next signed checkpoint', async () => {
  const { seg, ls, records } = await sample();
  const i = records[4]!;
  const seq = parse(ls[i]!)['seq'];
  ls[i] = reseal({ ...parse(ls[i]!), detail: 'nothing happened' });
  const r = verify([fromLines(seg.name, rechain(ls, i + 1))]);
  assert.equal(r.ok, false);
  assert.match(r.error!.message, /^checkpoint \(size \d+\) does not match records 1–\d+: its head differs/);
  assert.ok((r.error!.seq ?? 0) >= (seq as number));
});

test('a deleted record is named as missing', async () => {
  const { seg, ls, records } = await sample();
  const seq = parse(ls[records[5]!]!)['seq'] as number;
  ls.splice(records[5]!, 1);
  const r = verify([fromLines(seg.name, ls)]);
  assert.equal(r.error!.message, `record ${seq + 1} follows record ${seq - 1}: record ${seq} is missing (deleted or moved)`);
});

test('reordered and duplicated records are named', async () => {
  const { seg, ls, records } = await sample();
  const swapped = [...ls];
  [swapped[records[3]!], swapped[records[4]!]] = [swapped[records[4]!]!, swapped[records[3]!]!];
  assert.match(verify([fromLines(seg.name, swapped)]).error!.message, /^record \d+ follows record \d+: record \d+ is missing/);
  const duplicated = [...ls];
  duplicated.splice(records[3]! + 1, 0, ls[records[3]!]!);
  assert.match(verify([fromLines(seg.name, duplicated)]).error!.message, /^record (\d+) appears after record \1: records were reordered, duplicated or inserted$/);
});

test('an inserted, fully re-chained record is caught by the checkpoint count', async () => {
  const { seg, ls, records } = await sample();
  const at = records[2]! + 1;
  const forged = [...ls.slice(0, at), reseal({ ...parse(ls[records[2]!]!), event: 'forged' }), ...ls.slice(at)];
  const r = verify([fromLines(seg.name, rechain(forged, at))]);
  assert.equal(r.ok, false);
  assert.match(r.error!.message, /^checkpoint covers (\d+) records, but \d+ precede it: record \d+ was inserted$/);
});

test('truncation: a torn line fails, a clean cut leaves the log unsealed with the uncovered records counted', async () => {
  const { seg, ls } = await sample();
  const bytes = seg.bytes;
  const torn = verify([{ name: seg.name, bytes: bytes.subarray(0, bytes.length - 10) }]);
  assert.equal(torn.ok, false);
  assert.match(torn.error!.message, /the last line is incomplete/);
  // Cut right after a record that follows a checkpoint.
  const cut = ls.findLastIndex((l, i) => i > 0 && isRecord(l) && !isRecord(ls[i - 1]!));
  const r = verify([fromLines(seg.name, ls.slice(0, cut + 1))]);
  assert.equal(r.ok, true);
  assert.equal(r.closed, false);
  assert.equal(r.uncovered, 1);
});

test('a checkpoint with a changed field or signature fails its signature; another key is refused', async () => {
  const { seg, ls } = await sample();
  const i = ls.findIndex((l, k) => k > 0 && !isRecord(l));
  const cp = parse(ls[i]!);
  const changed = [...ls];
  changed[i] = canonicalJson({ ...cp, time: (cp['time'] as number) + 1 });
  assert.match(verify([fromLines(seg.name, changed)]).error!.message, /its signature does not verify/);
  const sig = fromBase64(cp['sig'] as string);
  sig[5]! ^= 1;
  changed[i] = canonicalJson({ ...cp, sig: base64(sig) });
  assert.match(verify([fromLines(seg.name, changed)]).error!.message, /its signature does not verify/);
  // A whole log written by someone else's key: consistent on its own, refused against the trusted key.
  const other = new MemoryFs();
  const w = await openWriter(other, options(), [], OTHER_SEED);
  await w.close(3_000);
  assert.equal(verify(other.segments(), null).ok, true);
  assert.match(verify(other.segments()).error!.message, /not by the trusted key/);
});

test('every flipped bit (sampled) of a sealed segment is detected', async () => {
  const seg = (await closedLog(3, ['--checkpoint-every', '2'])).segments()[0]!;
  let checked = 0;
  for (let bit = 0; bit < seg.bytes.length * 8; bit += 7) {
    const bytes = seg.bytes.slice();
    bytes[bit >> 3]! ^= 1 << (bit & 7);
    const r = verify([{ name: seg.name, bytes }]);
    assert.ok(!r.ok || !r.closed, `bit ${bit} (byte ${bit >> 3}: ${JSON.stringify(text(seg).slice((bit >> 3) - 10, (bit >> 3) + 10))})`);
    checked++;
  }
  assert.ok(checked > 300);
});

type Tamper =
  | { kind: 'edit' | 'rehash' | 'rechain' | 'delete' | 'delete-rechain' | 'duplicate' | 'insert'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'truncate-lines'; count: number }
  | { kind: 'truncate-bytes' | 'flip'; at: number };

const tamper = fc.oneof(
  fc.record({ kind: fc.constantFrom('edit', 'rehash', 'rechain', 'delete', 'delete-rechain', 'duplicate', 'insert'), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap'), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('truncate-lines'), count: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constantFrom('truncate-bytes', 'flip'), at: fc.nat() }),
) as fc.Arbitrary<Tamper>;

function apply(t: Tamper, seg: { name: string; bytes: Uint8Array }, ls: string[], records: number[]): { name: string; bytes: Uint8Array } | undefined {
  const pick = (n: number) => records[n % records.length]!;
  const change = (line: string) => ({ ...parse(line), event: `${parse(line)['event'] as string}!` });
  switch (t.kind) {
    case 'edit': { const out = [...ls]; out[pick(t.at)] = canonicalJson(change(ls[pick(t.at)]!)); return fromLines(seg.name, out); }
    case 'rehash': { const out = [...ls]; out[pick(t.at)] = reseal(change(ls[pick(t.at)]!)); return fromLines(seg.name, out); }
    case 'rechain': { const out = [...ls]; out[pick(t.at)] = reseal(change(ls[pick(t.at)]!)); return fromLines(seg.name, rechain(out, pick(t.at) + 1)); }
    case 'delete': return fromLines(seg.name, ls.filter((_, i) => i !== pick(t.at)));
    case 'delete-rechain': return fromLines(seg.name, rechain(ls.filter((_, i) => i !== pick(t.at)), pick(t.at)));
    case 'duplicate': { const out = [...ls]; out.splice(pick(t.at), 0, ls[pick(t.at)]!); return fromLines(seg.name, out); }
    case 'insert': {
      const out = [...ls];
      out.splice(pick(t.at) + 1, 0, reseal(change(ls[pick(t.at)]!)));
      return fromLines(seg.name, rechain(out, pick(t.at) + 1));
    }
    case 'swap': {
      const a = pick(t.at), b = pick(t.with);
      if (a === b) return undefined;
      const out = [...ls];
      [out[a], out[b]] = [out[b]!, out[a]!];
      return fromLines(seg.name, out);
    }
    case 'truncate-lines': return fromLines(seg.name, ls.slice(0, Math.max(0, ls.length - t.count)));
    case 'truncate-bytes': return { name: seg.name, bytes: seg.bytes.subarray(0, t.at % seg.bytes.length) };
    case 'flip': { const bytes = seg.bytes.slice(); bytes[(t.at >> 3) % bytes.length]! ^= 1 << (t.at & 7); return { name: seg.name, bytes }; }
  }
}

test('property: every kind of random tampering with a sealed log is detected', async () => {
  const logs = await Promise.all([3, 9, 20].map(async (n) => {
    const seg = (await closedLog(n, ['--checkpoint-every', String(2 + (n % 5))])).segments()[0]!;
    const ls = lines(seg);
    return { seg, ls, records: ls.map((l, i) => (isRecord(l) ? i : -1)).filter((i) => i >= 0) };
  }));
  fc.assert(fc.property(fc.nat({ max: logs.length - 1 }), tamper, (which, t) => {
    const { seg, ls, records } = logs[which]!;
    const changed = apply(t, seg, ls, records);
    if (changed === undefined) return;
    const r = verify([changed]);
    assert.ok(!r.ok || !r.closed, `${JSON.stringify(t)} went undetected`);
    // Everything but a clean cut of the tail is an error, not merely an unsealed log.
    if (t.kind !== 'truncate-lines' && t.kind !== 'truncate-bytes') assert.equal(r.ok, false, `${JSON.stringify(t)}: ${JSON.stringify(r)}`);
  }), { numRuns: 400 });
});

test('segments: each one verifies alone from its signed header; a missing one or a cut rotation is named', async () => {
  const fs = await closedLog(60, ['--checkpoint-every', '5', '--segment-bytes', '2048']);
  const segs = fs.segments();
  assert.ok(segs.length >= 4, `${segs.length} segments`);
  assert.ok(verify(segs).closed);
  const tail = verify(segs.slice(2));
  assert.ok(tail.ok && tail.closed && tail.dropped > 0 && tail.first === tail.dropped + 1, JSON.stringify(tail.error));
  const missing = verify([segs[0]!, segs[2]!, ...segs.slice(3)]);
  assert.match(missing.error!.message, /^segment 3 does not continue segment 1/);
  const cut = [...segs];
  cut[1] = fromLines(segs[1]!.name, lines(segs[1]!).slice(0, -1));
  assert.match(verify(cut).error!.message, /^segment 2 does not end with its rotation checkpoint/);
  // The last segment removed: the one before it ends at a rotation, not sealed.
  const lastGone = verify(segs.slice(0, -1));
  assert.equal(lastGone.ok, true);
  assert.equal(lastGone.closed, false);
  assert.equal(verify([file('audit-000001.log', '')]).error!.message, 'the segment is empty (its header checkpoint is missing)');
});
