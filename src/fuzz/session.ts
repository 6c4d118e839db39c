// One fuzz session: the real kernel, booted from the image's parts with a modified plan in which
// every client of the target is replaced by the fuzzer — same task name, same class index (so the
// policy treats it exactly as that client), same channel handles — running in an in-process
// Sandbox: the kernel's `send` to it is a frame for the fuzzer, and the fuzzer injects frames with
// the kernel's own `onFrame` callback. Every other task runs in its real sandbox.
//
// The session watches what the kernel does with each message: the security module is wrapped to
// record request decisions for the target, the target's Sandbox.send is wrapped to see each call
// the kernel delivers (checked against a granted decision, and validated against the IDL), and the
// exits of the target and the servers it reaches are recorded.
import { FrameKind, STATUS_NAMES, Status, makeFrame, payloadOf, readHeader } from '../entity/frames.ts';
import { loadImageParts, tierSpawner } from '../kernel/boot.ts';
import { Kernel, type Spawner } from '../kernel/kernel.ts';
import type { PlanTask, SolutionPlan } from '../kernel/plan.ts';
import type { Sandbox, SandboxExit } from '../sandbox/sandbox.ts';
import type { SecurityModule } from '../security/index.ts';
import type { CompiledSchema } from '../kernel/validate.ts';
import { expectsAnswer, frameOf, type FuzzMessage } from './message.ts';
import { FuzzSetupError, type FuzzSetup, type FuzzTarget, type Route } from './target.ts';

export type FindingKind =
  /** The target (or a server it reaches) ended while being fuzzed. */
  | 'crash'
  /** A delivered call got no answer in time while the server lived, or its event loop blocked. */
  | 'hang'
  /** The kernel threw, or neither answered nor delivered a call, or its accounting went wrong. */
  | 'kernel-error'
  /** A call reached the target that the security module denied, or never decided. */
  | 'policy-bypass'
  /** A call reached the target whose payload does not match the IDL. */
  | 'invalid-delivered'
  /** The kernel accepted a request that the server's generated decoder rejects. */
  | 'codec-mismatch'
  /** The server answered with a response or error that does not match the IDL. */
  | 'invalid-response'
  /** The kernel process's resident memory grew past the limit. */
  | 'memory-growth';

export interface Problem {
  readonly kind: FindingKind;
  /** The entity at fault (the kernel: `kernel`). */
  readonly entity: string;
  readonly detail: string;
}

export interface Answer {
  /** `lost`: the kernel terminated the fuzzer (for abuse) with the call in flight, so no answer can come. */
  readonly kind: 'reply' | 'error' | 'fault' | 'lost';
  readonly status: number;
  readonly text: string;
}

/** What became of one message. */
export interface Observation {
  /** How the kernel or server answered; undefined for a dropped frame or no answer. */
  readonly answer: Answer | undefined;
  readonly expectsAnswer: boolean;
  /** Calls the kernel delivered to the target while the message was handled. */
  delivered: number;
  /** The policy's verdict on it (`none`: it never reached the policy). */
  decision: 'granted' | 'denied' | 'none';
  readonly problems: Problem[];
}

export type Outcome = 'delivered' | 'refused' | 'denied' | 'busy' | 'dropped' | 'other';

/** The table column a message counts in. */
export function outcomeOf(o: Observation): Outcome {
  if (o.delivered > 0) return 'delivered';
  if (!o.expectsAnswer) return 'dropped';
  if (o.answer?.kind === 'fault') {
    if (o.answer.status === Status.invalidMessage) return 'refused';
    if (o.answer.status === Status.securityDisallow) return 'denied';
    if (o.answer.status === Status.busy) return 'busy';
  }
  return 'other';
}

export interface SessionOptions {
  /** How long a call may go unanswered before it counts as a hang. */
  readonly callTimeoutMs: number;
  /** Kernel log lines, as they come (for --verbose). */
  readonly log?: (line: string) => void;
}

interface Link {
  readonly onFrame: (frame: ArrayBuffer) => void;
  alive: boolean;
  /** Calls sent through this instance of the fuzzer still waiting for their answer. */
  readonly waiting: Set<number>;
}

interface Current {
  readonly obs: Observation;
}

const utf8 = new TextDecoder();

/** The session cannot send any more (the kernel finished, or did not restart the fuzzer). */
export class SessionOver extends Error {}
/**
 * Starting a sandbox (SES lockdown, the bundle) takes far longer than a call, and the kernel does
 * not say when the target is ready: until one session has measured how long the first answer
 * takes, a session's first call gets this long; after that, the call timeout plus a generous
 * multiple of the startup time measured.
 */
const FIRST_CALL_MS = 15_000;
const startupMs = new WeakMap<FuzzSetup, number>();

export class Session {
  readonly target: FuzzTarget;
  readonly #kernel: Kernel;
  readonly #security: SecurityModule;
  readonly #schema: CompiledSchema;
  readonly #snapshot: unknown;
  readonly #opts: SessionOptions;
  readonly #links = new Map<string, Link>();
  readonly #linkWaiters = new Map<string, (() => void)[]>();
  readonly #pending = new Map<number, (a: Answer) => void>();
  /** Granted and denied request decisions for the target not yet matched by a delivery, per `riid.mid`. */
  readonly #granted = new Map<string, number>();
  readonly #denied = new Map<string, number>();
  readonly #async: Problem[] = [];
  readonly #terminated = new Map<string, string>();
  readonly #lines: string[] = [];
  #current: Current | undefined;
  #nextRequest = 1;
  #warm = false;
  readonly #setup: FuzzSetup;
  readonly #bootedAt = performance.now();
  #closing = false;
  /** Why the session cannot go on (the target ended or hung); undefined while it can. */
  broken: string | undefined;
  readonly #targetExit: { promise: Promise<void>; resolve: () => void };

  private constructor(setup: FuzzSetup, target: FuzzTarget, opts: SessionOptions) {
    this.target = target;
    this.#opts = opts;
    this.#setup = setup;
    let resolve!: () => void;
    this.#targetExit = { promise: new Promise<void>((r) => { resolve = r; }), resolve };
    const parts = loadImageParts(setup.image);
    this.#schema = parts.schema;
    this.#security = this.#watchPolicy(parts.security);
    const fuzzers = new Set(target.routes.map((r) => r.client));
    const real = tierSpawner(setup.dataDir);
    const spawn: Spawner = (task, start, events) => {
      if (fuzzers.has(task.name)) return this.#fuzzer(task, events);
      const sandbox = real(task, start, { onFrame: events.onFrame, onExit: (e) => { this.#onExit(task, e); events.onExit(e); } });
      return task.name === target.task.name ? this.#watchTarget(task, sandbox) : this.#watchTerminate(task, sandbox);
    };
    this.#kernel = new Kernel({ ...parts, plan: fuzzPlan(parts.plan, fuzzers), security: this.#security, spawn, log: (line) => this.#log(line) });
    if (!this.#kernel.boot()) throw new FuzzSetupError(`the kernel did not boot:\n${this.#lines.join('\n')}`);
    // Policy state right after every task's start: replays restore it, so each starts alike.
    this.#snapshot = parts.security.snapshot();
  }

  static boot(setup: FuzzSetup, target: FuzzTarget, opts: SessionOptions): Session {
    return new Session(setup, target, opts);
  }

  /** The policy's state as it was right after boot (the Flow objects' initial states, …). */
  restorePolicy(): void {
    this.#security.restore(this.#snapshot);
  }

  /** Problems that surfaced outside any message (exits, late deliveries), since the last call. */
  drainProblems(): Problem[] {
    return this.#async.splice(0);
  }

  /** Sends one message through `route` and waits for its answer (or the timeout). */
  async send(route: Route, m: FuzzMessage): Promise<Observation> {
    // Concurrent sends resume one after another: an earlier one may have got this fuzzer
    // terminated (the 64th refused frame) since the link was looked up.
    let link = await this.#link(route.client);
    while (!link.alive) link = await this.#link(route.client);
    const requestId = this.#nextRequest++;
    const frame = frameOf(m, route.handle, requestId);
    const obs: Observation = { answer: undefined, expectsAnswer: expectsAnswer(frame), delivered: 0, decision: 'none', problems: [] };
    const answered = obs.expectsAnswer ? new Promise<Answer>((resolve) => {
      link.waiting.add(requestId);
      this.#pending.set(requestId, (a) => { link.waiting.delete(requestId); resolve(a); });
    }) : undefined;
    // The kernel decides and delivers within one synchronous onFrame call: a delivery must match
    // a grant made in the same call (a grant left over from a call refused after it never counts).
    this.#granted.clear();
    this.#denied.clear();
    this.#current = { obs };
    try {
      link.onFrame(frame);
    } catch (err) {
      obs.problems.push({ kind: 'kernel-error', entity: 'kernel', detail: `the kernel threw while handling the call: ${describeError(err)}` });
    } finally {
      this.#current = undefined;
    }
    if (!answered) return obs;
    const startup = startupMs.get(this.#setup);
    const ms = this.#warm ? this.#opts.callTimeoutMs
      : startup === undefined ? Math.max(this.#opts.callTimeoutMs, FIRST_CALL_MS) : this.#opts.callTimeoutMs + Math.max(2000, 5 * startup);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await Promise.race([answered, new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); })]);
    clearTimeout(timer);
    if (answer) {
      (obs as { answer: Answer | undefined }).answer = answer;
      if (obs.delivered > 0 && !this.#warm) {
        this.#warm = true;
        startupMs.set(this.#setup, Math.max(startupMs.get(this.#setup) ?? 0, performance.now() - this.#bootedAt));
      }
      this.#judgeAnswer(obs, answer);
      return obs;
    }
    if (obs.delivered > 0 && this.broken === undefined) {
      obs.problems.push({ kind: 'hang', entity: this.target.task.name, detail: `the call was delivered but not answered within ${ms} ms, while ${this.target.task.name} was running` });
      this.broken = 'a call hung';
    } else if (obs.delivered === 0 && link.alive) {
      obs.problems.push({ kind: 'kernel-error', entity: 'kernel', detail: `the kernel neither delivered the call nor answered it within ${ms} ms` });
    }
    return obs;
  }

  /** Waits up to `ms` for the target (or a watched server) to end; true if one did. */
  async waitForExit(ms: number): Promise<boolean> {
    if (this.broken !== undefined) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#targetExit.promise, new Promise<void>((r) => { timer = setTimeout(r, ms); })]);
    clearTimeout(timer);
    return this.broken !== undefined;
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#kernel.shutdown('fuzz session over');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#kernel.done, new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
  }

  // ---- the fuzzer's sandbox ----------------------------------------------------------------

  #fuzzer(task: PlanTask, events: { onFrame(f: ArrayBuffer): void; onExit(e: SandboxExit): void }): Sandbox {
    const link: Link = { onFrame: events.onFrame, alive: true, waiting: new Set() };
    this.#links.set(task.name, link);
    for (const wake of this.#linkWaiters.get(task.name)?.splice(0) ?? []) wake();
    return {
      send: (frame) => this.#toFuzzer(link, frame),
      terminate: async (reason) => {
        if (!link.alive) return;
        link.alive = false;
        // Its calls still in flight will get no answer: the kernel drops replies to a dead client.
        for (const id of [...link.waiting]) {
          const resolve = this.#pending.get(id);
          this.#pending.delete(id);
          resolve?.({ kind: 'lost', status: 0, text: reason ?? 'the fuzzer was terminated' });
        }
        // Exit code 1: if the kernel stopped it for abuse (too many refused frames), the plan's
        // on-failure restart brings a fresh fuzzer back; a deliberate stop records 0 regardless.
        queueMicrotask(() => events.onExit({ code: 1, ...(reason ? { reason } : {}) }));
      },
    };
  }

  #toFuzzer(link: Link, frame: ArrayBuffer): void {
    const h = readHeader(new DataView(frame));
    if (!h) return;
    if (h.kind === FrameKind.call) {
      // The fuzzer replaced a task that also serves: its callers get a fault, not silence.
      const fault = makeFrame({ kind: FrameKind.fault, flags: 0, handle: h.handle, riid: h.riid, mid: h.mid, requestId: h.requestId, status: Status.serverFault }, new TextEncoder().encode('this task is replaced by the fuzzer'));
      queueMicrotask(() => { if (link.alive) link.onFrame(fault); });
      return;
    }
    const resolve = this.#pending.get(h.requestId);
    if (!resolve) return;
    this.#pending.delete(h.requestId);
    const kind = h.kind === FrameKind.reply ? 'reply' : h.kind === FrameKind.error ? 'error' : 'fault';
    resolve({ kind, status: h.status, text: kind === 'fault' ? utf8.decode(payloadOf(frame, h)) : '' });
  }

  async #link(client: string): Promise<Link> {
    for (let waited = 0; ; waited++) {
      const link = this.#links.get(client);
      if (link?.alive) return link;
      if (this.#closing || waited > 0) throw new SessionOver(`the fuzzer standing in for ${client} is not running (${this.broken ?? 'the kernel did not restart it'})`);
      // The kernel restarts a fuzzer it terminated (after 64 refused frames) right after the exit.
      await new Promise<void>((resolve) => {
        const list = this.#linkWaiters.get(client) ?? [];
        list.push(resolve);
        this.#linkWaiters.set(client, list);
        setTimeout(resolve, 1000);
      });
    }
  }

  // ---- observing the kernel ----------------------------------------------------------------

  #watchPolicy(inner: SecurityModule): SecurityModule {
    const target = this.target.task.name;
    const decide: SecurityModule['decide'] = (event) => {
      const d = inner.decide(event);
      if (event.kind === 'request' && event.dstTask === target) {
        const key = `${event.riid}.${event.mid}`;
        const map = d.granted ? this.#granted : this.#denied;
        map.set(key, (map.get(key) ?? 0) + 1);
        if (this.#current && event.srcTask !== undefined && this.target.routes.some((r) => r.client === event.srcTask)) {
          this.#current.obs.decision = d.granted ? 'granted' : 'denied';
        }
      }
      return d;
    };
    // Everything else goes to the real module as it is (whatever else its interface offers).
    return new Proxy(inner, {
      get: (module, key) => {
        if (key === 'decide') return decide;
        const value: unknown = Reflect.get(module, key);
        return typeof value === 'function' ? value.bind(module) : value;
      },
    });
  }

  #watchTarget(task: PlanTask, sandbox: Sandbox): Sandbox {
    const watched = this.#watchTerminate(task, sandbox);
    return {
      send: (frame) => {
        // Checked before passing it on: the transport detaches the buffer.
        this.#onDelivery(task, frame);
        watched.send(frame);
      },
      terminate: watched.terminate,
    };
  }

  #watchTerminate(task: PlanTask, sandbox: Sandbox): Sandbox {
    return {
      send: (frame) => sandbox.send(frame),
      terminate: (reason) => {
        this.#terminated.set(task.name, reason ?? 'terminated');
        return sandbox.terminate(reason);
      },
    };
  }

  #onDelivery(task: PlanTask, frame: ArrayBuffer): void {
    const h = readHeader(new DataView(frame));
    if (!h || h.kind !== FrameKind.call) return;
    const problems = this.#current?.obs.problems ?? this.#async;
    if (this.#current) this.#current.obs.delivered++;
    const key = `${h.riid}.${h.mid}`;
    const granted = this.#granted.get(key) ?? 0;
    if (granted > 0) this.#granted.set(key, granted - 1);
    else {
      const denied = this.#denied.get(key) ?? 0;
      problems.push({
        kind: 'policy-bypass', entity: 'kernel',
        detail: denied > 0
          ? `the security module denied a request for RIID ${h.riid} MID ${h.mid} to ${task.name}, and the kernel delivered it anyway`
          : `the kernel delivered a request for RIID ${h.riid} MID ${h.mid} to ${task.name} that the security module never granted`,
      });
      if (denied > 0) this.#denied.set(key, denied - 1);
    }
    const method = this.#schemaMethod(task, h.riid, h.mid);
    if (!method) {
      problems.push({ kind: 'invalid-delivered', entity: 'kernel', detail: `the kernel delivered a call to RIID ${h.riid} MID ${h.mid}, which ${task.className} does not have` });
      return;
    }
    // Handle fields now hold the receiver's handle numbers (the kernel rewrote the slots), so with
    // handles in the frame only the layout can be checked; without, every slot must say "none".
    const why = h.handleCount > method.request.handles
      ? `${h.handleCount} handles, the IDL allows ${method.request.handles}`
      : method.request.validate(payloadOf(frame, h), h.handleCount > 0 ? 0xffffffff : 0);
    if (why) problems.push({ kind: 'invalid-delivered', entity: 'kernel', detail: `the kernel delivered a call whose payload does not match the IDL: ${why}` });
  }

  #schemaMethod(task: PlanTask, riid: number, mid: number) {
    return this.#schema.method(task.classIndex, riid, mid);
  }

  /** Classifies an answer: server faults that betray a codec mismatch, invalid responses, leaks. */
  #judgeAnswer(obs: Observation, a: Answer): void {
    const target = this.target.task.name;
    if (a.kind !== 'fault') return; // a reply, an error reply, or lost with the fuzzer
    if (obs.delivered > 0 && a.status === Status.invalidMessage) {
      obs.problems.push({ kind: 'invalid-response', entity: target, detail: a.text });
    } else if (obs.delivered > 0 && a.status === Status.serverFault && /CodecError: \w+ at (?:request\b|mid\b|riid\b)|CodecError: \w+: /.test(a.text)) {
      obs.problems.push({ kind: 'codec-mismatch', entity: target, detail: `the kernel accepted the request, but ${target}'s decoder rejected it: ${a.text}` });
    } else if (obs.decision === 'granted' && obs.delivered === 0) {
      // The policy's decision may change its state (a Flow transition): a call the kernel then
      // refuses leaves the policy believing the server got a request it never saw.
      obs.problems.push({ kind: 'kernel-error', entity: 'kernel', detail: `the security module granted the request (committing any state change of the policy), then the kernel refused it without delivering it: ${STATUS_NAMES[a.status] ?? a.status}: ${a.text.split('\n')[0]}` });
    } else if (a.status === Status.busy && this.#pending.size === 0) {
      obs.problems.push({ kind: 'kernel-error', entity: 'kernel', detail: `the kernel answered Busy with no other call in flight (its flow-control accounting leaks): ${a.text}` });
    } else if (!(a.status in STATUS_NAMES)) {
      obs.problems.push({ kind: 'kernel-error', entity: 'kernel', detail: `the kernel answered with unknown status ${a.status}: ${a.text}` });
    }
  }

  #onExit(task: PlanTask, e: SandboxExit): void {
    if (this.#closing || !this.target.watched.has(task.name)) return;
    const stoppedBy = this.#terminated.get(task.name);
    const first = this.broken === undefined;
    if (stoppedBy === 'no living clients') {
      this.broken ??= `the kernel stopped ${task.name}: no living clients`;
    } else {
      const reason = stoppedBy ?? e.reason;
      const text = `${task.name} ended with exit code ${e.code}${reason ? `: ${reason}` : ''}`;
      const kind: FindingKind = /blocked its event loop|did not finish starting/.test(reason ?? '') ? 'hang' : 'crash';
      const problem: Problem = { kind, entity: task.name, detail: text };
      if (this.#current) this.#current.obs.problems.push(problem);
      else this.#async.push(problem);
      this.broken ??= text;
    }
    if (first) this.#targetExit.resolve();
  }

  #log(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > 200) this.#lines.splice(0, this.#lines.length - 200);
    this.#opts.log?.(line);
  }
}

/** The plan with each fuzzer task serving nothing and restarted whenever the kernel terminates it. */
export function fuzzPlan(plan: SolutionPlan, fuzzers: ReadonlySet<string>): SolutionPlan {
  return {
    ...plan,
    tasks: plan.tasks.map((t) => fuzzers.has(t.name)
      // No endpoints: the kernel's "no living clients" rule never stops it. Restarts: after 64
      // refused frames the kernel terminates a client for abuse; the fuzzer comes straight back.
      ? { ...t, endpoints: {}, restart: { mode: 'on-failure' as const, maxRestarts: Number.MAX_SAFE_INTEGER } }
      : t),
  };
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(err);
}
