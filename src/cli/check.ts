// `citadel check <solution-dir>`: parse and statically check a solution; diagnostics only.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkAll, type SolutionCheck } from '../build/check.ts';
import { checkKosSolution, findKosSolutions } from '../build/kos.ts';
import { parseDefines } from './parse.ts';
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

/** `citadel check --kos <repo>`: every solution in a KasperskyOS repository, reported one by one. */
export function runCheckKos(repo: string, defines: readonly string[], stubMissing: boolean): number {
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    process.stderr.write(`citadel: error: repository directory "${repo}" does not exist\n`);
    return 1;
  }
  const solutions = findKosSolutions(repo);
  let failed = 0;
  for (const solution of solutions) {
    const result = checkKosSolution(repo, solution, { defines: parseDefines(defines), stubMissing });
    const { errors, warnings } = printDiagnostics(result.diagnostics);
    const rel = (p: string) => path.relative(process.cwd(), p);
    const name = `${rel(solution.init)}${solution.policy ? ` + ${path.basename(solution.policy)}` : ' (no policy found)'}`;
    if (errors > 0) failed++;
    const summary = errors > 0 ? `${plural(errors, 'error')}` : result.model && result.policy
      ? `ok (${plural(result.model.tasks.length, 'task')}, ${plural(result.policy.ir.bindings.length, 'binding')})`
      : 'ok';
    process.stdout.write(`${name}: ${summary}${warnings ? `, ${plural(warnings, 'warning')}` : ''}\n`);
  }
  process.stdout.write(`checked ${solutions.length} solutions: ${solutions.length - failed} ok, ${failed} failed\n`);
  return failed === 0 && solutions.length > 0 ? 0 : 1;
}
