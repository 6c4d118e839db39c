// Trusted bootstrap inside a sandbox (worker thread or child process): locks down the realm with
// SES, then runs the entity bundle in a Compartment whose only authority is the hardened host
// interface. Frames in and out are bare ArrayBuffers; nothing Node-owned reaches the entity.
import 'ses';
import type { HostCrypto, HostFs, HostInterface } from '../entity/host.ts';
import type { ControlToSandbox, StartMessage } from './protocol.ts';

declare function lockdown(options?: Record<string, string>): void;
declare function harden<T>(value: T): T;
declare class Compartment {
  constructor(options: { globals?: Record<string, unknown>; __options__: true });
  evaluate(source: string): unknown;
}

/** How the bootstrap talks to the kernel: a worker's parentPort or a child's IPC channel. */
export interface KernelLink {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Keep the sandbox alive for incoming messages (true), or let it end once idle (false). */
  keepAlive(on: boolean): void;
  exit(code: number): never;
}

// Pinned options: stacks hidden from guests, errors reported instead of killing the realm.
// Uncaught errors are left to this bootstrap's own handlers, which report them to the kernel.
const LOCKDOWN = { errorTaming: 'safe', overrideTaming: 'moderate', errorTrapping: 'none', unhandledRejectionTrapping: 'none', consoleTaming: 'unsafe', stackFiltering: 'concise', domainTaming: 'safe' };

/** Bytes outside the JS heap: ArrayBuffers and other external memory of this thread or process. */
function externalBytes(): number {
  const m = process.memoryUsage();
  return m.external + m.arrayBuffers;
}

/** Waits for the start message, then runs the entity. */
export function runBootstrap(link: KernelLink, makeFs?: (roots: NonNullable<StartMessage['fs']>) => HostFs, crypto?: HostCrypto): void {
  lockdown(LOCKDOWN);
  let receiver: ((frame: ArrayBuffer) => void) | undefined;
  let started = false;
  const crash = (err: unknown): never => {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : `uncaught value: ${String(err)}`;
    link.post({ t: 'crash', message: message.slice(0, 4096) });
    return link.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  link.onMessage((message) => {
    if (message instanceof ArrayBuffer) {
      if (receiver) {
        try { receiver(message); } catch (err) { crash(err); }
      }
      return;
    }
    const control = message as ControlToSandbox;
    // The bootstrap, not the entity, answers: a pong also reports memory outside the heap.
    if (control.t === 'ping') link.post({ t: 'pong', n: control.n, external: externalBytes() });
    else if (control.t === 'stop') link.exit(0);
    else if (control.t === 'start' && !started) {
      started = true;
      start(control.start);
    }
  });

  function start(msg: StartMessage): void {
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    let nextTimer = 1;
    const host: HostInterface = {
      boot: msg.boot,
      send(frame: ArrayBuffer) {
        if (!(frame instanceof ArrayBuffer)) throw new TypeError('send takes an ArrayBuffer frame');
        link.post(frame, [frame]);
      },
      receive(handler) {
        if (typeof handler !== 'function') throw new TypeError('receive takes a function');
        receiver = handler;
      },
      keepAlive(on) { link.keepAlive(on === true); },
      setTimer(ms, repeat, callback) {
        if (typeof callback !== 'function') throw new TypeError('a timer needs a function');
        const id = nextTimer++;
        const run = () => {
          if (!repeat) timers.delete(id);
          try { callback(); } catch (err) { crash(err); }
        };
        const delay = Math.min(Math.max(0, Number(ms) || 0), 2 ** 31 - 1);
        timers.set(id, repeat ? setInterval(run, delay) : setTimeout(run, delay));
        return id;
      },
      clearTimer(id) {
        const t = timers.get(id);
        if (t !== undefined) { clearTimeout(t); timers.delete(id); }
      },
      exit(code) { return link.exit(Number.isInteger(code) ? code : 1); },
      ...(msg.fs && makeFs ? { fs: makeFs(msg.fs) } : {}),
      ...(crypto ? { crypto } : {}),
    };
    const compartment = new Compartment({ globals: { __citadel: harden(host) }, __options__: true });
    link.keepAlive(false);
    try {
      compartment.evaluate(msg.bundle);
    } catch (err) {
      crash(err);
    }
    link.post({ t: 'ready' });
  }
}
