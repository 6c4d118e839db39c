// The storage driver: a process-tier entity that keeps each value in a file under its data dir.
import { args, hostFs, serve } from 'citadel';
import { createStorageDispatcher } from '../gen/notes.Storage.edl.ts';
import { NoSuchKey, Storage_Get_Error } from '../gen/notes.Storage.idl.ts';

const fs = hostFs();
if (!fs) throw new Error('notes.Storage must run in the process tier (isolation: process)');
const dir = args()[args().indexOf('--dir') + 1] ?? 'notes-data';
const file = (key: string) => `${dir}/${encodeURIComponent(key)}`;

await fs.mkdir(dir);
serve(createStorageDispatcher({
  kv: {
    Put: async ({ key, value }) => {
      await fs.writeFile(file(key), value);
      return {};
    },
    Get: async ({ key }) => {
      try {
        return { value: await fs.readFile(file(key)) };
      } catch {
        throw new Storage_Get_Error({ status: NoSuchKey });
      }
    },
    List: async () => ({ keys: (await fs.readdir(dir)).map(decodeURIComponent).slice(0, 64) }),
  },
}));
