// Wire schema: what the kernel needs to validate message payloads, as JSON data in the image.
// Built from the solution model at build time (src/build/schema.ts); class indices are the
// policy IR's, so one index names a class for routing, validation and decisions alike.

export type WireType =
  | { readonly k: 'int'; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean }
  | { readonly k: 'handle' }
  | { readonly k: 'bytes'; readonly max: number }
  | { readonly k: 'string'; readonly max: number }
  | { readonly k: 'array'; readonly of: WireType; readonly n: number }
  | { readonly k: 'sequence'; readonly of: WireType; readonly max: number }
  | { readonly k: 'struct'; readonly fields: readonly WireField[] }
  | { readonly k: 'union'; readonly fields: readonly WireField[] }
  /** A named struct/union/typedef, by index into `WireSchema.types` (shared, never recursive). */
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
  readonly name: string;
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
  readonly types: readonly { readonly name: string; readonly type: WireType }[];
  readonly interfaces: readonly WireInterface[];
  /** Same order as the policy IR's classes. */
  readonly classes: readonly WireClass[];
}
