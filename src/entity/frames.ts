// IPC frames, shared by the kernel and the entity library: a fixed 32-byte little-endian header,
// then the payload (fixed part + arena, see docs/wire-format.md), then handle descriptors.

export const FRAME_VERSION = 1;
export const HEADER_BYTES = 32;
/** Each transferred handle: u32 handle number in the sender's table + u32 rights mask. */
export const HANDLE_DESCRIPTOR_BYTES = 8;
/** KasperskyOS caps a message at 4–16 MiB; Citadel uses 16 MiB for the whole frame. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024 + HEADER_BYTES;

export const FrameKind = {
  /** Client → kernel → server: a request. */
  call: 1,
  /** Server → kernel → client: a response (out params). */
  reply: 2,
  /** Server → kernel → client: an error response (error params). */
  error: 3,
  /** Kernel → client: the call failed in the kernel; `status` says why, payload is UTF-8 text. */
  fault: 4,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Why a call failed without a reply from the server (KasperskyOS `rc*` codes, as values). */
export const Status = {
  ok: 0,
  securityDisallow: 1,
  invalidMessage: 2,
  notConnected: 3,
  timeout: 4,
  serverFault: 5,
  busy: 6,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

export const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'Ok', 1: 'SecurityDisallow', 2: 'InvalidMessage', 3: 'NotConnected', 4: 'Timeout', 5: 'ServerFault', 6: 'Busy',
};

export interface FrameHeader {
  readonly version: number;
  readonly kind: number;
  readonly flags: number;
  /** Client: its channel handle. Server: the kernel-assigned channel slot the call arrived on. */
  readonly handle: number;
  readonly riid: number;
  readonly mid: number;
  /** Chosen by the client for its calls; assigned by the kernel for the server's view. */
  readonly requestId: number;
  readonly payloadLength: number;
  readonly handleCount: number;
  readonly status: number;
}

// Byte offsets inside the header.
const O_VERSION = 0, O_KIND = 1, O_FLAGS = 2, O_HANDLE = 4, O_RIID = 8, O_MID = 12,
  O_REQUEST = 16, O_LENGTH = 20, O_HANDLES = 24, O_STATUS = 28;

/** Reads a header; undefined when the buffer cannot hold one or its lengths disagree. */
export function readHeader(frame: DataView): FrameHeader | undefined {
  if (frame.byteLength < HEADER_BYTES) return undefined;
  const h: FrameHeader = {
    version: frame.getUint8(O_VERSION),
    kind: frame.getUint8(O_KIND),
    flags: frame.getUint16(O_FLAGS, true),
    handle: frame.getUint32(O_HANDLE, true),
    riid: frame.getUint32(O_RIID, true),
    mid: frame.getUint32(O_MID, true),
    requestId: frame.getUint32(O_REQUEST, true),
    payloadLength: frame.getUint32(O_LENGTH, true),
    handleCount: frame.getUint32(O_HANDLES, true),
    status: frame.getUint32(O_STATUS, true),
  };
  const expected = HEADER_BYTES + h.payloadLength + h.handleCount * HANDLE_DESCRIPTOR_BYTES;
  return expected === frame.byteLength ? h : undefined;
}

export function writeHeader(frame: DataView, h: FrameHeader): void {
  frame.setUint8(O_VERSION, h.version);
  frame.setUint8(O_KIND, h.kind);
  frame.setUint16(O_FLAGS, h.flags, true);
  frame.setUint32(O_HANDLE, h.handle, true);
  frame.setUint32(O_RIID, h.riid, true);
  frame.setUint32(O_MID, h.mid, true);
  frame.setUint32(O_REQUEST, h.requestId, true);
  frame.setUint32(O_LENGTH, h.payloadLength, true);
  frame.setUint32(O_HANDLES, h.handleCount, true);
  frame.setUint32(O_STATUS, h.status, true);
}

/** A new frame holding `payload` and `handles` (pairs of handle number, rights). */
export function makeFrame(h: Omit<FrameHeader, 'version' | 'payloadLength' | 'handleCount'>, payload: Uint8Array, handles: readonly (readonly [number, number])[] = []): ArrayBuffer {
  const buffer = new ArrayBuffer(HEADER_BYTES + payload.byteLength + handles.length * HANDLE_DESCRIPTOR_BYTES);
  const view = new DataView(buffer);
  writeHeader(view, { ...h, version: FRAME_VERSION, payloadLength: payload.byteLength, handleCount: handles.length });
  new Uint8Array(buffer, HEADER_BYTES, payload.byteLength).set(payload);
  let at = HEADER_BYTES + payload.byteLength;
  for (const [handle, rights] of handles) {
    view.setUint32(at, handle, true);
    view.setUint32(at + 4, rights, true);
    at += HANDLE_DESCRIPTOR_BYTES;
  }
  return buffer;
}

export function payloadOf(frame: ArrayBuffer, h: FrameHeader): Uint8Array {
  return new Uint8Array(frame, HEADER_BYTES, h.payloadLength);
}

export function handlesOf(frame: ArrayBuffer, h: FrameHeader): [number, number][] {
  const view = new DataView(frame);
  const out: [number, number][] = [];
  let at = HEADER_BYTES + h.payloadLength;
  for (let i = 0; i < h.handleCount; i++, at += HANDLE_DESCRIPTOR_BYTES) out.push([view.getUint32(at, true), view.getUint32(at + 4, true)]);
  return out;
}
