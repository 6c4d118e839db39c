// Shared sources for end-to-end kernel tests: one small interface (t.Svc) served by t.Server,
// client classes, a permissive policy to extend, and entity-side snippets for raw frames.
import type { SolutionFiles } from './solution.ts';

/** The test interface: each method exercises one kernel path. */
export const SVC_IDL = `package t.Svc

const UInt16 Refused = 7;

union Choice {
    UInt32 num;
    string<8> text;
}

interface {
    Echo(in string<16> text, out string<16> reply);
    Fail(in UInt32 code, out UInt32 v, error UInt16 status);
    Slow(in UInt32 ms, out UInt32 v);
    Hang(in UInt32 x, out UInt32 v);
    Count(in sequence<UInt8, 4> items, out UInt32 n);
    Pick(in Choice c, out UInt32 n);
    Secret(in UInt32 x, out UInt32 v);
    Forbidden(in UInt32 x, out UInt32 v);
    Crash(in UInt32 mode, out UInt32 v);
    Pass(in Handle h, out UInt32 v);
}
`;

/** MIDs of t.Svc, in declaration order (kept in sync with SVC_IDL). */
export const MID = { Echo: 0, Fail: 1, Slow: 2, Hang: 3, Count: 4, Pick: 5, Secret: 6, Forbidden: 7, Crash: 8, Pass: 9 } as const;

export const serverEdl = (cls: string) => `task class ${cls}\n\nendpoints {\n    svc : t.Svc\n}\n`;
export const clientEdl = (cls: string) => `task class ${cls}\n`;

/**
 * A policy granting everything, for the classes given, plus `extra` bindings. Every class must
 * also appear in the solution's files as t/<Name>.edl.
 */
export function policy(classes: readonly string[], extra = ''): string {
  return `execute: kl.core.Execute

use nk.base._

use EDL Einit
use EDL kl.core.Core
${classes.map((c) => `use EDL ${c}`).join('\n')}

execute { grant () }
request { grant () }
response { grant () }
error { grant () }
${extra}
`;
}

/**
 * The standard server: logs every call it gets as \`GOT <Method> <arg>\`, then answers.
 * Slow waits \`ms\`; Hang answers only once an Echo('release') has come; Fail replies with the typed error when code != 0;
 * Crash: 1 = exit(3) now, 2 = throw from a timer, 3 = reject inside the handler after a delay.
 */
export const SERVER_TS = `import { serve, taskName } from 'citadel';
import { createServerDispatcher } from '../gen/t.Server.edl.ts';
import { Svc_Fail_Error, Refused } from '../gen/t.Svc.idl.ts';

declare const __citadel: { exit(code: number): never };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let active = 0;
let maxActive = 0;
/** Hung calls, answered when an Echo('release') comes (and after it, Hang answers at once). */
const hung: (() => void)[] = [];
let released = false;

serve(createServerDispatcher({
  svc: {
    Echo: ({ text }) => {
      console.log('GOT Echo ' + text);
      if (text === 'release') { released = true; for (const f of hung.splice(0)) f(); }
      return { reply: text.toUpperCase() };
    },
    Fail: ({ code }) => {
      console.log('GOT Fail ' + code);
      if (code !== 0) throw new Svc_Fail_Error({ status: Refused });
      return { v: 1 };
    },
    Slow: async ({ ms }) => {
      active++;
      maxActive = Math.max(maxActive, active);
      console.log('GOT Slow ' + ms + ' active=' + active);
      await sleep(ms);
      active--;
      return { v: maxActive };
    },
    Hang: ({ x }) => {
      console.log('GOT Hang ' + x);
      return released ? { v: x } : new Promise((r) => { hung.push(() => r({ v: x })); });
    },
    Count: ({ items }) => { console.log('GOT Count ' + items.length); return { n: items.length }; },
    Pick: ({ c }) => { console.log('GOT Pick ' + c.tag); return { n: c.tag === 'num' ? c.value : c.value.length }; },
    Secret: ({ x }) => { console.log('GOT Secret ' + x); return { v: 42 }; },
    Forbidden: ({ x }) => { console.log('GOT Forbidden ' + x); return { v: 0 }; },
    Pass: ({ h }) => { console.log('GOT Pass ' + h.handle + ' rights ' + h.rights); return { v: h.handle }; },
    Crash: async ({ mode }) => {
      console.log('GOT Crash ' + mode);
      if (mode === 1) { await sleep(20); __citadel.exit(3); }
      if (mode === 2) setTimeout(() => { throw new Error('boom in a timer'); }, 20);
      if (mode === 3) { await sleep(20); Promise.reject(new Error('unhandled rejection')); }
      return new Promise(() => undefined);
    },
  },
}));
console.log('ready ' + taskName());
`;

/** Files every solution built on t.Svc needs: the IDL and the server class and code. */
export function svcFiles(serverClass = 't.Server'): SolutionFiles {
  return {
    't/Svc.idl': SVC_IDL,
    [`${serverClass.replace('.', '/')}.edl`]: serverEdl(serverClass),
    [`src/${serverClass.split('.').pop()}.ts`]: SERVER_TS,
  };
}

/**
 * Entity-side TypeScript for raw frames. \`rawSetup()\` takes over the entity's frame receiver
 * (the citadel runtime's calls stop resolving, but console output still works: it is one-way);
 * \`raw(fields, payload)\` sends a crafted frame and resolves with the kernel's answer (or
 * 'none' once \`settle()\` confirms no answer came). Frame layout: src/entity/frames.ts.
 */
export const RAW_TS = `
declare const __citadel: {
  send(frame: ArrayBuffer): void;
  receive(fn: (frame: ArrayBuffer) => void): void;
  keepAlive(on: boolean): void;
  setTimer(ms: number, repeat: boolean, fn: () => void): number;
  exit(code: number): never;
  boot: { task: string; channels: Record<string, { handle: number; endpoints: Record<string, number> }> };
};
interface Answer { kind: number; status: number; text: string; handle: number; requestId: number; bytes: Uint8Array }
const answers = new Map<number, (a: Answer) => void>();
/** Every frame received, in order (replays and forgeries included, if any got through). */
const received: Answer[] = [];
let nextRaw = 0x40000000;
function rawSetup(): void {
  __citadel.keepAlive(true);
  __citadel.receive((frame) => {
    const v = new DataView(frame);
    if (frame.byteLength < 32) return;
    const requestId = v.getUint32(16, true);
    const len = v.getUint32(20, true);
    const bytes = new Uint8Array(frame, 32, Math.min(len, frame.byteLength - 32));
    const a: Answer = { kind: v.getUint8(1), status: v.getUint32(28, true), text: new TextDecoder().decode(bytes), handle: v.getUint32(4, true), requestId, bytes: bytes.slice() };
    received.push(a);
    const fn = answers.get(requestId);
    if (fn) { answers.delete(requestId); fn(a); }
  });
}
interface Fields { version?: number; kind?: number; flags?: number; handle?: number; riid?: number; mid?: number; requestId?: number; payloadLength?: number; handleCount?: number; status?: number; size?: number; extra?: Uint8Array }
/** A frame: header fields default to a valid call; \`size\` overrides the buffer length. */
function frame(f: Fields, payload: Uint8Array): ArrayBuffer {
  const extra = f.extra ?? new Uint8Array(0);
  const size = f.size ?? 32 + payload.length + extra.length;
  const buf = new ArrayBuffer(size);
  const v = new DataView(buf);
  const put = (at: number, n: number, w: 1 | 2 | 4) => { if (at + w <= size) { if (w === 1) v.setUint8(at, n); else if (w === 2) v.setUint16(at, n, true); else v.setUint32(at, n, true); } };
  put(0, f.version ?? 1, 1); put(1, f.kind ?? 1, 1); put(2, f.flags ?? 0, 2); put(4, f.handle ?? 0, 4);
  put(8, f.riid ?? 0, 4); put(12, f.mid ?? 0, 4); put(16, f.requestId ?? 0, 4);
  put(20, f.payloadLength ?? payload.length, 4); put(24, f.handleCount ?? 0, 4); put(28, f.status ?? 0, 4);
  const body = new Uint8Array(buf);
  if (size > 32) body.set(payload.subarray(0, Math.max(0, size - 32)), 32);
  if (size > 32 + payload.length) body.set(extra.subarray(0, size - 32 - payload.length), 32 + payload.length);
  return buf;
}
/** Sends a crafted frame; resolves with the answer to its request id, if any comes. */
function raw(f: Fields, payload: Uint8Array): Promise<Answer | 'none'> {
  const requestId = f.requestId ?? nextRaw++;
  return new Promise((resolve) => {
    answers.set(requestId, resolve);
    pendingRaw.push(() => { if (answers.delete(requestId)) resolve('none'); });
    __citadel.send(frame({ ...f, requestId }, payload));
  });
}
const pendingRaw: (() => void)[] = [];
/** Frames a string param: descriptor (offset, size incl. NUL) then the bytes and a 0. */
function strPayload(text: string | Uint8Array, fixedBefore = new Uint8Array(0)): Uint8Array {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const out = new Uint8Array(fixedBefore.length + 8 + bytes.length + 1);
  out.set(fixedBefore);
  const v = new DataView(out.buffer);
  v.setUint32(fixedBefore.length, 0, true);
  v.setUint32(fixedBefore.length + 4, bytes.length + 1, true);
  out.set(bytes, fixedBefore.length + 8);
  return out;
}
const u32 = (...ns: number[]) => { const b = new Uint8Array(ns.length * 4); const v = new DataView(b.buffer); ns.forEach((n, i) => v.setUint32(i * 4, n, true)); return b; };
/** After a valid call on \`handle\` comes back, every earlier raw frame left unanswered resolves 'none'. */
async function settle(handle: number, riid: number): Promise<Answer | 'none'> {
  const a = await raw({ handle, riid, mid: 0 }, strPayload('sync'));
  for (const f of pendingRaw.splice(0)) f();
  return a;
}
`;
