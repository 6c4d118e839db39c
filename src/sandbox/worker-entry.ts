// Entry point of a worker-tier sandbox: the bootstrap over the worker's parentPort.
import { parentPort } from 'node:worker_threads';
import { runBootstrap } from './bootstrap.ts';

if (!parentPort) throw new Error('worker-entry runs only as a worker thread');
const port = parentPort;
runBootstrap({
  post: (message, transfer) => port.postMessage(message, transfer ?? []),
  onMessage: (handler) => port.on('message', handler),
  keepAlive: (on) => (on ? port.ref() : port.unref()),
  exit: (code) => process.exit(code),
});
