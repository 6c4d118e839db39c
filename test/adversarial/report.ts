// The adversarial suite's scoreboard: every attack attempt records { class, name, succeeded }.
// Each test file writes its attempts to a JSON file in a shared directory under os.tmpdir() when
// it ends, then prints the table for every file recorded so far (the last file of a run prints
// the whole suite). `npx node test/adversarial/report.ts` prints it again.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

export interface Attempt {
  readonly class: string;
  readonly name: string;
  /** True when the attack worked (the test's expectation of a refusal failed). Must be false. */
  readonly succeeded: boolean;
  readonly detail?: string;
}

export const REPORT_DIR = path.join(os.tmpdir(), 'citadel-adversarial-report');
const attempts: Attempt[] = [];
let registered: string | undefined;

/** Registers the file's end hook once: write this file's attempts, print the suite table. */
function register(): void {
  if (registered) return;
  registered = path.basename(process.argv[1] ?? `pid-${process.pid}`).replace(/\.test\.ts$/, '');
  const name = registered;
  after(() => {
    mkdirSync(REPORT_DIR, { recursive: true });
    writeFileSync(path.join(REPORT_DIR, `${name}.json`), JSON.stringify({ file: name, at: new Date().toISOString(), attempts }, null, 1));
    process.stdout.write(summary() + '\n');
  });
}

// At import time, so the hook belongs to the file (not to the test that records first); not when
// this module is run on its own to print the table.
if (!import.meta.main) register();

/** Records one attempt. */
export function record(cls: string, name: string, succeeded: boolean, detail?: string): void {
  attempts.push({ class: cls, name, succeeded, ...(detail ? { detail } : {}) });
}

/**
 * Runs the assertions that prove an attack was refused; records the attempt as succeeded if any
 * of them fails (and rethrows, so the test fails too). `check` may be async.
 */
export function refused(cls: string, name: string, check: () => void): void;
export function refused(cls: string, name: string, check: () => Promise<void>): Promise<void>;
export function refused(cls: string, name: string, check: () => void | Promise<void>): void | Promise<void> {
  const fail = (err: unknown): never => {
    const text = err instanceof Error ? err.message : String(err);
    record(cls, name, true, text.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 3).join(' | ').slice(0, 300));
    throw err;
  };
  let result: void | Promise<void>;
  try {
    result = check();
  } catch (err) {
    return fail(err);
  }
  if (result instanceof Promise) return result.then(() => record(cls, name, false), fail);
  record(cls, name, false);
}

/** Every recorded file's attempts, newest write per file. */
export function collect(): { file: string; at: string; attempts: Attempt[] }[] {
  let files: string[] = [];
  try {
    files = readdirSync(REPORT_DIR).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(path.join(REPORT_DIR, f), 'utf8')) as { file: string; at: string; attempts: Attempt[] });
}

/** The table: attempts and successes per class (successes must be 0), then any successful attack by name. */
export function summary(): string {
  const files = collect();
  const all = files.flatMap((f) => f.attempts.map((a) => ({ ...a, file: f.file })));
  // Files recorded more than 10 minutes ago are from an earlier run: say so.
  const stale = (at: string) => Date.now() - Date.parse(at) > 10 * 60_000;
  const fileList = files.map((f) => `${f.file}${stale(f.at) ? ` (stale: ${f.at})` : ''}`).join(', ');
  const classes = new Map<string, { attempts: number; succeeded: number }>();
  for (const a of all) {
    const c = classes.get(a.class) ?? { attempts: 0, succeeded: 0 };
    c.attempts++;
    if (a.succeeded) c.succeeded++;
    classes.set(a.class, c);
  }
  const rows = [...classes.entries()].sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(5, ...rows.map(([c]) => c.length));
  const line = (c: string, n: string, s: string) => `${c.padEnd(width)}  ${n.padStart(8)}  ${s.padStart(26)}`;
  const total = rows.reduce((n, [, r]) => n + r.attempts, 0);
  const bad = all.filter((a) => a.succeeded);
  return [
    `adversarial suite: attempts per class (files: ${fileList || 'none'})`,
    line('class', 'attempts', 'successes (must be 0)'),
    ...rows.map(([c, r]) => line(c, String(r.attempts), String(r.succeeded))),
    line('total', String(total), String(bad.length)),
    ...bad.map((a) => `  SUCCEEDED: [${a.class}] ${a.name} (${a.file})${a.detail ? `: ${a.detail}` : ''}`),
  ].join('\n');
}

if (import.meta.main) process.stdout.write(summary() + '\n');
