// Runs PAL tests against the real security module with no entities started: each sequence runs
// setup, its own cases, then finally; model state is rolled back after every sequence.
import { formatExplanation, loadPolicy, type Decision, type SecurityModule } from '../security/index.ts';
import type { IrValue, PolicyIR, SecurityEvent } from '../security/ir.ts';
import type { PalRef, PalStep, PalSuite } from './pal.ts';

export interface PalOutcome {
  readonly suite: string | undefined;
  readonly sequence: string | undefined;
  readonly origin: string;
  readonly passed: boolean;
  /** Why the sequence failed: the case, what was expected, what happened, and the explanation. */
  readonly failure?: string;
}

/** The kernel's SID: it starts processes when a test names no other starter. */
const KERNEL_SID = 1;

export function runPalSuites(ir: PolicyIR, suites: readonly PalSuite[]): PalOutcome[] {
  const module = loadPolicy(ir);
  const kernelClass = ir.classes.findIndex((c) => c.name === 'kl.core.Core');
  const outcomes: PalOutcome[] = [];
  for (const suite of suites) {
    for (const seq of suite.sequences) {
      const saved = module.snapshot();
      const run = new SequenceRun(module, ir, kernelClass);
      const failure = run.steps(suite.setup, 'setup') ?? run.steps(seq.steps, undefined);
      // `finally` runs after every sequence; its own failure counts only if nothing failed before.
      const cleanup = run.steps(suite.finally, 'finally');
      module.restore(saved);
      const why = failure ?? cleanup;
      outcomes.push({ suite: suite.name, sequence: seq.name, origin: seq.origin, passed: why === undefined, ...(why ? { failure: why } : {}) });
    }
  }
  return outcomes;
}

class SequenceRun {
  private readonly module: SecurityModule;
  private readonly ir: PolicyIR;
  private readonly kernelClass: number;
  private readonly sids = new Map<string, number>();
  private readonly classSids = new Map<number, number>();
  private nextSid = 100;

  constructor(module: SecurityModule, ir: PolicyIR, kernelClass: number) {
    this.module = module;
    this.ir = ir;
    this.kernelClass = kernelClass;
  }

  /** Runs steps in order; the first failure's description, or undefined when all passed. */
  steps(steps: readonly PalStep[], block: 'setup' | 'finally' | undefined): string | undefined {
    for (const step of steps) {
      const failure = this.step(step);
      if (failure) return block ? `in ${block}: ${failure}` : failure;
    }
    return undefined;
  }

  private sidOf(ref: PalRef | undefined): { sid: number; class: number } {
    if (!ref) return { sid: KERNEL_SID, class: this.kernelClass };
    if (ref.variable !== undefined) return { sid: this.sids.get(ref.variable) ?? 0, class: ref.class };
    // A class named directly stands for one process of that class.
    let sid = this.classSids.get(ref.class);
    if (sid === undefined) {
      sid = ref.class === this.kernelClass ? KERNEL_SID : this.nextSid++;
      this.classSids.set(ref.class, sid);
    }
    return { sid, class: ref.class };
  }

  private step(step: PalStep): string | undefined {
    const src = this.sidOf(step.src);
    if (step.k === 'bind') {
      const sid = this.nextSid++;
      const decision = this.module.decide({ kind: 'execute', srcClass: src.class, dstClass: step.dst.class, srcSid: src.sid, dstSid: sid });
      this.sids.set(step.variable, sid);
      return decision.granted ? undefined : this.describe(step.origin, `${step.variable} <- execute dst=${this.ir.classes[step.dst.class]?.name}`, 'grant', decision);
    }
    const dst = step.dst ? this.sidOf(step.dst) : step.event === 'security' ? src : this.sidOf(undefined);
    const event: Omit<SecurityEvent, 'message'> = {
      kind: step.event,
      srcClass: src.class,
      dstClass: dst.class,
      srcSid: src.sid,
      dstSid: dst.sid,
      ...(step.riid !== undefined ? { riid: step.riid } : {}),
      ...(step.mid !== undefined ? { mid: step.mid } : {}),
    };
    const label = step.name ? `"${step.name}"` : `${step.event} case`;
    if (step.invalid !== undefined) {
      // The kernel validates a message against its IDL before the security module sees it.
      if (step.expect === 'grant') return `${step.origin}: ${label}: expected grant, got denied: the message does not match its IDL (${step.invalid})`;
      return undefined;
    }
    const params = step.message ? toPlain(step.message) as Record<string, unknown> : undefined;
    const decision = this.module.evaluate(event, params);
    if (step.expect === 'any') return decision.explanation?.error ? this.describe(step.origin, label, 'any', decision) : undefined;
    if (decision.granted === (step.expect === 'grant')) return undefined;
    return this.describe(step.origin, label, step.expect, decision);
  }

  private describe(origin: string, label: string, expected: 'grant' | 'deny' | 'any', decision: Decision): string {
    const got = decision.granted ? 'granted' : decision.explanation?.error ? 'an evaluation error' : 'denied';
    const head = `${origin}: ${label}: expected ${expected === 'any' ? 'no evaluation error' : expected === 'grant' ? 'grant' : 'deny'}, got ${got}`;
    return decision.explanation ? `${head}\n${formatExplanation(decision.explanation).replace(/^/gm, '    ')}` : head;
  }
}

function toPlain(v: IrValue): unknown {
  switch (v.t) {
    case 'int': return BigInt(v.v);
    case 'text': return v.v;
    case 'bool': return v.v;
    case 'unit': return null;
    case 'list': return v.items.map(toPlain);
    case 'dict': return Object.fromEntries(v.fields.map(([k, x]) => [k, toPlain(x)]));
  }
}
