// The kernel's own endpoints (class kl.core.Core): log, time, random, handle, task, audit. Entities reach
// them through handle 0, and every call is decided by the policy like any other request.
import { randomBytes } from 'node:crypto';
import { createCoreDispatcher } from '../entity/gen/kl.core.Core.edl.ts';
import type { ServerDispatch } from '../entity/wire.ts';

export interface CoreCaller {
  /** Console output of the calling entity. */
  log(level: number, text: string): void;
  /** The entity announced its exit code (it ends right after). */
  exit(code: number): void;
  /** Closes a handle of the caller's table; false when it has none by that number. */
  closeHandle(handle: number): boolean;
  /** Copies a handle of the caller's table with fewer rights; the new number, or undefined. */
  copyHandle(handle: number, rights: number): number | undefined;
  /** The security module's run-time audit level (kl.core.Audit). */
  auditLevel(): number;
  setAuditLevel(level: number): void;
}

const LEVEL_NAMES = ['debug', 'info', 'warn', 'error'];
const NANOS_PER_MS = 1_000_000n;

/** A dispatcher serving kl.core.Core for one calling entity. */
export function createCoreServices(caller: CoreCaller): ServerDispatch {
  return createCoreDispatcher({
    log: {
      Write: ({ level, text }) => {
        caller.log(level, level >= 2 ? `${LEVEL_NAMES[Math.min(level, 3)]}: ${text}` : text);
        return {};
      },
    },
    time: {
      Now: () => ({ unixNanos: BigInt(Date.now()) * NANOS_PER_MS, monotonicNanos: process.hrtime.bigint() }),
    },
    random: {
      Fill: ({ count }) => ({ data: new Uint8Array(randomBytes(Math.min(count, 4096))) }),
    },
    handle: {
      Copy: ({ source, rights }) => {
        const copy = caller.copyHandle(source.handle, rights);
        if (copy === undefined) throw new Error(`no handle ${source.handle} to copy, or it lacks the rights asked for`);
        return { copy: { handle: copy, rights } };
      },
      Close: ({ target }) => {
        if (!caller.closeHandle(target.handle)) throw new Error(`no handle ${target.handle} to close`);
        return {};
      },
    },
    task: {
      Exit: ({ code }) => {
        caller.exit(code);
        return {};
      },
    },
    audit: {
      SetLevel: ({ level }) => {
        caller.setAuditLevel(level);
        return {};
      },
      GetLevel: () => ({ level: caller.auditLevel() }),
    },
  });
}
