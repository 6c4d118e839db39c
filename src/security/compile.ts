// Statement compiler: binding bodies (rules, nested match, choice, audit) become closures over a
// per-decision Context, built once at load time. A closure returns false when a rule denies.
import type { IrStmt, Origin, SecurityEvent } from './ir.ts';
import type { RuleFn } from './models/index.ts';
import { compilePattern } from './models/regex.ts';
import { compileExpr, invoke, lookup, type EvalContext, type Objects } from './expr.ts';
import { selectorsMatch, type EventInfo } from './selectors.ts';
import type { AuditConfig, TraceEntry } from './audit.ts';
import { PolicyError, equals, fromIr, show, type Value } from './values.ts';

/** A compiled statement; false = a rule denied (the context says why). */
export type Stmt = (cx: Context) => boolean;
export interface Env {
  readonly objects: Objects;
  readonly audit: AuditConfig;
  readonly origin: Origin;
}

/** Per-decision state; one instance per module, reset by `begin` (decisions never overlap). */
export class Context implements EvalContext {
  event!: SecurityEvent;
  info!: EventInfo;
  trace: TraceEntry[] | undefined;
  profile = -1;
  rulesRun = 0;
  /** The rule or choice being evaluated (errors are attributed to it) and, after a denial, why. */
  at: Extract<IrStmt, { k: 'rule' | 'choice' }> | undefined;
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

export function compileBody(stmts: readonly IrStmt[], env: Env): Stmt {
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
