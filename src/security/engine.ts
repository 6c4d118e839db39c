// The security module (KSM analog): loads a policy IR once (validate, create model objects, compile
// bindings to closures, index selectors), then decides security events. Default deny.
import type { IrBinding, IrStmt, Origin, PolicyIR, SecurityEvent } from './ir.ts';
import { validatePolicy } from './validate.ts';
import { Transaction } from './state.ts';
import { DEFAULT_OBJECTS, createObject, type ModelObject, type RuleFn } from './models/index.ts';
import { compilePattern } from './models/regex.ts';
import { compileExpr, invoke, lookup, type EvalContext, type Objects } from './expr.ts';
import { SelectorIndex, selectorsMatch, type EventInfo, type Resolved } from './selectors.ts';
import { AuditConfig, type AuditRecord, type AuditResult, type TraceEntry } from './audit.ts';
import type { EventDescription, Explanation, Party } from './explain.ts';
import { PolicyError, equals, fromIr, show, type Value } from './values.ts';

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
  setAuditProfile(name: string, level?: number): void;
  /** All model state, for rolling back after a PAL sequence; opaque. */
  snapshot(): unknown;
  restore(snapshot: unknown): void;
  /** Name → id lookups for PAL test cases. An undefined endpoint means the security interface. */
  classIndex(name: string): number | undefined;
  methodIds(classIndex: number, endpoint: string | undefined, method: string): { readonly riid: number; readonly mid: number } | undefined;
}

/** A compiled statement; false = a rule denied (the context says why). */
type Stmt = (cx: Context) => boolean;
interface Binding {
  readonly binding: IrBinding;
  readonly body: Stmt;
}
interface Env {
  readonly objects: Objects;
  readonly audit: AuditConfig;
  readonly origin: Origin;
}

const GRANTED: Decision = Object.freeze({ granted: true });

/** Per-decision state; one instance per module, reset by `begin` (decisions never overlap). */
class Context implements EvalContext {
  event!: SecurityEvent;
  info!: EventInfo;
  trace: TraceEntry[] | undefined;
  profile = -1;
  rulesRun = 0;
  /** The rule or choice being evaluated (errors are attributed to it) and, after a denial, why. */
  at: IrStmt | undefined;
  reason = '';
  private params: Readonly<Record<string, unknown>> | undefined;

  begin(event: SecurityEvent, info: EventInfo, trace: TraceEntry[] | undefined, profile: number): void {
    this.event = event;
    this.info = info;
    this.trace = trace;
    if (trace !== undefined) trace.length = 0;
    this.profile = profile;
    this.rulesRun = 0;
    this.at = undefined;
    this.params = undefined;
  }

  message(): Readonly<Record<string, unknown>> {
    if (this.params === undefined) {
      const get = this.event.message;
      if (typeof get !== 'function') throw new PolicyError('the event carries no message');
      let m: unknown;
      try {
        m = get();
      } catch (e) {
        throw new PolicyError(`the message could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (typeof m !== 'object' || m === null) throw new PolicyError('the message params are not a dict');
      this.params = m as Readonly<Record<string, unknown>>;
    }
    return this.params;
  }
}

function compileBody(stmts: readonly IrStmt[], env: Env): Stmt {
  const parts = stmts.map(s => compileStmt(s, env));
  return cx => {
    const profile = cx.profile;
    for (let i = 0; i < parts.length; i++) if (!parts[i]!(cx)) return false;
    cx.profile = profile;
    return true;
  };
}

function compileStmt(s: IrStmt, env: Env): Stmt {
  switch (s.k) {
    case 'rule': {
      const [obj, fn] = lookup<RuleFn>(env.objects, s.object, s.method, 'rules', s.origin);
      const arg = compileExpr(s.arg, env.objects), { object, method, origin } = s;
      return cx => {
        cx.at = s;
        const a = arg(cx), reason = invoke(fn, a, object, method);
        cx.rulesRun++;
        if (cx.trace !== undefined) {
          cx.trace.push({ profile: cx.profile, object, method, origin, granted: reason === undefined, reason, state: obj.stateOf?.(a) });
        }
        if (reason === undefined) return true;
        cx.reason = `${object}.${method}: ${reason}`;
        return false;
      };
    }
    case 'match': {
      const body = compileBody(s.body, { ...env, origin: s.origin }), selectors = s.selectors;
      return cx => !selectorsMatch(selectors, cx.info) || body(cx);
    }
    case 'choice': return compileChoice(s, env);
    case 'audit': {
      let profile: number;
      try {
        profile = env.audit.index(s.profile);
      } catch (e) {
        throw new Error(`${env.origin}: ${(e as Error).message}`);
      }
      return cx => { cx.profile = profile; return true; };
    }
  }
}

function compileChoice(s: Extract<IrStmt, { k: 'choice' }>, env: Env): Stmt {
  const on = compileExpr(s.on, env.objects);
  const select = s.on.k === 'call' && s.on.method === 'select' && env.objects.get(s.on.object)?.model === 'Regex';
  const arms = s.arms.map(arm => {
    const body = compileBody(arm.body, env), p = arm.pattern;
    if (p === undefined) return { test: (_: Value) => true, body };
    if (!select) {
      const literal = fromIr(p);
      return { test: (v: Value) => equals(v, literal), body };
    }
    if (p.t !== 'text') throw new Error(`${s.origin}: a re.select arm must be a text pattern`);
    let re: RegExp;
    try {
      re = compilePattern(p.v);
    } catch (e) {
      throw new Error(`${s.origin}: ${(e as Error).message}`);
    }
    return { test: (v: Value) => typeof v === 'string' && re.test(v), body };
  });
  return cx => {
    cx.at = s;
    const v = on(cx);
    for (let i = 0; i < arms.length; i++) if (arms[i]!.test(v)) return arms[i]!.body(cx);
    cx.at = s;
    cx.reason = `choice: no arm matches ${show(v)}`;
    return false;
  };
}

export function loadPolicy(input: PolicyIR, options: SecurityModuleOptions = {}): SecurityModule {
  // Copy data in: nothing the caller holds can change the loaded policy afterwards.
  const ir: unknown = structuredClone(input);
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
    const p = { class: c === undefined ? `#${String(cls)}` : c.name, sid: typeof sid === 'number' ? sid : NaN };
    return typeof task === 'string' ? { ...p, task } : p;
  };
  const describe = (ev: SecurityEvent, r: Resolved<Binding> | undefined): EventDescription => {
    const src = party(ev.srcClass, ev.srcSid, ev.srcTask);
    const d = {
      event: String(ev.kind) as EventDescription['event'], // as received, even if unknown
      src, dst: ev.kind === 'security' ? src : party(ev.dstClass, ev.dstSid, ev.dstTask),
      bindings: r === undefined ? [] : r.bindings.map(b => b.binding.origin),
    };
    if (r === undefined) return d;
    return {
      ...d,
      ...(r.interface === undefined ? {} : { interface: r.interface }),
      ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }),
      ...(r.method === undefined ? {} : { method: r.method }),
    };
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
    const explanation: Explanation = { ...d, ...(opts.rule === undefined ? {} : { rule: opts.rule }), reason, error: opts.error ?? false };
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
    if (!granted) return deny(ev, r, cx.reason, { rule: cx.at?.k === 'rule' || cx.at?.k === 'choice' ? cx.at.origin : undefined, error, results });
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
    if (busy) return { granted: false, explanation: { ...describe(ev, undefined), reason: 're-entrant decision refused', error: true } };
    busy = true;
    try {
      return decideOnce(ev);
    } catch (e) {
      // Only a malformed event object gets here (the rules' own errors are caught above).
      tx.abort();
      const reason = `invalid event: ${e instanceof Error ? e.message : 'unreadable'}`;
      try {
        return deny(ev, undefined, reason, { always: true });
      } catch {
        return { granted: false, explanation: { event: 'execute', src: { class: '?', sid: NaN }, dst: { class: '?', sid: NaN }, bindings: [], reason, error: true } };
      }
    } finally {
      busy = false;
    }
  }

  return {
    decide,
    evaluate: (event, params = {}) => decide({ ...event, message: () => params }),
    setAuditLevel: level => audit.setLevel(level),
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
