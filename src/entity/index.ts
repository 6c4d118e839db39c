// The entity library: what entity code imports as `citadel`. Channels come from init.yaml; calls
// go through generated proxies; serving takes a generated dispatcher.
import { Channel, CallFailed, Runtime, type CallContext, type CallFailure, type ContextDispatch } from './runtime.ts';
import { ALL_RIGHTS, Rights, type HostCrypto, type HostInterface, type HostFs } from './host.ts';
import type { ServerDispatch } from './wire.ts';

export { ALL_RIGHTS, Channel, CallFailed, Rights, type CallContext, type CallFailure, type ContextDispatch, type HostCrypto, type HostFs };
export { IdlErrorReply, CodecError } from './wire.ts';

declare const __citadel: HostInterface;

let runtime: Runtime | undefined;

/** The one runtime of this entity (created on first use from the sandbox's endowment). */
export function current(): Runtime {
  runtime ??= new Runtime(__citadel);
  return runtime;
}

/** This task's name (init.yaml `task`, default its class). */
export function taskName(): string { return current().boot.task; }
/** init.yaml `args`. */
export function args(): readonly string[] { return current().boot.args; }
/** init.yaml `env`. */
export function env(): Readonly<Record<string, string>> { return current().boot.env; }

/** The client channel named `id` in init.yaml; pass it to a generated proxy with `channel.riid(endpoint)`. */
export function connect(id: string): Channel { return current().connect(id); }

/**
 * A channel received in a message: `ref.handle` is already the number in this entity's table.
 * Call it through a generated proxy with the RIID of the endpoint you were told to use.
 */
export function channelFromHandle(ref: { readonly handle: number }): Channel { return current().channelFromHandle(ref.handle); }

/**
 * Serves this entity's endpoints; calls may be served concurrently. A dispatcher taking a fourth
 * argument gets each call's context: the slot of the channel it came in on.
 */
export function serve(dispatch: ServerDispatch | ContextDispatch): void { current().serve(dispatch); }

/** Wall-clock and monotonic time from the kernel (entities have no clock of their own). */
export function now(): Promise<{ unixNanos: bigint; monotonicNanos: bigint }> { return current().now(); }

/** Random bytes from the kernel (entities have no entropy of their own). */
export function randomBytes(count: number): Promise<Uint8Array> { return current().randomBytes(count); }

/** Ends this entity with an exit code (0 = success). */
export function exit(code = 0): never { return current().exit(code); }

/** File access granted to a process-tier entity by init.yaml `resources.fs`; undefined elsewhere. */
export function hostFs(): HostFs | undefined { return __citadel.fs; }

/** SHA-256 and Ed25519 (node:crypto) for a process-tier entity; undefined elsewhere. */
export function hostCrypto(): HostCrypto | undefined { return __citadel.crypto; }
