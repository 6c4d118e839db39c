// `citadel audit verify` and `citadel audit query`: check a Secure Audit log's integrity, and read it.
import { readFileSync } from 'node:fs';
import { describeProblem, keyId, publicKeyFromPem, verifyLog, fromHex, type LogRecord, type VerifyReport } from '../services/audit/log.ts';
import { nodeLogCrypto, readSegments } from '../services/audit/node.ts';
import { formatRecord, matches, parseTime, type RecordFilter } from '../services/audit/query.ts';
import { plural } from './report.ts';

function load(target: string, keyFile: string | undefined): { report: VerifyReport; records: LogRecord[] } | string {
  let trustedKey: Uint8Array | undefined;
  if (keyFile !== undefined) {
    try {
      trustedKey = publicKeyFromPem(readFileSync(keyFile, 'utf8'));
    } catch (err) {
      return `cannot use ${keyFile} as the trusted key: ${(err as Error).message}`;
    }
  }
  let files;
  try {
    files = readSegments(target);
  } catch (err) {
    return `cannot read the audit log ${target}: ${(err as Error).message}`;
  }
  const records: LogRecord[] = [];
  const report = verifyLog(files, { crypto: nodeLogCrypto, ...(trustedKey ? { trustedKey } : {}), onRecord: (r) => records.push(r) });
  return { report, records };
}

const range = (a: number, b: number) => (a === b ? `record ${a}` : `records ${a}–${b}`);

export interface VerifyCliOptions {
  readonly key?: string;
  /** Accept a log the service has not sealed (still running, or stopped abruptly). */
  readonly open?: boolean;
}

export function runAuditVerify(target: string, opts: VerifyCliOptions): number {
  const loaded = load(target, opts.key);
  if (typeof loaded === 'string') {
    process.stderr.write(`citadel: error: ${loaded}\n`);
    return 1;
  }
  const { report: r } = loaded;
  if (!r.ok) {
    process.stderr.write(`FAIL  ${target}: ${describeProblem(r.error!)}\n`);
    if (r.records > 0) process.stderr.write(`      ${range(r.first, r.last)} verified before it\n`);
    return 1;
  }
  const key = r.key ? keyId(nodeLogCrypto.sha256, fromHex(r.key)) : '?';
  const lines = [
    `${r.records === 0 ? 'no records' : `${range(r.first, r.last)} (${r.records})`}, ${plural(r.checkpoints, 'signed checkpoint')}, ` +
      `key ${key} ${opts.key ? `(the trusted key ${opts.key})` : "(the log's own key; pass --key <audit.pub> to check against a key you trust)"}`,
  ];
  if (r.dropped > 0) lines.push(`${range(1, r.dropped)} are not present (deleted by drop-oldest, or removed); the first segment's signed header commits to them`);
  if (r.closed) lines.push('sealed: the log ends with the service\'s shutdown checkpoint');
  else {
    lines.push(`NOT SEALED: the log does not end with a shutdown checkpoint (the service is still running, stopped abruptly, or the log's tail was cut off); ` +
      `${r.uncovered === 0 ? 'every record is covered by a checkpoint' : `${range(r.last - r.uncovered + 1, r.last)} (${r.uncovered}) ${r.uncovered === 1 ? 'is' : 'are'} covered by no checkpoint and could have been changed undetected`}`);
  }
  const ok = r.closed || opts.open === true;
  process.stdout.write(`${ok ? 'ok' : 'FAIL'}  ${target}: ${lines.join('\n      ')}\n`);
  if (!ok) process.stdout.write('      (--open accepts a log that is not sealed)\n');
  return ok ? 0 : 1;
}

export interface QueryCliOptions {
  readonly since?: string;
  readonly until?: string;
  readonly task?: string;
  readonly event?: string;
  readonly decision?: string;
  readonly kind?: string;
  readonly key?: string;
  readonly json?: boolean;
}

export function runAuditQuery(target: string, opts: QueryCliOptions): number {
  const filter: { -readonly [K in keyof RecordFilter]: RecordFilter[K] } = {};
  for (const [name, text] of [['since', opts.since], ['until', opts.until]] as const) {
    if (text === undefined) continue;
    const t = parseTime(text);
    if (t === undefined) {
      process.stderr.write(`citadel: error: --${name} takes a time (ISO 8601, or ms since the epoch), got ${JSON.stringify(text)}\n`);
      return 1;
    }
    filter[name] = t;
  }
  if (opts.decision !== undefined) {
    if (opts.decision !== 'granted' && opts.decision !== 'denied') {
      process.stderr.write(`citadel: error: --decision takes granted or denied, got ${JSON.stringify(opts.decision)}\n`);
      return 1;
    }
    filter.decision = opts.decision;
  }
  if (opts.kind !== undefined) {
    if (opts.kind !== 'decision' && opts.kind !== 'app' && opts.kind !== 'system') {
      process.stderr.write(`citadel: error: --kind takes decision, app or system, got ${JSON.stringify(opts.kind)}\n`);
      return 1;
    }
    filter.kind = opts.kind;
  }
  if (opts.task !== undefined) filter.task = opts.task;
  if (opts.event !== undefined) filter.event = opts.event;
  const loaded = load(target, opts.key);
  if (typeof loaded === 'string') {
    process.stderr.write(`citadel: error: ${loaded}\n`);
    return 1;
  }
  const { report, records } = loaded;
  // Records past a problem are not shown: only what verified is evidence.
  if (!report.ok) process.stderr.write(`warning: ${target} fails verification (${describeProblem(report.error!)}); showing the ${plural(records.length, 'record')} before the problem\n`);
  const selected = records.filter((r) => matches(r, filter));
  for (const r of selected) process.stdout.write(`${opts.json ? JSON.stringify(r) : formatRecord(r)}\n`);
  if (!opts.json) process.stderr.write(`${plural(selected.length, 'record')} of ${records.length}\n`);
  return report.ok ? 0 : 1;
}
