// What the fuzzer needs to know about a solution: its image parts (plan, wire schema, compiled
// schema), and for each server task it can fuzz, the channels that reach it (each client it will
// impersonate), its methods, and the entities downstream of it whose failures count as findings.
import type { VerifiedImage } from '../image/index.ts';
import { loadImageParts } from '../kernel/boot.ts';
import type { PlanTask, SolutionPlan } from '../kernel/plan.ts';
import type { WireSchema } from '../kernel/schema.ts';
import type { CompiledSchema } from '../kernel/validate.ts';
import type { MethodInfo } from './mutations.ts';

/** The solution cannot be fuzzed as asked (no such task, nothing reaches it, …): a user error. */
export class FuzzSetupError extends Error {}

/** A channel into the target: the fuzzer takes the client's place and calls through its handle. */
export interface Route {
  readonly client: string;
  readonly channel: string;
  readonly handle: number;
}

export interface FuzzTarget {
  readonly task: PlanTask;
  readonly routes: readonly Route[];
  readonly methods: readonly MethodInfo[];
  /** Methods per endpoint, by RIID. */
  readonly methodCounts: readonly number[];
  /** The target and every server it reaches, directly or through others: their exits are findings. */
  readonly watched: ReadonlySet<string>;
}

export interface FuzzSetup {
  readonly image: VerifiedImage;
  readonly solution: string;
  readonly plan: SolutionPlan;
  readonly wire: WireSchema;
  readonly schema: CompiledSchema;
  /** Where relative `resources.fs` paths of process-tier entities resolve. */
  readonly dataDir: string;
}

export function loadSetup(image: VerifiedImage, dataDir: string): FuzzSetup {
  const parts = loadImageParts(image);
  const wire = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(image.blob('schema'))) as WireSchema;
  return { image, solution: parts.plan.solution, plan: parts.plan, wire, schema: parts.schema, dataDir };
}

/** Tasks the fuzzer can target: those that serve endpoints and that some other task has a channel to. */
export function fuzzableTasks(setup: FuzzSetup): string[] {
  return setup.plan.tasks.filter((t) => Object.keys(t.endpoints).length > 0 && routesTo(setup.plan, t.name).length > 0).map((t) => t.name);
}

function routesTo(plan: SolutionPlan, server: string): Route[] {
  return plan.channels.filter((c) => c.server === server && c.client !== server).map((c) => ({ client: c.client, channel: c.id, handle: c.handle }));
}

/** The target `name`, or an error message saying why it cannot be fuzzed. */
export function describeTarget(setup: FuzzSetup, name: string): FuzzTarget | string {
  const task = setup.plan.tasks.find((t) => t.name === name);
  if (!task) return `no task "${name}" in the solution; its tasks are: ${setup.plan.tasks.map((t) => t.name).join(', ')}`;
  const cls = setup.wire.classes[task.classIndex];
  if (!cls || cls.endpoints.length === 0) return `task "${name}" (${task.className}) serves no endpoints: there is nothing to fuzz`;
  const routes = routesTo(setup.plan, name);
  if (routes.length === 0) return `no channel reaches task "${name}" in init.yaml, so no client can call it`;
  const methods: MethodInfo[] = [];
  const methodCounts: number[] = [];
  for (const e of cls.endpoints) {
    const iface = setup.wire.interfaces[e.iface]!;
    methodCounts.push(iface.methods.length);
    iface.methods.forEach((m, mid) => methods.push({ riid: e.riid, mid, name: `${e.name}.${m.name}`, request: m.request }));
  }
  if (methods.length === 0) return `task "${name}" has endpoints but no methods: there is nothing to fuzz`;
  const watched = new Set<string>([name]);
  const fuzzers = new Set(routes.map((r) => r.client));
  for (let grew = true; grew;) {
    grew = false;
    for (const c of setup.plan.channels) {
      if (watched.has(c.client) && !watched.has(c.server) && !fuzzers.has(c.server)) {
        watched.add(c.server);
        grew = true;
      }
    }
  }
  return { task, routes, methods, methodCounts, watched };
}
