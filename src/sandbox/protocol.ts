// Messages between the kernel and a sandbox bootstrap, besides frames (which travel as bare
// ArrayBuffers). Anything else arriving from a sandbox is a protocol violation.
import type { BootInfo } from '../entity/host.ts';

/** Sent once, when the sandbox starts: the verified entity bundle and its boot facts. */
export interface StartMessage {
  readonly bundle: string;
  readonly boot: BootInfo;
  /** Process tier: host paths the entity's `fs` facade may use (also enforced by --permission). */
  readonly fs?: { readonly base: string; readonly read: readonly string[]; readonly write: readonly string[] };
}

export type ControlToSandbox =
  | { readonly t: 'start'; readonly start: StartMessage }
  | { readonly t: 'ping'; readonly n: number }
  | { readonly t: 'stop' };

export type ControlFromSandbox =
  /** `external`: bytes outside the JS heap (ArrayBuffers), as the sandbox's own runtime counts them. */
  | { readonly t: 'pong'; readonly n: number; readonly external?: number }
  /** The entity's top-level code has run: from now on the event-loop watchdog applies. */
  | { readonly t: 'ready' }
  /** The entity's code threw (at top level, in a timer or in a rejected promise nobody handled). */
  | { readonly t: 'crash'; readonly message: string };

export function isControlFromSandbox(m: unknown): m is ControlFromSandbox {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  if (o['t'] === 'pong') return typeof o['n'] === 'number' && (o['external'] === undefined || typeof o['external'] === 'number');
  if (o['t'] === 'ready') return true;
  if (o['t'] === 'crash') return typeof o['message'] === 'string' && o['message'].length <= 4096;
  return false;
}
