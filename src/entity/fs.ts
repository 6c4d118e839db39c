// citadel/fs: Node's fs/promises API for entity code, each call an IPC request to the VFS driver
// (class kl.Vfs) over the channel named `vfs` (or env VFS_FILESYSTEM_BACKEND=client:<id>, as in
// KasperskyOS). Entity bundles get it for `node:fs/promises` and `fs/promises` too, so ordinary
// Node code runs unchanged. Errors are Node's: `code` (ENOENT, EACCES, EROFS …), `errno`,
// `syscall`, `path`. Paths are the client's own namespace: "/" is its root, relative paths start there.
import * as F from '../services/vfs/gen/kl.vfs.Files.idl.ts';
import { CallFailed, IdlErrorReply, connect, env, randomBytes, taskName } from './index.ts';
import { checkEncoding, decodeText, FileData, toBytes, type BufferEncoding } from './fs-encoding.ts';
import { ReadStream, WriteStream, type ReadStreamOptions, type WriteStreamOptions } from './fs-streams.ts';
import type { ClientTransport } from './wire.ts';

export { FileData, ReadStream, WriteStream, type BufferEncoding };

// ---- the connection ------------------------------------------------------------------------

export interface VfsOptions {
  /** init.yaml connection id of the channel to the driver (default `vfs`, or env VFS_FILESYSTEM_BACKEND=client:<id>). */
  readonly connection?: string;
  /** A transport to use instead of a connection (tests). */
  readonly transport?: ClientTransport;
  /** RIID of the driver's `fs` endpoint when `transport` is given (default 0). */
  readonly riid?: number;
  /** The name to attach as (default: this task's name). The policy should pin it per client class. */
  readonly client?: string;
  /** Where mkdtemp's randomness comes from (default: the kernel). */
  readonly random?: (count: number) => Promise<Uint8Array>;
}

let vfsOptions: VfsOptions = {};
let session: Promise<F.FilesProxy> | undefined;

/** Chooses the driver connection and client name; the next call attaches anew. (A Citadel addition.) */
export function configureVfs(next: VfsOptions): void {
  vfsOptions = { ...next };
  session = undefined;
}

function connectionId(): string {
  if (vfsOptions.connection) return vfsOptions.connection;
  const backend = env()['VFS_FILESYSTEM_BACKEND'];
  return backend?.startsWith('client:') ? backend.slice('client:'.length) : 'vfs';
}

async function attach(): Promise<F.FilesProxy> {
  let proxy: F.FilesProxy;
  if (vfsOptions.transport) proxy = new F.FilesProxy(vfsOptions.transport, vfsOptions.riid ?? 0);
  else {
    const id = connectionId();
    let channel;
    try {
      channel = connect(id);
    } catch (err) {
      throw Object.assign(new Error(`ENOSYS: no file system: ${(err as Error).message} (citadel/fs needs a channel "${id}" to a kl.Vfs driver)`), { code: 'ENOSYS', errno: -38 });
    }
    proxy = new F.FilesProxy(channel, channel.riid('fs'));
  }
  await proxy.Attach({ client: vfsOptions.client ?? taskName() });
  return proxy;
}

function proxy(): Promise<F.FilesProxy> {
  session ??= attach().catch((err) => {
    session = undefined;
    throw err;
  });
  return session;
}

// ---- errors --------------------------------------------------------------------------------

const ERRNO_NAMES = new Map<number, string>(Object.entries(F).filter(([k, v]) => /^E[A-Z]+$/.test(k) && typeof v === 'number').map(([k, v]) => [v as number, k]));
const DESCRIPTIONS: Readonly<Record<string, [number, string]>> = {
  EPERM: [1, 'operation not permitted'], ENOENT: [2, 'no such file or directory'], EIO: [5, 'i/o error'],
  EBADF: [9, 'bad file descriptor'], EACCES: [13, 'permission denied'], EBUSY: [16, 'resource busy or locked'],
  EEXIST: [17, 'file already exists'], EXDEV: [18, 'cross-device link not permitted'], ENOTDIR: [20, 'not a directory'],
  EISDIR: [21, 'illegal operation on a directory'], EINVAL: [22, 'invalid argument'], EMFILE: [24, 'too many open files'],
  EFBIG: [27, 'file too large'], ENOSPC: [28, 'no space left on device'], EROFS: [30, 'read-only file system'],
  ENAMETOOLONG: [36, 'name too long'], ENOSYS: [38, 'function not implemented'], ENOTEMPTY: [39, 'directory not empty'],
  ELOOP: [40, 'too many symbolic links encountered'], ENOTCONN: [107, 'socket is not connected'], ETIMEDOUT: [110, 'connection timed out'],
};

/** A Node-style system error: `${code}: ${description}, ${syscall} '${path}'`. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
}

function systemError(code: string, syscall: string, path?: string, dest?: string, detail?: string, cause?: unknown): SystemError {
  const [n, description] = DESCRIPTIONS[code] ?? [5, 'i/o error'];
  const where = path === undefined ? '' : dest === undefined ? ` '${path}'` : ` '${path}' -> '${dest}'`;
  const err = new Error(`${code}: ${description}${detail ? ` (${detail})` : ''}, ${syscall}${where}`, cause === undefined ? undefined : { cause }) as SystemError;
  err.code = code;
  err.errno = -n;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

function invalidArg(message: string, code = 'ERR_INVALID_ARG_TYPE'): TypeError {
  return Object.assign(new TypeError(message), { code });
}

const CALL_FAILURES: Readonly<Record<string, [string, string]>> = {
  SecurityDisallow: ['EACCES', 'denied by the security policy'],
  NotConnected: ['EIO', 'the file system driver is not running'],
  Timeout: ['ETIMEDOUT', 'the file system driver did not answer'],
  Busy: ['EBUSY', 'the file system driver is busy'],
  InvalidMessage: ['EINVAL', 'the kernel refused the request'],
  ServerFault: ['EIO', 'the file system driver failed'],
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One driver call: attaches first, attaches again if the driver restarted, retries while the
 * kernel says the driver's queue is full, and turns failures into Node-style errors.
 */
async function call<T>(syscall: string, path: string | undefined, fn: (p: F.FilesProxy) => Promise<T>, dest?: string): Promise<T> {
  let reattached = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(await proxy());
    } catch (err) {
      if (err instanceof IdlErrorReply) {
        const { code, reason } = err.params as { code: number; reason: string };
        if (code === F.ENOTCONN && !reattached) {
          reattached = true;
          session = undefined;
          continue;
        }
        throw systemError(ERRNO_NAMES.get(code) ?? 'EIO', syscall, path, dest, reason || undefined);
      }
      if (err instanceof CallFailed) {
        if (err.status === 'Busy' && attempt < 10) {
          await sleep(Math.min(2 ** attempt, 100));
          continue;
        }
        const [code, detail] = CALL_FAILURES[err.status] ?? ['EIO', err.status];
        throw systemError(code, syscall, path, dest, detail, err);
      }
      if ((err as { code?: unknown }).code === 'ENOSYS') throw err;
      if ((err as { name?: unknown }).name === 'CodecError') throw systemError('ENAMETOOLONG', syscall, path, dest, (err as Error).message, err);
      throw err;
    }
  }
}

// ---- paths ---------------------------------------------------------------------------------

export type PathLike = string | Uint8Array | { readonly href: string; readonly protocol: string; readonly pathname: string };

/** The path as the caller wrote it (for messages). */
function pathString(p: unknown, name = 'path'): string {
  let s: string;
  if (typeof p === 'string') s = p;
  else if (p instanceof Uint8Array) s = decodeText(p);
  else if (typeof p === 'object' && p !== null && 'protocol' in p && 'pathname' in p) {
    if ((p as { protocol: unknown }).protocol !== 'file:') throw invalidArg('The URL must be of scheme file', 'ERR_INVALID_URL_SCHEME');
    s = decodeURIComponent(String((p as { pathname: unknown }).pathname));
  } else throw invalidArg(`The "${name}" argument must be of type string or an instance of Buffer or URL. Received ${p === null ? 'null' : typeof p}`);
  if (s.includes('\0')) throw invalidArg(`The argument '${name}' must be a string, Uint8Array, or URL without null bytes. Received ${JSON.stringify(s)}`, 'ERR_INVALID_ARG_VALUE');
  return s;
}

/**
 * The canonical absolute path in the client's namespace: relative paths start at "/", "." and
 * empty segments go, ".." goes up and stops at the root (as in a chroot).
 */
export function resolvePath(p: string): string {
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return '/' + out.join('/');
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

// ---- metadata ------------------------------------------------------------------------------

const S_IFMT = 0o170000;
const KIND_BITS: Readonly<Record<number, number>> = { [F.KindFile]: 0o100000, [F.KindDirectory]: 0o040000, [F.KindSymlink]: 0o120000 };
const NS_PER_MS = 1_000_000n;

function typeBits(kind: number, mode: number): number {
  return (mode & ~S_IFMT) | (KIND_BITS[kind] ?? (mode & S_IFMT));
}

/** fs.Stats: times in ms (and Dates), kind predicates. dev, uid, gid and rdev are 0 (host details stay in the driver). */
/** The type predicates of fs.Stats, BigIntStats and Dirent (the driver never serves devices, FIFOs or sockets). */
class FileKind {
  readonly #kind: number;
  constructor(kind: number) { this.#kind = kind; }
  isFile(): boolean { return this.#kind === F.KindFile; }
  isDirectory(): boolean { return this.#kind === F.KindDirectory; }
  isSymbolicLink(): boolean { return this.#kind === F.KindSymlink; }
  isFIFO(): boolean { return false; }
  isSocket(): boolean { return false; }
  isBlockDevice(): boolean { return false; }
  isCharacterDevice(): boolean { return false; }
}

export class Stats extends FileKind {
  dev = 0; ino: number; mode: number; nlink: number; uid = 0; gid = 0; rdev = 0; size: number; blksize = 4096; blocks: number;
  atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
  atime: Date; mtime: Date; ctime: Date; birthtime: Date;

  constructor(s: F.FileStat) {
    super(s.kind);
    this.ino = Number(s.ino);
    this.mode = typeBits(s.kind, s.mode);
    this.nlink = s.nlink;
    this.size = Number(s.size);
    this.blocks = Math.ceil(this.size / 512);
    this.atimeMs = Number(s.atimeNs) / 1e6;
    this.mtimeMs = Number(s.mtimeNs) / 1e6;
    this.ctimeMs = Number(s.ctimeNs) / 1e6;
    this.birthtimeMs = Number(s.birthtimeNs) / 1e6;
    this.atime = new Date(Math.trunc(this.atimeMs));
    this.mtime = new Date(Math.trunc(this.mtimeMs));
    this.ctime = new Date(Math.trunc(this.ctimeMs));
    this.birthtime = new Date(Math.trunc(this.birthtimeMs));
  }
}

/** fs.BigIntStats (`{ bigint: true }`): bigint fields plus the *Ns times. */
export class BigIntStats extends FileKind {
  dev = 0n; ino: bigint; mode: bigint; nlink: bigint; uid = 0n; gid = 0n; rdev = 0n; size: bigint; blksize = 4096n; blocks: bigint;
  atimeMs: bigint; mtimeMs: bigint; ctimeMs: bigint; birthtimeMs: bigint;
  atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint; birthtimeNs: bigint;
  atime: Date; mtime: Date; ctime: Date; birthtime: Date;

  constructor(s: F.FileStat) {
    super(s.kind);
    this.ino = s.ino;
    this.mode = BigInt(typeBits(s.kind, s.mode));
    this.nlink = BigInt(s.nlink);
    this.size = s.size;
    this.blocks = (s.size + 511n) / 512n;
    [this.atimeNs, this.mtimeNs, this.ctimeNs, this.birthtimeNs] = [s.atimeNs, s.mtimeNs, s.ctimeNs, s.birthtimeNs];
    [this.atimeMs, this.mtimeMs, this.ctimeMs, this.birthtimeMs] = [s.atimeNs / NS_PER_MS, s.mtimeNs / NS_PER_MS, s.ctimeNs / NS_PER_MS, s.birthtimeNs / NS_PER_MS];
    [this.atime, this.mtime, this.ctime, this.birthtime] = [this.atimeMs, this.mtimeMs, this.ctimeMs, this.birthtimeMs].map((ms) => new Date(Number(ms))) as [Date, Date, Date, Date];
  }
}

export interface StatOptions { readonly bigint?: boolean }

function statsOf(s: F.FileStat, opts?: StatOptions): Stats | BigIntStats {
  return opts?.bigint ? new BigIntStats(s) : new Stats(s);
}

/** fs.Dirent. Entries the driver lists as `other` (devices, FIFOs, sockets) answer false to every predicate. */
export class Dirent extends FileKind {
  readonly name: string;
  readonly parentPath: string;

  constructor(name: string, parentPath: string, kind: number) {
    super(kind);
    this.name = name;
    this.parentPath = parentPath;
  }
}

// ---- constants -----------------------------------------------------------------------------

/** fs.constants (Linux values). */
export const constants = Object.freeze({
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4,
  UV_FS_COPYFILE_EXCL: 1, UV_FS_COPYFILE_FICLONE: 2, UV_FS_COPYFILE_FICLONE_FORCE: 4,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: 0o400, O_TRUNC: 0o1000, O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000, O_DSYNC: 0o10000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000, O_SYNC: 0o4010000,
  S_IFMT: 0o170000, S_IFREG: 0o100000, S_IFDIR: 0o040000, S_IFCHR: 0o020000, S_IFBLK: 0o060000, S_IFIFO: 0o010000, S_IFLNK: 0o120000, S_IFSOCK: 0o140000,
  S_IRWXU: 0o700, S_IRUSR: 0o400, S_IWUSR: 0o200, S_IXUSR: 0o100, S_IRWXG: 0o070, S_IRGRP: 0o040, S_IWGRP: 0o020, S_IXGRP: 0o010,
  S_IRWXO: 0o007, S_IROTH: 0o004, S_IWOTH: 0o002, S_IXOTH: 0o001,
});

// ---- open flags ----------------------------------------------------------------------------

const FLAG_CODES: Readonly<Record<string, number>> = {
  'r': F.OpenR, 'rs': F.OpenR, 'sr': F.OpenR, 'r+': F.OpenRPlus, 'rs+': F.OpenRsPlus, 'sr+': F.OpenRsPlus,
  'w': F.OpenW, 'wx': F.OpenWx, 'xw': F.OpenWx, 'w+': F.OpenWPlus, 'wx+': F.OpenWxPlus, 'xw+': F.OpenWxPlus,
  'a': F.OpenA, 'as': F.OpenAs, 'sa': F.OpenAs, 'ax': F.OpenAx, 'xa': F.OpenAx,
  'a+': F.OpenAPlus, 'as+': F.OpenAsPlus, 'sa+': F.OpenAsPlus, 'ax+': F.OpenAxPlus, 'xa+': F.OpenAxPlus,
};

/** Numeric O_* combinations Node's flag strings stand for. */
const NUMERIC_FLAGS: readonly [number, number][] = [
  [constants.O_RDONLY, F.OpenR], [constants.O_RDWR, F.OpenRPlus],
  [constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, F.OpenW], [constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_EXCL, F.OpenWx],
  [constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, F.OpenWPlus], [constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_EXCL, F.OpenWxPlus],
  [constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, F.OpenA], [constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_EXCL, F.OpenAx],
  [constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, F.OpenAPlus], [constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_EXCL, F.OpenAxPlus],
  [constants.O_RDWR | constants.O_SYNC, F.OpenRsPlus], [constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_SYNC, F.OpenAs],
  [constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_SYNC, F.OpenAsPlus],
];
/** Bits that change nothing here: O_NOCTTY, and O_SYNC/O_DSYNC on a read-only open. */
const IGNORED_BITS = constants.O_NOCTTY;

function flagCode(flags: string | number | undefined, fallback: string): number {
  const f = flags ?? fallback;
  if (typeof f === 'string') {
    const code = FLAG_CODES[f];
    if (code === undefined) throw invalidArg(`The value "${f}" is invalid for option "flags"`, 'ERR_INVALID_ARG_VALUE');
    return code;
  }
  let bits = f & ~IGNORED_BITS;
  // O_EXCL creates a new file, so O_TRUNC makes no difference to it; O_DSYNC is as good as O_SYNC
  // here, and a read-only open writes nothing to synchronise.
  if (bits & constants.O_EXCL) bits |= constants.O_TRUNC;
  if (bits & constants.O_DSYNC) bits |= constants.O_SYNC;
  if ((bits & 3) === constants.O_RDONLY) bits &= ~constants.O_SYNC;
  const match = NUMERIC_FLAGS.find(([b]) => b === bits);
  if (!match) throw systemError('EINVAL', 'open', undefined, undefined, `flags ${f} are not one of Node's flag strings`);
  return match[1];
}

// ---- whole files ---------------------------------------------------------------------------

type EncodingOption = BufferEncoding | null | undefined;
interface ReadFileOptions { readonly encoding?: EncodingOption; readonly flag?: string; readonly signal?: { readonly aborted: boolean } }
interface WriteFileOptions { readonly encoding?: EncodingOption; readonly flag?: string; readonly mode?: number; readonly flush?: boolean; readonly signal?: { readonly aborted: boolean } }

function encodingOf(options: unknown): EncodingOption {
  const encoding = typeof options === 'string' ? options : (options as { encoding?: EncodingOption } | null | undefined)?.encoding;
  checkEncoding(encoding);
  return encoding as EncodingOption;
}

function checkAborted(options: unknown, syscall: string): void {
  if ((options as { signal?: { aborted?: boolean } } | null | undefined)?.signal?.aborted) throw Object.assign(new Error(`The operation was aborted (${syscall})`), { name: 'AbortError', code: 'ABORT_ERR' });
}

function concat(chunks: readonly Uint8Array[]): FileData {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new FileData(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

export function readFile(path: PathLike | FileHandle, options?: (ReadFileOptions & { readonly encoding?: null }) | null): Promise<FileData>;
export function readFile(path: PathLike | FileHandle, options: (ReadFileOptions & { readonly encoding: BufferEncoding }) | BufferEncoding): Promise<string>;
export function readFile(path: PathLike | FileHandle, options?: ReadFileOptions | BufferEncoding | null): Promise<string | FileData>;
export async function readFile(path: PathLike | FileHandle, options?: ReadFileOptions | BufferEncoding | null): Promise<string | FileData> {
  const encoding = encodingOf(options);
  checkAborted(options, 'readFile');
  if (path instanceof FileHandle) return path.readFile(encoding ? { encoding } : undefined);
  const given = pathString(path);
  const flag = typeof options === 'object' && options !== null ? options.flag : undefined;
  let bytes: Uint8Array;
  if (flag === undefined || flag === 'r') {
    try {
      bytes = (await call('open', given, (p) => p.ReadFile({ path: resolvePath(given) }))).data;
    } catch (err) {
      if ((err as SystemError).code !== 'EFBIG') throw err;
      bytes = await readInChunks(given, 'r');
    }
  } else bytes = await readInChunks(given, flag);
  const data = FileData.wrap(bytes);
  return encoding ? decodeText(data, encoding) : data;
}

async function readInChunks(given: string, flag: string): Promise<Uint8Array> {
  const handle = await open(given, flag);
  try {
    return (await handle.readFile()) as FileData;
  } finally {
    await handle.close();
  }
}

type WriteData = string | ArrayBufferView | Iterable<string | ArrayBufferView> | AsyncIterable<string | ArrayBufferView>;

async function* chunksOf(data: WriteData, encoding: EncodingOption): AsyncGenerator<Uint8Array> {
  if (typeof data === 'string' || ArrayBuffer.isView(data)) { yield toBytes(data, encoding); return; }
  if (data && (Symbol.asyncIterator in data || Symbol.iterator in data)) {
    for await (const chunk of data as AsyncIterable<string | ArrayBufferView>) yield toBytes(chunk, encoding);
    return;
  }
  throw invalidArg(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? 'null' : typeof data}`);
}

export async function writeFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  const encoding = encodingOf(options);
  checkAborted(options, 'writeFile');
  if (path instanceof FileHandle) return path.writeFile(data, encoding ? { encoding } : undefined);
  const given = pathString(path);
  const flag = (typeof options === 'object' && options !== null ? options.flag : undefined) ?? 'w';
  // One message when it fits; bigger or streamed data goes through an open file.
  if ((typeof data === 'string' || ArrayBuffer.isView(data)) && (flag === 'w' || flag === 'wx' || flag === 'a' || flag === 'ax')) {
    const bytes = toBytes(data, encoding);
    if (bytes.length <= F.MaxData) {
      const exclusive = flag.endsWith('x') ? 1 : 0;
      const request = { path: resolvePath(given), data: bytes, exclusive };
      await call('open', given, (p) => (flag.startsWith('a') ? p.AppendFile(request) : p.WriteFile(request)));
      return;
    }
  }
  const handle = await open(given, flag);
  try {
    for await (const chunk of chunksOf(data, encoding)) await handle.write(chunk, 0, chunk.length, null);
  } finally {
    await handle.close();
  }
}

export function appendFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  const opts = typeof options === 'string' ? { encoding: options } : options ?? {};
  return writeFile(path, data, { ...opts, flag: opts.flag ?? 'a' });
}

export async function copyFile(src: PathLike, dest: PathLike, mode = 0): Promise<void> {
  const s = pathString(src, 'src');
  const d = pathString(dest, 'dest');
  if (mode & constants.COPYFILE_FICLONE_FORCE) throw systemError('ENOSYS', 'copyfile', s, d, 'no copy-on-write clones');
  await call('copyfile', s, (p) => p.CopyFile({ src: resolvePath(s), dest: resolvePath(d), exclusive: mode & constants.COPYFILE_EXCL ? 1 : 0 }), d);
}

export async function truncate(path: PathLike, len = 0): Promise<void> {
  const given = pathString(path);
  await call('open', given, (p) => p.Truncate({ path: resolvePath(given), length: BigInt(Math.max(0, len)) }));
}

// ---- names and metadata --------------------------------------------------------------------

export async function stat(path: PathLike, opts?: StatOptions): Promise<Stats | BigIntStats> {
  const given = pathString(path);
  return statsOf((await call('stat', given, (p) => p.Stat({ path: resolvePath(given) }))).stat, opts);
}

export async function lstat(path: PathLike, opts?: StatOptions): Promise<Stats | BigIntStats> {
  const given = pathString(path);
  return statsOf((await call('lstat', given, (p) => p.Lstat({ path: resolvePath(given) }))).stat, opts);
}

export async function access(path: PathLike, mode: number = constants.F_OK): Promise<void> {
  const given = pathString(path);
  await call('access', given, (p) => p.Access({ path: resolvePath(given), mode: mode & 7 }));
}

/** Whether something the client may use is at `path` (never throws for a missing path). A Citadel addition. */
export async function exists(path: PathLike): Promise<boolean> {
  const given = pathString(path);
  return (await call('access', given, (p) => p.Exists({ path: resolvePath(given) }))).exists === 1;
}

export async function realpath(path: PathLike, options?: { encoding?: EncodingOption } | BufferEncoding): Promise<string> {
  encodingOf(options);
  const given = pathString(path);
  return (await call('realpath', given, (p) => p.Realpath({ path: resolvePath(given) }))).resolved;
}

async function listAll(given: string, wire: string): Promise<F.DirEntry[]> {
  const entries: F.DirEntry[] = [];
  for (let more = true; more;) {
    const page = await call('scandir', given, (p) => p.Readdir({ path: wire, start: entries.length }));
    entries.push(...page.entries);
    more = page.more === 1 && page.entries.length > 0;
  }
  return entries;
}

interface ReaddirOptions { readonly encoding?: EncodingOption | 'buffer'; readonly withFileTypes?: boolean; readonly recursive?: boolean }

export async function readdir(path: PathLike, options?: ReaddirOptions | BufferEncoding | null): Promise<string[] | Dirent[]> {
  const opts = typeof options === 'string' ? { encoding: options } : options ?? {};
  const given = pathString(path);
  const out: (string | Dirent)[] = [];
  // Breadth-first, as Node's recursive readdir: names relative to `path`.
  const queue: string[] = [''];
  while (queue.length > 0) {
    const rel = queue.shift()!;
    const dir = rel === '' ? given : joinPath(given, rel);
    for (const e of await listAll(dir, resolvePath(dir))) {
      const name = rel === '' ? e.name : `${rel}/${e.name}`;
      out.push(opts.withFileTypes ? new Dirent(e.name, dir, e.kind) : name);
      if (opts.recursive && e.kind === F.KindDirectory) queue.push(name);
    }
  }
  return out as string[] | Dirent[];
}

export async function mkdir(path: PathLike, options?: { recursive?: boolean; mode?: number } | number): Promise<string | undefined> {
  const given = pathString(path);
  const recursive = typeof options === 'object' && options?.recursive === true;
  const { created } = await call('mkdir', given, (p) => p.Mkdir({ path: resolvePath(given), recursive: recursive ? 1 : 0 }));
  return recursive ? (created === '' ? undefined : created) : undefined;
}

export async function rm(path: PathLike, options?: { recursive?: boolean; force?: boolean; maxRetries?: number; retryDelay?: number }): Promise<void> {
  const given = pathString(path);
  await call('rm', given, (p) => p.Rm({ path: resolvePath(given), recursive: options?.recursive ? 1 : 0, force: options?.force ? 1 : 0 }));
}

export async function rmdir(path: PathLike, options?: { recursive?: boolean }): Promise<void> {
  const given = pathString(path);
  if (options?.recursive) return rm(given, { recursive: true });
  await call('rmdir', given, (p) => p.Rmdir({ path: resolvePath(given) }));
}

export async function unlink(path: PathLike): Promise<void> {
  const given = pathString(path);
  await call('unlink', given, (p) => p.Unlink({ path: resolvePath(given) }));
}

export async function rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
  const from = pathString(oldPath, 'oldPath');
  const to = pathString(newPath, 'newPath');
  await call('rename', from, (p) => p.Rename({ oldPath: resolvePath(from), newPath: resolvePath(to) }), to);
}

const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A new directory named `prefix` + six random characters (randomness from the kernel). */
export async function mkdtemp(prefix: PathLike, options?: { encoding?: EncodingOption } | BufferEncoding): Promise<string> {
  encodingOf(options);
  const base = pathString(prefix, 'prefix');
  for (let attempt = 0; ; attempt++) {
    const bytes = await (vfsOptions.random ?? randomBytes)(6);
    const candidate = base + [...bytes].map((b) => TEMP_CHARS[b % TEMP_CHARS.length]).join('');
    try {
      await call('mkdtemp', candidate, (p) => p.Mkdir({ path: resolvePath(candidate), recursive: 0 }));
      return candidate;
    } catch (err) {
      if ((err as SystemError).code !== 'EEXIST' || attempt >= 10) throw err;
    }
  }
}

// Where the engine (or the compartment) lacks Symbol.asyncDispose, the symbol bundlers use for `await using`.
const asyncDispose: symbol = (Symbol as { asyncDispose?: symbol }).asyncDispose ?? Symbol.for('Symbol.asyncDispose');

/** mkdtemp, returning `{ path, remove() }` that `await using` removes. */
export async function mkdtempDisposable(prefix: PathLike, options?: { encoding?: EncodingOption } | BufferEncoding): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(prefix, options);
  const remove = () => rm(path, { recursive: true, force: true });
  const result = { path, remove };
  Object.defineProperty(result, asyncDispose, { value: remove });
  return result;
}

/** cp: files and, with `recursive`, directory trees (symbolic links are copied as what they lead to). */
export async function cp(src: PathLike, dest: PathLike, options: { recursive?: boolean; force?: boolean; errorOnExist?: boolean; filter?: (src: string, dest: string) => boolean | Promise<boolean> } = {}): Promise<void> {
  const s = pathString(src, 'src');
  const d = pathString(dest, 'dest');
  if (options.filter && !(await options.filter(s, d))) return;
  const info = await stat(s);
  if (info.isDirectory()) {
    if (!options.recursive) throw Object.assign(systemError('EISDIR', 'cp', s, d, 'recursive option is required to copy a directory'), { code: 'ERR_FS_EISDIR' });
    await mkdir(d, { recursive: true });
    for (const name of await readdir(s) as string[]) await cp(joinPath(s, name), joinPath(d, name), options);
    return;
  }
  const force = options.force !== false;
  try {
    await copyFile(s, d, force ? 0 : constants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as SystemError).code === 'EEXIST' && !options.errorOnExist) return;
    throw err;
  }
}

// ---- open files ----------------------------------------------------------------------------

interface ReadResult<T> { bytesRead: number; buffer: T }
interface WriteResult<T> { bytesWritten: number; buffer: T }
type Position = number | bigint | null | undefined;

function wirePosition(position: Position): bigint {
  if (position === null || position === undefined || position === -1 || position === -1n) return -1n;
  const p = BigInt(position);
  if (p < 0n) throw invalidArg(`The value of "position" is out of range. It must be >= -1. Received ${position}`, 'ERR_OUT_OF_RANGE');
  return p;
}

/** fs/promises FileHandle over a driver file descriptor. */
export class FileHandle {
  /** Closes the handle: `await using handle = await open(p)` (defined below the class). */
  declare readonly [Symbol.asyncDispose]: () => Promise<void>;
  readonly #fd: number;
  readonly #path: string;
  #closed = false;

  constructor(fd: number, path: string) {
    this.#fd = fd;
    this.#path = path;
  }

  /** The driver's descriptor number (-1 once closed). */
  get fd(): number { return this.#closed ? -1 : this.#fd; }

  #live(syscall: string): number {
    if (this.#closed) throw systemError('EBADF', syscall, undefined, undefined, 'file closed');
    return this.#fd;
  }

  async read<T extends ArrayBufferView = FileData>(buffer?: T | { buffer?: T; offset?: number; length?: number; position?: Position }, offset?: number | { offset?: number; length?: number; position?: Position }, length?: number, position?: Position): Promise<ReadResult<T>> {
    let target: ArrayBufferView | undefined;
    let opts: { offset?: number; length?: number; position?: Position } = {};
    if (buffer !== undefined && !ArrayBuffer.isView(buffer)) ({ buffer: target, ...opts } = buffer);
    else {
      target = buffer;
      opts = typeof offset === 'object' && offset !== null ? offset : { offset, length, position };
    }
    const out = target ?? new FileData(16384);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const at = opts.offset ?? 0;
    const want = Math.min(opts.length ?? bytes.length - at, bytes.length - at);
    if (at < 0 || want < 0) throw invalidArg('The value of "offset" is out of range', 'ERR_OUT_OF_RANGE');
    if (want === 0) return { bytesRead: 0, buffer: out as T };
    const fd = this.#live('read');
    const { data } = await call('read', undefined, (p) => p.Read({ fd, length: Math.min(want, F.MaxData), position: wirePosition(opts.position) }));
    bytes.set(data, at);
    return { bytesRead: data.length, buffer: out as T };
  }

  async write<T extends ArrayBufferView | string>(data: T, offsetOrPosition?: number | Position | { offset?: number; length?: number; position?: Position }, lengthOrEncoding?: number | string, position?: Position): Promise<WriteResult<T>> {
    let bytes: Uint8Array;
    let pos: Position;
    if (typeof data === 'string') {
      bytes = toBytes(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8');
      pos = offsetOrPosition as Position;
    } else {
      const all = toBytes(data);
      const opts = typeof offsetOrPosition === 'object' && offsetOrPosition !== null ? offsetOrPosition : { offset: offsetOrPosition as number | undefined, length: lengthOrEncoding as number | undefined, position };
      const at = opts.offset ?? 0;
      bytes = all.subarray(at, at + (opts.length ?? all.length - at));
      pos = opts.position;
    }
    const fd = this.#live('write');
    let written = 0;
    let wire = wirePosition(pos);
    while (written < bytes.length) {
      const chunk = bytes.subarray(written, written + F.MaxData);
      const { written: n } = await call('write', undefined, (p) => p.Write({ fd, data: chunk, position: wire }));
      written += n;
      if (wire !== -1n) wire += BigInt(n);
      if (n === 0) break;
    }
    return { bytesWritten: written, buffer: data };
  }

  readFile(options?: { encoding?: null } | null): Promise<FileData>;
  readFile(options: { encoding: BufferEncoding } | BufferEncoding): Promise<string>;
  readFile(options?: { encoding?: EncodingOption } | BufferEncoding | null): Promise<string | FileData>;
  async readFile(options?: { encoding?: EncodingOption } | BufferEncoding | null): Promise<string | FileData> {
    const encoding = encodingOf(options);
    const fd = this.#live('read');
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { data } = await call('read', undefined, (p) => p.Read({ fd, length: F.MaxData, position: -1n }));
      if (data.length === 0) break;
      chunks.push(data);
    }
    const all = concat(chunks);
    return encoding ? decodeText(all, encoding) : all;
  }

  async writeFile(data: WriteData, options?: { encoding?: EncodingOption } | BufferEncoding | null): Promise<void> {
    const encoding = encodingOf(options);
    for await (const chunk of chunksOf(data, encoding)) await this.write(chunk, 0, chunk.length, null);
  }

  appendFile(data: WriteData, options?: { encoding?: EncodingOption } | BufferEncoding | null): Promise<void> {
    return this.writeFile(data, options);
  }

  async stat(opts?: StatOptions): Promise<Stats | BigIntStats> {
    const fd = this.#live('fstat');
    return statsOf((await call('fstat', undefined, (p) => p.Fstat({ fd }))).stat, opts);
  }

  async truncate(len = 0): Promise<void> {
    const fd = this.#live('ftruncate');
    await call('ftruncate', undefined, (p) => p.Ftruncate({ fd, length: BigInt(Math.max(0, len)) }));
  }

  async sync(): Promise<void> {
    const fd = this.#live('fsync');
    await call('fsync', undefined, (p) => p.Sync({ fd }));
  }

  datasync(): Promise<void> { return this.sync(); }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    OPEN_HANDLES.delete(this.#fd);
    await call('close', undefined, (p) => p.Close({ fd: this.#fd }));
  }

  createReadStream(options: ReadStreamOptions = {}): ReadStream {
    return new ReadStream(this.#path, async () => this, options);
  }

  createWriteStream(options: WriteStreamOptions = {}): WriteStream {
    return new WriteStream(this.#path, async () => this, options);
  }
}
Object.defineProperty(FileHandle.prototype, asyncDispose, { value(this: FileHandle) { return this.close(); } });

/** Open handles by descriptor, for the callback API's numeric fds. */
const OPEN_HANDLES = new Map<number, FileHandle>();

/** The FileHandle of an open descriptor (node:fs callback API). */
export function handleOf(fd: number, syscall: string): FileHandle {
  const h = OPEN_HANDLES.get(fd);
  if (!h) throw systemError('EBADF', syscall, undefined, undefined, `no open file ${fd}`);
  return h;
}

export async function open(path: PathLike, flags?: string | number, _mode?: number): Promise<FileHandle> {
  const given = pathString(path);
  const code = flagCode(flags, 'r');
  const { fd } = await call('open', given, (p) => p.Open({ path: resolvePath(given), flags: code }));
  const handle = new FileHandle(fd, given);
  OPEN_HANDLES.set(fd, handle);
  return handle;
}

// ---- directories as handles ----------------------------------------------------------------

/** fs.Dir: read() one entry at a time, or `for await`. */
export class Dir implements AsyncIterable<Dirent> {
  readonly path: string;
  readonly #entries: Promise<Dirent[]>;
  #closed = false;

  constructor(path: string, entries: Promise<Dirent[]>) {
    this.path = path;
    this.#entries = entries;
  }

  async read(): Promise<Dirent | null> {
    if (this.#closed) throw Object.assign(new Error('Directory handle was closed'), { code: 'ERR_DIR_CLOSED' });
    return (await this.#entries).shift() ?? null;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Dirent> {
    try {
      for (let e = await this.read(); e; e = await this.read()) yield e;
    } finally {
      await this.close();
    }
  }
}

export async function opendir(path: PathLike, options?: { recursive?: boolean; bufferSize?: number; encoding?: EncodingOption }): Promise<Dir> {
  const given = pathString(path);
  const entries = readdir(given, { withFileTypes: true, ...(options?.recursive ? { recursive: true } : {}) }) as Promise<Dirent[]>;
  await entries; // errors (ENOENT, ENOTDIR …) surface from opendir itself, as in Node
  return new Dir(given, entries);
}

// ---- streams -------------------------------------------------------------------------------

interface FsReadStreamOptions extends ReadStreamOptions { readonly flags?: string; readonly fd?: FileHandle | null }
interface FsWriteStreamOptions extends WriteStreamOptions { readonly flags?: string; readonly fd?: FileHandle | null }

/**
 * fs.createReadStream: an async iterable of chunks (64 KiB by default) that also emits 'data',
 * 'end', 'close' and 'error' once listened to. No Node stream methods beyond pause/resume/pipe.
 */
export function createReadStream(path: PathLike | null, options?: FsReadStreamOptions | BufferEncoding): ReadStream {
  const opts: FsReadStreamOptions = typeof options === 'string' ? { encoding: options } : options ?? {};
  if (opts.encoding) checkEncoding(opts.encoding);
  const given = path === null ? undefined : pathString(path);
  const handle = opts.fd;
  if (!handle && given === undefined) throw invalidArg('createReadStream needs a path or options.fd');
  return new ReadStream(given, handle ? async () => handle : () => open(given!, opts.flags ?? 'r'), opts);
}

/** fs.createWriteStream: write()/end() with 'drain', 'finish', 'close' and 'error'. */
export function createWriteStream(path: PathLike | null, options?: FsWriteStreamOptions | BufferEncoding): WriteStream {
  const opts: FsWriteStreamOptions = typeof options === 'string' ? { encoding: options } : options ?? {};
  if (opts.encoding) checkEncoding(opts.encoding);
  const given = path === null ? undefined : pathString(path);
  const handle = opts.fd;
  if (!handle && given === undefined) throw invalidArg('createWriteStream needs a path or options.fd');
  return new WriteStream(given, handle ? async () => handle : () => open(given!, opts.flags ?? 'w'), opts);
}

// ---- the default export: what `import fs from 'node:fs/promises'` gives ---------------------

const promises = {
  access, appendFile, constants, copyFile, cp, lstat, mkdir, mkdtemp, mkdtempDisposable, open, opendir, readFile, readdir,
  realpath, rename, rm, rmdir, stat, truncate, unlink, writeFile,
  // Citadel additions (not in Node's fs/promises):
  exists, createReadStream, createWriteStream, configureVfs,
};
export default promises;
