// `citadel check <solution-dir>`: parse and statically check a solution; diagnostics only.
import { existsSync, statSync } from 'node:fs';
import { checkSolution, type CheckResult } from '../model/resolve.ts';
import type { SolutionModel } from '../model/model.ts';
import { plural, printDiagnostics } from './report.ts';

/** Checks `dir` and prints its diagnostics; returns the model when the solution is valid. */
export function checkAndReport(dir: string): { result: CheckResult; model: SolutionModel | undefined } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    process.stderr.write(`citadel: error: solution directory "${dir}" does not exist\n`);
    return { result: { model: undefined, diagnostics: [] }, model: undefined };
  }
  const result = checkSolution(dir);
  const { errors } = printDiagnostics(result.diagnostics);
  if (errors > 0) process.stderr.write(`${plural(errors, 'error')} in ${dir}\n`);
  return { result, model: result.model };
}

export function runCheck(dir: string): number {
  const { model } = checkAndReport(dir);
  if (!model) return 1;
  const userClasses = [...model.classes.keys()].filter((c) => c !== 'Einit' && c !== 'kl.core.Core');
  const methods = [...model.interfaces.values()].reduce((n, i) => n + i.methods.length, 0);
  process.stdout.write(
    `ok: ${dir}: ${plural(model.tasks.length, 'task')}, ${plural(userClasses.length, 'process class')}, ` +
    `${plural(model.interfaces.size, 'interface')} (${plural(methods, 'method')}), ${plural(model.channels.length, 'channel')}\n`);
  return 0;
}
