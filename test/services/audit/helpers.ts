// Test helpers for Secure Audit: an in-memory file system behind the writer, fixed keys, and logs
// built with the real writer (node:crypto primitives).
import { canonicalJson, recordHash, verifyLog, type LogRecord, type SegmentFile, type VerifyReport } from '../../../src/services/audit/log.ts';
import { nodeLogCrypto, nodeSigner } from '../../../src/services/audit/node.ts';
import { AuditWriter, parseServiceArgs, type LogFs, type WriterOptions } from '../../../src/services/audit/writer.ts';

export const SEED = new Uint8Array(32).fill(7);
export const OTHER_SEED = new Uint8Array(32).fill(9);
export const signer = nodeSigner(SEED);
export const PUBLIC_KEY = signer.publicKey;

/** Files in memory; `fail` makes every write throw (a failing disk). */
export class MemoryFs implements LogFs {
  readonly files = new Map<string, Uint8Array>();
  readonly modes = new Map<string, number>();
  fail = false;

  #missing(p: string): Error {
    return Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  }
  async readFile(p: string): Promise<Uint8Array> {
    const f = this.files.get(p);
    if (!f) throw this.#missing(p);
    return f.slice();
  }
  async writeFile(p: string, data: Uint8Array, options?: { readonly mode?: number }): Promise<void> {
    if (this.fail) throw new Error('EIO: the disk failed');
    this.files.set(p, data.slice());
    this.modes.set(p, options?.mode ?? 0o666);
  }
  async appendFile(p: string, data: Uint8Array): Promise<void> {
    if (this.fail) throw new Error('EIO: the disk failed');
    const old = this.files.get(p) ?? new Uint8Array(0);
    const out = new Uint8Array(old.length + data.length);
    out.set(old);
    out.set(data, old.length);
    this.files.set(p, out);
  }
  async readdir(p: string): Promise<string[]> {
    return [...this.files.keys()].filter((k) => k.startsWith(`${p}/`) && !k.slice(p.length + 1).includes('/')).map((k) => k.slice(p.length + 1));
  }
  async stat(p: string): Promise<{ size: number }> {
    const f = this.files.get(p);
    if (!f) throw this.#missing(p);
    return { size: f.length };
  }
  async mkdir(): Promise<void> {}
  async rm(p: string): Promise<void> {
    this.files.delete(p);
  }
  async rename(from: string, to: string): Promise<void> {
    const f = this.files.get(from);
    if (!f) throw this.#missing(from);
    this.files.delete(from);
    this.files.set(to, f);
  }
  /** The log's segment files, in order. */
  segments(dir = 'audit'): SegmentFile[] {
    return [...this.files.keys()].filter((k) => k.startsWith(`${dir}/audit-`) && k.endsWith('.log')).sort()
      .map((k) => ({ name: k.slice(dir.length + 1), bytes: this.files.get(k)!.slice() }));
  }
}

export function options(args: string[] = []): WriterOptions {
  return parseServiceArgs(['--dir', 'audit', ...args], 'audit');
}

export async function openWriter(fs: MemoryFs, opts: WriterOptions = options(), said: string[] = [], seed = SEED): Promise<AuditWriter> {
  return AuditWriter.open({ fs, crypto: nodeLogCrypto, signer: nodeSigner(seed), say: (l) => said.push(l), newLogId: () => '5ec0de'.padEnd(32, '0') }, opts, 1_000);
}

/** A closed log of `n` app records (plus the writer's own start and stop records). */
export async function closedLog(n: number, args: string[] = ['--checkpoint-every', '4']): Promise<MemoryFs> {
  const fs = new MemoryFs();
  const w = await openWriter(fs, options(args));
  for (let i = 0; i < n; i++) w.append({ time: 2_000 + i, kind: 'app', event: `event-${i}`, task: i % 2 ? 'alice' : 'bob', detail: `detail ${i}` });
  await w.close(9_000);
  return fs;
}

/** Verifies against the test key, or (null) against the key the log names. */
export function verify(files: readonly SegmentFile[], trusted: Uint8Array | null = PUBLIC_KEY): VerifyReport {
  return verifyLog(files, { crypto: nodeLogCrypto, ...(trusted ? { trustedKey: trusted } : {}) });
}

export const text = (f: SegmentFile): string => new TextDecoder().decode(f.bytes);
export const file = (name: string, content: string): SegmentFile => ({ name, bytes: new TextEncoder().encode(content) });
export const lines = (f: SegmentFile): string[] => text(f).split('\n').slice(0, -1);
export const fromLines = (name: string, ls: readonly string[]): SegmentFile => file(name, ls.map((l) => `${l}\n`).join(''));
export const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;
export const isRecord = (line: string): boolean => parse(line)['type'] === 'record';

/** A record line re-sealed after a change (its hash recomputed; prevHash as given). */
export function reseal(record: Record<string, unknown>): string {
  const { hash: _, ...rest } = record;
  return canonicalJson({ ...rest, hash: recordHash(nodeLogCrypto.sha256, rest as Omit<LogRecord, 'hash'>) });
}

/** Lines with every record from `from` on renumbered from its predecessor and re-chained (an attacker with no key). */
export function rechain(ls: readonly string[], from = 0): string[] {
  let head: string | undefined, seq: number | undefined;
  return ls.map((line, i) => {
    const o = parse(line);
    if (o['type'] !== 'record') return line;
    if (i < from) {
      head = o['hash'] as string;
      seq = o['seq'] as number;
      return line;
    }
    const sealed = reseal({ ...o, ...(head !== undefined ? { prevHash: head } : {}), ...(seq !== undefined ? { seq: seq + 1 } : {}) });
    head = parse(sealed)['hash'] as string;
    seq = parse(sealed)['seq'] as number;
    return sealed;
  });
}
