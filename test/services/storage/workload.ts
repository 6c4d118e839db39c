// Self-checking values for the crash tests: a value names its key and write id and carries bytes
// derived from them, so whoever reads it back can tell exactly which write it is and that it is
// whole. Plus a small seeded PRNG (tests must be reproducible).
import { createHash } from 'node:crypto';

/** mulberry32: a tiny seeded PRNG; returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAGIC = 'WL1 ';

/** The value of write `id` to `key`: "WL1 <key> <id> <length>\n" then `length` derived bytes. */
export function makeValue(key: string, id: number, length: number): Uint8Array {
  const head = new TextEncoder().encode(`${MAGIC}${key} ${id} ${length}\n`);
  const out = new Uint8Array(head.length + length);
  out.set(head);
  let block = 0;
  for (let at = 0; at < length; at += 32, block++) {
    const h = createHash('sha256').update(`${key}/${id}/${block}`).digest();
    out.set(h.subarray(0, Math.min(32, length - at)), head.length + at);
  }
  return out;
}

/** The write id a value belongs to, or an error string when it is not exactly what makeValue gave. */
export function checkValue(key: string, value: Uint8Array): number | string {
  const nl = value.indexOf(10);
  const head = new TextDecoder().decode(value.subarray(0, nl));
  const m = /^WL1 (.*) (\d+) (\d+)$/.exec(head);
  if (!m) return `not a workload value: ${JSON.stringify(head.slice(0, 60))}`;
  if (m[1] !== key) return `value of key ${m[1]} found under key ${key}`;
  const id = Number(m[2]);
  const expected = makeValue(key, id, Number(m[3]));
  if (expected.length !== value.length || !expected.every((b, i) => b === value[i])) return `value of write ${id} is not intact`;
  return id;
}
