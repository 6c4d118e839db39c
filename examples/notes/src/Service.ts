// The notes service: validates notes and keeps them in the storage driver.
import { connect, serve } from 'citadel';
import { createServiceDispatcher } from '../gen/notes.Service.edl.ts';
import { StorageProxy } from '../gen/notes.Storage.idl.ts';

const storageChannel = connect('storage');
const storage = new StorageProxy(storageChannel, storageChannel.riid('kv'));

serve(createServiceDispatcher({
  notes: {
    Add: async ({ title, text }) => {
      await storage.Put({ key: title, value: new TextEncoder().encode(text) });
      return {};
    },
    Read: async ({ title }) => ({ text: new TextDecoder().decode((await storage.Get({ key: title })).value) }),
    Titles: async () => ({ titles: (await storage.List({})).keys }),
  },
}));
