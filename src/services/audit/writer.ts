// The append-only writer of a Secure Audit log (format: log.ts): hash chain, Merkle tree and signed
// checkpoints, segment files, the full-disk policy, and recovery of the log a previous run left.
// Appending is synchronous (the state advances at once, in order); `flush` writes what is pending
// to the files, in order. There is no fsync (the process tier's permission model disables it): what
// the OS had not yet written when the host crashed is lost, and verification then shows a tail
// that no checkpoint covers (or a torn last line, which the next start removes and records).
import {
  FORMAT, SEGMENT_PATTERN, ZERO_HASH, entryLine, fromHex, hex, keyId, privateKeyPem, publicKeyPem, sealRecord, seedFromPem,
  segmentName, signCheckpoint, verifyLog, describeProblem, type Checkpoint, type CheckpointReason, type Entry, type LogCrypto,
  type LogRecord, type RecordBody, type Signer,
} from './log.ts';
import { Frontier } from './merkle.ts';

/** The file operations the writer needs: the service's `hostFs()` has them, and so does node:fs. */
export interface LogFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array, options?: { readonly mode?: number }): Promise<void>;
  appendFile(path: string, data: Uint8Array): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ readonly size: number }>;
  mkdir(path: string): Promise<void>;
  rm(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

export type OnFull = 'stop' | 'drop-oldest';

export interface WriterOptions {
  /** The log's directory (segments, audit.key, audit.pub). */
  readonly dir: string;
  /** Size cap of all segments together, in bytes. */
  readonly maxBytes: number;
  /** stop: record that the log is full, then write no more records; drop-oldest: delete the oldest segments. */
  readonly onFull: OnFull;
  /** A signed checkpoint after this many records (and at rotation, when full, and at shutdown). */
  readonly checkpointEvery: number;
  /** A segment is closed and a new one started beyond this size. */
  readonly segmentBytes: number;
  /** The service's task name, the subject of its own (system) records. */
  readonly task: string;
}

export const DEFAULT_OPTIONS: Omit<WriterOptions, 'task'> = {
  dir: 'audit', maxBytes: 16 * 1024 * 1024, onFull: 'stop', checkpointEvery: 256, segmentBytes: 4 * 1024 * 1024,
};
export const MIN_MAX_BYTES = 16 * 1024;
/**
 * Room kept free under the cap for checkpoints and segment headers, and (stop mode) the record
 * saying the log is full: records are refused (or old segments deleted) this far below the cap.
 */
export const RESERVE = 4096;
/** How many records the service keeps in memory for Query. */
export const RECENT = 1024;

/** `--dir D --max-bytes N --on-full stop|drop-oldest --checkpoint-every N --segment-bytes N` (service args). */
export function parseServiceArgs(args: readonly string[], task: string): WriterOptions {
  const o: { -readonly [K in keyof WriterOptions]: WriterOptions[K] } = { ...DEFAULT_OPTIONS, segmentBytes: 0, task };
  const int = (flag: string, text: string | undefined, min: number): number => {
    const n = Number(text);
    if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} takes an integer of at least ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!, value = args[i + 1];
    if (flag === '--dir' && value) o.dir = value;
    else if (flag === '--max-bytes') o.maxBytes = int(flag, value, MIN_MAX_BYTES);
    else if (flag === '--on-full' && (value === 'stop' || value === 'drop-oldest')) o.onFull = value;
    else if (flag === '--checkpoint-every') o.checkpointEvery = int(flag, value, 1);
    else if (flag === '--segment-bytes') o.segmentBytes = int(flag, value, 1024);
    else throw new Error(`unknown or incomplete argument ${JSON.stringify(flag)}: the audit service takes --dir <path>, --max-bytes <n>, --on-full stop|drop-oldest, --checkpoint-every <n>, --segment-bytes <n>`);
    i++;
  }
  // Four segments fill the cap: drop-oldest then deletes about a quarter of the log at a time.
  if (o.segmentBytes === 0) o.segmentBytes = Math.max(4096, Math.floor(o.maxBytes / 4));
  o.segmentBytes = Math.min(o.segmentBytes, o.maxBytes);
  return o;
}

/** The service's signing key: `audit.key` (PKCS#8 PEM, mode 0600) in the log directory, created on first start. */
export async function loadOrCreateKey(fs: LogFs, dir: string, ed25519: { publicKey(seed: Uint8Array): Uint8Array }, random: () => Promise<Uint8Array>): Promise<{ seed: Uint8Array; publicKey: Uint8Array; created: boolean }> {
  let pem: string | undefined;
  try {
    pem = new TextDecoder().decode(await fs.readFile(`${dir}/audit.key`));
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
  if (pem !== undefined) {
    const seed = seedFromPem(pem);
    return { seed, publicKey: ed25519.publicKey(seed), created: false };
  }
  const seed = await random();
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 random bytes');
  const publicKey = ed25519.publicKey(seed);
  await fs.writeFile(`${dir}/audit.key`, new TextEncoder().encode(privateKeyPem(seed)), { mode: 0o600 });
  await fs.writeFile(`${dir}/audit.pub`, new TextEncoder().encode(publicKeyPem(publicKey)), { mode: 0o644 });
  return { seed, publicKey, created: true };
}

export interface WriterDeps {
  readonly fs: LogFs;
  readonly crypto: LogCrypto;
  readonly signer: Signer;
  /** Loud log lines (the service prints them to the kernel log). */
  readonly say: (line: string) => void;
  /** A fresh log's identity (random hex). */
  readonly newLogId: () => string;
}

interface Segment {
  readonly n: number;
  /** The first record it holds (its header covers the ones before). */
  readonly first: number;
  bytes: number;
}

type Op = { readonly kind: 'append' | 'create'; readonly file: string; readonly text: string } | { readonly kind: 'rm'; readonly file: string };

const utf8 = new TextEncoder();
const size = (text: string) => utf8.encode(text).length;

export interface RecordFilterFn {
  (record: LogRecord): boolean;
}

export class AuditWriter {
  readonly options: WriterOptions;
  readonly #d: WriterDeps;
  #log = '';
  #segment = 0;
  #size = 0;
  #head = ZERO_HASH;
  #frontier: Frontier;
  #time = 0;
  #segments: Segment[] = [];
  #activeRecords = 0;
  #sinceCheckpoint = 0;
  /** Full in `stop` mode: records are no longer written. */
  #stopped = false;
  /** A write to the files failed: the log cannot be continued consistently. */
  #broken: string | undefined;
  /** Records lost during this run (log full, kernel drops reported to us). */
  #lost = 0;
  #ops: Op[] = [];
  #flushing: Promise<void> = Promise.resolve();
  readonly #recent: LogRecord[] = [];

  private constructor(deps: WriterDeps, options: WriterOptions) {
    this.#d = deps;
    this.options = options;
    this.#frontier = new Frontier(deps.crypto.sha256);
  }

  /** Opens the log in `options.dir`, continuing what a previous run left (verified), or starts a new one. */
  static async open(deps: WriterDeps, options: WriterOptions, time: number): Promise<AuditWriter> {
    const w = new AuditWriter(deps, options);
    await w.#open(time);
    return w;
  }

  get size(): number { return this.#size; }
  get lost(): number { return this.#lost; }
  get stopped(): boolean { return this.#stopped; }
  get totalBytes(): number { return this.#segments.reduce((n, s) => n + s.bytes, 0); }
  get segments(): readonly number[] { return this.#segments.map((s) => s.n); }

  async #open(time: number): Promise<void> {
    const { fs, crypto, signer, say } = this.#d;
    const options = this.options;
    const { dir } = options;
    await fs.mkdir(dir);
    const names = (await fs.readdir(dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
    this.#time = time;
    const notes: RecordBody[] = [];
    if (names.length === 0) {
      this.#log = this.#d.newLogId();
      this.#startSegment(1);
    } else {
      // Older segments: their size, and the first record each holds (from its header).
      for (const name of names.slice(0, -1)) {
        const text = new TextDecoder().decode(await fs.readFile(`${dir}/${name}`));
        const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { size?: unknown };
        this.#segments.push({ n: Number(SEGMENT_PATTERN.exec(name)![1]), first: Number(header.size) + 1, bytes: utf8.encode(text).length });
      }
      const last = names[names.length - 1]!;
      let bytes = await fs.readFile(`${dir}/${last}`);
      this.#segments.push({ n: Number(SEGMENT_PATTERN.exec(last)![1]), first: 0, bytes: bytes.length });
      const report = verifyLog([{ name: last, bytes }], { crypto, trustedKey: signer.publicKey, allowTorn: true, onRecord: (r) => this.#remember(r) });
      if (!report.ok || !report.state) {
        throw new Error(`the audit log in ${dir} does not verify (${report.error ? describeProblem(report.error) : 'no state'}); ` +
          'it is left as it is: check it with `citadel audit verify`, and move it away to start a new log');
      }
      if (report.torn) {
        // Replaced atomically: the good prefix goes to a new file, which then takes the segment's name.
        bytes = bytes.subarray(0, report.torn.offset);
        await fs.writeFile(`${dir}/${last}.tmp`, bytes, { mode: 0o600 });
        await fs.rename(`${dir}/${last}.tmp`, `${dir}/${last}`);
        this.#segments[this.#segments.length - 1]!.bytes = bytes.length;
        notes.push({ time, kind: 'system', event: 'recovered', task: options.task, detail: `removed an incomplete final line of ${report.torn.bytes} bytes from ${last} (a write the previous run did not finish)` });
      }
      const s = report.state;
      this.#log = s.log;
      this.#segment = s.segment;
      this.#size = s.size;
      this.#head = s.head;
      this.#frontier = s.frontier;
      this.#time = Math.max(time, s.time);
      this.#activeRecords = report.records;
      const active = this.#segments[this.#segments.length - 1]!;
      this.#segments[this.#segments.length - 1] = { ...active, first: report.dropped + 1 };
      if (!report.closed && report.uncovered > 0) {
        notes.push({ time, kind: 'system', event: 'unclean-stop', task: options.task, count: report.uncovered,
          detail: `the previous run ended without sealing the log: records ${report.last - report.uncovered + 1}–${report.last} were covered by no checkpoint until now` });
      }
    }
    const total = this.totalBytes;
    say(`Secure Audit: log ${dir}/ (${this.#segments.length} segment${this.#segments.length === 1 ? '' : 's'}, ${this.#size} records, ${total} bytes), ` +
      `key ${keyId(crypto.sha256, signer.publicKey)}, a signed checkpoint every ${options.checkpointEvery} records`);
    say(options.onFull === 'stop'
      ? `WHEN FULL (${options.maxBytes} bytes): --on-full stop: the log records that it is full, then NO FURTHER RECORDS ARE WRITTEN (they are counted as lost)`
      : `WHEN FULL (${options.maxBytes} bytes): --on-full drop-oldest: THE OLDEST SEGMENTS ARE DELETED (about ${options.segmentBytes} bytes each); the next segment's signed header commits to them`);
    if (options.onFull === 'stop' && total + RESERVE >= options.maxBytes) {
      this.#stopped = true;
      say(`THE LOG IS FULL (${total} of ${options.maxBytes} bytes) and --on-full is stop: nothing will be recorded in this run`);
    }
    for (const note of notes) this.append(note);
    this.append({ time: this.#time, kind: 'system', event: 'start', task: options.task,
      detail: `Secure Audit started: ${FORMAT}, cap ${options.maxBytes} bytes, on full: ${options.onFull}, checkpoint every ${options.checkpointEvery} records` });
    if (!this.#stopped) this.#checkpoint('periodic');
    await this.flush();
  }

  /** Appends a record (sealed into the chain at once); undefined when it was not written (log full in stop mode, or broken). */
  append(body: RecordBody): LogRecord | undefined {
    if (this.#stopped || this.#broken) {
      this.#lost++;
      return undefined;
    }
    this.#time = Math.max(this.#time, body.time);
    let record = sealRecord(this.#d.crypto.sha256, body, this.#size + 1, this.#head);
    let line = entryLine(record);
    const bytes = size(line);
    const active = this.#segments[this.#segments.length - 1]!;
    if (active.bytes + bytes > this.options.segmentBytes && this.#activeRecords > 0) this.#rotate();
    if (this.totalBytes + bytes + RESERVE > this.options.maxBytes) {
      this.#full(bytes, body.time);
      if (this.#stopped) {
        this.#lost++;
        return undefined;
      }
      // The policy's own record went in first: seal this one again after it.
      record = sealRecord(this.#d.crypto.sha256, body, this.#size + 1, this.#head);
      line = entryLine(record);
    }
    this.#write(record, line);
    return record;
  }

  /** Records lost before they reached the writer (the kernel's drops): counted, and recorded if the log still takes records. */
  lose(count: number, time: number, detail: string): void {
    this.#lost += count;
    if (!this.#stopped && !this.#broken) this.append({ time, kind: 'system', event: 'records-lost', task: this.options.task, count, detail });
  }

  /** Writes everything appended so far to the files, in order. */
  flush(): Promise<void> {
    const run = () => this.#drain();
    this.#flushing = this.#flushing.then(run, run);
    return this.#flushing;
  }

  /** Seals the log: a shutdown record and checkpoint, written and synced. */
  async close(time: number): Promise<void> {
    if (!this.#broken) {
      if (!this.#stopped) this.append({ time, kind: 'system', event: 'stop', task: this.options.task, detail: `Secure Audit stopped; ${this.#lost} records were lost during this run` });
      this.#checkpoint('shutdown');
    }
    await this.flush();
  }

  /** The most recent records matching `filter`, oldest first, at most `count`. */
  recent(filter: RecordFilterFn, count: number): LogRecord[] {
    const out: LogRecord[] = [];
    for (let i = this.#recent.length - 1; i >= 0 && out.length < count; i--) if (filter(this.#recent[i]!)) out.push(this.#recent[i]!);
    return out.reverse();
  }

  // ---- internals ---------------------------------------------------------------------------------

  #remember(record: LogRecord): void {
    this.#recent.push(record);
    if (this.#recent.length > RECENT) this.#recent.splice(0, this.#recent.length - RECENT);
  }

  #write(record: LogRecord, line: string): void {
    const active = this.#segments[this.#segments.length - 1]!;
    this.#ops.push({ kind: 'append', file: segmentName(active.n), text: line });
    active.bytes += size(line);
    this.#size = record.seq;
    this.#head = record.hash;
    this.#frontier.append(fromHex(record.hash));
    this.#activeRecords++;
    this.#remember(record);
    if (++this.#sinceCheckpoint >= this.options.checkpointEvery) this.#checkpoint('periodic');
  }

  /** Seals and writes a record of the writer's own, with no room check (the full-disk policy's note). */
  #writeBody(body: RecordBody): void {
    const record = sealRecord(this.#d.crypto.sha256, body, this.#size + 1, this.#head);
    this.#write(record, entryLine(record));
  }

  #signedCheckpoint(reason: CheckpointReason): Checkpoint {
    return signCheckpoint(this.#d.signer, {
      log: this.#log, segment: this.#segment, reason, size: this.#size, root: hex(this.#frontier.root()), head: this.#head, time: this.#time,
      ...(reason === 'segment' ? { frontier: this.#frontier.hashes.map(hex) } : {}),
      ...(this.#lost > 0 ? { lost: this.#lost } : {}),
    });
  }

  #checkpoint(reason: Exclude<CheckpointReason, 'segment'>): void {
    const active = this.#segments[this.#segments.length - 1]!;
    const line = entryLine(this.#signedCheckpoint(reason));
    this.#ops.push({ kind: 'append', file: segmentName(active.n), text: line });
    active.bytes += size(line);
    this.#sinceCheckpoint = 0;
  }

  /** A new segment file, starting with its header checkpoint. */
  #startSegment(n: number): void {
    this.#segment = n;
    const line = entryLine(this.#signedCheckpoint('segment'));
    this.#ops.push({ kind: 'create', file: segmentName(n), text: line });
    this.#segments.push({ n, first: this.#size + 1, bytes: size(line) });
    this.#activeRecords = 0;
    this.#sinceCheckpoint = 0;
  }

  #rotate(): void {
    this.#checkpoint('rotate');
    this.#startSegment(this.#segment + 1);
  }

  /** The full-disk policy, for a record of `bytes` that does not fit under the cap. */
  #full(bytes: number, time: number): void {
    const { maxBytes, onFull, task } = this.options;
    if (onFull === 'stop') {
      this.#writeBody({ time, kind: 'system', event: 'log-full', task, detail: `the log reached its cap of ${maxBytes} bytes; --on-full stop: no further records are written` });
      this.#checkpoint('full');
      this.#stopped = true;
      this.#d.say(`THE AUDIT LOG IS FULL (${this.totalBytes} of ${maxBytes} bytes): --on-full stop: NO FURTHER RECORDS ARE WRITTEN; lost records are counted in the final checkpoint`);
      return;
    }
    // drop-oldest: delete whole segments, oldest first, until the record and a note fit.
    const note = 1024;
    const deleted: Segment[] = [];
    while (this.totalBytes + bytes + note + RESERVE > maxBytes) {
      if (this.#segments.length === 1) {
        // Nothing older is left: the record goes in over the cap (it is larger than the cap allows for).
        if (this.#activeRecords === 0) break;
        this.#rotate();
      }
      const oldest = this.#segments.shift()!;
      this.#ops.push({ kind: 'rm', file: segmentName(oldest.n) });
      deleted.push(oldest);
    }
    if (deleted.length === 0) return;
    const through = this.#segments[0]!.first - 1;
    const from = deleted[0]!.first;
    const detail = `the log reached its cap of ${maxBytes} bytes; --on-full drop-oldest: deleted ${deleted.map((s) => segmentName(s.n)).join(', ')} ` +
      `(records ${from}–${through}); the signed header of ${segmentName(this.#segments[0]!.n)} commits to them`;
    this.#writeBody({ time, kind: 'system', event: 'log-full', task, detail, count: Math.max(0, through - from + 1) });
    this.#d.say(`THE AUDIT LOG IS FULL: --on-full drop-oldest: DELETED records ${from}–${through} (${deleted.length} segment${deleted.length === 1 ? '' : 's'})`);
  }

  async #drain(): Promise<void> {
    const ops = this.#ops.splice(0);
    if (ops.length === 0) return;
    if (this.#broken) throw new Error(this.#broken);
    const { fs } = this.#d;
    const { dir } = this.options;
    try {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        const path = `${dir}/${op.file}`;
        if (op.kind === 'rm') {
          await fs.rm(path);
          continue;
        }
        // Consecutive appends to one file go out as one write.
        let text = op.text;
        while (i + 1 < ops.length && ops[i + 1]!.kind === 'append' && ops[i + 1]!.file === op.file) text += (ops[++i] as { text: string }).text;
        if (op.kind === 'create') await fs.writeFile(path, utf8.encode(text), { mode: 0o600 });
        else await fs.appendFile(path, utf8.encode(text));
      }
    } catch (err) {
      this.#broken = `writing the audit log failed: ${(err as Error).message}`;
      this.#d.say(`${this.#broken.toUpperCase()}; no further records can be written consistently`);
      throw err;
    }
  }
}
