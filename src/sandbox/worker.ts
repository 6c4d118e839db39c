// Worker tier: one worker_thread per entity with SES inside, a heap limit, an empty environment,
// the parent's permission flags (never `execArgv: []`), and a watchdog.
import { Worker } from 'node:worker_threads';
import type { StartMessage } from './protocol.ts';
import { isControlFromSandbox } from './protocol.ts';
import type { Sandbox, SandboxEvents, SandboxLimits } from './sandbox.ts';
import { Watchdog } from './watchdog.ts';

const ENTRY = new URL('./worker-entry.ts', import.meta.url);

export function startWorker(start: StartMessage, limits: SandboxLimits, events: SandboxEvents): Sandbox {
  const worker = new Worker(ENTRY, {
    env: {},
    argv: [],
    stdout: false,
    stderr: false,
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMiB, maxYoungGenerationSizeMb: Math.min(16, Math.max(1, limits.memoryMiB >> 2)), stackSizeMb: 4 },
  });
  let reason: string | undefined;
  let ended = false;
  const endedPromise = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const kill = (why: string) => {
    reason ??= why;
    void worker.terminate();
  };
  const watchdog = new Watchdog({
    ping: (n) => worker.postMessage({ t: 'ping', n }),
    externalBytes: async () => (await worker.getHeapStatistics()).external_memory,
    kill,
  }, limits.blockMs, limits.memoryMiB * 2 ** 20);

  worker.on('message', (message: unknown) => {
    if (message instanceof ArrayBuffer) events.onFrame(message);
    else if (isControlFromSandbox(message)) {
      if (message.t === 'pong') watchdog.pong();
      else if (message.t === 'ready') watchdog.started();
      else reason ??= `crashed: ${message.message}`;
    } else kill('sent something that is neither a frame nor a control message');
  });
  worker.on('messageerror', () => kill('sent a message that could not be deserialised'));
  worker.on('error', (err: Error & { code?: string }) => {
    reason ??= err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? `ran out of its ${limits.memoryMiB} MiB heap (limits.memoryMiB)`
      : `crashed: ${err.message}`;
  });
  worker.on('exit', (code) => {
    ended = true;
    watchdog.stop();
    events.onExit({ code: reason && code === 0 ? 1 : code, ...(reason ? { reason } : {}) });
  });
  worker.postMessage({ t: 'start', start });

  return {
    send(frame) {
      if (!ended) worker.postMessage(frame, [frame]);
    },
    async terminate(why) {
      if (ended) return;
      if (why) reason ??= why;
      await worker.terminate();
      await endedPromise;
    },
  };
}
