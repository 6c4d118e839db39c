// Host side of HostFileOps (src/entity/host-file-ops.ts): the metadata and open-file operations of
// a process-tier entity, behind the same root checks as the rest of its file access.
import { constants, type BigIntStats, type Dirent } from 'node:fs';
import { lstat, open, readdir, realpath, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { HostFileKind, HostFileOps, HostOpenFlags, HostStat } from '../entity/host-file-ops.ts';

/** Open files one entity may hold at once (host file descriptors are a shared resource). */
export const MAX_OPEN_FILES = 256;
/** Most bytes one read may ask for. */
const MAX_READ = 16 * 1024 * 1024;

const FLAGS: Readonly<Record<HostOpenFlags, { readonly bits: number; readonly writes: boolean }>> = {
  'r': { bits: constants.O_RDONLY, writes: false },
  'r+': { bits: constants.O_RDWR, writes: true },
  'w': { bits: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, writes: true },
  'wx': { bits: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_EXCL, writes: true },
  'w+': { bits: constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, writes: true },
  'wx+': { bits: constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_EXCL, writes: true },
  'a': { bits: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, writes: true },
  'ax': { bits: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_EXCL, writes: true },
  'a+': { bits: constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, writes: true },
  'ax+': { bits: constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_EXCL, writes: true },
  'rs+': { bits: constants.O_RDWR | constants.O_SYNC, writes: true },
  'as': { bits: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_SYNC, writes: true },
  'as+': { bits: constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_SYNC, writes: true },
};

function kindOf(s: BigIntStats | Dirent): HostFileKind {
  return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : s.isSymbolicLink() ? 'symlink' : 'other';
}

function hostStat(s: BigIntStats): HostStat {
  return {
    kind: kindOf(s), mode: Number(s.mode), size: Number(s.size), ino: s.ino, nlink: Number(s.nlink),
    atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, birthtimeNs: s.birthtimeNs,
  };
}

function position(p: number | null, what: string): number | null {
  if (p === null) return null;
  if (!Number.isSafeInteger(p) || p < 0) throw new TypeError(`${what}: a position is a non-negative integer or null`);
  return p;
}

/**
 * The operations over paths checked by `readable`/`writable` (which return the absolute path to
 * use, or throw): the same checks host-fs.ts applies to every other file operation.
 */
export function makeHostFileOps(readable: (p: string) => Promise<string>, writable: (p: string) => Promise<string>): HostFileOps {
  const files = new Map<number, FileHandle>();
  let next = 1;
  const file = (handle: number, what: string): FileHandle => {
    const f = typeof handle === 'number' ? files.get(handle) : undefined;
    if (!f) throw Object.assign(new Error(`${what}: no open file ${String(handle)}`), { code: 'EBADF' });
    return f;
  };
  // For operations on a path's own entry: the directory holding it is checked, a final link is not
  // followed (so a link leading outside the roots can still be seen and removed).
  const entry = async (p: string, check: (p: string) => Promise<string>): Promise<string> => {
    const name = path.basename(p);
    if (name === '' || name === '.' || name === '..' || p.endsWith('/')) return check(p);
    let parent: string;
    try {
      parent = await check(path.dirname(p));
    } catch {
      return check(p); // a root itself: its parent is not granted, the root is
    }
    return path.join(parent, name);
  };
  return {
    lstat: async (p) => hostStat(await lstat(await entry(p, readable), { bigint: true })),
    remove: async (p, options) => { await rm(await entry(p, writable), { recursive: options?.recursive === true, force: false }); },
    realpath: async (p) => realpath(await readable(p)),
    list: async (p) => (await readdir(await readable(p), { withFileTypes: true })).map((d) => ({ name: String(d.name), kind: kindOf(d) })),
    open: async (p, flags, options) => {
      const f = Object.hasOwn(FLAGS, flags) ? FLAGS[flags] : undefined;
      if (!f) throw new TypeError(`open ${p}: unknown flags ${String(flags)}`);
      if (files.size >= MAX_OPEN_FILES) throw Object.assign(new Error(`open ${p}: ${MAX_OPEN_FILES} files already open`), { code: 'EMFILE' });
      const abs = await (f.writes ? writable(p) : readable(p));
      const bits = f.bits | constants.O_NONBLOCK | (options?.noFollow === true ? constants.O_NOFOLLOW : 0);
      const handle = await open(abs, bits, 0o666);
      const n = next++;
      files.set(n, handle);
      return n;
    },
    read: async (h, length, at) => {
      if (!Number.isSafeInteger(length) || length < 0 || length > MAX_READ) throw new TypeError(`read: length must be 0 to ${MAX_READ}`);
      const buffer = new Uint8Array(length);
      const { bytesRead } = await file(h, 'read').read(buffer, 0, length, position(at, 'read'));
      return bytesRead === length ? buffer : buffer.slice(0, bytesRead);
    },
    write: async (h, data, at) => (await file(h, 'write').write(Uint8Array.from(data), 0, data.length, position(at, 'write'))).bytesWritten,
    fstat: async (h) => hostStat(await file(h, 'fstat').stat({ bigint: true })),
    ftruncate: async (h, length) => {
      if (!Number.isSafeInteger(length) || length < 0) throw new TypeError('ftruncate: length must be a non-negative integer');
      await file(h, 'ftruncate').truncate(length);
    },
    fsync: async (h) => { await file(h, 'fsync').sync(); },
    close: async (h) => {
      const f = file(h, 'close');
      files.delete(h);
      await f.close();
    },
  };
}
