// Test helpers for the policy compiler, PAL runner and KasperskyOS-repository mode: a small solution
// whose security.psl each test supplies, exact diagnostics, the CLI as a child process, and the corpus.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkAll, type SolutionCheck } from '../../src/build/check.ts';
import { formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { diag, PROJECT_ROOT, writeSolution, type Cleanup, type SolutionFiles } from './solution.ts';

/**
 * Two classes: app.Client calls app.Server, which serves app.Calc on endpoint `calc` and declares
 * the security interface app.Admin. Calc.Add has in, out and error parameters.
 */
export const POLICY_BASE: SolutionFiles = {
  'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Server\n    id: server\n- name: app.Server\n',
  'app/Calc.idl': 'package app.Calc\n\ninterface {\n    Add(in UInt32 a, in UInt32 b, out UInt32 sum, error UInt16 code);\n    Greet(in string<8> name, out string<16> greeting);\n}\n',
  'app/Admin.idl': 'package app.Admin\n\ninterface {\n    Reset(in UInt8 level);\n}\n',
  'app/Server.edl': 'task class app.Server\n\nsecurity app.Admin\n\nendpoints {\n    calc : app.Calc\n}\n',
  'app/Client.edl': 'task class app.Client\n',
};

/** Ten lines of policy header: whatever a test appends starts on line 11. */
export const HEAD = [
  'execute: kl.core.Execute',
  '',
  'use nk.base._',
  'use nk.flow._',
  '',
  'use EDL Einit',
  'use EDL kl.core.Core',
  'use EDL app.Client',
  'use EDL app.Server',
  '',
  '',
].join('\n');

/** A Flow object `session` (idle ⇄ busy), four lines. */
export const SESSION = [
  'policy object session : Flow {',
  '    config = { states : ["idle", "busy"], initial : "idle", transitions : { "idle" : ["busy"], "busy" : ["idle"] } }',
  '}',
  '',
  '',
].join('\n');

export interface CompiledCheck extends SolutionCheck {
  readonly dir: string;
  readonly formatted: readonly string[];
}

/** Writes POLICY_BASE plus `security.psl` (and `extra` files) to a temp dir and runs checkAll. */
export function compile(t: Cleanup, psl: string, extra: Readonly<Record<string, string>> = {}): CompiledCheck {
  const dir = writeSolution(t, { ...POLICY_BASE, 'security.psl': psl, ...extra });
  const result = checkAll(dir);
  return { ...result, dir, formatted: result.diagnostics.map(formatDiagnostic) };
}

/** Same, asserting the policy does not compile; returns the formatted diagnostics. */
export function errors(t: Cleanup, psl: string, extra: Readonly<Record<string, string>> = {}): readonly string[] {
  const r = compile(t, psl, extra);
  assert.equal(r.policy, undefined, `expected errors, but the policy compiled (diagnostics: ${JSON.stringify(r.formatted)})`);
  return r.formatted;
}

/** Same, asserting a clean compile; returns the check (with its policy). */
export function clean(t: Cleanup, psl: string, extra: Readonly<Record<string, string>> = {}): CompiledCheck & { policy: NonNullable<SolutionCheck['policy']> } {
  const r = compile(t, psl, extra);
  assert.deepEqual(r.formatted, []);
  assert.ok(r.policy, 'a compiled policy');
  return r as CompiledCheck & { policy: NonNullable<SolutionCheck['policy']> };
}

/**
 * A diagnostic as formatDiagnostic prints it for a tab-free source line, the caret under the
 * `occurrence`-th appearance of `needle` in `source` (1-based).
 */
export function at(severity: 'error' | 'warning', file: string, line: number, source: string, needle: string, message: string, occurrence = 1): string {
  let col = -1;
  for (let i = 0; i < occurrence; i++) col = source.indexOf(needle, col + 1);
  assert.ok(col >= 0, `"${needle}" (occurrence ${occurrence}) is in "${source}"`);
  return diag(`${file}:${line}:${col + 1}: ${severity}: ${message}`, source, `${' '.repeat(col)}^${'~'.repeat(needle.length - 1)}`);
}

/** An error in security.psl. */
export function pslError(line: number, source: string, needle: string, message: string, occurrence = 1): string {
  return at('error', 'security.psl', line, source, needle, message, occurrence);
}

// ---- The CLI ------------------------------------------------------------------------------------

export const NODE = path.join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
export const CITADEL = path.join(PROJECT_ROOT, 'bin', 'citadel.js');

export interface CliResult { readonly status: number | null; readonly stdout: string; readonly stderr: string }

/** Runs `citadel …` with the project's Node in `cwd`. */
export function citadel(cwd: string, ...args: string[]): CliResult {
  const r = spawnSync(NODE, [CITADEL, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, CITADEL_DEBUG: '', NODE_OPTIONS: '' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Output split into lines, dropping the final newline (which must be there). */
export function lines(text: string): string[] {
  assert.ok(text.endsWith('\n'), `output must end with a newline: ${JSON.stringify(text)}`);
  return text.slice(0, -1).split('\n');
}

// ---- The KasperskyOS corpus ---------------------------------------------------------------------

/** Makes every file and directory under `dir` writable by its owner (copies of read-only trees). */
export function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) makeWritable(abs);
    else chmodSync(abs, 0o644);
  }
}

/** A writable copy of `src` under os.tmpdir(), removed when `t` ends. */
export function writableCopy(t: Cleanup, src: string): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'citadel-kos-'));
  t.after(() => {
    makeWritable(parent);
    rmSync(parent, { recursive: true, force: true });
  });
  const dst = path.join(parent, path.basename(src));
  cpSync(src, dst, { recursive: true });
  makeWritable(dst);
  return dst;
}
