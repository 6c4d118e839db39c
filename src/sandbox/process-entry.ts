// Entry point of a process-tier sandbox: the bootstrap over the child's IPC channel, with the
// file access its `resources` grant and the node:crypto primitives.
import { runBootstrap } from './bootstrap.ts';
import { makeHostCrypto } from './host-crypto.ts';
import { makeHostFs } from './host-fs.ts';

if (!process.send) throw new Error('process-entry runs only as a forked child with an IPC channel');
// The kernel decides when an entity ends. A terminal's Ctrl-C (or a service manager's SIGTERM)
// reaches the whole process group; the kernel's own handler then stops the entities in order
// (the audit service last, once it has sealed its log), so the signal itself is ignored here.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
// Nor does an entity outlive its kernel.
process.on('disconnect', () => process.exit(1));
const send = process.send.bind(process);
runBootstrap({
  post: (message) => { send(message); },
  onMessage: (handler) => process.on('message', handler),
  keepAlive: (on) => (on ? process.channel?.ref() : process.channel?.unref()),
  exit: (code) => process.exit(code),
}, makeHostFs, makeHostCrypto());
