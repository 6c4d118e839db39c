// Process tier: a child Node process per entity, started under the permission model with exactly
// the file-system paths and network access its `resources:` grant, and an empty environment.
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { PlanTask } from '../kernel/plan.ts';
import { isControlFromSandbox, type StartMessage } from './protocol.ts';
import type { Sandbox, SandboxEvents, SandboxLimits } from './sandbox.ts';
import { Watchdog } from './watchdog.ts';

const ENTRY = new URL('./process-entry.ts', import.meta.url).pathname;
// The child must read Citadel's own sandbox/entity code and SES, and nothing else by default.
const CODE_DIR = path.resolve(path.dirname(ENTRY), '..');
const SES_DIR = path.dirname(createRequire(import.meta.url).resolve('ses/package.json'));
const ENDO_DIR = path.join(path.dirname(SES_DIR), '@endo');

export function startProcess(start: StartMessage, limits: SandboxLimits, resources: PlanTask['resources'], dataDir: string, events: SandboxEvents): Sandbox {
  const read = resources.fsRead.map((p) => path.resolve(dataDir, p));
  const write = resources.fsWrite.map((p) => path.resolve(dataDir, p));
  const execArgv = [
    '--permission',
    ...[CODE_DIR, SES_DIR, ENDO_DIR, ...read, ...write].map((p) => `--allow-fs-read=${p}`),
    ...write.map((p) => `--allow-fs-write=${p}`),
    ...(resources.net ? ['--allow-net'] : []),
    `--max-old-space-size=${limits.memoryMiB}`,
    '--disable-warning=SecurityWarning',
  ];
  // The kernel grants the write roots, so it makes sure they exist.
  for (const dir of write) mkdirSync(dir, { recursive: true });
  const child = fork(ENTRY, [], { execArgv, env: {}, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let reason: string | undefined;
  let ended = false;
  const endedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (why: string) => {
    reason ??= why;
    child.kill('SIGKILL');
  };
  // The heap flag bounds only the JS heap; memory outside it (ArrayBuffers) is what the
  // bootstrap reports with each pong, held to the same limit as in the worker tier.
  let external: number | undefined;
  const watchdog = new Watchdog({ ping: (n) => { if (child.connected) child.send({ t: 'ping', n }); }, externalBytes: async () => external, kill },
    limits.blockMs, limits.memoryMiB * 2 ** 20);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4096); });

  child.on('message', (message: unknown) => {
    if (message instanceof ArrayBuffer) events.onFrame(message);
    else if (isControlFromSandbox(message)) {
      if (message.t === 'pong') {
        watchdog.pong();
        external = message.external;
      } else if (message.t === 'ready') watchdog.started();
      else reason ??= `crashed: ${message.message}`;
    } else kill('sent something that is neither a frame nor a control message');
  });
  child.on('error', (err) => { reason ??= `could not run: ${err.message}`; });
  child.on('exit', (code, signal) => {
    ended = true;
    watchdog.stop();
    const last = stderr.trim().split('\n').filter(Boolean).pop();
    const why = reason ?? (code !== 0 && last ? `crashed: ${last}` : signal ? `killed by ${signal}` : undefined);
    events.onExit({ code: code ?? 1, ...(why ? { reason: why } : {}) });
  });
  child.send({ t: 'start', start: { ...start, fs: { base: path.resolve(dataDir), read, write } } });

  return {
    send(frame) {
      if (!ended && child.connected) child.send(frame);
    },
    async terminate(why) {
      if (ended) return;
      if (why) reason ??= why;
      child.kill('SIGKILL');
      await endedPromise;
    },
  };
}
