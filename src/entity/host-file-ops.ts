// The part of a process-tier entity's host file access that lets a driver check what a path
// really is before it uses it (kl.Vfs): metadata without following links, canonical paths,
// directory entries with their kinds, and open files as numbered handles. Plain data in and out.

/** What a directory entry is; `other` covers devices, FIFOs and sockets. */
export type HostFileKind = 'file' | 'directory' | 'symlink' | 'other';

export interface HostStat {
  readonly kind: HostFileKind;
  /** File type and permission bits, as st_mode. */
  readonly mode: number;
  readonly size: number;
  readonly ino: bigint;
  readonly nlink: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly birthtimeNs: bigint;
}

/** Node's open flag strings; `rs+`, `as` and `as+` write synchronously (O_SYNC). */
export type HostOpenFlags = 'r' | 'r+' | 'w' | 'wx' | 'w+' | 'wx+' | 'a' | 'ax' | 'a+' | 'ax+' | 'rs+' | 'as' | 'as+';

export interface HostFileOps {
  /** Metadata of `path` itself: a final symbolic link is reported, not followed (nor checked). */
  lstat(path: string): Promise<HostStat>;
  /**
   * Removes a file, a symbolic link (never what it leads to) or, with `recursive`, a directory
   * tree; missing is an error (ENOENT).
   */
  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void>;
  /** The absolute host path `path` leads to, every symbolic link resolved (ENOENT if it leads nowhere). */
  realpath(path: string): Promise<string>;
  /** A directory's entries and their kinds, as the directory records them. */
  list(path: string): Promise<{ name: string; kind: HostFileKind }[]>;
  /**
   * Opens a file and returns its handle. Opening never blocks (O_NONBLOCK), so a FIFO without a
   * writer cannot wedge the entity; `noFollow` refuses a final symbolic link (ELOOP).
   */
  open(path: string, flags: HostOpenFlags, options?: { readonly noFollow?: boolean }): Promise<number>;
  /** Up to `length` bytes at `position` (null: at the handle's file position); fewer at the end. */
  read(handle: number, length: number, position: number | null): Promise<Uint8Array>;
  /** Writes `data` at `position` (null: at the file position); returns the bytes written. */
  write(handle: number, data: Uint8Array, position: number | null): Promise<number>;
  fstat(handle: number): Promise<HostStat>;
  ftruncate(handle: number, length: number): Promise<void>;
  /** fsync (Node's permission model refuses it in the process tier: ERR_ACCESS_DENIED; open with `rs+`/`as` instead). */
  fsync(handle: number): Promise<void>;
  close(handle: number): Promise<void>;
}
