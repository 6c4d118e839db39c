// The solution plan: the tasks and channels the kernel starts, as JSON data in the image.
// Built from init.yaml by src/build/plan.ts; class indices are the policy IR's.

export interface PlanTask {
  readonly name: string;
  readonly className: string;
  readonly classIndex: number;
  /** Image blob holding the entity bundle. */
  readonly bundle: string;
  readonly isolation: 'worker' | 'process' | 'wasm';
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly limits: { readonly memoryMiB: number; readonly blockMs: number; readonly queueKiB: number; readonly inFlight: number };
  readonly resources: { readonly fsRead: readonly string[]; readonly fsWrite: readonly string[]; readonly net: boolean };
  readonly restart: { readonly mode: 'never' | 'on-failure'; readonly maxRestarts: number };
  /** The task's own endpoints: qualified name → RIID. */
  readonly endpoints: Readonly<Record<string, number>>;
}

export interface PlanChannel {
  readonly id: string;
  readonly client: string;
  readonly server: string;
  /** Handle number in the client's table (from 1). */
  readonly handle: number;
}

export interface SolutionPlan {
  readonly version: 1;
  readonly solution: string;
  readonly tasks: readonly PlanTask[];
  readonly channels: readonly PlanChannel[];
}

export const DEFAULT_TASK_LIMITS = { memoryMiB: 64, blockMs: 2000, queueKiB: 1024, inFlight: 64 } as const;
