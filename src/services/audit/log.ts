// The Secure Audit log format and its verification. Plain TypeScript with no imports but the Merkle
// tree, so the same code runs in the audit service (inside its compartment) and in `citadel audit`.
//
// A log is a directory of segment files `audit-000001.log`, `audit-000002.log`, … Each holds lines
// of canonical JSON (keys sorted, no spaces), one entry per line:
//   record      { type: "record", seq, time, kind, event, …, prevHash, hash }
//               seq counts from 1 with no gaps; hash = SHA-256("citadel-audit/1 record\n" ‖ the
//               record without `hash`), prevHash = the previous record's hash (zeros for record 1).
//   checkpoint  { type: "checkpoint", format, log, segment, reason, size, root, head, time, key, sig, … }
//               signed (Ed25519, `key` = raw public key in hex) tree head: `root` is the RFC 9162
//               Merkle tree head over the hashes of records 1..size, `head` the hash of record `size`.
// A segment starts with a checkpoint of reason "segment", which also carries the tree's compact
// range (`frontier`), so a segment verifies on its own once earlier ones are deleted (drop-oldest):
// its signed header commits to every record before it. A segment that is not the last ends with a
// "rotate" checkpoint; a log the service closed ends with a "shutdown" checkpoint.
import { Frontier, frontierLength, type Sha256 } from './merkle.ts';

export const FORMAT = 'citadel-audit/1';
export const ZERO_HASH = '0'.repeat(64);
export const SEGMENT_PATTERN = /^audit-(\d{6})\.log$/;
export const segmentName = (n: number): string => `audit-${String(n).padStart(6, '0')}.log`;
const RECORD_DOMAIN = `${FORMAT} record\n`;
const CHECKPOINT_DOMAIN = `${FORMAT} checkpoint\n`;

export type RecordKind = 'decision' | 'app' | 'system';
export type CheckpointReason = 'segment' | 'periodic' | 'rotate' | 'full' | 'shutdown';

/** JSON data as stored. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** What a record says; the writer adds `type`, `seq`, `prevHash` and `hash`. */
export interface RecordBody {
  readonly time: number;
  readonly kind: RecordKind;
  /** decision: the security event's kind (request, response, error, execute, security); app and system: the event's name. */
  readonly event: string;
  /** The subject: source task (app records: the name the caller gave), class and SID. */
  readonly task?: string;
  readonly class?: string;
  readonly sid?: number;
  /** The object: destination task, class and SID. */
  readonly dstTask?: string;
  readonly dstClass?: string;
  readonly dstSid?: number;
  readonly endpoint?: string;
  readonly interface?: string;
  readonly method?: string;
  readonly decision?: 'granted' | 'denied';
  readonly reason?: string;
  /** The rule and expression results the audit profile selected. */
  readonly results?: readonly Json[];
  /** Origins of the policy bindings that matched. */
  readonly bindings?: readonly string[];
  readonly detail?: string;
  /** system records about lost records: how many. */
  readonly count?: number;
  /** The kernel cut the record down to fit its interface. */
  readonly truncated?: boolean;
}

export interface LogRecord extends RecordBody {
  readonly type: 'record';
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface Checkpoint {
  readonly type: 'checkpoint';
  readonly format: typeof FORMAT;
  /** The log's identity (random, fixed at creation): checkpoints of another log never fit this one. */
  readonly log: string;
  readonly segment: number;
  readonly reason: CheckpointReason;
  readonly size: number;
  readonly root: string;
  readonly head: string;
  readonly time: number;
  /** reason "segment": the Merkle tree's compact range over records 1..size. */
  readonly frontier?: readonly string[];
  /** Records the service could not write during its current run, so far (log full, kernel drops). */
  readonly lost?: number;
  readonly key: string;
  readonly sig: string;
}

export type Entry = LogRecord | Checkpoint;

/** The hash and signature primitives verification needs (node:crypto on the host, HostCrypto in the service). */
export interface LogCrypto {
  readonly sha256: Sha256;
  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
}

/** Who signs checkpoints: the service's key. */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

// ---- encodings ---------------------------------------------------------------------------------

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error('not lowercase hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + (i + 1 < bytes.length ? B64[(n >> 6) & 63]! : '=') + (i + 2 < bytes.length ? B64[n & 63]! : '=');
  }
  return out;
}

export function fromBase64(text: string): Uint8Array {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw new Error('not base64');
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (const c of clean) {
    acc = (acc << 6) | B64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** The one spelling of a JSON value: keys sorted at every level, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new TypeError(`${typeof value} has no JSON form`);
}

function without<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const copy = { ...o };
  delete copy[key];
  return copy;
}

// ---- records and checkpoints -------------------------------------------------------------------

/** The hash a record must carry: over its canonical form without `hash`. */
export function recordHash(sha256: Sha256, record: Omit<LogRecord, 'hash'>): string {
  return hex(sha256(utf8.encode(RECORD_DOMAIN + canonicalJson(without(record as LogRecord, 'hash')))));
}

export function sealRecord(sha256: Sha256, body: RecordBody, seq: number, prevHash: string): LogRecord {
  const unsealed = { ...body, type: 'record' as const, seq, prevHash };
  return { ...unsealed, hash: recordHash(sha256, unsealed) };
}

/** The bytes a checkpoint's signature covers. */
export function checkpointMessage(cp: Omit<Checkpoint, 'sig'>): Uint8Array {
  return utf8.encode(CHECKPOINT_DOMAIN + canonicalJson(without(cp as Checkpoint, 'sig')));
}

export function signCheckpoint(signer: Signer, body: Omit<Checkpoint, 'sig' | 'key' | 'type' | 'format'>): Checkpoint {
  const unsigned = { ...body, type: 'checkpoint' as const, format: FORMAT as typeof FORMAT, key: hex(signer.publicKey) };
  return { ...unsigned, sig: base64(signer.sign(checkpointMessage(unsigned))) };
}

/** A log line (with its newline). */
export const entryLine = (entry: Entry): string => `${canonicalJson(entry)}\n`;

/** A short, printable id of a public key: the first 16 hex digits of its SHA-256. */
export const keyId = (sha256: Sha256, publicKey: Uint8Array): string => hex(sha256(publicKey)).slice(0, 16);

// ---- keys as PEM (PKCS#8 / SPKI, as openssl and node:crypto write them) -------------------------

const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420');
const SPKI_PREFIX = fromHex('302a300506032b6570032100');

function pem(label: string, der: Uint8Array): string {
  const b = base64(der);
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 64) lines.push(b.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function unpem(label: string, text: string, prefix: Uint8Array, what: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  const der = m ? fromBase64(m[1]!.replace(/\s+/g, '')) : undefined;
  if (!der || der.length !== prefix.length + 32 || prefix.some((b, i) => der[i] !== b)) throw new Error(`not an Ed25519 ${what} in PEM form (${label})`);
  return der.slice(prefix.length);
}

export const privateKeyPem = (seed: Uint8Array): string => pem('PRIVATE KEY', new Uint8Array([...PKCS8_PREFIX, ...seed]));
export const publicKeyPem = (raw: Uint8Array): string => pem('PUBLIC KEY', new Uint8Array([...SPKI_PREFIX, ...raw]));
export const seedFromPem = (text: string): Uint8Array => unpem('PRIVATE KEY', text, PKCS8_PREFIX, 'private key');
export const publicKeyFromPem = (text: string): Uint8Array => unpem('PUBLIC KEY', text, SPKI_PREFIX, 'public key');

// ---- verification ------------------------------------------------------------------------------

export interface SegmentFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface VerifyOptions {
  readonly crypto: LogCrypto;
  /** The key checkpoints must be signed with; without it, every checkpoint must carry the key of the first. */
  readonly trustedKey?: Uint8Array;
  /** For recovery: an incomplete final line of the last segment is reported in `torn`, not as an error. */
  readonly allowTorn?: boolean;
  /** Called with each record that verified so far (in order). */
  readonly onRecord?: (record: LogRecord) => void;
}

/** Where a log stands after its last good entry: what the writer continues from. */
export interface LogState {
  readonly log: string;
  readonly segment: number;
  readonly size: number;
  readonly head: string;
  readonly frontier: Frontier;
  readonly key: string;
  readonly time: number;
}

export interface VerifyProblem {
  readonly file: string;
  readonly line: number;
  /** The record the problem is at (or just after), when known. */
  readonly seq?: number;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** The first problem; nothing after it is trusted. */
  readonly error?: VerifyProblem;
  /** Records present and verified. */
  readonly records: number;
  /** Sequence numbers of the first and last verified records (0 when none). */
  readonly first: number;
  readonly last: number;
  /** Records before the first segment present: deleted (drop-oldest), committed to by its signed header. */
  readonly dropped: number;
  readonly checkpoints: number;
  /** The highest record a verified checkpoint covers, and how many verified records come after it. */
  readonly covered: number;
  readonly uncovered: number;
  /** The log ends with a shutdown checkpoint: the service sealed it. */
  readonly closed: boolean;
  readonly key?: string;
  readonly log?: string;
  /** allowTorn: the incomplete final line of the last segment (offset and length in bytes). */
  readonly torn?: { readonly file: string; readonly offset: number; readonly bytes: number };
  readonly state?: LogState;
}

const HASH = /^[0-9a-f]{64}$/;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);

function recordShape(o: Record<string, unknown>): string | undefined {
  if (!isInt(o['seq']) || o['seq'] < 1) return 'its seq is not a positive integer';
  if (!isStr(o['prevHash']) || !HASH.test(o['prevHash']) || !isStr(o['hash']) || !HASH.test(o['hash'])) return 'its prevHash or hash is not a SHA-256 in hex';
  if (typeof o['time'] !== 'number' || !Number.isFinite(o['time'])) return 'its time is not a number';
  if (!['decision', 'app', 'system'].includes(o['kind'] as string)) return `its kind is ${JSON.stringify(o['kind'])}`;
  if (!isStr(o['event'])) return 'its event is not a string';
  for (const k of ['task', 'class', 'dstTask', 'dstClass', 'endpoint', 'interface', 'method', 'reason', 'detail']) {
    if (!optional(o[k], isStr)) return `its ${k} is not a string`;
  }
  for (const k of ['sid', 'dstSid', 'count']) if (!optional(o[k], (v) => typeof v === 'number')) return `its ${k} is not a number`;
  if (!optional(o['decision'], (v) => v === 'granted' || v === 'denied')) return 'its decision is neither granted nor denied';
  if (!optional(o['results'], Array.isArray) || !optional(o['bindings'], (v) => Array.isArray(v) && v.every(isStr))) return 'its results or bindings are not lists';
  return undefined;
}

function checkpointShape(o: Record<string, unknown>): string | undefined {
  if (o['format'] !== FORMAT) return `its format is ${JSON.stringify(o['format'])}, not ${FORMAT}`;
  if (!isStr(o['log']) || !isInt(o['segment']) || !isInt(o['size']) || typeof o['time'] !== 'number') return 'its log, segment, size or time is malformed';
  if (!['segment', 'periodic', 'rotate', 'full', 'shutdown'].includes(o['reason'] as string)) return `its reason is ${JSON.stringify(o['reason'])}`;
  if (!isStr(o['root']) || !HASH.test(o['root']) || !isStr(o['head']) || !HASH.test(o['head'])) return 'its root or head is not a SHA-256 in hex';
  if (!isStr(o['key']) || !HASH.test(o['key']) || !isStr(o['sig'])) return 'its key or signature is malformed';
  if (!optional(o['frontier'], (v) => Array.isArray(v) && v.every((h) => isStr(h) && HASH.test(h)))) return 'its frontier is malformed';
  if (!optional(o['lost'], isInt)) return 'its lost count is malformed';
  return undefined;
}

/**
 * Verifies segments given in order (a whole log, or its last few segments). Stops at the first
 * problem and names the file, line and record; otherwise reports what the checkpoints cover.
 */
export function verifyLog(files: readonly SegmentFile[], options: VerifyOptions): VerifyReport {
  const { crypto } = options;
  const trusted = options.trustedKey ? hex(options.trustedKey) : undefined;
  let state: { log: string; segment: number; size: number; head: string; frontier: Frontier; key: string; time: number } | undefined;
  let records = 0, first = 0, dropped = 0, checkpoints = 0, covered = 0, closed = false;
  let torn: VerifyReport['torn'];
  let error: VerifyProblem | undefined;

  const report = (): VerifyReport => {
    const last = state?.size ?? 0;
    const base = {
      ok: error === undefined, records, first, last: records > 0 ? last : 0, dropped, checkpoints, covered,
      uncovered: Math.max(0, last - Math.max(covered, dropped)), closed: error === undefined && closed,
    };
    return {
      ...base,
      ...(error ? { error } : {}),
      ...(state ? { key: state.key, log: state.log, state: { ...state, frontier: state.frontier.clone() } } : {}),
      ...(torn ? { torn } : {}),
    };
  };

  if (files.length === 0) {
    error = { file: '(log)', line: 0, message: 'no segment files (audit-NNNNNN.log)' };
    return report();
  }

  const verifyCheckpoint = (cp: Checkpoint): string | undefined => {
    if (trusted !== undefined && cp.key !== trusted) return `it is signed by key ${cp.key.slice(0, 16)}…, not by the trusted key ${trusted.slice(0, 16)}…`;
    if (state && cp.key !== state.key) return `it is signed by key ${cp.key.slice(0, 16)}…, but the log's earlier checkpoints by ${state.key.slice(0, 16)}…`;
    let sig: Uint8Array;
    try {
      sig = fromBase64(cp.sig);
    } catch {
      return 'its signature is not base64';
    }
    // One spelling only: unused low bits of the last character must be zero.
    if (base64(sig) !== cp.sig) return 'its signature is not in canonical base64 (the checkpoint was edited)';
    if (!crypto.verify(fromHex(cp.key), checkpointMessage(cp), sig)) return 'its signature does not verify (the checkpoint was changed or forged)';
    return undefined;
  };

  for (let f = 0; f < files.length && !error; f++) {
    const { name, bytes } = files[f]!;
    const lastFile = f === files.length - 1;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] !== 0x0a) {
      const start = bytes.lastIndexOf(0x0a) + 1;
      if (options.allowTorn && lastFile) {
        torn = { file: name, offset: start, bytes: end - start };
        end = start;
      } else {
        const lineNo = countLines(bytes, start) + 1;
        error = { file: name, line: lineNo, ...(state ? { seq: state.size } : {}), message: `the last line is incomplete (${end - start} bytes without a newline): the file was truncated or a write was torn` };
        break;
      }
    }
    let text: string;
    try {
      text = fromUtf8.decode(bytes.subarray(0, end));
    } catch {
      error = { file: name, line: 0, message: 'the file is not valid UTF-8 (damaged or edited)' };
      break;
    }
    const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n');
    let lastEntry: Entry | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const at = (message: string, seq = state?.size): void => {
        error = { file: name, line: i + 1, ...(seq !== undefined ? { seq } : {}), message };
      };
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        at(`not JSON (${state ? `after record ${state.size}` : 'at the start'}): the line was damaged or edited`);
        break;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        at('not a JSON object: the line was damaged or edited');
        break;
      }
      const o = parsed as Record<string, unknown>;
      if (canonicalJson(o) !== line) {
        at(`${o['type'] === 'record' && isInt(o['seq']) ? `record ${o['seq']}` : 'the entry'} is not in canonical form: it was edited`, isInt(o['seq']) ? o['seq'] : state?.size);
        break;
      }
      if (i === 0) {
        // The segment header: a signed checkpoint with the tree's compact range.
        const shape = o['type'] === 'checkpoint' ? checkpointShape(o) : 'it is not a checkpoint';
        if (shape || o['reason'] !== 'segment' || !Array.isArray(o['frontier'])) {
          at(`the segment does not start with its header checkpoint (${shape ?? `reason ${JSON.stringify(o['reason'])}`})`);
          break;
        }
        const cp = o as unknown as Checkpoint;
        const bad = verifyCheckpoint(cp);
        if (bad) {
          at(`segment header checkpoint (size ${cp.size}): ${bad}`);
          break;
        }
        let frontier: Frontier;
        try {
          frontier = new Frontier(crypto.sha256, cp.size, cp.frontier!.map(fromHex));
        } catch (e) {
          at(`segment header checkpoint: ${(e as Error).message}`);
          break;
        }
        if (hex(frontier.root()) !== cp.root) {
          at(`segment header checkpoint: its frontier does not give its root (${frontierLength(cp.size)} subtree hashes for ${cp.size} records)`);
          break;
        }
        if (!state) {
          state = { log: cp.log, segment: cp.segment, size: cp.size, head: cp.head, frontier, key: cp.key, time: cp.time };
          dropped = cp.size;
          if (cp.size === 0 && cp.head !== ZERO_HASH) {
            at('the first segment header of an empty log must have a zero head');
            break;
          }
        } else if (cp.log !== state.log || cp.segment !== state.segment + 1 || cp.size !== state.size || cp.head !== state.head || cp.root !== hex(state.frontier.root())) {
          at(`segment ${cp.segment} does not continue segment ${state.segment} (it starts after record ${cp.size} of log ${cp.log.slice(0, 8)}…; segment ${state.segment} ended at record ${state.size})`);
          break;
        } else {
          state.segment = cp.segment;
        }
        checkpoints++;
        covered = Math.max(covered, cp.size);
        lastEntry = cp;
        continue;
      }
      const s = state!;
      if (o['type'] === 'record') {
        const shape = recordShape(o);
        if (shape) {
          at(`the record after record ${s.size} is malformed: ${shape}`);
          break;
        }
        const r = o as unknown as LogRecord;
        if (r.seq <= s.size) {
          at(`record ${r.seq} appears after record ${s.size}: records were reordered, duplicated or inserted`, r.seq);
          break;
        }
        if (r.seq > s.size + 1) {
          at(`record ${r.seq} follows record ${s.size}: ${r.seq - s.size === 2 ? `record ${s.size + 1} is` : `records ${s.size + 1}–${r.seq - 1} are`} missing (deleted or moved)`, r.seq);
          break;
        }
        if (r.prevHash !== s.head) {
          at(`record ${r.seq} does not chain to record ${s.size} (its prevHash differs): a record was inserted, deleted or changed here`, r.seq);
          break;
        }
        if (recordHash(crypto.sha256, r) !== r.hash) {
          at(`record ${r.seq} was changed: its hash does not match its contents`, r.seq);
          break;
        }
        s.frontier.append(fromHex(r.hash));
        s.size = r.seq;
        s.head = r.hash;
        s.time = Math.max(s.time, r.time);
        if (records++ === 0) first = r.seq;
        options.onRecord?.(r);
        lastEntry = r;
      } else if (o['type'] === 'checkpoint') {
        const shape = checkpointShape(o);
        if (shape) {
          at(`the checkpoint after record ${s.size} is malformed: ${shape}`);
          break;
        }
        const cp = o as unknown as Checkpoint;
        if (cp.reason === 'segment') {
          at('a segment header checkpoint in the middle of a segment: segments were spliced');
          break;
        }
        const bad = verifyCheckpoint(cp);
        if (bad) {
          at(`checkpoint (size ${cp.size}) after record ${s.size}: ${bad}`);
          break;
        }
        if (cp.log !== s.log || cp.segment !== s.segment) {
          at(`checkpoint (size ${cp.size}) belongs to log ${cp.log.slice(0, 8)}… segment ${cp.segment}, not to this segment`);
          break;
        }
        if (cp.size !== s.size) {
          const span = (a: number, b: number) => (a === b ? `record ${a} was` : `records ${a}–${b} were`);
          at(`checkpoint covers ${cp.size} records, but ${s.size} precede it: ${cp.size > s.size ? `${span(s.size + 1, cp.size)} deleted` : `${span(cp.size + 1, s.size)} inserted`}`);
          break;
        }
        if (cp.head !== s.head || cp.root !== hex(s.frontier.root())) {
          at(`checkpoint (size ${cp.size}) does not match records 1–${s.size}: ${cp.head !== s.head ? 'its head differs from record ' + s.size + "'s hash" : 'its Merkle root differs'} (records were changed and re-chained)`);
          break;
        }
        checkpoints++;
        covered = cp.size;
        lastEntry = cp;
      } else {
        at(`unknown entry type ${JSON.stringify(o['type'])} after record ${s.size}`);
        break;
      }
    }
    if (error) break;
    if (lines.length === 0) {
      error = { file: name, line: 0, message: 'the segment is empty (its header checkpoint is missing)' };
      break;
    }
    if (!lastFile && !(lastEntry?.type === 'checkpoint' && lastEntry.reason === 'rotate')) {
      error = { file: name, line: lines.length, ...(state ? { seq: state.size } : {}), message: `segment ${state!.segment} does not end with its rotation checkpoint: its tail was truncated` };
      break;
    }
    if (lastFile) closed = lastEntry?.type === 'checkpoint' && lastEntry.reason === 'shutdown';
  }
  return report();
}

function countLines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** One line of a verification report, for people. */
export function describeProblem(p: VerifyProblem): string {
  return `${p.file}:${p.line}: ${p.message}`;
}
