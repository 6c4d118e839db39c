// Mutations of a valid message. Each is plain data drawn by fast-check (indices are taken modulo
// what they index, so any draw applies to any message) and applied to a valid payload with the map
// of where its fields are (src/fuzz/encode.ts): integers set to their boundaries (still valid),
// descriptors whose size or offset lies, union tags out of range, handle slots and descriptors that
// name nothing, broken UTF-8, truncation, extension, garbage, wrong RIID/MID, wrong channel handle,
// bad handle counts and header fields that lie.
import fc from 'fast-check';
import { HEADER_BYTES } from '../entity/frames.ts';
import type { WireMessage } from '../kernel/schema.ts';
import { intBoundaries } from './arbitraries.ts';
import type { Encoded, Mark } from './encode.ts';
import type { FuzzMessage, HeaderLies } from './message.ts';

/** A method of the target, as the fuzzer addresses it. */
export interface MethodInfo {
  readonly riid: number;
  readonly mid: number;
  /** `endpoint.Method` (`pingComp.pingImpl.Ping`). */
  readonly name: string;
  readonly request: WireMessage;
}

export interface MutationContext {
  /** Endpoints of the target class, and methods per endpoint (by RIID). */
  readonly methodCounts: readonly number[];
  /** The fuzzer's handle for the channel under test, and every handle it holds. */
  readonly channelHandle: number;
  readonly ownHandles: readonly number[];
}

export type Mutation =
  | { readonly op: 'int'; readonly i: number; readonly j: number }
  | { readonly op: 'bitflip'; readonly bits: readonly number[] }
  | { readonly op: 'byte'; readonly at: number; readonly value: number }
  | { readonly op: 'desc-size'; readonly i: number; readonly lie: number }
  | { readonly op: 'desc-offset'; readonly i: number; readonly lie: number }
  | { readonly op: 'tag'; readonly i: number; readonly lie: number }
  | { readonly op: 'handle-slot'; readonly i: number; readonly lie: number; readonly send: boolean }
  | { readonly op: 'utf8'; readonly i: number; readonly lie: number }
  | { readonly op: 'truncate'; readonly to: number; readonly toFixed: boolean }
  | { readonly op: 'extend'; readonly bytes: Uint8Array; readonly overMax: boolean }
  | { readonly op: 'garbage'; readonly bytes: Uint8Array }
  | { readonly op: 'riid'; readonly lie: number; readonly raw: number }
  | { readonly op: 'mid'; readonly lie: number; readonly raw: number }
  | { readonly op: 'handles'; readonly list: readonly (readonly [number, number])[] }
  | { readonly op: 'header'; readonly field: number; readonly lie: number }
  | { readonly op: 'channel'; readonly lie: number };

const nat = fc.nat();
const u32 = fc.nat({ max: 0xffffffff });

/** Every kind of mutation, weighted towards the structured ones. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('int' as const), i: nat, j: nat }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bitflip' as const), bits: fc.array(nat, { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('byte' as const), at: nat, value: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80, 1), fc.nat(255)) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('desc-size' as const), i: nat, lie: nat }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('desc-offset' as const), i: nat, lie: nat }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tag' as const), i: nat, lie: nat }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('handle-slot' as const), i: nat, lie: nat, send: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('utf8' as const), i: nat, lie: nat }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), to: nat, toFixed: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), overMax: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 96 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('riid' as const), lie: nat, raw: u32 }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('mid' as const), lie: nat, raw: u32 }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('handles' as const), list: fc.array(fc.tuple(nat, fc.oneof(fc.nat(3), u32)), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('header' as const), field: nat, lie: nat }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('channel' as const), lie: nat }) },
);

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

function marksOf<K extends Mark['k']>(marks: readonly Mark[], k: K): Extract<Mark, { k: K }>[] {
  return marks.filter((m): m is Extract<Mark, { k: K }> => m.k === k);
}

function setU32(p: Uint8Array, at: number, v: number): void {
  new DataView(p.buffer, p.byteOffset, p.byteLength).setUint32(at, v >>> 0, true);
}

function setInt(p: Uint8Array, at: number, bytes: number, v: bigint): void {
  const u = BigInt.asUintN(bytes * 8, v);
  for (let i = 0; i < bytes; i++) p[at + i] = Number((u >> BigInt(8 * i)) & 0xffn);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The message `base` becomes under `mutation`, described in `origin`. */
export function applyMutation(base: Encoded, method: MethodInfo, mutation: Mutation, ctx: MutationContext): FuzzMessage {
  let payload = base.payload.slice();
  let riid = method.riid, mid = method.mid;
  let handles: (readonly [number, number])[] = [];
  const header: { -readonly [K in keyof HeaderLies]: HeaderLies[K] } = {};
  const { fixed, arenaMax } = method.request;
  const arenaLen = payload.length - fixed;
  let origin: string;
  const m = mutation;
  const descs = marksOf(base.marks, 'desc');
  switch (m.op) {
    case 'int': {
      const ints = marksOf(base.marks, 'int');
      if (ints.length === 0) return applyMutation(base, method, { op: 'bitflip', bits: [m.i, m.j] }, ctx);
      const mark = pick(ints, m.i);
      const value = pick(intBoundaries(mark.bytes, mark.signed), m.j);
      setInt(payload, mark.at, mark.bytes, value);
      origin = `int ${mark.path} = ${value}`;
      break;
    }
    case 'bitflip': {
      if (payload.length === 0) return applyMutation(base, method, { op: 'extend', bytes: Uint8Array.of(m.bits[0]! & 0xff), overMax: false }, ctx);
      const flipped = m.bits.map((b) => b % (payload.length * 8));
      for (const b of flipped) payload[b >> 3]! ^= 1 << (b & 7);
      origin = `bitflip bits ${flipped.join(',')}`;
      break;
    }
    case 'byte': {
      if (payload.length === 0) return applyMutation(base, method, { op: 'extend', bytes: Uint8Array.of(m.value), overMax: false }, ctx);
      const at = m.at % payload.length;
      payload[at] = m.value;
      origin = `byte ${at} = 0x${m.value.toString(16)}`;
      break;
    }
    case 'desc-size': {
      if (descs.length === 0) return applyMutation(base, method, { op: 'truncate', to: m.lie, toFixed: false }, ctx);
      const d = pick(descs, m.i);
      // A string's size counts its terminator: its bound on the wire is one more than the IDL's.
      const wireBound = d.of === 'string' ? d.bound + 1 : d.bound;
      const lies = [wireBound, wireBound + 1, d.count + 1, Math.max(0, d.count - 1), 0, 0xffffffff, 0x80000000, arenaLen + 1, 0x20000000];
      const value = pick(lies, m.lie) >>> 0;
      setU32(payload, d.at + 4, value);
      origin = `desc-size ${d.path} = ${value} (${d.of}, bound ${d.bound}, was ${d.count})`;
      break;
    }
    case 'desc-offset': {
      if (descs.length === 0) return applyMutation(base, method, { op: 'extend', bytes: Uint8Array.of(m.lie & 0xff), overMax: true }, ctx);
      const d = pick(descs, m.i);
      const offset = d.data === 0 && d.size === 0 ? 0 : d.data - fixed;
      const lies = [0xffffffff, arenaLen, arenaLen + 1, Math.max(0, offset - 1), offset + 1, 0, 0x7fffffff];
      const value = pick(lies, m.lie) >>> 0;
      setU32(payload, d.at, value);
      origin = `desc-offset ${d.path} = ${value} (was ${offset}, arena ${arenaLen} bytes)`;
      break;
    }
    case 'tag': {
      const tags = marksOf(base.marks, 'tag');
      if (tags.length === 0) return applyMutation(base, method, { op: 'mid', lie: m.lie, raw: m.i >>> 0 }, ctx);
      const t = pick(tags, m.i);
      const current = new DataView(payload.buffer).getUint32(t.at, true);
      const lies = [t.members, t.members + 1, 0xffffffff, (current + 1) % t.members];
      const value = pick(lies, m.lie) >>> 0;
      setU32(payload, t.at, value);
      origin = `tag ${t.path} = ${value} (${t.members} members, was ${current})`;
      break;
    }
    case 'handle-slot': {
      const hs = marksOf(base.marks, 'handle');
      if (hs.length === 0) return applyMutation(base, method, { op: 'handles', list: [[m.lie, m.i]] }, ctx);
      const h = pick(hs, m.i);
      const value = pick([0, 1, 2, 0xfffffffe, m.lie], m.lie) >>> 0;
      setU32(payload, h.at, value);
      if (m.send) handles = [[ctx.channelHandle, m.lie & 3]];
      origin = `handle-slot ${h.path} = ${value}${m.send ? `, with the channel handle (rights ${m.lie & 3})` : ''}`;
      break;
    }
    case 'utf8': {
      const strings = descs.filter((d) => d.of === 'string' && d.size > 0);
      if (strings.length === 0) return applyMutation(base, method, { op: 'desc-size', i: m.i, lie: m.lie }, ctx);
      const s = pick(strings, m.i);
      const text = s.size - 1; // bytes before the terminator
      // [what, at the terminator (else at the start of the text), bytes written]
      const kinds: [string, boolean, number[]][] = [
        ['no terminator', true, [0x41]],
        ['NUL inside', false, [0]],
        ['overlong', false, [0xc0, 0x80]],
        ['surrogate', false, [0xed, 0xa0, 0x80]],
        ['byte 0xF5', false, [0xf5]],
        ['lone continuation', false, [0x80]],
        ['cut sequence', false, [0xe2, 0x82]],
      ];
      const fitting = kinds.filter(([, atEnd, bytes]) => atEnd || bytes.length <= text);
      const [what, atEnd, bytes] = pick(fitting, m.lie);
      const at = atEnd ? text : 0;
      payload.set(bytes, s.data + at);
      origin = `utf8 ${s.path}: ${what}`;
      break;
    }
    case 'truncate': {
      const to = m.toFixed && fixed > 0 ? fixed - 1 : payload.length === 0 ? 0 : m.to % payload.length;
      payload = payload.slice(0, to);
      origin = `truncate to ${to} of ${base.payload.length} bytes`;
      break;
    }
    case 'extend': {
      const over = fixed + arenaMax + 1 - payload.length;
      const extra = m.overMax && over > 0 && over <= 1 << 16 ? new Uint8Array(over) : m.bytes;
      payload = concat(payload, extra);
      origin = `extend by ${extra.length} bytes${m.overMax && extra !== m.bytes ? ' (one past the maximum)' : ''}`;
      break;
    }
    case 'garbage':
      payload = m.bytes.slice();
      origin = `garbage ${payload.length} bytes`;
      break;
    case 'riid': {
      const endpoints = ctx.methodCounts.length;
      const lies = [endpoints, 0xffffffff, (riid + 1) % Math.max(1, endpoints), m.raw];
      riid = pick(lies, m.lie) >>> 0;
      origin = `riid = ${riid}`;
      break;
    }
    case 'mid': {
      const count = ctx.methodCounts[riid] ?? 0;
      const lies = [count, 0xffffffff, (mid + 1) % Math.max(1, count), m.raw, count + 1];
      mid = pick(lies, m.lie) >>> 0;
      origin = `mid = ${mid}`;
      break;
    }
    case 'handles': {
      const bogus = Math.max(0, ...ctx.ownHandles) + 1;
      handles = m.list.map(([n, rights]) => [pick([ctx.channelHandle, bogus, 0, 0xffffffff, ctx.channelHandle], n), rights >>> 0] as const);
      // Point the first handle field at the first descriptor, so a transfer can be valid too.
      const h = marksOf(base.marks, 'handle')[0];
      if (h) setU32(payload, h.at, 0);
      origin = `handles [${handles.map(([n, r]) => `${n}:${r}`).join(', ')}] (${method.request.handles} allowed)`;
      break;
    }
    case 'header': {
      const fields: [keyof HeaderLies, number[]][] = [
        ['version', [0, 2, 0xff]],
        ['kind', [0, 2, 3, 4, 5, 0xff]],
        ['flags', [1, 0x8000, 0xffff]],
        ['payloadLength', [payload.length + 1, Math.max(0, payload.length - 1), 0xffffffff]],
        ['handleCount', [1, 0xffffffff, 2]],
        ['status', [1, 0xffffffff]],
        ['frameBytes', [0, HEADER_BYTES - 1, HEADER_BYTES, HEADER_BYTES + Math.max(0, payload.length - 1)]],
      ];
      const [field, values] = pick(fields, m.field);
      const value = pick(values, m.lie);
      header[field] = value;
      origin = `header ${field} = ${value}`;
      break;
    }
    case 'channel': {
      const bogus = Math.max(0, ...ctx.ownHandles) + 1;
      // Never 0 (the kernel's handle) or another handle the fuzzer really holds: those reach someone else.
      const value = pick([bogus, 0xffffffff, 0x80000000, bogus + 100], m.lie) >>> 0;
      header.handle = value;
      origin = `channel handle = ${value} (the channel is ${ctx.channelHandle})`;
      break;
    }
  }
  return { riid, mid, payload, handles, header, origin, method: { riid: method.riid, mid: method.mid } };
}
