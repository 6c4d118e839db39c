// Every static check of a solution in one pass: the model (IDL/CDL/EDL/init.yaml), then its
// policy (security.psl), with all diagnostics together.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from '../lang/diagnostics.ts';
import { makeSource, span } from '../lang/source.ts';
import type { SolutionModel } from '../model/model.ts';
import { checkSolution } from '../model/resolve.ts';
import { SpecLoader } from '../model/loader.ts';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.ts';
import { loadPolicyFiles } from '../policy/files.ts';

export const POLICY_FILE = 'security.psl';

export interface SolutionCheck {
  /** Both present only when there are no errors. */
  readonly model: SolutionModel | undefined;
  readonly policy: CompiledPolicy | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function checkAll(root: string): SolutionCheck {
  const diags = new DiagnosticBag();
  const loader = new SpecLoader(root, diags);
  const policyPath = path.join(loader.root, POLICY_FILE);
  const files = existsSync(policyPath) ? loadPolicyFiles(loader, policyPath, diags) : undefined;
  const result = checkSolution(root, { loader });
  let policy: CompiledPolicy | undefined;
  if (files) {
    policy = compilePolicy(result.partial, files, diags);
  } else {
    diags.warning(span(makeSource(POLICY_FILE, ''), 0), `no ${POLICY_FILE} in the solution: with no policy every event is denied`);
  }
  const ok = !diags.hasErrors;
  return { model: ok ? result.model : undefined, policy: ok ? policy : undefined, diagnostics: sortDiagnostics(diags.items) };
}
