// The entity side of IPC: client calls over channel handles, serving endpoints, the kernel channel
// (console, clock, entropy) and timers — all built on the host interface the sandbox endows.
import { FrameKind, STATUS_NAMES, Status, makeFrame, payloadOf, readHeader } from './frames.ts';
import { Core_RIID } from './gen/kl.core.Core.edl.ts';
import { LogProxy } from './gen/kl.core.Log.idl.ts';
import { RandomProxy } from './gen/kl.core.Random.idl.ts';
import { TaskProxy } from './gen/kl.core.Task.idl.ts';
import { TimeProxy } from './gen/kl.core.Time.idl.ts';
import { KERNEL_HANDLE, type BootInfo, type HostInterface } from './host.ts';
import type { CallOptions, CallResult, ClientTransport, ServerDispatch } from './wire.ts';

/**
 * Which channel a call came in on: the server-side slot the kernel numbers each client channel
 * with (one per channel, stable for the server's lifetime). It is not the caller's name.
 */
export interface CallContext {
  readonly slot: number;
}

/** A dispatcher that also wants the call's context (a generated ServerDispatch ignores it). */
export type ContextDispatch = (riid: number, mid: number, payload: Uint8Array, context: CallContext) => Promise<CallResult>;

export type CallFailure = 'SecurityDisallow' | 'InvalidMessage' | 'NotConnected' | 'Timeout' | 'ServerFault' | 'Busy';

/** A call the kernel refused or could not complete; `explanation` says why (for denials, the policy's reason). */
export class CallFailed extends Error {
  readonly status: CallFailure;
  readonly explanation: string;

  constructor(status: CallFailure, explanation: string) {
    super(`${status}: ${explanation}`);
    this.name = 'CallFailed';
    this.status = status;
    this.explanation = explanation;
  }
}

interface Pending {
  readonly resolve: (r: CallResult) => void;
  readonly reject: (e: Error) => void;
  timer: number | undefined;
}

const utf8 = new TextDecoder();
/** Server fault texts sent to clients are capped: a server must not be able to flood a client's log. */
const MAX_FAULT_TEXT = 1024;

/** A client channel: a transport for generated proxies plus the server's endpoint names. */
export class Channel implements ClientTransport {
  readonly id: string;
  readonly server: string;
  readonly serverClass: string;
  readonly #runtime: Runtime;
  readonly #handle: number;
  readonly #endpoints: Readonly<Record<string, number>>;

  constructor(runtime: Runtime, id: string, handle: number, server: string, serverClass: string, endpoints: Readonly<Record<string, number>>) {
    this.#runtime = runtime;
    this.id = id;
    this.#handle = handle;
    this.server = server;
    this.serverClass = serverClass;
    this.#endpoints = endpoints;
  }

  /** This channel's number in the entity's own handle table (to pass it on in `CallOptions.handles`). */
  get handle(): number {
    return this.#handle;
  }

  /** RIID of the server's endpoint `name` (KasperskyOS ServiceLocatorGetRiid). */
  riid(endpoint: string): number {
    const riid = this.#endpoints[endpoint];
    if (riid === undefined) {
      throw new Error(`server ${this.server} (${this.serverClass}) has no endpoint "${endpoint}"; it has: ${Object.keys(this.#endpoints).join(', ') || '(none)'}`);
    }
    return riid;
  }

  call(riid: number, mid: number, payload: Uint8Array, options?: CallOptions): Promise<CallResult> {
    return this.#runtime.call(this.#handle, riid, mid, payload, options);
  }
}

export class Runtime {
  readonly host: HostInterface;
  readonly boot: BootInfo;
  readonly #pending = new Map<number, Pending>();
  #nextRequest = 1;
  #dispatch: ContextDispatch | undefined;
  /** Calls that arrived before `serve` (as KasperskyOS requests wait until the server calls Recv). */
  readonly #early: [number, number, number, number, Uint8Array][] = [];
  readonly kernel: Channel;
  readonly #log: LogProxy;

  constructor(host: HostInterface) {
    this.host = host;
    this.boot = host.boot;
    this.kernel = new Channel(this, 'kernel', KERNEL_HANDLE, 'kernel', 'kl.core.Core', Core_RIID);
    this.#log = new LogProxy(this.kernel, Core_RIID.log);
    host.receive((frame) => this.#onFrame(frame));
  }

  connect(id: string): Channel {
    const info = Object.hasOwn(this.boot.channels, id) ? this.boot.channels[id] : undefined;
    if (!info) {
      throw new Error(`task ${this.boot.task} has no channel "${id}"; its channels (init.yaml connections) are: ${Object.keys(this.boot.channels).join(', ') || '(none)'}`);
    }
    return new Channel(this, id, info.handle, info.server, info.serverClass, info.endpoints);
  }

  /** A channel handed over in a message (its number in this entity's table); the sender says which RIID to call. */
  channelFromHandle(handle: number): Channel {
    return new Channel(this, `handle ${handle}`, handle, 'unknown', 'unknown', {});
  }

  call(handle: number, riid: number, mid: number, payload: Uint8Array, options?: CallOptions): Promise<CallResult> {
    const requestId = this.#nextRequest;
    this.#nextRequest = this.#nextRequest >= 0xfffffffe ? 1 : this.#nextRequest + 1;
    return new Promise<CallResult>((resolve, reject) => {
      const pending: Pending = { resolve, reject, timer: undefined };
      if (options?.timeoutMs !== undefined) {
        pending.timer = this.host.setTimer(options.timeoutMs, false, () => {
          this.#settle(requestId);
          reject(new CallFailed('Timeout', `no reply within ${options.timeoutMs} ms`));
        });
      }
      this.#pending.set(requestId, pending);
      this.#updateKeepAlive();
      this.host.send(makeFrame({ kind: FrameKind.call, flags: 0, handle, riid, mid, requestId, status: Status.ok }, payload, options?.handles ?? []));
    });
  }

  /** Serves this entity's endpoints with a dispatcher (generated `create<Class>Dispatcher`). */
  serve(dispatch: ServerDispatch | ContextDispatch): void {
    if (this.#dispatch) throw new Error(`task ${this.boot.task} is already serving`);
    if (Object.keys(this.boot.endpoints).length === 0) throw new Error(`class ${this.boot.className} declares no endpoints to serve`);
    this.#dispatch = dispatch;
    this.#updateKeepAlive();
    for (const call of this.#early.splice(0)) void this.#serveCall(...call);
  }

  log(level: number, text: string): void {
    const bytes = new TextEncoder().encode(text);
    const line = bytes.length <= 4096 ? text : utf8.decode(bytes.subarray(0, 4090)) + '…';
    // Console output is a kernel call like any other: the policy may deny it, and then it is dropped.
    this.#log.Write({ level, text: line.replaceAll('\0', '\\0') }).catch(() => undefined);
  }

  async now(): Promise<{ unixNanos: bigint; monotonicNanos: bigint }> {
    return new TimeProxy(this.kernel, Core_RIID.time).Now({});
  }

  async randomBytes(count: number): Promise<Uint8Array> {
    return (await new RandomProxy(this.kernel, Core_RIID.random).Fill({ count })).data;
  }

  exit(code: number): never {
    // Tell the kernel first so it records a deliberate exit, then stop.
    new TaskProxy(this.kernel, Core_RIID.task).Exit({ code }).catch(() => undefined);
    return this.host.exit(code);
  }

  #settle(requestId: number): Pending | undefined {
    const pending = this.#pending.get(requestId);
    if (!pending) return undefined;
    this.#pending.delete(requestId);
    if (pending.timer !== undefined) this.host.clearTimer(pending.timer);
    this.#updateKeepAlive();
    return pending;
  }

  #updateKeepAlive(): void {
    this.host.keepAlive(this.#pending.size > 0 || this.#dispatch !== undefined);
  }

  #onFrame(frame: ArrayBuffer): void {
    const h = readHeader(new DataView(frame));
    if (!h) return;
    if (h.kind === FrameKind.call) {
      if (this.#dispatch) void this.#serveCall(h.handle, h.riid, h.mid, h.requestId, payloadOf(frame, h));
      else this.#early.push([h.handle, h.riid, h.mid, h.requestId, payloadOf(frame, h)]);
      return;
    }
    const pending = this.#settle(h.requestId);
    if (!pending) return; // a late reply to a call that timed out
    if (h.kind === FrameKind.reply) pending.resolve({ kind: 'reply', payload: payloadOf(frame, h) });
    else if (h.kind === FrameKind.error) pending.resolve({ kind: 'error', payload: payloadOf(frame, h) });
    else {
      const status = (STATUS_NAMES[h.status] ?? 'ServerFault') as CallFailure;
      pending.reject(new CallFailed(status, utf8.decode(payloadOf(frame, h))));
    }
  }

  async #serveCall(slot: number, riid: number, mid: number, requestId: number, payload: Uint8Array): Promise<void> {
    const header = { handle: slot, riid, mid, requestId, flags: 0 };
    try {
      const result = await this.#dispatch!(riid, mid, payload, { slot });
      const kind = result.kind === 'reply' ? FrameKind.reply : FrameKind.error;
      this.host.send(makeFrame({ ...header, kind, status: Status.ok }, result.payload));
    } catch (err) {
      const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const bytes = new TextEncoder().encode(text.slice(0, MAX_FAULT_TEXT));
      this.host.send(makeFrame({ ...header, kind: FrameKind.fault, status: Status.serverFault }, bytes));
    }
  }
}
