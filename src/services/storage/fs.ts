// The file operations the storage core needs, as an interface: the entity implements it over
// `hostFs()` (process tier), tests and host-side tools over node:fs (node-fs.ts).
//
// Durability contract: `writeFile` returns once the file's data is on stable storage (fsync, or a
// write-through O_SYNC open); `syncDir` makes a directory's entries (a create, rename or unlink in
// it) durable, i.e. fsync of the directory. Where the host cannot fsync a directory, `durableDirs`
// is false and `syncDir` does nothing: writes stay atomic (old or new record, never a mix), but
// after a power failure the last acknowledged renames may be missing. A process crash (kill -9)
// loses nothing either way: the kernel's page cache survives it.
import type { HostFs } from '../../entity/host.ts';

export interface StorageFs {
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Creates or replaces a file, its data durable on return; `mode` applies when it is created. */
  writeFile(path: string, data: Uint8Array, mode: number): Promise<void>;
  /** The names in a directory, or [] when it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Creates one directory level; an existing directory is fine. */
  mkdir(path: string): Promise<void>;
  /** Removes a file; a missing one is fine. */
  rm(path: string): Promise<void>;
  /** Atomically replaces `to` with `from` (same directory). */
  rename(from: string, to: string): Promise<void>;
  /** fsync of a directory: the creates, renames and unlinks in it so far reach stable storage. */
  syncDir(path: string): Promise<void>;
  /** Whether syncDir really syncs (false: see above). */
  readonly durableDirs: boolean;
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * StorageFs over the host file access of a process-tier entity. Files are written through
 * (O_SYNC). Directories cannot be synced: Node's permission model, which confines the process
 * tier, disables fsync — so `durableDirs` is false until the sandbox offers a directory sync.
 */
export function storageFsFromHost(fs: HostFs): StorageFs {
  return {
    async readFile(path) {
      try {
        return await fs.readFile(path);
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    writeFile: (path, data, mode) => fs.writeFile(path, data, { mode, sync: true }),
    async readdir(path) {
      try {
        return await fs.readdir(path);
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
    },
    mkdir: (path) => fs.mkdir(path),
    rm: (path) => fs.rm(path),
    rename: (from, to) => fs.rename(from, to),
    syncDir: async () => undefined,
    durableDirs: false,
  };
}
