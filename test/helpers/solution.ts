// Test helpers: materialise a solution (relative path → file text) in a fresh temp directory,
// check it, and strip syntax trees down to plain data for golden comparisons.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { formatDiagnostic, type Diagnostic } from '../../src/lang/diagnostics.ts';
import type { SolutionModel } from '../../src/model/model.ts';
import { checkSolution } from '../../src/model/resolve.ts';

/** A solution as a map from a path relative to its root (with `/`) to that file's text. */
export type SolutionFiles = Readonly<Record<string, string>>;

/** What a test needs from its context: a place to register cleanup. */
export type Cleanup = Pick<TestContext, 'after'>;

/** The project root (two levels above test/helpers/). */
export const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** The example solution shipped with the project. */
export const PING_EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'ping');

/**
 * Writes `files` into a fresh directory under os.tmpdir() and returns its absolute path.
 * The directory is removed when the test `t` ends.
 */
export function writeSolution(t: Cleanup, files: SolutionFiles): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citadel-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(dir, ...rel.split('/'));
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return dir;
}

/** A path under a fresh temp directory that does not exist yet (all removed after `t`). */
export function freshPath(t: Cleanup, name = 'solution'): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'citadel-test-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  return path.join(parent, name);
}

/** Reads every file of a directory tree into a map (paths relative to `dir`, with `/`). */
export function readSolution(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, abs).split(path.sep).join('/')] = readFileSync(abs, 'utf8');
  }
  return out;
}

/** `base` with `changes` applied: a string replaces (or adds) a file, `null` removes it. */
export function withFiles(base: SolutionFiles, changes: Readonly<Record<string, string | null>>): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const [rel, text] of Object.entries(changes)) {
    if (text === null) delete out[rel];
    else out[rel] = text;
  }
  return out;
}

export interface Checked {
  readonly dir: string;
  readonly model: SolutionModel | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** Every diagnostic as `formatDiagnostic` renders it, in reported (sorted) order. */
  readonly formatted: readonly string[];
}

/** Writes the solution to a temp dir and runs `checkSolution` on it. */
export function checkFiles(t: Cleanup, files: SolutionFiles): Checked {
  const dir = writeSolution(t, files);
  const { model, diagnostics } = checkSolution(dir);
  return { dir, model, diagnostics, formatted: diagnostics.map(formatDiagnostic) };
}

/** One formatted diagnostic: header, source line and caret line. */
export function diag(header: string, source: string, caret: string): string {
  return `${header}\n${source}\n${caret}`;
}

/** A copy of a syntax tree without source positions (`span`, `file`, `interfaceSpan`), for golden comparisons. */
export function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'span' || k === 'file' || k === 'interfaceSpan') continue;
      out[k] = strip(v);
    }
    return out;
  }
  return value;
}

/** Every `{ text, span }` node (names) in a tree, so tests can check that spans cover their text. */
export function namedNodes(value: unknown, out: { text: string; start: number; end: number }[] = []): { text: string; start: number; end: number }[] {
  if (Array.isArray(value)) {
    for (const v of value) namedNodes(v, out);
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const s = o['span'] as { start?: unknown; end?: unknown } | undefined;
    if (typeof o['text'] === 'string' && s && typeof s.start === 'number' && typeof s.end === 'number') {
      out.push({ text: o['text'], start: s.start, end: s.end });
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'file' && k !== 'span') namedNodes(v, out);
  }
  return out;
}
