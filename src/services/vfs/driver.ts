// The VFS driver's core: client sessions (one per channel), path resolution confined to each
// client's mounts, and every kl.vfs.Files operation over the host file access of a process-tier
// entity (HostFs). Vfs.ts serves it; tests drive it directly over a temp directory.
import type { HostFs } from '../../entity/host.ts';
import type { HostStat } from '../../entity/host-file-ops.ts';
import * as F from './gen/kl.vfs.Files.idl.ts';
import { OUTSIDE_GRANT, VfsError, errorParams, toVfsError } from './errors.ts';
import { RwLock } from './lock.ts';
import { Namespace, joinSegments, segmentsOf, within, type Mount, type MountSpec } from './namespace.ts';

/** Files one client may hold open at once. */
export const MAX_OPEN_PER_CLIENT = 64;

type OpenFlags = 'r' | 'r+' | 'w' | 'wx' | 'w+' | 'wx+' | 'a' | 'ax' | 'a+' | 'ax+' | 'rs+' | 'as' | 'as+';
/** By the IDL's Open* constants. */
const OPEN_FLAGS: readonly OpenFlags[] = ['r', 'r+', 'w', 'wx', 'w+', 'wx+', 'a', 'ax', 'a+', 'ax+', 'rs+', 'as', 'as+'];

const KIND_CODES = { other: F.KindOther, file: F.KindFile, directory: F.KindDirectory, symlink: F.KindSymlink } as const;

interface OpenFile {
  readonly host: number;
  readonly readable: boolean;
  readonly writable: boolean;
}

/** Where a checked path leads on the host, and the mount that decides access to it. */
interface Resolved {
  readonly real: string;
  readonly owner: Mount;
  /** The mount the client named the path through. */
  readonly via: Mount;
}

type Removable = Resolved & { readonly stat: HostStat };

/** Refusals worth an operator's attention (the driver's own decisions about access). */
const LOGGED = new Set([F.EACCES, F.EROFS, F.EPERM]);

const LEADS_OUTSIDE = 'a symbolic link leads outside the client\'s mounts';

const SYNTHETIC_STAT: F.FileStat = { kind: F.KindDirectory, mode: 0o40555, size: 0n, ino: 0n, nlink: 2, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, birthtimeNs: 0n };

function parentOf(real: string): string {
  const i = real.lastIndexOf('/');
  return i <= 0 ? '/' : real.slice(0, i);
}

function childOf(real: string, name: string): string {
  return real === '/' ? `/${name}` : `${real}/${name}`;
}

function wireStat(s: HostStat): F.FileStat {
  return {
    kind: KIND_CODES[s.kind], mode: s.mode >>> 0, size: BigInt(s.size), ino: s.ino, nlink: s.nlink,
    atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, birthtimeNs: s.birthtimeNs,
  };
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

function refuseSpecial(s: HostStat): void {
  if (s.kind === 'other') throw new VfsError(F.EACCES, 'not a regular file or directory');
}

/** The driver: its mounts by client, the sessions of the channels that attached, one lock. */
export class VfsDriver {
  readonly fs: HostFs;
  readonly specs: readonly MountSpec[];
  /** Real host directory of each distinct hostDir. */
  readonly #reals: ReadonlyMap<string, string>;
  readonly #sessions = new Map<number, VfsSession>();
  readonly lock = new RwLock();
  /** Called for each refusal the driver decides itself (not plain host errors), for the log. */
  readonly onRefusal: ((client: string, what: string, reason: string) => void) | undefined;

  private constructor(fs: HostFs, specs: readonly MountSpec[], reals: ReadonlyMap<string, string>, onRefusal?: (client: string, what: string, reason: string) => void) {
    this.fs = fs;
    this.specs = specs;
    this.#reals = reals;
    this.onRefusal = onRefusal;
  }

  /**
   * Resolves every mount's host directory (creating a missing read-write one, level by level)
   * and checks it is a directory.
   */
  static async start(fs: HostFs, specs: readonly MountSpec[], options: { onRefusal?: (client: string, what: string, reason: string) => void } = {}): Promise<VfsDriver> {
    const reals = new Map<string, string>();
    for (const spec of specs) {
      if (reals.has(spec.hostDir)) continue;
      let real: string;
      try {
        real = await fs.realpath(spec.hostDir);
      } catch (err) {
        const writable = specs.some((s) => s.hostDir === spec.hostDir && !s.readOnly);
        if (!isMissing(err) || !writable) throw new Error(`--mount ${spec.client}:${spec.at}:${spec.hostDir}: the host directory cannot be used (${(err as Error).message})`);
        const parts = spec.hostDir.split('/');
        for (let i = 1; i <= parts.length; i++) {
          const dir = parts.slice(0, i).join('/');
          if (dir !== '' && dir !== '.') await fs.mkdir(dir);
        }
        real = await fs.realpath(spec.hostDir);
      }
      if ((await fs.lstat(real)).kind !== 'directory') throw new Error(`--mount ${spec.client}:${spec.at}:${spec.hostDir}: not a directory`);
      reals.set(spec.hostDir, real);
    }
    return new VfsDriver(fs, specs, reals, options.onRefusal);
  }

  /** The mounts a client name gets: its own, then every `*` mount at a mount point it lacks. */
  mountsFor(client: string): Mount[] {
    const own = this.specs.filter((s) => s.client === client);
    const shared = this.specs.filter((s) => s.client === '*' && !own.some((o) => o.at === s.at));
    return [...own, ...shared].map((s) => ({ ...s, segments: segmentsOf(s.at), real: this.#reals.get(s.hostDir)! }));
  }

  /** Whether `real` is, or lies above, the directory of any configured mount (of any client). */
  holdsMountRoot(real: string): boolean {
    return [...this.#reals.values()].some((root) => within(real, root));
  }

  /** The session of a channel slot (created unattached on first use). */
  session(slot: number): VfsSession {
    let s = this.#sessions.get(slot);
    if (!s) {
      s = new VfsSession(this, slot);
      this.#sessions.set(slot, s);
    }
    return s;
  }

  /** The slot a client name is attached on, if any. */
  slotOf(client: string): number | undefined {
    for (const [slot, s] of this.#sessions) if (s.client === client) return slot;
    return undefined;
  }
}

/**
 * One client channel: unattached until Attach names the client, then that client's namespace
 * and open files. Implements the kl.vfs.Files handler; each method answers with its own error.
 */
export class VfsSession implements F.FilesHandler {
  readonly #driver: VfsDriver;
  readonly slot: number;
  #client: string | undefined;
  #ns: Namespace | undefined;
  readonly #files = new Map<number, OpenFile>();
  #nextFd = 3;
  /** Opens in progress, counted against the limit before they finish. */
  #opening = 0;

  constructor(driver: VfsDriver, slot: number) {
    this.#driver = driver;
    this.slot = slot;
  }

  get client(): string | undefined {
    return this.#client;
  }

  get openFiles(): number {
    return this.#files.size;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /** Runs `fn`, turning any failure into the method's error reply (and logging the driver's own refusals). */
  async #run<T>(ErrorClass: new (p: { code: number; reason: string }) => Error, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const params = errorParams(err);
      if (params.reason && LOGGED.has(params.code)) this.#driver.onRefusal?.(this.#client ?? `slot ${this.slot}`, what, params.reason);
      throw new ErrorClass(params);
    }
  }

  #namespace(): Namespace {
    if (!this.#ns) throw new VfsError(F.ENOTCONN, 'this channel has not attached (call Attach with the client name first)');
    return this.#ns;
  }

  #hostPath(mount: Mount, rest: readonly string[]): string {
    return rest.reduce(childOf, mount.real);
  }

  /** Where a host path built inside a mount really leads: leaving the driver's grant takes a link. */
  async #realpath(host: string): Promise<string> {
    try {
      return await this.#driver.fs.realpath(host);
    } catch (err) {
      if (toVfsError(err).reason === OUTSIDE_GRANT) throw new VfsError(F.EACCES, LEADS_OUTSIDE);
      throw err;
    }
  }

  #owned(ns: Namespace, real: string, via: Mount): Resolved {
    const owner = ns.owner(real);
    if (!owner) throw new VfsError(F.EACCES, LEADS_OUTSIDE);
    return { real, owner, via };
  }

  /** Follows every link: the file or directory `path` leads to, which must exist. */
  async #existing(path: string): Promise<Resolved | 'synthetic'> {
    const ns = this.#namespace();
    const place = ns.place(segmentsOf(path));
    if (place.kind === 'synthetic') return 'synthetic';
    if (place.kind === 'absent') throw new VfsError(F.ENOENT);
    const real = await this.#realpath(this.#hostPath(place.mount, place.rest));
    return this.#owned(ns, real, place.mount);
  }

  /** The path's own entry, a final link not followed (its parent is resolved and checked). */
  async #entry(path: string): Promise<Resolved & { readonly mountPoint: boolean } | 'synthetic'> {
    const ns = this.#namespace();
    const place = ns.place(segmentsOf(path));
    if (place.kind === 'synthetic') return 'synthetic';
    if (place.kind === 'absent') throw new VfsError(F.ENOENT);
    if (place.rest.length === 0) return { real: place.mount.real, owner: place.mount, via: place.mount, mountPoint: true };
    const parent = await this.#realpath(this.#hostPath(place.mount, place.rest.slice(0, -1)));
    const resolved = this.#owned(ns, childOf(parent, place.rest.at(-1)!), place.mount);
    return { ...resolved, mountPoint: false };
  }

  /** Where a file to create or write goes: an existing one (links followed), or a new name in an existing directory. */
  async #target(path: string): Promise<Resolved & { readonly exists: boolean }> {
    const ns = this.#namespace();
    const place = ns.place(segmentsOf(path));
    if (place.kind === 'synthetic') throw new VfsError(F.EISDIR);
    if (place.kind === 'absent') throw new VfsError(F.EROFS, 'only mount points exist here');
    const host = this.#hostPath(place.mount, place.rest);
    try {
      return { ...this.#owned(ns, await this.#realpath(host), place.mount), exists: true };
    } catch (err) {
      if (!isMissing(err) || place.rest.length === 0) throw err; // a mount's own directory is never created here
    }
    // Missing: either nothing is there, or a link to something missing, which is not followed.
    let dangling = false;
    try {
      await this.#driver.fs.lstat(host);
      dangling = true;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (dangling) throw new VfsError(F.EACCES, 'a symbolic link to a missing target is not followed');
    const parent = await this.#realpath(parentOf(host));
    return { ...this.#owned(ns, childOf(parent, place.rest.at(-1)!), place.mount), exists: false };
  }

  #writable(r: Resolved): void {
    if (r.via.readOnly || r.owner.readOnly) throw new VfsError(F.EROFS, 'read-only mount');
  }

  /** Opens a regular file the path leads to, checking its kind before and after opening. */
  async #open(path: string, flags: OpenFlags): Promise<{ host: number; stat: HostStat }> {
    const fs = this.#driver.fs;
    let real: string;
    if (flags === 'r') {
      const r = await this.#existing(path);
      if (r === 'synthetic') throw new VfsError(F.EISDIR);
      real = r.real;
    } else {
      const r = await this.#target(path);
      this.#writable(r);
      if (r.exists && (flags === 'wx' || flags === 'wx+' || flags === 'ax' || flags === 'ax+')) throw new VfsError(F.EEXIST);
      real = r.real;
    }
    try {
      const before = await fs.lstat(real);
      if (before.kind === 'directory') throw new VfsError(F.EISDIR);
      refuseSpecial(before);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    // No final link may appear between the check and the open; the open itself cannot block.
    const host = await fs.open(real, flags, { noFollow: true });
    try {
      const stat = await fs.fstat(host);
      if (stat.kind === 'directory') throw new VfsError(F.EISDIR);
      refuseSpecial(stat);
      return { host, stat };
    } catch (err) {
      await fs.close(host).catch(() => undefined);
      throw err;
    }
  }

  async #readAll(host: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.#driver.fs.read(host, F.MaxData + 1 - total, null);
      if (chunk.length === 0) break;
      total += chunk.length;
      if (total > F.MaxData) throw new VfsError(F.EFBIG, `larger than ${F.MaxData} bytes: read it in chunks (Open/Read)`);
      chunks.push(chunk);
    }
    if (chunks.length === 1) return chunks[0]!;
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { all.set(c, at); at += c.length; }
    return all;
  }

  async #writeAll(host: number, data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      const n = await this.#driver.fs.write(host, data.subarray(at), null);
      if (n <= 0) throw new VfsError(F.EIO);
      at += n;
    }
  }

  async #withFile<T>(path: string, flags: OpenFlags, fn: (host: number, stat: HostStat) => Promise<T>): Promise<T> {
    const { host, stat } = await this.#open(path, flags);
    try {
      return await fn(host, stat);
    } finally {
      await this.#driver.fs.close(host).catch(() => undefined);
    }
  }

  #file(fd: number): OpenFile {
    this.#namespace();
    const f = this.#files.get(fd);
    if (!f) throw new VfsError(F.EBADF);
    return f;
  }

  async #closeAll(): Promise<void> {
    const files = [...this.#files.values()];
    this.#files.clear();
    await Promise.all(files.map((f) => this.#driver.fs.close(f.host).catch(() => undefined)));
  }

  // ---- kl.vfs.Files --------------------------------------------------------------------------

  Attach({ client }: F.Files_Attach_Request): Promise<F.Files_Attach_Response> {
    return this.#run(F.Files_Attach_Error, `Attach ${client}`, async () => {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(client)) throw new VfsError(F.EINVAL, `"${client}" is not a client name`);
      if (this.#client !== undefined && this.#client !== client) throw new VfsError(F.EPERM, `this channel is attached as ${this.#client}`);
      const other = this.#driver.slotOf(client);
      if (other !== undefined && other !== this.slot) throw new VfsError(F.EBUSY, `client ${client} is attached on another channel`);
      const mounts = this.#driver.mountsFor(client);
      if (mounts.length === 0) throw new VfsError(F.EACCES, `no mounts for client ${client}`);
      // Attaching again starts a new session (the client restarted): its old files are closed.
      await this.#closeAll();
      this.#client = client;
      this.#ns = new Namespace(mounts);
      return { mounts: mounts.map((m) => ({ path: m.at, readOnly: m.readOnly ? 1 : 0 })) };
    });
  }

  ReadFile({ path }: F.Files_ReadFile_Request): Promise<F.Files_ReadFile_Response> {
    return this.#run(F.Files_ReadFile_Error, `ReadFile ${path}`, () => this.#driver.lock.shared(() =>
      this.#withFile(path, 'r', async (host, stat) => {
        if (stat.size > F.MaxData) throw new VfsError(F.EFBIG, `larger than ${F.MaxData} bytes: read it in chunks (Open/Read)`);
        return { data: await this.#readAll(host) };
      })));
  }

  WriteFile({ path, data, exclusive }: F.Files_WriteFile_Request): Promise<F.Files_WriteFile_Response> {
    return this.#run(F.Files_WriteFile_Error, `WriteFile ${path}`, () => this.#driver.lock.shared(() =>
      this.#withFile(path, exclusive ? 'wx' : 'w', async (host) => {
        await this.#writeAll(host, data);
        return {};
      })));
  }

  AppendFile({ path, data, exclusive }: F.Files_AppendFile_Request): Promise<F.Files_AppendFile_Response> {
    return this.#run(F.Files_AppendFile_Error, `AppendFile ${path}`, () => this.#driver.lock.shared(() =>
      this.#withFile(path, exclusive ? 'ax' : 'a', async (host) => {
        await this.#writeAll(host, data);
        return {};
      })));
  }

  CopyFile({ src, dest, exclusive }: F.Files_CopyFile_Request): Promise<F.Files_CopyFile_Response> {
    return this.#run(F.Files_CopyFile_Error, `CopyFile ${src} ${dest}`, () => this.#driver.lock.shared(async () => {
      segmentsOf(src);
      segmentsOf(dest);
      const from = await this.#existing(src);
      if (from === 'synthetic') throw new VfsError(F.EISDIR);
      const to = await this.#target(dest);
      this.#writable(to);
      if (to.exists && exclusive) throw new VfsError(F.EEXIST);
      if (to.real === from.real) return {}; // as libuv: copying a file onto itself changes nothing
      return this.#withFile(src, 'r', (input) => this.#withFile(dest, exclusive ? 'wx' : 'w', async (output) => {
        for (;;) {
          const chunk = await this.#driver.fs.read(input, F.MaxData, null);
          if (chunk.length === 0) return {};
          await this.#writeAll(output, chunk);
        }
      }));
    }));
  }

  Truncate({ path, length }: F.Files_Truncate_Request): Promise<F.Files_Truncate_Response> {
    return this.#run(F.Files_Truncate_Error, `Truncate ${path}`, () => this.#driver.lock.shared(async () => {
      const r = await this.#existing(path);
      if (r === 'synthetic') throw new VfsError(F.EISDIR);
      this.#writable(r);
      return this.#withFile(path, 'r+', async (host) => {
        await this.#driver.fs.ftruncate(host, Number(length));
        return {};
      });
    }));
  }

  Readdir({ path, start }: F.Files_Readdir_Request): Promise<F.Files_Readdir_Response> {
    return this.#run(F.Files_Readdir_Error, `Readdir ${path}`, () => this.#driver.lock.shared(async () => {
      const ns = this.#namespace();
      const segments = segmentsOf(path);
      const r = await this.#existing(path);
      const byName = new Map<string, number>();
      if (r !== 'synthetic') {
        const s = await this.#driver.fs.lstat(r.real);
        if (s.kind !== 'directory') { refuseSpecial(s); throw new VfsError(F.ENOTDIR); }
        for (const e of await this.#driver.fs.list(r.real)) byName.set(e.name, KIND_CODES[e.kind]);
      }
      // Mount points below this directory show as directories, over whatever the host has there.
      for (const name of ns.childMountNames(segments)) byName.set(name, F.KindDirectory);
      const names = [...byName.keys()].sort();
      const page = names.slice(start, start + F.MaxEntries);
      return { entries: page.map((name) => ({ name, kind: byName.get(name)! })), more: start + page.length < names.length ? 1 : 0 };
    }));
  }

  Stat({ path }: F.Files_Stat_Request): Promise<F.Files_Stat_Response> {
    return this.#run(F.Files_Stat_Error, `Stat ${path}`, () => this.#driver.lock.shared(async () => {
      const r = await this.#existing(path);
      if (r === 'synthetic') return { stat: SYNTHETIC_STAT };
      const s = await this.#driver.fs.lstat(r.real);
      refuseSpecial(s);
      return { stat: wireStat(s) };
    }));
  }

  Lstat({ path }: F.Files_Lstat_Request): Promise<F.Files_Lstat_Response> {
    return this.#run(F.Files_Lstat_Error, `Lstat ${path}`, () => this.#driver.lock.shared(async () => {
      const r = await this.#entry(path);
      if (r === 'synthetic') return { stat: SYNTHETIC_STAT };
      const s = await this.#driver.fs.lstat(r.real);
      refuseSpecial(s);
      return { stat: wireStat(s) };
    }));
  }

  Access({ path, mode }: F.Files_Access_Request): Promise<F.Files_Access_Response> {
    return this.#run(F.Files_Access_Error, `Access ${path}`, () => this.#driver.lock.shared(() => this.#access(path, mode)));
  }

  async #access(path: string, mode: number): Promise<F.Files_Access_Response> {
    const r = await this.#existing(path);
    if (r === 'synthetic') {
      if (mode & F.AccessW) throw new VfsError(F.EROFS, 'only mount points exist here');
      return {};
    }
    const s = await this.#driver.fs.lstat(r.real);
    refuseSpecial(s);
    if (mode & F.AccessW) this.#writable(r);
    if ((mode & F.AccessX) && (s.mode & 0o111) === 0) throw new VfsError(F.EACCES);
    return {};
  }

  Exists({ path }: F.Files_Exists_Request): Promise<F.Files_Exists_Response> {
    return this.#run(F.Files_Exists_Error, `Exists ${path}`, async () => {
      this.#namespace();
      try {
        await this.#driver.lock.shared(() => this.#access(path, 0));
        return { exists: 1 };
      } catch {
        return { exists: 0 };
      }
    });
  }

  Realpath({ path }: F.Files_Realpath_Request): Promise<F.Files_Realpath_Response> {
    return this.#run(F.Files_Realpath_Error, `Realpath ${path}`, () => this.#driver.lock.shared(async () => {
      const r = await this.#existing(path);
      if (r === 'synthetic') return { resolved: path };
      return { resolved: this.#namespace().virtualPath(r.real)! };
    }));
  }

  Mkdir({ path, recursive }: F.Files_Mkdir_Request): Promise<F.Files_Mkdir_Response> {
    return this.#run(F.Files_Mkdir_Error, `Mkdir ${path}`, () => this.#driver.lock.shared(async () => {
      const segments = segmentsOf(path);
      const ns = this.#namespace();
      const place = ns.place(segments);
      if (place.kind === 'synthetic' || (place.kind === 'mount' && place.rest.length === 0)) {
        if (recursive) return { created: '' };
        throw new VfsError(F.EEXIST);
      }
      if (place.kind === 'absent') throw new VfsError(F.EROFS, 'only mount points exist here');
      const levels = recursive ? place.rest.map((_, i) => i + 1) : [place.rest.length];
      let created = '';
      for (const n of levels) {
        const sub = joinSegments([...place.mount.segments, ...place.rest.slice(0, n)]);
        const t = await this.#target(sub);
        if (t.exists) {
          if (!recursive) throw new VfsError(F.EEXIST);
          if ((await this.#driver.fs.lstat(t.real)).kind !== 'directory') throw new VfsError(n === place.rest.length ? F.EEXIST : F.ENOTDIR);
          continue;
        }
        this.#writable(t);
        await this.#driver.fs.mkdir(t.real);
        created ||= sub;
      }
      return { created };
    }));
  }

  /** The entry to remove: an existing, writable one that is no mount's directory. */
  async #removable(path: string): Promise<Removable | undefined> {
    const r = await this.#entry(path);
    if (r === 'synthetic' || r.mountPoint) throw new VfsError(F.EBUSY, 'a mount point');
    let stat: HostStat;
    try {
      stat = await this.#driver.fs.lstat(r.real);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    this.#writable(r);
    if (stat.kind === 'directory' && this.#driver.holdsMountRoot(r.real)) throw new VfsError(F.EBUSY, 'holds a mount\'s directory');
    return { ...r, stat };
  }

  Rm({ path, recursive, force }: F.Files_Rm_Request): Promise<F.Files_Rm_Response> {
    return this.#run(F.Files_Rm_Error, `Rm ${path}`, () => this.#driver.lock.shared(async () => {
      let r: Removable | undefined;
      try {
        r = await this.#removable(path);
      } catch (err) {
        if (force && toVfsError(err).errno === F.ENOENT) return {};
        throw err;
      }
      if (!r) {
        if (force) return {};
        throw new VfsError(F.ENOENT);
      }
      if (r.stat.kind === 'directory' && !recursive) throw new VfsError(F.EISDIR, 'a directory (rm needs recursive)');
      await this.#driver.fs.remove(r.real, { recursive: true });
      return {};
    }));
  }

  Rmdir({ path }: F.Files_Rmdir_Request): Promise<F.Files_Rmdir_Response> {
    return this.#run(F.Files_Rmdir_Error, `Rmdir ${path}`, () => this.#driver.lock.shared(async () => {
      const r = await this.#removable(path);
      if (!r) throw new VfsError(F.ENOENT);
      if (r.stat.kind !== 'directory') throw new VfsError(F.ENOTDIR);
      if ((await this.#driver.fs.list(r.real)).length > 0) throw new VfsError(F.ENOTEMPTY);
      await this.#driver.fs.remove(r.real, { recursive: true }); // empty, checked under the lock
      return {};
    }));
  }

  Unlink({ path }: F.Files_Unlink_Request): Promise<F.Files_Unlink_Response> {
    return this.#run(F.Files_Unlink_Error, `Unlink ${path}`, () => this.#driver.lock.shared(async () => {
      const r = await this.#removable(path);
      if (!r) throw new VfsError(F.ENOENT);
      if (r.stat.kind === 'directory') throw new VfsError(F.EISDIR);
      await this.#driver.fs.remove(r.real);
      return {};
    }));
  }

  Rename({ oldPath, newPath }: F.Files_Rename_Request): Promise<F.Files_Rename_Response> {
    // Alone: a rename is what could make a path another operation has checked lead elsewhere.
    return this.#run(F.Files_Rename_Error, `Rename ${oldPath} ${newPath}`, () => this.#driver.lock.exclusive(async () => {
      segmentsOf(oldPath);
      segmentsOf(newPath);
      const from = await this.#removable(oldPath);
      if (!from) throw new VfsError(F.ENOENT);
      refuseSpecial(from.stat);
      const to = await this.#entry(newPath);
      if (to === 'synthetic' || to.mountPoint) throw new VfsError(F.EBUSY, 'a mount point');
      this.#writable(to);
      if (to.owner !== from.owner) throw new VfsError(F.EXDEV);
      if (this.#driver.holdsMountRoot(to.real)) throw new VfsError(F.EBUSY, 'holds a mount\'s directory');
      await this.#driver.fs.rename(from.real, to.real);
      return {};
    }));
  }

  Open({ path, flags }: F.Files_Open_Request): Promise<F.Files_Open_Response> {
    return this.#run(F.Files_Open_Error, `Open ${path}`, () => this.#driver.lock.shared(async () => {
      const flag = OPEN_FLAGS[flags];
      if (flag === undefined) throw new VfsError(F.EINVAL, `unknown open flags ${flags}`);
      this.#namespace();
      if (this.#files.size + this.#opening >= MAX_OPEN_PER_CLIENT) throw new VfsError(F.EMFILE, `${MAX_OPEN_PER_CLIENT} files already open`);
      this.#opening++;
      let host: number;
      try {
        ({ host } = await this.#open(path, flag));
      } finally {
        this.#opening--;
      }
      const fd = this.#nextFd++;
      this.#files.set(fd, { host, readable: flag === 'r' || flag.includes('+'), writable: flag !== 'r' });
      return { fd };
    }));
  }

  Read({ fd, length, position }: F.Files_Read_Request): Promise<F.Files_Read_Response> {
    return this.#run(F.Files_Read_Error, `Read ${fd}`, async () => {
      const f = this.#file(fd);
      if (!f.readable) throw new VfsError(F.EBADF);
      if (position < -1n) throw new VfsError(F.EINVAL);
      return { data: await this.#driver.fs.read(f.host, Math.min(length, F.MaxData), position === -1n ? null : Number(position)) };
    });
  }

  Write({ fd, data, position }: F.Files_Write_Request): Promise<F.Files_Write_Response> {
    return this.#run(F.Files_Write_Error, `Write ${fd}`, async () => {
      const f = this.#file(fd);
      if (!f.writable) throw new VfsError(F.EBADF);
      if (position < -1n) throw new VfsError(F.EINVAL);
      return { written: await this.#driver.fs.write(f.host, data, position === -1n ? null : Number(position)) };
    });
  }

  Fstat({ fd }: F.Files_Fstat_Request): Promise<F.Files_Fstat_Response> {
    return this.#run(F.Files_Fstat_Error, `Fstat ${fd}`, async () => ({ stat: wireStat(await this.#driver.fs.fstat(this.#file(fd).host)) }));
  }

  Ftruncate({ fd, length }: F.Files_Ftruncate_Request): Promise<F.Files_Ftruncate_Response> {
    return this.#run(F.Files_Ftruncate_Error, `Ftruncate ${fd}`, async () => {
      const f = this.#file(fd);
      if (!f.writable) throw new VfsError(F.EBADF);
      await this.#driver.fs.ftruncate(f.host, Number(length));
      return {};
    });
  }

  Sync({ fd }: F.Files_Sync_Request): Promise<F.Files_Sync_Response> {
    return this.#run(F.Files_Sync_Error, `Sync ${fd}`, async () => {
      try {
        await this.#driver.fs.fsync(this.#file(fd).host);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_ACCESS_DENIED') throw new VfsError(F.ENOSYS, 'fsync is disabled in the process tier (Node\'s permission model); open with "rs+" or "as" to write synchronously');
        throw err;
      }
      return {};
    });
  }

  Close({ fd }: F.Files_Close_Request): Promise<F.Files_Close_Response> {
    return this.#run(F.Files_Close_Error, `Close ${fd}`, async () => {
      const f = this.#file(fd);
      this.#files.delete(fd);
      await this.#driver.fs.close(f.host);
      return {};
    });
  }
}
