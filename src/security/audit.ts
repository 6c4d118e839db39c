// Audit: profiles (level → object → conditions) compiled into lookup tables, the active profile and
// run-time level, and the selection of a decision's rule results that the configuration records.
import type { IrAuditProfile, Origin, PolicyIR } from './ir.ts';
import type { EventDescription } from './explain.ts';
import { show, type Value } from './values.ts';

/** One rule or expression-method result recorded while deciding (only when audit is active). */
export interface TraceEntry {
  readonly profile: number;
  readonly object: string;
  readonly method: string;
  readonly origin: Origin;
  /** Rules: the verdict. Undefined for expression methods, which carry `value`. */
  readonly granted?: boolean;
  readonly reason?: string;
  readonly value?: Value;
  /** Flow: the context's state after the rule, for `omit`. */
  readonly state?: string;
}

export interface AuditResult {
  readonly object: string;
  readonly method: string;
  readonly origin: Origin;
  readonly outcome: 'granted' | 'denied' | 'value';
  readonly reason?: string;
  readonly value?: string;
}

export interface AuditRecord extends EventDescription {
  readonly time: number;
  readonly decision: 'granted' | 'denied';
  readonly reason?: string;
  readonly results: readonly AuditResult[];
}

interface Condition {
  readonly granted: boolean;
  readonly denied: boolean;
  readonly omit: ReadonlySet<string>;
  readonly emit: ReadonlySet<string>;
}

export class AuditConfig {
  private readonly names: ReadonlyMap<string, number>;
  private readonly levels: readonly ReadonlyMap<number, ReadonlyMap<string, Condition>>[];
  /** Global profile index (-1: none) and run-time level. */
  profile = -1;
  level = 0;
  /** Whether any profile records anything at the current level (decisions trace only then). */
  active = false;

  constructor(ir: PolicyIR, objects: ReadonlySet<string>) {
    this.names = new Map(ir.auditProfiles.map((p, i) => [p.name, i]));
    const condition = (profile: string, o: IrAuditProfile['levels'][number]['objects'][number]): [string, Condition] => {
      if (!objects.has(o.object)) throw new Error(`audit profile ${profile}: unknown policy object "${o.object}"`);
      return [o.object, { granted: o.kss.includes('granted'), denied: o.kss.includes('denied'), omit: new Set(o.omit), emit: new Set(o.emit) }];
    };
    this.levels = ir.auditProfiles.map(p => new Map(p.levels.map(l => [l.level, new Map(l.objects.map(o => condition(p.name, o)))])));
    if (ir.auditDefault !== undefined) this.setProfile(ir.auditDefault.profile, ir.auditDefault.level);
  }

  /** A profile's index; throws for an unknown name. */
  index(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`unknown audit profile "${name}"`);
    return i;
  }
  setProfile(name: string, level = this.level): void {
    this.profile = this.index(name);
    this.setLevel(level);
  }
  setLevel(level: number): void {
    if (!Number.isSafeInteger(level)) throw new Error(`audit level must be an integer, got ${level}`);
    this.level = level;
    this.active = this.levels.some(l => (l.get(level)?.size ?? 0) > 0);
  }

  /** The trace entries the configuration in effect for each of them asks to record. */
  select(trace: readonly TraceEntry[]): AuditResult[] {
    const out: AuditResult[] = [];
    for (const t of trace) {
      const c = t.profile < 0 ? undefined : this.levels[t.profile]!.get(this.level)?.get(t.object);
      if (c === undefined) continue;
      const { object, method, origin } = t;
      if (t.granted === undefined) {
        if (c.emit.has(method)) out.push({ object, method, origin, outcome: 'value', value: show(t.value ?? null) });
      } else if ((t.granted ? c.granted : c.denied) && (t.state === undefined || !c.omit.has(t.state))) {
        const r: AuditResult = { object, method, origin, outcome: t.granted ? 'granted' : 'denied' };
        out.push(t.reason === undefined ? r : { ...r, reason: t.reason });
      }
    }
    return out;
  }
}
