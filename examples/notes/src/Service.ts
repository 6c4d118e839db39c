// The notes service: validates notes and keeps each one as a file. Its file code is ordinary
// node:fs/promises; in an entity that goes through the file-system driver (kl.Vfs), where this
// task sees only its own mount (notes-data on the host) as "/".
import { CallFailed, serve } from 'citadel';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServiceDispatcher } from '../gen/notes.Service.edl.ts';

const file = (title: string) => `/${encodeURIComponent(title)}`;

serve(createServiceDispatcher({
  notes: {
    Add: async ({ title, text }) => {
      try {
        await writeFile(file(title), text);
      } catch (err) {
        // A policy denial reaches file code as EACCES, with the kernel's explanation as its cause.
        const cause = (err as Error).cause;
        if (cause instanceof CallFailed) throw new Error(`${(err as Error).message}\n${cause.explanation}`);
        throw err;
      }
      return {};
    },
    Read: async ({ title }) => ({ text: await readFile(file(title), 'utf8') }),
    Titles: async () => ({ titles: (await readdir('/')).map(decodeURIComponent).slice(0, 64) }),
  },
}));
