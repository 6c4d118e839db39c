// Entry point of a worker-tier sandbox: the bootstrap over the worker's parentPort. The compile
// cache lets the second and later workers skip parsing SES and Citadel's bootstrap again.
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';

module.enableCompileCache?.(path.join(os.tmpdir(), 'citadel-compile-cache'));
const { runBootstrap } = await import('./bootstrap.ts');

if (!parentPort) throw new Error('worker-entry runs only as a worker thread');
const port = parentPort;
runBootstrap({
  post: (message, transfer) => port.postMessage(message, transfer ?? []),
  onMessage: (handler) => port.on('message', handler),
  keepAlive: (on) => (on ? port.ref() : port.unref()),
  exit: (code) => process.exit(code),
});
