// What the audit service does with each call, over an AuditWriter: the kernel's records (sink), and
// the application interface (log). Kept apart from the entity's start-up (Audit.ts) so tests can
// drive it on the host.
import type { AuditEndpoints } from './gen/kl.Audit.edl.ts';
import { Denied, Granted, MaxResults } from './gen/kl.AuditLog.idl.ts';
import { canonicalJson, type Json, type RecordBody } from './log.ts';
import { matches } from './query.ts';
import type { AuditWriter } from './writer.ts';

/** The kernel's audit level endpoint (kl.core.Audit), as the generated proxy offers it. */
export interface KernelAuditLevel {
  SetLevel(request: { level: number }): Promise<unknown>;
  GetLevel(request: Record<string, never>): Promise<{ level: number }>;
}

export interface ServiceDeps {
  /** Wall-clock time from the kernel, in ms since the epoch. */
  readonly now: () => Promise<number>;
  readonly kernel: KernelAuditLevel;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A record from the kernel (the JSON of a security module audit record) as the log keeps it. */
export function fromKernelRecord(text: string, fallbackTime: number, task: string): RecordBody {
  let r: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    r = parsed as Record<string, unknown>;
  } catch {
    return { time: fallbackTime, kind: 'system', event: 'malformed-kernel-record', task, detail: text.slice(0, 256) };
  }
  const src = (typeof r['src'] === 'object' && r['src'] !== null ? r['src'] : {}) as Record<string, unknown>;
  const dst = (typeof r['dst'] === 'object' && r['dst'] !== null ? r['dst'] : {}) as Record<string, unknown>;
  const decision = r['decision'] === 'granted' || r['decision'] === 'denied' ? r['decision'] : undefined;
  const body: Record<string, unknown> = {
    time: num(r['time']) ?? fallbackTime, kind: 'decision', event: str(r['event']) ?? '?',
    task: str(src['task']), class: str(src['class']), sid: num(src['sid']),
    dstTask: str(dst['task']), dstClass: str(dst['class']), dstSid: num(dst['sid']),
    endpoint: str(r['endpoint']), interface: str(r['interface']), method: str(r['method']),
    decision, reason: str(r['reason']),
    results: Array.isArray(r['results']) ? JSON.parse(canonicalJson(r['results'])) as Json[] : undefined,
    bindings: Array.isArray(r['bindings']) ? r['bindings'].filter((b): b is string => typeof b === 'string') : undefined,
    truncated: r['truncated'] === true ? true : undefined,
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body as unknown as RecordBody;
}

export function auditHandlers(writer: AuditWriter, deps: ServiceDeps): AuditEndpoints {
  const task = writer.options.task;
  let lastTime = 0;
  const append = async (body: RecordBody) => {
    const record = writer.append(body);
    await writer.flush();
    return record;
  };
  return {
    sink: {
      Write: async ({ records, dropped }) => {
        const bodies = records.map((text) => fromKernelRecord(text, lastTime, task));
        const time = bodies[0]?.time ?? lastTime;
        if (dropped > 0) writer.lose(dropped, time, `the kernel could not deliver ${dropped} audit records (the audit service lagged, or a delivery failed)`);
        for (const body of bodies) {
          writer.append(body);
          lastTime = Math.max(lastTime, body.time);
        }
        await writer.flush();
        return {};
      },
      // No kernel calls here (not even for the time): their records would come after the seal.
      Close: async () => {
        await writer.close(lastTime);
        return {};
      },
    },
    log: {
      Append: async ({ source, event, detail }) => {
        const time = await deps.now();
        const record = await append({ time, kind: 'app', event, ...(source ? { task: source } : {}), ...(detail ? { detail } : {}) });
        if (!record) throw new Error(writer.stopped ? 'the audit log is full (--on-full stop): the event was not recorded' : 'the audit log cannot be written: the event was not recorded');
        return { seq: BigInt(record.seq) };
      },
      Query: ({ count, task: who, event, decision }) => {
        const filter = {
          ...(who ? { task: who } : {}),
          ...(event ? { event } : {}),
          ...(decision === Granted ? { decision: 'granted' as const } : decision === Denied ? { decision: 'denied' as const } : {}),
        };
        return { records: writer.recent((r) => matches(r, filter), Math.min(count, MaxResults)).map((r) => canonicalJson(r)) };
      },
      SetLevel: async ({ level }) => {
        const was = (await deps.kernel.GetLevel({})).level;
        await deps.kernel.SetLevel({ level });
        await append({ time: await deps.now(), kind: 'system', event: 'audit-level', task, detail: `the audit level was set from ${was} to ${level} through the audit service` });
        return {};
      },
      GetLevel: async () => ({ level: (await deps.kernel.GetLevel({})).level }),
    },
  };
}
