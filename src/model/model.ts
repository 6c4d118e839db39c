// The resolved solution model: every name bound, every constant evaluated, every size known.
// Produced by `resolve.ts` from parsed sources; consumed by codegen, policy and the image builder.
import type { Span } from '../lang/source.ts';

export type IntName =
  | 'SInt8' | 'SInt16' | 'SInt32' | 'SInt64'
  | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64'
  | 'UIntSize' | 'UIntPtr';

/** A type as it appears in a field or parameter. Named declarations are referenced by `ref`. */
export type TypeRef =
  | { readonly kind: 'int'; readonly name: IntName; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean }
  /** `Handle` or `handle<Iface>`: travels as a handle slot plus a rights mask. */
  | { readonly kind: 'handle'; readonly iface: string | undefined }
  | { readonly kind: 'array'; readonly element: TypeRef; readonly length: number }
  | { readonly kind: 'sequence'; readonly element: TypeRef; readonly max: number }
  | { readonly kind: 'bytes'; readonly max: number }
  /** UTF-8, at most `max` bytes (NUL terminator not counted, as in KOS `string<N>`). */
  | { readonly kind: 'string'; readonly max: number }
  /** A struct, union or typedef declared in some package, by fully qualified name `pkg.Name`. */
  | { readonly kind: 'ref'; readonly name: string };

export interface Field {
  readonly name: string;
  readonly type: TypeRef;
}

export type TypeDecl =
  | { readonly kind: 'struct'; readonly name: string; readonly package: string; readonly fields: readonly Field[]; readonly span: Span }
  | { readonly kind: 'union'; readonly name: string; readonly package: string; readonly fields: readonly Field[]; readonly span: Span }
  | { readonly kind: 'typedef'; readonly name: string; readonly package: string; readonly target: TypeRef; readonly span: Span };

/** Wire size of a value of some type: bytes in the fixed part, and the most it can add to the arena. */
export interface WireSize {
  readonly fixed: number;
  readonly arenaMax: number;
  /** Number of handles a value carries (handles travel beside the payload, not inside it). */
  readonly handles: number;
}

export interface Param {
  readonly name: string;
  readonly type: TypeRef;
}

/** One message shape: the request (in params), response (out) or error response (error params). */
export interface MessageLayout {
  readonly params: readonly Param[];
  readonly size: WireSize;
}

export interface Method {
  readonly name: string;
  /** Index of the method in its interface, from 0 (KOS MID). */
  readonly mid: number;
  readonly request: MessageLayout;
  readonly response: MessageLayout;
  readonly error: MessageLayout;
  readonly span: Span;
}

export interface Interface {
  /** The package that declares it; KOS names an interface by its package. */
  readonly name: string;
  readonly methods: readonly Method[];
  readonly span: Span;
}

export interface Constant {
  readonly name: string;
  readonly package: string;
  readonly type: TypeRef;
  readonly value: bigint;
}

export interface Package {
  readonly name: string;
  readonly path: string;
  readonly imports: readonly string[];
  readonly constants: readonly Constant[];
  readonly types: readonly string[];
  readonly interface: string | undefined;
}

export interface EndpointDef {
  readonly name: string;
  readonly iface: string;
}

export interface ComponentInstance {
  readonly name: string;
  readonly component: string;
}

/** A CDL component or an EDL process class (the latter has `isClass`). */
export interface Component {
  readonly name: string;
  readonly isClass: boolean;
  readonly form: 'component' | 'entity' | 'task class';
  readonly security: string | undefined;
  readonly endpoints: readonly EndpointDef[];
  readonly instances: readonly ComponentInstance[];
  readonly path: string;
  readonly span: Span;
}

/** An endpoint as a client addresses it: qualified name through component instances, and RIID. */
export interface ResolvedEndpoint {
  /** `inst.sub.endpoint` or just `endpoint` when declared directly in the EDL. */
  readonly qualifiedName: string;
  /** Ordinal among the class's endpoints, depth-first in declaration order (KOS RIID). */
  readonly riid: number;
  readonly iface: string;
  /** CDL components on the path to the endpoint, outermost first (for `component=` selectors). */
  readonly components: readonly string[];
}

export interface ProcessClass {
  readonly name: string;
  readonly component: Component;
  readonly endpoints: readonly ResolvedEndpoint[];
}

export type Isolation = 'worker' | 'process' | 'wasm';

export interface TaskLimits {
  readonly memoryMiB: number | undefined;
  readonly blockMs: number | undefined;
  readonly queueKiB: number | undefined;
  readonly inFlight: number | undefined;
}

export interface TaskResources {
  readonly fsRead: readonly string[];
  readonly fsWrite: readonly string[];
  readonly net: boolean;
}

export interface RestartPolicy {
  readonly mode: 'never' | 'on-failure';
  readonly maxRestarts: number;
}

export interface Connection {
  /** Channel name the client looks up (KOS `id`). */
  readonly id: string;
  readonly target: string;
  readonly span: Span;
}

export interface Task {
  /** Unique process name (init.yaml `task`, default = class name). */
  readonly name: string;
  readonly className: string;
  /** Entity code, relative to the solution root (init.yaml `path`, default `src/<ShortName>.ts`), or absolute for a shipped service. */
  readonly path: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly connections: readonly Connection[];
  readonly isolation: Isolation;
  readonly limits: TaskLimits;
  readonly resources: TaskResources;
  readonly restart: RestartPolicy;
  readonly span: Span;
}

/** A static IPC channel from init.yaml: the client owns a handle to it, named `id`. */
export interface Channel {
  readonly id: string;
  readonly client: string;
  readonly server: string;
  /** Handle number in the client's handle table (1-based, per client, in declaration order). */
  readonly handle: number;
}

export interface SolutionModel {
  readonly root: string;
  readonly packages: ReadonlyMap<string, Package>;
  readonly types: ReadonlyMap<string, TypeDecl>;
  readonly interfaces: ReadonlyMap<string, Interface>;
  readonly components: ReadonlyMap<string, Component>;
  readonly classes: ReadonlyMap<string, ProcessClass>;
  readonly tasks: readonly Task[];
  readonly channels: readonly Channel[];
}
