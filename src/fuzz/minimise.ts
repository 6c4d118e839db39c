// Reproducing and minimising findings. A Reproducer replays steps in a session (reusing one while
// nothing breaks it, with the policy's state rolled back to how it was after boot, so each attempt
// starts alike; a crash or hang costs a fresh kernel). Minimising first looks for the one message
// that shows the problem on its own, else for the shortest suffix of the history that does, cut
// down ddmin-style; then it shrinks each message greedily (header lies and handles dropped,
// payload chunks removed, bytes made smaller), keeping a candidate only if the problem still
// shows. A candidate the kernel would refuse is not even tried for problems that need delivery.
// Problems that surfaced among calls in flight together are tried that way too. The result is
// checked once more in a fresh kernel, exactly as `--replay` runs it.
import { ALL_RIGHTS } from '../entity/host.ts';
import type { FuzzMessage, HeaderLies } from './message.ts';
import { expectsAnswer, frameOf } from './message.ts';
import { Session, SessionOver, type FindingKind, type Observation, type Problem } from './session.ts';
import type { FuzzSetup, FuzzTarget, Route } from './target.ts';

export interface Step {
  readonly route: Route;
  readonly message: FuzzMessage;
}

export interface Want {
  readonly kind: FindingKind;
  readonly entity: string;
}

export interface ReproducerOptions {
  readonly callTimeoutMs: number;
  /** How long to wait after the last message for an entity to end (a crash from a timer). */
  readonly graceMs: number;
  readonly log?: (line: string) => void;
  /** Where errors escaping the kernel asynchronously are collected (uncaught exceptions). */
  readonly escaped?: Problem[];
}

export interface Attempt {
  readonly reproduced: boolean;
  readonly problems: readonly Problem[];
  readonly observations: readonly Observation[];
}

export class Reproducer {
  readonly #setup: FuzzSetup;
  readonly #target: FuzzTarget;
  readonly #opts: ReproducerOptions;
  #session: Session | undefined;

  constructor(setup: FuzzSetup, target: FuzzTarget, opts: ReproducerOptions) {
    this.#setup = setup;
    this.#target = target;
    this.#opts = opts;
  }

  /**
   * Sends `steps` in a session and reports whether `want` showed. `concurrent`: all at once, none
   * waiting for the one before to be answered (as a burst), else one after another.
   */
  async attempt(steps: readonly Step[], want: Want, fresh = false, concurrent = false): Promise<Attempt> {
    if (fresh || !this.#session || this.#session.broken !== undefined) {
      await this.#session?.close();
      this.#session = Session.boot(this.#setup, this.#target, { callTimeoutMs: this.#opts.callTimeoutMs, ...(this.#opts.log ? { log: this.#opts.log } : {}) });
    } else {
      this.#session.restorePolicy();
    }
    const session = this.#session;
    session.drainProblems();
    this.#opts.escaped?.splice(0);
    const problems: Problem[] = [];
    const observations: Observation[] = [];
    try {
      if (concurrent) {
        for (const obs of await Promise.all(steps.map((s) => session.send(s.route, s.message)))) {
          observations.push(obs);
          problems.push(...obs.problems);
        }
      } else {
        for (const s of steps) {
          const obs = await session.send(s.route, s.message);
          observations.push(obs);
          problems.push(...obs.problems);
          if (session.broken !== undefined) break;
        }
      }
    } catch (err) {
      if (!(err instanceof SessionOver)) throw err;
      session.broken ??= err.message;
    }
    // An entity may fail a moment after answering (a throw from a timer): give it that moment, if
    // anything reached it at all.
    if ((want.kind === 'crash' || want.kind === 'hang') && session.broken === undefined && observations.some((o) => o.delivered > 0)) {
      await session.waitForExit(this.#opts.graceMs);
    }
    problems.push(...session.drainProblems(), ...(this.#opts.escaped?.splice(0) ?? []));
    if (session.broken !== undefined) {
      await session.close();
      this.#session = undefined;
    }
    return { reproduced: problems.some((p) => p.kind === want.kind && p.entity === want.entity), problems, observations };
  }

  async close(): Promise<void> {
    await this.#session?.close();
    this.#session = undefined;
  }
}

/** Whether the kernel would deliver `m` (judged from the IDL and the fuzzer's own handles, not the policy). */
export function wouldDeliver(setup: FuzzSetup, target: FuzzTarget, route: Route, m: FuzzMessage): boolean {
  return refusalOf(setup, target, route, m) === undefined;
}

/** Why the kernel must refuse or drop `m`, or undefined when it must deliver it (policy permitting). */
export function refusalOf(setup: FuzzSetup, target: FuzzTarget, route: Route, m: FuzzMessage): string | undefined {
  if (!expectsAnswer(frameOf(m, route.handle, 1))) return 'dropped: the frame is malformed (header lengths, version or kind), so the kernel drops it and counts it against the sender';
  if (m.header.handle !== undefined && m.header.handle !== route.handle) return `refused (InvalidMessage): handle ${m.header.handle} is not the channel's`;
  const method = setup.schema.method(target.task.classIndex, m.riid, m.mid);
  if (!method) return `refused (InvalidMessage): ${target.task.className} has no endpoint ${m.riid} with method ${m.mid}`;
  if (m.handles.length > method.request.handles) return `refused (InvalidMessage): ${m.handles.length} handles, the IDL allows ${method.request.handles}`;
  const why = method.request.validate(m.payload, m.handles.length);
  if (why) return `refused (InvalidMessage): ${why}`;
  const own = new Set(setup.plan.channels.filter((c) => c.client === route.client).map((c) => c.handle));
  for (const [n, rights] of m.handles) {
    if (!own.has(n)) return `refused (InvalidMessage): handle ${n} is not in the sender's table`;
    if ((rights & ~ALL_RIGHTS) !== 0) return `refused (InvalidMessage): rights ${rights} exceed the handle's`;
  }
  return undefined;
}

/** The expected outcome of `m`, for case files. */
export function expectedOutcome(setup: FuzzSetup, target: FuzzTarget, route: Route, m: FuzzMessage): string {
  return refusalOf(setup, target, route, m) ?? `delivered to ${target.task.name} (the payload matches the IDL) unless the policy denies it, then answered`;
}

/** Smaller variants of `m`, most promising first; each is smaller in some order, so shrinking ends. */
export function* shrinkCandidates(m: FuzzMessage): Generator<FuzzMessage> {
  for (const key of Object.keys(m.header) as (keyof HeaderLies)[]) {
    const header = { ...m.header };
    delete header[key];
    yield { ...m, header };
  }
  if (m.handles.length > 0) {
    yield { ...m, handles: [] };
    for (let i = 0; i < m.handles.length && m.handles.length > 1; i++) yield { ...m, handles: m.handles.filter((_, j) => j !== i) };
  }
  if (m.riid !== m.method.riid || m.mid !== m.method.mid) yield { ...m, riid: m.method.riid, mid: m.method.mid };
  const p = m.payload;
  for (let size = p.length; size >= 1; size = Math.floor(size / 2)) {
    for (let start = p.length - size; start >= 0; start -= size) {
      const shorter = new Uint8Array(p.length - size);
      shorter.set(p.subarray(0, start));
      shorter.set(p.subarray(start + size), start);
      yield { ...m, payload: shorter };
    }
  }
  for (let i = 0; i < p.length; i++) {
    const b = p[i]!;
    if (b === 0) continue;
    for (const smaller of new Set([0, b >> 1, b - 1])) {
      if (smaller >= b) continue;
      const q = p.slice();
      q[i] = smaller;
      yield { ...m, payload: q };
    }
  }
}

export interface MinimiseBudget {
  readonly attempts: number;
  readonly deadline: number;
}

export interface Minimised {
  readonly steps: readonly Step[];
  /** The steps must be sent all at once (the problem needs calls in flight together). */
  readonly concurrent: boolean;
  readonly reproduced: boolean;
  readonly attempts: number;
  /** The problem as the final replay saw it. */
  readonly problem: Problem | undefined;
}

/**
 * The smallest steps that still show `want`, from the session's `history` (oldest first; the
 * message where the problem surfaced last). `burst`: the problem surfaced among calls in flight
 * together, so if sending one at a time does not show it, sending them all at once is tried.
 */
export async function minimise(rep: Reproducer, setup: FuzzSetup, target: FuzzTarget, history: readonly Step[], want: Want, budget: MinimiseBudget, burst = false): Promise<Minimised> {
  let attempts = 0;
  let concurrent = false;
  const left = () => attempts < budget.attempts && Date.now() < budget.deadline;
  const tryIt = async (steps: readonly Step[]) => {
    attempts++;
    return (await rep.attempt(steps, want, false, concurrent)).reproduced;
  };
  const needsDelivery = want.kind === 'crash' || want.kind === 'hang' || want.kind === 'codec-mismatch' || want.kind === 'invalid-response';
  // Hangs cost a call timeout per attempt: look for the single message only, then stop.
  const bytesToo = want.kind !== 'hang';

  let steps: readonly Step[] | undefined;
  for (const mode of burst ? [false, true] : [false]) {
    concurrent = mode;
    // 1. One message on its own, latest first (the one that surfaced it is the likeliest).
    const singles = concurrent ? [] : history.map((s, i) => ({ s, i })).reverse().filter(({ s }) => !needsDelivery || wouldDeliver(setup, target, s.route, s.message)).slice(0, want.kind === 'hang' ? 2 : 8);
    for (const { s } of singles) {
      if (!left()) break;
      if (await tryIt([s])) { steps = [s]; break; }
    }
    // 2. Else the shortest suffix of the history that shows it (state comes mostly from recent
    //    calls), cut down ddmin-style while it still shows.
    if (!steps) {
      for (let k = 2; left(); k *= 2) {
        const suffix = history.slice(-Math.min(k, history.length));
        if (await tryIt(suffix)) { steps = suffix; break; }
        if (k >= history.length) break;
      }
      if (steps) {
        let current = [...steps];
        for (let chunk = Math.floor(current.length / 2); chunk >= 1 && left(); chunk = Math.floor(chunk / 2)) {
          for (let start = current.length - chunk; start >= 0 && left(); start -= chunk) {
            const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
            if (candidate.length > 0 && await tryIt(candidate)) current = candidate;
          }
        }
        steps = current;
      }
    }
    if (steps) break;
  }
  if (!steps) {
    concurrent = burst;
    const last = await rep.attempt(history, want, true, concurrent);
    return { steps: history, concurrent, reproduced: last.reproduced, attempts: attempts + 1, problem: last.problems.find((p) => p.kind === want.kind) };
  }
  // 3. Shrink each message, the last (the one that shows it) first; calls sent all at once only
  //    the last (their number is what matters).
  if (bytesToo) {
    const current = [...steps];
    for (let i = current.length - 1; i >= (concurrent ? current.length - 1 : 0) && left(); i--) {
      const isLast = i === current.length - 1;
      for (let improved = true; improved && left();) {
        improved = false;
        for (const candidate of shrinkCandidates(current[i]!.message)) {
          if (!left()) break;
          if (isLast) {
            const delivers = wouldDeliver(setup, target, current[i]!.route, candidate);
            if (needsDelivery && !delivers) continue;
            if (want.kind === 'invalid-delivered' && delivers) continue; // a valid payload is no case of it
          }
          const trial = [...current];
          trial[i] = { route: current[i]!.route, message: candidate };
          if (await tryIt(trial)) {
            current[i] = trial[i]!;
            improved = true;
            break;
          }
        }
      }
    }
    steps = current;
  }
  // 4. Confirm in a fresh kernel, as --replay will run it.
  const final = await rep.attempt(steps, want, true, concurrent);
  attempts++;
  return { steps, concurrent, reproduced: final.reproduced, attempts, problem: final.problems.find((p) => p.kind === want.kind && p.entity === want.entity) };
}
