// `citadel check <solution-dir>`: parse and statically check a solution; diagnostics only.
import { existsSync, statSync } from 'node:fs';
import { checkAll, type SolutionCheck } from '../build/check.ts';
import { plural, printDiagnostics } from './report.ts';

/** Checks `dir` and prints its diagnostics; returns the model when the solution is valid. */
export function checkAndReport(dir: string): SolutionCheck {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    process.stderr.write(`citadel: error: solution directory "${dir}" does not exist\n`);
    return { model: undefined, policy: undefined, diagnostics: [] };
  }
  const result = checkAll(dir);
  const { errors } = printDiagnostics(result.diagnostics);
  if (errors > 0) process.stderr.write(`${plural(errors, 'error')} in ${dir}\n`);
  return result;
}

export function runCheck(dir: string): number {
  const { model, policy } = checkAndReport(dir);
  if (!model) return 1;
  const userClasses = [...model.classes.keys()].filter((c) => c !== 'Einit' && c !== 'kl.core.Core');
  const methods = [...model.interfaces.values()].reduce((n, i) => n + i.methods.length, 0);
  process.stdout.write(
    `ok: ${dir}: ${plural(model.tasks.length, 'task')}, ${plural(userClasses.length, 'process class')}, ` +
    `${plural(model.interfaces.size, 'interface')} (${plural(methods, 'method')}), ${plural(model.channels.length, 'channel')}` +
    (policy ? `; policy: ${plural(policy.ir.bindings.length, 'binding')}, ${plural(policy.ir.objects.length, 'object')}, ${plural(policy.suites.reduce((n, s) => n + s.sequences.length, 0), 'test sequence')}` : '') + '\n');
  return 0;
}
