// File access for process-tier entities: plain-data functions over node:fs, confined to the roots
// init.yaml `resources.fs` grants. The OS-level permission model enforces the same roots again.
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostFs } from '../entity/host.ts';

function inside(roots: readonly string[], p: string, what: string): string {
  if (typeof p !== 'string' || p.includes('\0')) throw new TypeError(`${what}: a path must be a string without NUL`);
  const abs = path.resolve(roots[0] ?? '/', p);
  if (!roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep))) {
    throw new Error(`${what} ${p}: outside the paths this entity may use (${roots.join(', ') || 'none'})`);
  }
  return abs;
}

export function makeHostFs(roots: { readonly read: readonly string[]; readonly write: readonly string[] }): HostFs {
  const readable = [...roots.read, ...roots.write];
  const r = (p: string) => inside(readable, p, 'read');
  const w = (p: string) => inside(roots.write, p, 'write');
  return {
    readFile: async (p) => new Uint8Array(await readFile(r(p))),
    writeFile: async (p, data) => { await writeFile(w(p), Uint8Array.from(data)); },
    appendFile: async (p, data) => { await appendFile(w(p), Uint8Array.from(data)); },
    readdir: async (p) => (await readdir(r(p))).map(String),
    stat: async (p) => {
      const s = await stat(r(p));
      return { size: s.size, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    },
    mkdir: async (p) => { await mkdir(w(p), { recursive: true }); },
    rm: async (p) => { await rm(w(p), { recursive: true, force: true }); },
    rename: async (from, to) => { await rename(w(from), w(to)); },
  };
}
