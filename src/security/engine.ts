// The security module (KSM analog): loads a policy IR once (validate, create model objects, compile
// bindings to closures, index selectors), then decides security events. Default deny.
import type { IrBinding, Origin, PolicyIR, SecurityEvent } from './ir.ts';
import { validatePolicy } from './validate.ts';
import { Transaction } from './state.ts';
import { DEFAULT_OBJECTS, createObject, type ModelObject } from './models/index.ts';
import { Context, compileBody, type Stmt } from './compile.ts';
import { SelectorIndex, type Resolved } from './selectors.ts';
import { AuditConfig, type AuditRecord, type AuditResult, type TraceEntry } from './audit.ts';
import type { EventDescription, Explanation, Party } from './explain.ts';
import { PolicyError } from './values.ts';

export interface SecurityModuleOptions {
  /** Receives every audit record. If it throws while recording a grant, the event is denied. */
  readonly audit?: (record: AuditRecord) => void;
  /** Clock for audit records (ms since the epoch); defaults to Date.now. */
  readonly now?: () => number;
}

export interface Decision {
  readonly granted: boolean;
  /** Present on every denial. */
  readonly explanation?: Explanation;
  /** Present when the decision was audited. */
  readonly audit?: AuditRecord;
}

export interface SecurityModule {
  decide(event: SecurityEvent): Decision;
  /** PAL test cases: decide with the message params given as a plain dict. */
  evaluate(event: Omit<SecurityEvent, 'message'>, params?: Readonly<Record<string, unknown>>): Decision;
  setAuditLevel(level: number): void;
  /** The run-time audit level in effect. */
  auditLevel(): number;
  setAuditProfile(name: string, level?: number): void;
  /** All model state, for rolling back after a PAL sequence; opaque. */
  snapshot(): unknown;
  restore(snapshot: unknown): void;
  /** Name → id lookups for PAL test cases. An undefined endpoint means the security interface. */
  classIndex(name: string): number | undefined;
  methodIds(classIndex: number, endpoint: string | undefined, method: string): { readonly riid: number; readonly mid: number } | undefined;
}

interface Binding {
  readonly binding: IrBinding;
  readonly body: Stmt;
}

const GRANTED: Decision = Object.freeze({ granted: true });
const refusal = (reason: string): Decision => Object.freeze({
  granted: false,
  explanation: { event: '?' as Explanation['event'], src: { class: '?', sid: NaN }, dst: { class: '?', sid: NaN }, bindings: [], reason, error: true },
});
/** From the audit sink, which runs while the outer decision is still open. */
const REENTRANT = refusal('re-entrant decision refused');
const UNREADABLE = refusal('invalid event: unreadable event object');

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function loadPolicy(input: PolicyIR, options: SecurityModuleOptions = {}): SecurityModule {
  // Copy data in: nothing the caller holds can change the loaded policy afterwards.
  let ir: unknown;
  try {
    ir = structuredClone(input);
  } catch (e) {
    throw new Error(`invalid policy IR: not plain data (${(e as Error).message})`);
  }
  validatePolicy(ir);
  const tx = new Transaction();
  const objects = new Map<string, ModelObject>();
  for (const o of ir.objects) objects.set(o.name, createObject(o, tx));
  for (const [name, model] of DEFAULT_OBJECTS) {
    if (!objects.has(name)) objects.set(name, createObject({ name, model, config: undefined, origin: 'default' }, tx));
  }
  const audit = new AuditConfig(ir, new Set(objects.keys()));
  const bindings: Binding[] = ir.bindings.map(b => ({ binding: b, body: compileBody(b.body, { objects, audit, origin: b.origin }) }));
  const index = new SelectorIndex(ir.classes, bindings);
  const cx = new Context(), trace: TraceEntry[] = [];
  const snapshots = new WeakMap<object, ReturnType<Transaction['snapshot']>>();
  const now = options.now ?? Date.now, sink = options.audit;
  let busy = false;

  const party = (cls: unknown, sid: unknown, task: unknown): Party => {
    const c = typeof cls === 'number' ? ir.classes[cls] : undefined;
    const p: Writable<Party> = { class: c === undefined ? `#${String(cls)}` : c.name, sid: typeof sid === 'number' ? sid : NaN };
    if (typeof task === 'string') p.task = task;
    return p;
  };
  const describe = (ev: SecurityEvent, r: Resolved<Binding> | undefined): Writable<EventDescription> => {
    const src = party(ev.srcClass, ev.srcSid, ev.srcTask), dst = ev.kind === 'security' ? src : party(ev.dstClass, ev.dstSid, ev.dstTask);
    // The kind as received, even if unknown.
    const d: Writable<EventDescription> = { event: String(ev.kind) as EventDescription['event'], src, dst, bindings: [] };
    if (r === undefined) return d;
    if (r.interface !== undefined) d.interface = r.interface;
    if (r.endpoint !== undefined) d.endpoint = r.endpoint;
    if (r.method !== undefined) d.method = r.method;
    d.bindings = r.bindings.map(b => b.binding.origin);
    return d;
  };
  const deliver = (record: AuditRecord): boolean => {
    try {
      sink?.(record);
      return true;
    } catch {
      return false;
    }
  };

  /** A denial: explanation always; an audit record if `always` or the profile selected results. */
  function deny(ev: SecurityEvent, r: Resolved<Binding> | undefined, reason: string, opts: {
    rule?: Origin | undefined; error?: boolean; results?: AuditResult[] | undefined; always?: boolean;
  }): Decision {
    tx.abort();
    const d = describe(ev, r);
    const explanation: Writable<Explanation> = { ...d, reason, error: opts.error ?? false };
    if (opts.rule !== undefined) explanation.rule = opts.rule;
    const results = opts.results ?? [];
    if (opts.always !== true && results.length === 0) return { granted: false, explanation };
    const record: AuditRecord = { ...d, time: now(), decision: 'denied', reason, results };
    deliver(record);
    return { granted: false, explanation, audit: record };
  }

  function decideOnce(ev: SecurityEvent): Decision {
    if (!Number.isSafeInteger(ev.srcSid) || !Number.isSafeInteger(ev.dstSid)) {
      return deny(ev, undefined, 'invalid event: SIDs must be integers', { always: true });
    }
    const r = index.resolve(ev);
    if (typeof r === 'string') return deny(ev, undefined, `invalid event: ${r}`, { always: true });
    if (r.invalid !== undefined) return deny(ev, r, `invalid event: ${r.invalid}`, { always: true });
    if (r.bindings.length === 0) return deny(ev, r, 'no binding matches', { always: true });

    cx.begin(ev, r, audit.active ? trace : undefined, audit.profile);
    let granted = true, error = false;
    try {
      for (let i = 0; i < r.bindings.length && granted; i++) granted = r.bindings[i]!.body(cx);
    } catch (e) {
      granted = false;
      error = true;
      cx.reason = e instanceof PolicyError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
      const at = cx.at;
      if (cx.trace !== undefined && at?.k === 'rule') {
        cx.trace.push({ profile: cx.profile, object: at.object, method: at.method, origin: at.origin, granted: false, reason: cx.reason });
      }
    }
    if (granted && cx.rulesRun === 0) return deny(ev, r, 'no rule applies: the matching bindings selected no rule', { always: true });
    const results = cx.trace === undefined ? undefined : audit.select(cx.trace);
    if (!granted) return deny(ev, r, cx.reason, { rule: cx.at?.origin, error, results });
    if (results === undefined || results.length === 0) {
      tx.commit();
      return GRANTED;
    }
    const record: AuditRecord = { ...describe(ev, r), time: now(), decision: 'granted', results };
    if (!deliver(record)) return deny(ev, r, 'the audit sink failed to record a grant', { always: true });
    tx.commit();
    return { granted: true, audit: record };
  }

  function decide(ev: SecurityEvent): Decision {
    if (busy) return REENTRANT;
    busy = true;
    try {
      return decideOnce(ev);
    } catch (e) {
      // Only a malformed event object gets here (the rules' own errors are caught in decideOnce).
      try {
        return deny(ev, undefined, `invalid event: ${e instanceof Error ? e.message : 'unreadable'}`, { always: true });
      } catch {
        tx.abort();
        return UNREADABLE;
      }
    } finally {
      busy = false;
    }
  }

  return {
    decide,
    evaluate: (event, params = {}) => decide({ ...event, message: () => params }),
    setAuditLevel: level => audit.setLevel(level),
    auditLevel: () => audit.level,
    setAuditProfile: (name, level) => audit.setProfile(name, level),
    snapshot() {
      const token = Object.freeze({});
      snapshots.set(token, tx.snapshot());
      return token;
    },
    restore(s) {
      const maps = typeof s === 'object' && s !== null ? snapshots.get(s) : undefined;
      if (maps === undefined) throw new Error('restore: not a snapshot taken from this security module');
      tx.restore(maps);
    },
    classIndex(name) {
      const i = ir.classes.findIndex(c => c.name === name);
      return i < 0 ? undefined : i;
    },
    methodIds(classIndex, endpoint, method) {
      const c = ir.classes[classIndex];
      if (c === undefined) return undefined;
      if (endpoint === undefined) {
        const mid = c.securityMethods?.indexOf(method) ?? -1;
        return mid < 0 ? undefined : { riid: 0, mid };
      }
      const ep = c.endpoints.find(e => e.name === endpoint), mid = ep?.methods.indexOf(method) ?? -1;
      return ep === undefined || mid < 0 ? undefined : { riid: ep.riid, mid };
    },
  };
}
