// Entry point of a process-tier sandbox: the bootstrap over the child's IPC channel, with the
// file access its `resources` grant.
import { runBootstrap } from './bootstrap.ts';
import { makeHostFs } from './host-fs.ts';

if (!process.send) throw new Error('process-entry runs only as a forked child with an IPC channel');
const send = process.send.bind(process);
runBootstrap({
  post: (message) => { send(message); },
  onMessage: (handler) => process.on('message', handler),
  keepAlive: (on) => (on ? process.channel?.ref() : process.channel?.unref()),
  exit: (code) => process.exit(code),
}, makeHostFs);
