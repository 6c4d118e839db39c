// One fuzz message: what the fuzzer sends on a channel, as data that rebuilds the exact frame (so
// a case file can replay it) — riid, mid, payload, handle descriptors, and any header fields the
// mutation falsified (a wrong version or kind, a payload length that lies, a handle that is not
// the channel's, a frame cut short).
import { FrameKind, HEADER_BYTES, makeFrame, readHeader, Status } from '../entity/frames.ts';

/** Header fields a mutation may set to something a well-formed call would not have. */
export interface HeaderLies {
  readonly version?: number;
  readonly kind?: number;
  readonly flags?: number;
  /** The handle the call names, instead of the channel's. */
  readonly handle?: number;
  readonly payloadLength?: number;
  readonly handleCount?: number;
  readonly status?: number;
  /** The frame is cut to this many bytes. */
  readonly frameBytes?: number;
}

export interface FuzzMessage {
  readonly riid: number;
  readonly mid: number;
  readonly payload: Uint8Array;
  /** Handle descriptors sent with the call: [number in the fuzzer's table, rights]. */
  readonly handles: readonly (readonly [number, number])[];
  readonly header: HeaderLies;
  /** How it was made: `valid`, or the mutation (`desc-size request.peer.name = 65 (bound 64)`). */
  readonly origin: string;
  /** The method whose statistics it counts in (the one it was generated for, before any RIID/MID lie). */
  readonly method: { readonly riid: number; readonly mid: number };
}

const O_VERSION = 0, O_KIND = 1, O_FLAGS = 2, O_HANDLE = 4, O_LENGTH = 20, O_HANDLES = 24, O_STATUS = 28;

/** The frame for `m` on a channel whose handle is `handle`, with the fuzzer's request id. */
export function frameOf(m: FuzzMessage, handle: number, requestId: number): ArrayBuffer {
  const frame = makeFrame({ kind: FrameKind.call, flags: 0, handle, riid: m.riid, mid: m.mid, requestId, status: Status.ok }, m.payload, m.handles);
  const v = new DataView(frame);
  const h = m.header;
  if (h.version !== undefined) v.setUint8(O_VERSION, h.version & 0xff);
  if (h.kind !== undefined) v.setUint8(O_KIND, h.kind & 0xff);
  if (h.flags !== undefined) v.setUint16(O_FLAGS, h.flags & 0xffff, true);
  if (h.handle !== undefined) v.setUint32(O_HANDLE, h.handle >>> 0, true);
  if (h.payloadLength !== undefined) v.setUint32(O_LENGTH, h.payloadLength >>> 0, true);
  if (h.handleCount !== undefined) v.setUint32(O_HANDLES, h.handleCount >>> 0, true);
  if (h.status !== undefined) v.setUint32(O_STATUS, h.status >>> 0, true);
  if (h.frameBytes !== undefined && h.frameBytes < frame.byteLength) return frame.slice(0, Math.max(0, h.frameBytes));
  return frame;
}

/**
 * Whether the kernel owes the fuzzer an answer for this frame: only a well-formed call frame gets
 * one (a fault or the server's reply). Frames whose header does not parse, of an unknown version
 * or of another kind are dropped and counted against the sender, by design.
 */
export function expectsAnswer(frame: ArrayBuffer): boolean {
  const h = frame.byteLength >= HEADER_BYTES ? readHeader(new DataView(frame)) : undefined;
  return h !== undefined && h.version === 1 && h.kind === FrameKind.call;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not a hex string: ${hex.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** A message as JSON data (case files). */
export interface MessageJson {
  readonly riid: number;
  readonly mid: number;
  readonly payload: string;
  readonly handles?: readonly (readonly [number, number])[];
  readonly header?: HeaderLies;
  readonly origin?: string;
  readonly method?: { readonly riid: number; readonly mid: number };
}

export function messageToJson(m: FuzzMessage): MessageJson {
  return {
    riid: m.riid, mid: m.mid, payload: toHex(m.payload),
    ...(m.handles.length ? { handles: m.handles.map(([n, r]) => [n, r] as const) } : {}),
    ...(Object.keys(m.header).length ? { header: m.header } : {}),
    origin: m.origin,
    ...(m.method.riid !== m.riid || m.method.mid !== m.mid ? { method: m.method } : {}),
  };
}

const u32 = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${what}: expected an integer from 0 to 4294967295`);
  return v;
};

export function messageFromJson(j: MessageJson, what = 'message'): FuzzMessage {
  if (typeof j !== 'object' || j === null) throw new Error(`${what}: expected an object`);
  const riid = u32(j.riid, `${what}.riid`), mid = u32(j.mid, `${what}.mid`);
  if (typeof j.payload !== 'string') throw new Error(`${what}.payload: expected a hex string`);
  const handles = (j.handles ?? []).map((h, i) => {
    if (!Array.isArray(h) || h.length !== 2) throw new Error(`${what}.handles[${i}]: expected [number, rights]`);
    return [u32(h[0], `${what}.handles[${i}][0]`), u32(h[1], `${what}.handles[${i}][1]`)] as const;
  });
  const header: Record<string, number> = {};
  for (const [k, v] of Object.entries(j.header ?? {})) {
    if (!['version', 'kind', 'flags', 'handle', 'payloadLength', 'handleCount', 'status', 'frameBytes'].includes(k)) throw new Error(`${what}.header: unknown field ${k}`);
    header[k] = u32(v, `${what}.header.${k}`);
  }
  const method = j.method ? { riid: u32(j.method.riid, `${what}.method.riid`), mid: u32(j.method.mid, `${what}.method.mid`) } : { riid, mid };
  return { riid, mid, payload: fromHex(j.payload), handles, header, origin: typeof j.origin === 'string' ? j.origin : 'replayed', method };
}
