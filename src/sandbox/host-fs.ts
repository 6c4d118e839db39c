// File access for process-tier entities: plain-data functions over node:fs, confined to the roots
// init.yaml `resources.fs` grants. The OS-level permission model enforces the same roots again.
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostFs } from '../entity/host.ts';

function inside(base: string, roots: readonly string[], p: string, what: string): string {
  if (typeof p !== 'string' || p.includes('\0')) throw new TypeError(`${what}: a path must be a string without NUL`);
  const abs = path.resolve(base, p);
  if (!roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep))) {
    throw new Error(`${what} ${p}: outside the paths this entity may use (${roots.join(', ') || 'none'})`);
  }
  return abs;
}

/** Relative paths resolve against `base`, the directory the `resources.fs` paths are relative to. */
export function makeHostFs(roots: { readonly base: string; readonly read: readonly string[]; readonly write: readonly string[] }): HostFs {
  const readable = [...roots.read, ...roots.write];
  const r = (p: string) => inside(roots.base, readable, p, 'read');
  const w = (p: string) => inside(roots.base, roots.write, p, 'write');
  return {
    readFile: async (p) => new Uint8Array(await readFile(r(p))),
    writeFile: async (p, data) => { await writeFile(w(p), Uint8Array.from(data)); },
    appendFile: async (p, data) => { await appendFile(w(p), Uint8Array.from(data)); },
    readdir: async (p) => (await readdir(r(p))).map(String),
    stat: async (p) => {
      const s = await stat(r(p));
      return { size: s.size, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    },
    // One level at a time: a recursive mkdir probes parents outside the grant, which the permission model refuses.
    mkdir: async (p) => {
      try { await mkdir(w(p)); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; }
    },
    rm: async (p) => { await rm(w(p), { recursive: true, force: true }); },
    rename: async (from, to) => { await rename(w(from), w(to)); },
  };
}
