// The kernel's side of Secure Audit: the security module's audit records, queued for the solution's
// audit service (the task of class kl.Audit) and sent to it in batches as calls from the kernel.
// The queue is bounded: when the service lags, new records are dropped and counted, the count goes
// to the service with the next batch (it records it), and the kernel log says so.
import { MaxBatch, MaxRecord } from '../entity/gen/kl.core.AuditSink.idl.ts';
import type { AuditRecord } from '../security/index.ts';

/** The process class of the audit service; the first task of this class receives the records. */
export const AUDIT_CLASS = 'kl.Audit';
/** Records waiting for the service, at most. */
export const AUDIT_QUEUE_MAX = 4096;
/** Batches in flight to the service, at most. */
export const AUDIT_WINDOW = 4;
/** How long the service may take to seal its log once every other task has ended. */
export const AUDIT_CLOSE_MS = 5000;
const BATCH_BYTES = 256 * 1024;

const utf8 = new TextEncoder();
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`);

/** A record as the JSON text the service receives: at most MaxRecord bytes, cut down (and marked `truncated`) if need be. */
export function recordText(record: AuditRecord): string {
  const whole = JSON.stringify(record);
  if (utf8.encode(whole).length <= MaxRecord) return whole;
  const results = record.results.slice(0, 16).map((r) => ({
    ...r,
    ...(r.reason === undefined ? {} : { reason: clip(r.reason, 256) }),
    ...(r.value === undefined ? {} : { value: clip(r.value, 256) }),
  }));
  const cut = { ...record, bindings: record.bindings.slice(0, 16), results, ...(record.reason === undefined ? {} : { reason: clip(record.reason, 1024) }), truncated: true };
  const text = JSON.stringify(cut);
  if (utf8.encode(text).length <= MaxRecord) return text;
  const { event, src, dst, time, decision } = record;
  return JSON.stringify({ event, src, dst, time, decision, bindings: [], results: [], truncated: true });
}

export class AuditQueue {
  /** The audit service's task name, and the RIID of its `sink` endpoint. */
  readonly task: string;
  readonly riid: number;
  readonly #log: (line: string) => void;
  #records: string[] = [];
  /** Records lost and not yet reported to the service. */
  #dropped = 0;
  #lagging = false;
  #droppedWhileLagging = 0;
  /** Batches sent and not yet answered. */
  inFlight = 0;
  /** Set once the Close call has gone out (or failed) to the current instance of the service. */
  closing: Promise<void> | undefined;
  closed = false;
  /** The policy denied a delivery: said once in the log. */
  denied = false;

  constructor(task: string, riid: number, log: (line: string) => void) {
    this.task = task;
    this.riid = riid;
    this.#log = log;
  }

  get pending(): number {
    return this.#records.length;
  }

  /** Records lost in total that the service has not been told about. */
  get dropped(): number {
    return this.#dropped;
  }

  push(record: AuditRecord): void {
    if (this.#records.length >= AUDIT_QUEUE_MAX) {
      this.#dropped++;
      this.#droppedWhileLagging++;
      if (!this.#lagging) {
        this.#lagging = true;
        this.#log(`[kernel] audit: ${this.task} lags behind (${AUDIT_QUEUE_MAX} records queued): new audit records are dropped and counted until it catches up`);
      }
      return;
    }
    this.#records.push(recordText(record));
  }

  /** The next batch and the drop count to report with it; the count is then reset. */
  take(): { records: string[]; dropped: number } {
    let n = 0, bytes = 0;
    while (n < this.#records.length && n < MaxBatch && bytes + this.#records[n]!.length * 3 <= BATCH_BYTES) bytes += this.#records[n++]!.length * 3;
    const records = this.#records.splice(0, Math.max(n, Math.min(1, this.#records.length)));
    const dropped = Math.min(this.#dropped, 0xffffffff);
    this.#dropped -= dropped;
    if (this.#lagging && this.#records.length === 0) {
      this.#lagging = false;
      this.#log(`[kernel] audit: ${this.task} caught up; ${this.#droppedWhileLagging} audit records were dropped meanwhile (the count is recorded in the log)`);
      this.#droppedWhileLagging = 0;
    }
    return { records, dropped };
  }

  /** Records that did not reach the log (a delivery failed or was denied): reported with the next batch. */
  lost(count: number): void {
    this.#dropped += count;
  }

  /** Everything queued is given up (no service left to take it); returns how many records that is. */
  discard(): number {
    const n = this.#records.length + this.#dropped;
    this.#records = [];
    this.#dropped = 0;
    return n;
  }
}
