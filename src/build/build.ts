// `citadel build`: every static check and PAL test first (a failing solution is never packed),
// then generated code, entity bundles, the wire schema, the plan and the policy IR, signed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../codegen/generate.ts';
import type { Diagnostic } from '../lang/diagnostics.ts';
import { packImage, type PackBlob } from '../image/index.ts';
import { runPalSuites, type PalOutcome } from '../policy/pal-run.ts';
import { bundleEntity, type BundleResult } from './bundle.ts';
import { checkAll } from './check.ts';
import { buildPlan } from './plan.ts';
import { buildWireSchema } from './schema.ts';

export interface BuildOptions {
  readonly privateKeyPem: string;
  readonly version?: string;
  readonly rollbackIndex?: number;
}

export type BuildResult =
  | { readonly ok: true; readonly image: Uint8Array; readonly diagnostics: readonly Diagnostic[]; readonly tests: readonly PalOutcome[]; readonly solution: string }
  | { readonly ok: false; readonly stage: 'check' | 'test' | 'bundle'; readonly diagnostics: readonly Diagnostic[]; readonly tests: readonly PalOutcome[]; readonly bundleErrors: readonly (BundleResult['errors'][number] & { task: string })[] };

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Writes generated files only where they changed, so builds do not churn timestamps. */
export function writeGenerated(dir: string, files: ReadonlyMap<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) {
    const file = path.join(dir, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  }
}

export async function buildSolution(root: string, options: BuildOptions): Promise<BuildResult> {
  const checked = checkAll(root);
  if (!checked.model || !checked.policy) return { ok: false, stage: 'check', diagnostics: checked.diagnostics, tests: [], bundleErrors: [] };
  const { model, policy } = checked;
  const tests = runPalSuites(policy.ir, policy.suites);
  if (tests.some((t) => !t.passed)) return { ok: false, stage: 'test', diagnostics: checked.diagnostics, tests, bundleErrors: [] };

  writeGenerated(path.join(model.root, 'gen'), generate(model));
  const solution = path.basename(model.root);
  const bundles: PackBlob[] = [];
  const bundleErrors: (BundleResult['errors'][number] & { task: string })[] = [];
  for (const task of model.tasks) {
    const entry = path.resolve(model.root, task.path);
    if (!existsSync(entry)) {
      bundleErrors.push({ task: task.name, file: task.path, line: 0, col: 0, text: `no entity code at ${task.path} (init.yaml "path", default src/<ShortClassName>.ts)`, lineText: '' });
      continue;
    }
    const result = await bundleEntity(entry, model.root);
    if (result.code === undefined) bundleErrors.push(...result.errors.map((e) => ({ ...e, task: task.name })));
    else bundles.push({ name: `bundle:${task.name}`, kind: 'bundle', data: new TextEncoder().encode(result.code) });
  }
  if (bundleErrors.length) return { ok: false, stage: 'bundle', diagnostics: checked.diagnostics, tests, bundleErrors };

  const plan = buildPlan(model, policy.ir, solution);
  const schema = buildWireSchema(model, policy.ir.classes.map((c) => c.name));
  const image = packImage({
    solution,
    version: options.version ?? '0.0.0',
    rollbackIndex: options.rollbackIndex ?? 0,
    meta: {
      entities: plan.tasks.map((t) => `${t.name} (${t.className}, ${t.isolation})`),
      channels: plan.channels.map((c) => `${c.client} → ${c.server} as "${c.id}" (handle ${c.handle})`),
      policy: `${policy.ir.bindings.length} bindings, ${policy.ir.objects.length} objects, ${policy.ir.classes.length} classes, ${tests.length} PAL sequences passed`,
    },
    blobs: [
      { name: 'policy', kind: 'policy', data: json(policy.ir) },
      { name: 'schema', kind: 'schema', data: json(schema) },
      { name: 'plan', kind: 'model', data: json(plan) },
      ...bundles,
    ],
  }, options.privateKeyPem);
  return { ok: true, image, diagnostics: checked.diagnostics, tests, solution };
}
