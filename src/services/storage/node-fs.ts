// StorageFs over node:fs with real fsync (of files and of directories): what tests and host-side
// tools use to drive the storage core directly.
import { open, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import type { StorageFs } from './fs.ts';

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const nodeStorageFs: StorageFs = {
  async readFile(path) {
    try {
      return new Uint8Array(await readFile(path));
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  },
  async writeFile(path, data, mode) {
    const handle = await open(path, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async readdir(path) {
    try {
      return await readdir(path);
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  },
  async mkdir(path) {
    try {
      await mkdir(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  },
  rm: (path) => rm(path, { force: true }),
  rename: (from, to) => rename(from, to),
  syncDir: fsyncPath,
  durableDirs: true,
};
