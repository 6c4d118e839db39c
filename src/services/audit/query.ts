// Selecting and showing audit records: the filters `citadel audit query` and the service's Query take.
import type { LogRecord, RecordKind } from './log.ts';

export interface RecordFilter {
  /** Record time bounds (ms since the epoch), inclusive. */
  readonly since?: number;
  readonly until?: number;
  /** The subject or the object task. */
  readonly task?: string;
  /** The event (kind of security event, or an app/system event name), the method, or `endpoint.method`. */
  readonly event?: string;
  readonly decision?: 'granted' | 'denied';
  readonly kind?: RecordKind;
}

export function matches(r: LogRecord, f: RecordFilter): boolean {
  if (f.since !== undefined && r.time < f.since) return false;
  if (f.until !== undefined && r.time > f.until) return false;
  if (f.task !== undefined && r.task !== f.task && r.dstTask !== f.task) return false;
  if (f.event !== undefined && r.event !== f.event && r.method !== f.event && `${r.endpoint}.${r.method}` !== f.event) return false;
  if (f.decision !== undefined && r.decision !== f.decision) return false;
  if (f.kind !== undefined && r.kind !== f.kind) return false;
  return true;
}

/** A time given on the command line: milliseconds since the epoch, or an ISO 8601 date/time. */
export function parseTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** One record as one line for people: `#12 2026-01-02T03:04:05.678Z decision denied request client → server ping.Ping …`. */
export function formatRecord(r: LogRecord): string {
  const at = Number.isFinite(r.time) ? new Date(r.time).toISOString() : String(r.time);
  const who = [r.task ?? r.class, r.dstTask ?? r.dstClass].filter(Boolean);
  const target = r.endpoint !== undefined || r.method !== undefined ? [r.endpoint, r.method].filter(Boolean).join('.') : undefined;
  const parts = [`#${r.seq}`, at, r.kind, r.decision, r.event, who.join(' → '), target, r.count !== undefined ? `count ${r.count}` : undefined];
  let line = parts.filter((p) => p !== undefined && p !== '').join(' ');
  if (r.reason !== undefined) line += ` — ${r.reason}`;
  if (r.detail !== undefined) line += ` — ${r.detail}`;
  return line.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
