// The solution plan from the model: each task with its class index, limits and endpoints, and
// each static channel with the client's handle number.
import type { SolutionModel } from '../model/model.ts';
import { DEFAULT_TASK_LIMITS, type SolutionPlan } from '../kernel/plan.ts';
import type { PolicyIR } from '../security/ir.ts';

export function bundleBlobName(task: string): string {
  return `bundle:${task}`;
}

export function buildPlan(model: SolutionModel, ir: PolicyIR, solution: string): SolutionPlan {
  const classIndex = new Map(ir.classes.map((c, i) => [c.name, i]));
  return {
    version: 1,
    solution,
    tasks: model.tasks.map((t) => ({
      name: t.name,
      className: t.className,
      classIndex: classIndex.get(t.className) ?? -1,
      bundle: bundleBlobName(t.name),
      isolation: t.isolation,
      args: t.args,
      env: t.env,
      limits: {
        memoryMiB: t.limits.memoryMiB ?? DEFAULT_TASK_LIMITS.memoryMiB,
        blockMs: t.limits.blockMs ?? DEFAULT_TASK_LIMITS.blockMs,
        queueKiB: t.limits.queueKiB ?? DEFAULT_TASK_LIMITS.queueKiB,
        inFlight: t.limits.inFlight ?? DEFAULT_TASK_LIMITS.inFlight,
      },
      resources: t.resources,
      restart: t.restart,
      endpoints: Object.fromEntries((model.classes.get(t.className)?.endpoints ?? []).map((e) => [e.qualifiedName, e.riid])),
    })),
    channels: model.channels.map((c) => ({ id: c.id, client: c.client, server: c.server, handle: c.handle })),
  };
}
