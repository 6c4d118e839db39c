// File access for process-tier entities: plain-data functions over node:fs, confined to the roots
// init.yaml `resources.fs` grants. The OS-level permission model enforces the same roots again,
// but it follows symlinks, so this layer resolves them and checks where a path really leads.
import { constants } from 'node:fs';
import { appendFile, lstat, mkdir, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostFs } from '../entity/host.ts';
import { makeHostFileOps } from './host-file-ops.ts';

function within(roots: readonly string[], abs: string): boolean {
  return roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
}

/** Stands for a path that leads nowhere checkable (a dangling symlink): inside no root. */
const NOWHERE = '\0dangling-symlink';

/**
 * The real location of `abs`: resolved through symlinks as far as the path exists. A component
 * that is a symlink to something missing leads NOWHERE, so writing through it is refused (the
 * permission model would follow it and create the file outside the grant).
 */
async function realLocation(abs: string): Promise<string> {
  let existing = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await realpath(existing), ...rest.reverse());
    } catch {
      if (await lstat(existing).then((s) => s.isSymbolicLink(), () => false)) return NOWHERE;
      const parent = path.dirname(existing);
      if (parent === existing) return abs;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

async function inside(base: string, roots: readonly string[], realRoots: Promise<string[]>, p: string, what: string): Promise<string> {
  if (typeof p !== 'string' || p.includes('\0')) throw new TypeError(`${what}: a path must be a string without NUL`);
  const abs = path.resolve(base, p);
  if (!within(roots, abs) || !within(await realRoots, await realLocation(abs))) {
    throw new Error(`${what} ${p}: outside the paths this entity may use (${roots.join(', ') || 'none'})`);
  }
  return abs;
}

/** Relative paths resolve against `base`, the directory the `resources.fs` paths are relative to. */
export function makeHostFs(roots: { readonly base: string; readonly read: readonly string[]; readonly write: readonly string[] }): HostFs {
  const readable = [...roots.read, ...roots.write];
  const real = (list: readonly string[]) => Promise.all(list.map(realLocation));
  const realReadable = real(readable);
  const realWritable = real(roots.write);
  const r = (p: string) => inside(roots.base, readable, realReadable, p, 'read');
  const w = (p: string) => inside(roots.base, roots.write, realWritable, p, 'write');
  return {
    ...makeHostFileOps(r, w),
    readFile: async (p) => new Uint8Array(await readFile(await r(p))),
    writeFile: async (p, data, options) => {
      const mode = options?.mode ?? 0o666;
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new TypeError(`write ${p}: mode must be permission bits (0 to 0o777)`);
      // Write-through instead of fsync, which the permission model disables.
      const flag = options?.sync === true ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_SYNC : 'w';
      await writeFile(await w(p), Uint8Array.from(data), { mode, flag });
    },
    appendFile: async (p, data) => { await appendFile(await w(p), Uint8Array.from(data)); },
    readdir: async (p) => (await readdir(await r(p))).map(String),
    stat: async (p) => {
      const s = await stat(await r(p));
      return { size: s.size, isFile: s.isFile(), isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    },
    // One level at a time: a recursive mkdir probes parents outside the grant, which the permission model refuses.
    mkdir: async (p) => {
      try { await mkdir(await w(p)); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; }
    },
    rm: async (p) => { await rm(await w(p), { recursive: true, force: true }); },
    rename: async (from, to) => { await rename(await w(from), await w(to)); },
  };
}
