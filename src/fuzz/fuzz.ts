// The fuzz driver: for each target, sessions of the real kernel with the fuzzer in the clients'
// place, a deterministic stream of valid and mutated messages sent one at a time (so every
// outcome belongs to one message), statistics per method, and every new problem minimised and
// written as a case file. A session ends when the target crashes or hangs; the next one boots a
// fresh kernel. The kernel process's RSS is sampled throughout.
import { writeCase, type FuzzCase } from './cases.ts';
import { MessageSource } from './generator.ts';
import { expectedOutcome, minimise, Reproducer, type Step } from './minimise.ts';
import { countFinding, emptyStats, type MethodStats, type Progress } from './report.ts';
import { STATUS_NAMES } from '../entity/frames.ts';
import { outcomeOf, Session, SessionOver, type FindingKind, type Observation, type Problem } from './session.ts';
import { describeTarget, FuzzSetupError, type FuzzSetup, type FuzzTarget } from './target.ts';

export interface FuzzOptions {
  readonly targets: readonly string[];
  /** Total fuzzing time, split evenly between the targets (minimising counts too). */
  readonly timeMs: number;
  readonly seed: number;
  /** Where case files go (created on the first finding). */
  readonly outDir: string;
  readonly callTimeoutMs: number;
  /** Growth of the kernel process's RSS over its level after warm-up that counts as a finding. */
  readonly rssLimitBytes: number;
  /** Stop once there are this many findings (default: fuzz for the whole time). */
  readonly maxFindings?: number;
  /** Bursts go past the client's `limits.inFlight` (the kernel then answers Busy). */
  readonly flood?: boolean;
  /** Minimise findings (default true); attempts and time per finding. */
  readonly shrink?: { readonly attempts: number; readonly ms: number } | false;
  readonly progress?: Progress;
  /** Kernel log lines (entity output, denials, exits). */
  readonly log?: (line: string) => void;
}

export interface Finding {
  readonly kind: FindingKind;
  readonly target: string;
  readonly entity: string;
  readonly method: string;
  readonly detail: string;
  /** What makes two problems the same finding. */
  readonly signature: string;
  occurrences: number;
  /** The case file, for findings a message reproduces. */
  file?: string;
  case?: FuzzCase;
}

export interface TargetReport {
  readonly target: string;
  readonly via: readonly string[];
  readonly stats: Map<string, MethodStats>;
  sessions: number;
  messages: number;
}

export interface FuzzReport {
  readonly targets: TargetReport[];
  readonly findings: Finding[];
  readonly elapsedMs: number;
  readonly rss: { start: number; baseline: number; peak: number; end: number };
}

const HISTORY = 32;
/** One step in this many is a burst of calls in flight together. */
const BURST_EVERY = 64;
const DEFAULT_SHRINK = { attempts: 150, ms: 15_000 };
/** RSS before this much of the run has passed is warm-up (worker starts, compile caches). */
const WARMUP_MS = 1000;

export async function runFuzz(setup: FuzzSetup, options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const findings: Finding[] = [];
  const reports: TargetReport[] = [];
  const rss = { start: process.memoryUsage.rss(), baseline: 0, peak: 0, end: 0 };
  const sampler = setInterval(() => {
    const now = process.memoryUsage.rss();
    rss.peak = Math.max(rss.peak, now);
    if (Date.now() - started < WARMUP_MS) rss.baseline = Math.max(rss.baseline, now);
  }, 100);
  sampler.unref();
  // Errors the kernel lets escape asynchronously are findings, not the end of the run.
  const escaped: Problem[] = [];
  const onEscape = (err: unknown) => {
    escaped.push({ kind: 'kernel-error', entity: 'kernel', detail: `uncaught in the kernel process: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` });
  };
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  try {
    const slice = options.timeMs / Math.max(1, options.targets.length);
    for (const [i, name] of options.targets.entries()) {
      const target = describeTarget(setup, name);
      if (typeof target === 'string') throw new FuzzSetupError(target);
      const deadline = started + slice * (i + 1);
      reports.push(await fuzzTarget(setup, target, options, deadline, findings, escaped, rss, started));
    }
  } finally {
    clearInterval(sampler);
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    options.progress?.done();
  }
  rss.end = process.memoryUsage.rss();
  rss.peak = Math.max(rss.peak, rss.end);
  if (rss.baseline === 0) rss.baseline = rss.start;
  return { targets: reports, findings, elapsedMs: Date.now() - started, rss };
}

async function fuzzTarget(
  setup: FuzzSetup, target: FuzzTarget, options: FuzzOptions, deadline: number,
  findings: Finding[], escaped: Problem[], rss: FuzzReport['rss'], started: number,
): Promise<TargetReport> {
  const name = target.task.name;
  const stats = new Map(target.methods.map((m) => [m.name, emptyStats()]));
  const methodName = new Map(target.methods.map((m) => [`${m.riid}.${m.mid}`, m.name]));
  const report: TargetReport = { target: name, via: [...new Set(target.routes.map((r) => r.client))], stats, sessions: 0, messages: 0 };
  const source = new MessageSource(setup, target, options.seed);
  const inFlight = Math.min(...target.routes.map((r) => setup.plan.tasks.find((t) => t.name === r.client)?.limits.inFlight ?? 64));
  // Flooding: valid calls only (about half pass the policy), enough to pass the in-flight limit.
  const burstSize = options.flood ? 2 * inFlight + 16 : Math.max(1, Math.min(16, inFlight - 1));
  const history: Step[] = [];
  const sessionOpts = { callTimeoutMs: options.callTimeoutMs, ...(options.log ? { log: options.log } : {}) };
  const rep = new Reproducer(setup, target, { ...sessionOpts, graceMs: 100, escaped });
  let session: Session | undefined;
  let lastYield = Date.now();
  let memoryReported = false;
  let rounds = 0;
  const progress = (note?: string) => options.progress?.update({
    target: name, elapsedMs: Date.now() - started, totalMs: options.timeMs, messages: report.messages, findings: findings.length, ...(note ? { note } : {}),
  });

  const record = async (p: Problem, stepsSoFar: readonly Step[], burst: boolean) => {
    const last = stepsSoFar[stepsSoFar.length - 1];
    const method = last ? methodName.get(`${last.message.method.riid}.${last.message.method.mid}`) ?? '?' : '?';
    // The same problem again: same kind, entity and (numbers aside) description; for problems a
    // message causes directly, the same method too.
    const signature = `${p.kind}|${p.entity}|${p.detail.replace(/\d+/g, '#')}`;
    const perMethod = p.kind === 'policy-bypass' || p.kind === 'invalid-delivered' || p.kind === 'codec-mismatch' || p.kind === 'invalid-response';
    const known = findings.find((f) => f.signature === signature && f.target === name && (f.method === method || !perMethod));
    if (known) {
      known.occurrences++;
      const s = stats.get(known.method);
      if (s) countFinding(s, p.kind);
      return;
    }
    const finding: Finding = { kind: p.kind, target: name, entity: p.entity, method, detail: p.detail, signature, occurrences: 1 };
    findings.push(finding);
    if (!last) return;
    progress(`minimising a ${p.kind}`);
    const shrink = options.shrink === false ? { attempts: 0, ms: 0 } : options.shrink ?? DEFAULT_SHRINK;
    const m = await minimise(rep, setup, target, stepsSoFar, { kind: p.kind, entity: p.entity }, { attempts: shrink.attempts, deadline: Date.now() + shrink.ms }, burst);
    const culprit = m.steps[m.steps.length - 1]!;
    const culpritMethod = methodName.get(`${culprit.message.method.riid}.${culprit.message.method.mid}`) ?? method;
    (finding as { method: string }).method = culpritMethod;
    const s = stats.get(culpritMethod);
    if (s) countFinding(s, p.kind);
    const fromBytes = last.message.payload.length;
    const c: FuzzCase = {
      solution: setup.solution,
      target: name,
      via: culprit.route,
      kind: p.kind,
      entity: p.entity,
      method: culpritMethod,
      message: culprit.message,
      prelude: m.steps.slice(0, -1).map((x) => x.message),
      concurrent: m.concurrent,
      expected: expectedOutcome(setup, target, culprit.route, culprit.message),
      observed: m.problem?.detail ?? p.detail,
      reproduced: m.reproduced,
      minimised: { fromBytes, toBytes: culprit.message.payload.length, fromMessages: stepsSoFar.length, attempts: m.attempts },
      seed: options.seed,
    };
    finding.case = c;
    finding.file = writeCase(options.outDir, c);
  };

  const recordAll = async (problems: readonly Problem[], snapshot: readonly Step[], burst: boolean) => {
    // One problem per kind and entity is enough from one message.
    const seen = new Set<string>();
    for (const p of problems) {
      const key = `${p.kind}|${p.entity}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await record(p, snapshot, burst);
    }
  };

  try {
    while (Date.now() < deadline && findings.length < (options.maxFindings ?? Infinity)) {
      if (!session) {
        session = Session.boot(setup, target, sessionOpts);
        report.sessions++;
        history.length = 0;
      }
      // Mostly one call at a time (every outcome then belongs to one message); now and then a
      // burst of calls in flight together, within the channel's limit (or past it, flooding).
      const burst = ++rounds % BURST_EVERY === 0 ? burstSize : 1;
      const steps = Array.from({ length: burst }, () => source.next(burst > 1 && options.flood === true));
      let observations: Observation[];
      try {
        observations = await Promise.all(steps.map((x) => session!.send(x.route, x.message)));
      } catch (err) {
        // The kernel finished (the target ended and the fuzzer was terminated with it): next session.
        if (!(err instanceof SessionOver)) throw err;
        await recordAll([...session.drainProblems(), ...escaped.splice(0)], [...history, ...steps], burst > 1);
        await session.close();
        session = undefined;
        continue;
      }
      for (const [k, step] of steps.entries()) {
        const obs = observations[k]!;
        report.messages++;
        const s = stats.get(methodName.get(`${step.message.method.riid}.${step.message.method.mid}`) ?? '');
        if (s) {
          s.sent++;
          const outcome = outcomeOf(obs);
          s[outcome === 'busy' ? 'other' : outcome]++;
        }
        // Problems this message showed; with a burst in flight, the calls before it in the burst may matter too.
        await recordAll(obs.problems, [...history, ...steps.slice(0, k + 1)], burst > 1);
      }
      // Problems that surfaced on their own (an exit, a late delivery): any call so far may be the cause.
      await recordAll([...session.drainProblems(), ...escaped.splice(0)], [...history, ...steps], burst > 1);
      for (const [k, step] of steps.entries()) {
        // What a later problem may stem from: messages that reached the policy or the server
        // (a refused one changes nothing but the sender's abuse count).
        if (observations[k]!.decision !== 'none' || observations[k]!.delivered > 0) {
          history.push(step);
          if (history.length > HISTORY) history.shift();
        }
      }
      if (session.broken !== undefined) {
        await session.close();
        session = undefined;
      }
      if (Date.now() - lastYield > 25) {
        // Refused calls are answered synchronously: let timers, workers and the sampler run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = Date.now();
        progress();
        const now = process.memoryUsage.rss();
        if (!memoryReported && lastYield - started > WARMUP_MS && rss.baseline > 0 && now - rss.baseline > options.rssLimitBytes) {
          memoryReported = true;
          findings.push({ kind: 'memory-growth', target: name, entity: 'kernel', method: '', signature: 'memory-growth', occurrences: 1, detail: `the kernel process's RSS grew from ${(rss.baseline / 2 ** 20).toFixed(0)} MiB (after warm-up) to ${(now / 2 ** 20).toFixed(0)} MiB, more than the ${(options.rssLimitBytes / 2 ** 20).toFixed(0)} MiB allowed` });
        }
      }
    }
  } finally {
    await session?.close();
    await rep.close();
  }
  return report;
}

export interface ReplayResult {
  readonly reproduced: boolean;
  readonly problems: readonly Problem[];
  /** What became of each message, in order (the case's message last). */
  readonly outcomes: readonly string[];
}

/** Replays a case in a fresh kernel; reproduced when a problem of its kind shows for its entity. */
export async function replayCase(setup: FuzzSetup, c: FuzzCase, options: { callTimeoutMs: number; log?: (line: string) => void }): Promise<ReplayResult> {
  const target = describeTarget(setup, c.target);
  if (typeof target === 'string') throw new FuzzSetupError(target);
  const route = target.routes.find((r) => r.client === c.via.client && r.channel === c.via.channel);
  if (!route) throw new FuzzSetupError(`no channel "${c.via.channel}" from ${c.via.client} to ${c.target} in this solution`);
  const rep = new Reproducer(setup, target, { callTimeoutMs: options.callTimeoutMs, graceMs: 500, ...(options.log ? { log: options.log } : {}) });
  const escaped: Problem[] = [];
  const onEscape = (err: unknown) => { escaped.push({ kind: 'kernel-error', entity: 'kernel', detail: `uncaught in the kernel process: ${String(err)}` }); };
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  try {
    const steps = [...c.prelude, c.message].map((message) => ({ route, message }));
    const a = await rep.attempt(steps, { kind: c.kind, entity: c.entity }, true, c.concurrent);
    const problems = [...a.problems, ...escaped];
    return {
      reproduced: a.reproduced || (c.kind === 'kernel-error' && escaped.length > 0),
      problems,
      outcomes: a.observations.map(describeObservation),
    };
  } finally {
    await rep.close();
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  }
}

/** One line on what became of a message: `delivered → reply`, `refused: <why>`, … */
export function describeObservation(o: Observation): string {
  const what = outcomeOf(o);
  const a = o.answer;
  const answer = !a ? (o.expectsAnswer ? 'no answer' : '') : a.kind === 'fault' ? `${STATUS_NAMES[a.status] ?? a.status}: ${a.text.split('\n')[0]}` : a.kind === 'error' ? 'error reply' : a.kind;
  if (what === 'delivered') return `delivered → ${answer}`;
  if (what === 'dropped') return 'dropped by the kernel (malformed frame)';
  return `${what} → ${answer}`;
}
