// What entity bundles get for `node:fs` and `fs`: Node's callback API over citadel/fs (the
// promise API), with numeric file descriptors, plus `promises`, `constants`, the stream
// constructors and classes. There are no *Sync functions: an entity cannot block on IPC, so a
// named import of one fails the build and names it.
import * as P from './fs.ts';
import { toBytes } from './fs-encoding.ts';

export { constants, Dir, Dirent, ReadStream, Stats, WriteStream } from './fs.ts';
export const promises = P.default;

type Callback = (err: Error | null, ...values: unknown[]) => void;

function takeCallback(args: unknown[]): Callback {
  const callback = args.pop();
  if (typeof callback !== 'function') throw Object.assign(new TypeError(`The "cb" argument must be of type function. Received ${callback === undefined ? 'undefined' : typeof callback}`), { code: 'ERR_INVALID_ARG_TYPE' });
  return callback as Callback;
}

/** The callback form of a promise function: `fn(...args, callback(err, value))`. */
function callbackify(fn: (...args: any[]) => Promise<unknown>, spread?: (value: any) => unknown[]) {
  return (...args: unknown[]): void => {
    const callback = takeCallback(args);
    // Trailing undefineds are optional arguments the caller skipped.
    while (args.length > 0 && args.at(-1) === undefined) args.pop();
    fn(...args).then((value) => (spread ? callback(null, ...spread(value)) : value === undefined ? callback(null) : callback(null, value)), (err: Error) => callback(err));
  };
}

/** A path, or a numeric descriptor standing for its FileHandle. */
const pathOrFd = (target: unknown, syscall: string) => (typeof target === 'number' ? P.handleOf(target, syscall) : target as P.PathLike);

export const access = callbackify(P.access);
export const appendFile = callbackify((target: unknown, data: unknown, options?: unknown) => P.appendFile(pathOrFd(target, 'write'), data as string, options as BufferEncoding));
export const copyFile = callbackify(P.copyFile);
export const cp = callbackify(P.cp);
export const lstat = callbackify(P.lstat);
export const mkdir = callbackify(P.mkdir);
export const mkdtemp = callbackify(P.mkdtemp);
export const opendir = callbackify(P.opendir);
export const readFile = callbackify((target: unknown, options?: unknown) => P.readFile(pathOrFd(target, 'read'), options as BufferEncoding));
export const readdir = callbackify(P.readdir);
export const realpath = callbackify(P.realpath);
export const rename = callbackify(P.rename);
export const rm = callbackify(P.rm);
export const rmdir = callbackify(P.rmdir);
export const stat = callbackify(P.stat);
export const truncate = callbackify(P.truncate);
export const unlink = callbackify(P.unlink);
export const writeFile = callbackify((target: unknown, data: unknown, options?: unknown) => P.writeFile(pathOrFd(target, 'write'), data as string, options as BufferEncoding));

/** fs.exists(path, callback(exists)): deprecated in Node, kept for old code. */
export function exists(path: P.PathLike, callback: (exists: boolean) => void): void {
  P.exists(path).then(callback, () => callback(false));
}

// ---- numeric descriptors --------------------------------------------------------------------

export const open = callbackify(async (path: P.PathLike, flags?: string | number, mode?: number) => (await P.open(path, flags, mode)).fd);
export const close = callbackify(async (fd: number) => P.handleOf(fd, 'close').close());
export const fstat = callbackify(async (fd: number, options?: P.StatOptions) => P.handleOf(fd, 'fstat').stat(options));
export const fsync = callbackify(async (fd: number) => P.handleOf(fd, 'fsync').sync());
export const fdatasync = callbackify(async (fd: number) => P.handleOf(fd, 'fdatasync').datasync());
export const ftruncate = callbackify(async (fd: number, len?: number) => P.handleOf(fd, 'ftruncate').truncate(len));

/** fs.read(fd, buffer, offset, length, position, callback(err, bytesRead, buffer)), or with an options object. */
export const read = callbackify(
  async (fd: number, buffer?: unknown, offset?: unknown, length?: number, position?: number | bigint | null) =>
    P.handleOf(fd, 'read').read(buffer as Uint8Array, offset as number, length, position),
  (r: { bytesRead: number; buffer: unknown }) => [r.bytesRead, r.buffer],
);

/** fs.write(fd, buffer, offset, length, position, cb) or fs.write(fd, string, position, encoding, cb): cb(err, written, data). */
export const write = callbackify(
  async (fd: number, data: unknown, a?: unknown, b?: unknown, c?: unknown) => {
    const handle = P.handleOf(fd, 'write');
    if (typeof data === 'string') return handle.write(data, a as number | null, (b as string | undefined) ?? 'utf8');
    return handle.write(toBytes(data), a as number, b as number, c as number | null);
  },
  (r: { bytesWritten: number; buffer: unknown }) => [r.bytesWritten, r.buffer],
);

/** fs.createReadStream; `options.fd` may be a numeric descriptor. */
export function createReadStream(path: P.PathLike | null, options?: Parameters<typeof P.createReadStream>[1] | { fd?: number }): P.ReadStream {
  const fd = typeof options === 'object' && options !== null ? (options as { fd?: unknown }).fd : undefined;
  return P.createReadStream(path, typeof fd === 'number' ? { ...(options as object), fd: P.handleOf(fd, 'read') } : options as Parameters<typeof P.createReadStream>[1]);
}

/** fs.createWriteStream; `options.fd` may be a numeric descriptor. */
export function createWriteStream(path: P.PathLike | null, options?: Parameters<typeof P.createWriteStream>[1] | { fd?: number }): P.WriteStream {
  const fd = typeof options === 'object' && options !== null ? (options as { fd?: unknown }).fd : undefined;
  return P.createWriteStream(path, typeof fd === 'number' ? { ...(options as object), fd: P.handleOf(fd, 'write') } : options as Parameters<typeof P.createWriteStream>[1]);
}

type BufferEncoding = P.BufferEncoding;

const fs = {
  access, appendFile, close, copyFile, cp, createReadStream, createWriteStream, exists, fdatasync, fstat, fsync, ftruncate,
  lstat, mkdir, mkdtemp, open, opendir, read, readFile, readdir, realpath, rename, rm, rmdir, stat, truncate, unlink, write,
  writeFile, promises, constants: P.constants, Dir: P.Dir, Dirent: P.Dirent, ReadStream: P.ReadStream, Stats: P.Stats, WriteStream: P.WriteStream,
};
export default fs;
