// Boot from a verified image: load the policy, the wire schema and the plan (each checked), then
// start the kernel with a sandbox per task by its isolation tier.
import type { VerifiedImage } from '../image/index.ts';
import { startProcess } from '../sandbox/process.ts';
import { startWorker } from '../sandbox/worker.ts';
import { loadPolicy, type SecurityModuleOptions } from '../security/index.ts';
import type { PolicyIR } from '../security/ir.ts';
import { Kernel, type KernelOptions, type Spawner, type TaskExit } from './kernel.ts';
import type { PlanTask, SolutionPlan } from './plan.ts';
import type { WireSchema } from './schema.ts';
import { compileSchema } from './validate.ts';

export interface BootOptions {
  readonly log: (line: string) => void;
  readonly audit?: SecurityModuleOptions['audit'];
  /** Directory relative `resources.fs` paths of process-tier entities resolve against. */
  readonly dataDir: string;
}

function parseBlob(image: VerifiedImage, name: string): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(image.blob(name)));
}

/** The plan is signed, but the kernel still refuses one that is not shaped as it expects. */
function checkPlan(value: unknown, classes: number): SolutionPlan {
  const plan = value as SolutionPlan;
  const ok = typeof plan === 'object' && plan !== null && plan.version === 1 && Array.isArray(plan.tasks) && Array.isArray(plan.channels)
    && plan.tasks.every((t) => typeof t.name === 'string' && Number.isInteger(t.classIndex) && t.classIndex >= 0 && t.classIndex < classes
      && typeof t.bundle === 'string' && ['worker', 'process', 'wasm'].includes(t.isolation))
    && plan.channels.every((c) => typeof c.id === 'string' && Number.isInteger(c.handle) && c.handle > 0
      && plan.tasks.some((t) => t.name === c.client) && plan.tasks.some((t) => t.name === c.server));
  if (!ok) throw new Error('the image\'s plan is malformed');
  return plan;
}

/** What the kernel runs, read from a verified image: each part checked as it is loaded. */
export function loadImageParts(image: VerifiedImage, audit?: SecurityModuleOptions['audit']): Pick<KernelOptions, 'plan' | 'security' | 'schema' | 'bundle'> {
  const ir = parseBlob(image, 'policy') as PolicyIR;
  const security = loadPolicy(ir, audit ? { audit } : {});
  const schema = compileSchema(parseBlob(image, 'schema') as WireSchema);
  const plan = checkPlan(parseBlob(image, 'plan'), ir.classes.length);
  const bundles = new Map<string, string>();
  const bundle = (task: PlanTask) => {
    let code = bundles.get(task.bundle);
    if (code === undefined) bundles.set(task.bundle, (code = new TextDecoder().decode(image.blob(task.bundle))));
    return code;
  };
  return { plan, security, schema, bundle };
}

/** Starts each task's sandbox by its isolation tier. */
export function tierSpawner(dataDir: string): Spawner {
  return (task, start, events) => {
    const limits = { memoryMiB: task.limits.memoryMiB, blockMs: task.limits.blockMs };
    if (task.isolation === 'process') return startProcess(start, limits, task.resources, dataDir, events);
    if (task.isolation === 'wasm') {
      // Not built yet: refuse to start it, with a reason, rather than run it in a weaker tier.
      queueMicrotask(() => events.onExit({ code: 1, reason: 'the wasm isolation tier is not available in this Citadel version' }));
      return { send: () => undefined, terminate: async () => undefined };
    }
    return startWorker(start, limits, events);
  };
}

export function bootImage(image: VerifiedImage, options: BootOptions): { kernel: Kernel; done: Promise<readonly TaskExit[]> } {
  // Every audit record goes to the caller's sink and to the kernel, which sends it on to the
  // solution's audit service (a task of class kl.Audit) when there is one.
  let sink: Kernel | undefined;
  const audit: NonNullable<BootOptions['audit']> = (record) => {
    options.audit?.(record);
    sink?.audit(record);
  };
  const kernel = new Kernel({ ...loadImageParts(image, audit), spawn: tierSpawner(options.dataDir), log: options.log });
  sink = kernel;
  kernel.boot();
  return { kernel, done: kernel.done };
}
