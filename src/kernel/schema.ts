// Wire schema: what the kernel needs to validate message payloads, as JSON data in the image.
// Built from the solution model at build time (src/build/schema.ts); class indices are the
// policy IR's, so one index names a class for routing, validation and decisions alike.
//
// Invariants the kernel checks on load (src/kernel/validate.ts, compileSchema), so the hot path
// can index arrays directly:
// - `types[i]` refers (through `ref`) only to `types[j]` with j < i: no recursion, checkable in one pass;
// - a struct's field names and a union's member names are unique;
// - `interfaces[i].methods[mid]` is the method with that MID (MIDs are 0..n-1);
// - `classes[c].endpoints[riid].riid === riid` (RIIDs are 0..n-1);
// - every message's `fixed`, `arenaMax` and `handles` equal what its params add up to
//   (src/model/wire-size.ts), so the kernel and the generated codecs agree on the layout;
// - bounds, lengths and every type's fixed size are u32 (`string<N>`: N + 1 too), nesting is at
//   most 64 levels deep, and an array or sequence of zero-size elements holds at most as many
//   elements as a frame has bytes (so decoding work stays proportional to the frame).

export type WireType =
  | { readonly k: 'int'; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean }
  | { readonly k: 'handle' }
  | { readonly k: 'bytes'; readonly max: number }
  | { readonly k: 'string'; readonly max: number }
  | { readonly k: 'array'; readonly of: WireType; readonly n: number }
  | { readonly k: 'sequence'; readonly of: WireType; readonly max: number }
  | { readonly k: 'struct'; readonly fields: readonly WireField[] }
  /** Members in declaration order: the wire tag is a member's index. */
  | { readonly k: 'union'; readonly fields: readonly WireField[] }
  /** A named struct/union/typedef, by index into `WireSchema.types` (shared, never recursive:
   *  inside `types[i]` only ids below i). A typedef's entry is its target type. */
  | { readonly k: 'ref'; readonly id: number };

export interface WireField {
  readonly name: string;
  readonly type: WireType;
}

export interface WireMessage {
  readonly params: readonly WireField[];
  /** Exact size of the fixed part. */
  readonly fixed: number;
  /** Most bytes the arena may hold. */
  readonly arenaMax: number;
  /** Most handles a message carries. */
  readonly handles: number;
}

/** The method with MID `mid` is `methods[mid]`. */
export interface WireMethod {
  readonly name: string;
  readonly request: WireMessage;
  readonly response: WireMessage;
  readonly error: WireMessage;
}

export interface WireInterface {
  readonly name: string;
  readonly methods: readonly WireMethod[];
}

export interface WireEndpoint {
  /** Qualified name through component instances (`pingComp.pingImpl`). */
  readonly name: string;
  /** Equal to the endpoint's index in `WireClass.endpoints`. */
  readonly riid: number;
  /** Index into `WireSchema.interfaces`. */
  readonly iface: number;
}

export interface WireClass {
  readonly name: string;
  readonly endpoints: readonly WireEndpoint[];
  /** Index into `WireSchema.interfaces` of the class's security interface, if any. */
  readonly security?: number;
}

export interface WireSchema {
  readonly version: 1;
  /** Named types reachable from the interfaces, dependencies first; the name is `pkg.Name`. */
  readonly types: readonly { readonly name: string; readonly type: WireType }[];
  /** Interfaces some class serves or has as its security interface, each once. */
  readonly interfaces: readonly WireInterface[];
  /** Same order as the policy IR's classes. */
  readonly classes: readonly WireClass[];
}
