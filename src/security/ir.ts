// Policy IR: the compiled form of a PSL policy, pure JSON data. Produced at build time by
// src/policy, loaded at run time by src/security (which owns this format). No code inside.

export const POLICY_IR_VERSION = 1;

/*
 * Run-time meaning (src/security):
 * - A binding applies when its event kind and selectors match the event; every applicable binding
 *   body runs, in IR order. Granted only if at least one rule ran and every rule that ran granted
 *   (a binding whose nested `match` sections all miss grants nothing). Errors deny. Evaluation
 *   stops at the first denial; a rule sees state staged by earlier rules of the same decision,
 *   and staged state is committed only if the decision is granted.
 * - Selector names: `interface` is the endpoint's IDL interface (for `security` events the class's
 *   security interface), `endpoint` the qualified endpoint name, `component` a CDL component name
 *   listed in the endpoint's `components` (no list: never matches), `method` the method name.
 * - Objects named base, pred, bool, math, struct, re (the nk defaults) are created when the IR
 *   does not declare them. Model methods (rules = R, expressions = E) and configs:
 *     Base      R grant (), deny (), deny (b) (denies when b), assert (b)
 *     Pred      E empty (x)                          Bool  R assert (b); E all [b], any [b], cond {if, then, else}
 *     Math      E neg, abs, sum [i], product [i], uint8..uint64, sint8..sint64 (range-checked)
 *     Struct    no methods: `field`/`index` nodes    Regex E match {text, pattern}, select {text}
 *     HashSet   config {set_size, pool_size}; R init/fini {sid}, add/remove {sid, entry}; E contains {sid, entry}
 *     StaticMap config {keys : {k : default} | [[k, default]], pool_size}; R init/fini/commit/rollback {sid},
 *               set {sid, key, value}; E get/get_uncommited {sid, key}
 *     Flow      config {states, initial, transitions}; R init/fini {sid}, enter {sid, state},
 *               allow {sid, states}; E query {sid}
 *     Mic       config [levels] | {degrees, categories}; R execute {target, level[, image]},
 *               create {source, target[, level]}, call/read {source, target} (flow target → source),
 *               write/invoke {source, target} (flow source → target); E level {sid}
 * - `choice` on `re.select {text}` tests each arm's text pattern as a regular expression.
 * - Audit: a profile level is chosen by exact level number; an `audit` statement switches the
 *   profile for the rest of the enclosing body.
 */

export type EventKind = 'execute' | 'request' | 'response' | 'error' | 'security';

/** Where a construct came from, for explanations: `security.psl:12:5`. */
export type Origin = string;

/** JSON-safe PSL value. Integers travel as decimal strings (range -2^63..2^64-1) so 64-bit values survive JSON. */
export type IrValue =
  | { readonly t: 'int'; readonly v: string }
  | { readonly t: 'text'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'unit' }
  | { readonly t: 'list'; readonly items: readonly IrValue[] }
  | { readonly t: 'dict'; readonly fields: readonly (readonly [string, IrValue])[] };

export type IrExpr =
  | { readonly k: 'lit'; readonly value: IrValue }
  | { readonly k: 'list'; readonly items: readonly IrExpr[] }
  | { readonly k: 'dict'; readonly fields: readonly (readonly [string, IrExpr])[] }
  | { readonly k: 'src_sid' }
  | { readonly k: 'dst_sid' }
  /** `message` itself: the decoded params of the event's message as a dict. */
  | { readonly k: 'message' }
  | { readonly k: 'field'; readonly of: IrExpr; readonly name: string }
  | { readonly k: 'index'; readonly of: IrExpr; readonly index: IrExpr }
  | { readonly k: 'unary'; readonly op: '!' | '-' | '~'; readonly arg: IrExpr }
  | { readonly k: 'binary'; readonly op: IrBinaryOp; readonly left: IrExpr; readonly right: IrExpr }
  /** Expression method of a model object: `flow.query {sid : dst_sid}`, `re.match {…}`, `bool.all […]`. */
  | { readonly k: 'call'; readonly object: string; readonly method: string; readonly arg: IrExpr; readonly origin: Origin }
  /** Built-in function: `size(x)`. */
  | { readonly k: 'builtin'; readonly name: 'size'; readonly arg: IrExpr };

export type IrBinaryOp =
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '&&' | '||' | '==>'
  | '+' | '-' | '*' | '/' | '%' | '|' | '&' | '^' | '<<' | '>>';

export interface IrSelectors {
  /** Class index (into PolicyIR.classes), or undefined = any. */
  readonly src?: number;
  readonly dst?: number;
  /** Interface (IDL package) name. */
  readonly interface?: string;
  readonly component?: string;
  /** Qualified endpoint name, e.g. `pingComp.pingImpl`. */
  readonly endpoint?: string;
  readonly method?: string;
}

export type IrStmt =
  /** A rule: model method returning granted/denied, e.g. `grant ()`, `session.enter {…}`, `assert (e)`. */
  | { readonly k: 'rule'; readonly object: string; readonly method: string; readonly arg: IrExpr; readonly origin: Origin }
  | { readonly k: 'match'; readonly selectors: IrSelectors; readonly body: readonly IrStmt[]; readonly origin: Origin }
  | { readonly k: 'choice'; readonly on: IrExpr; readonly arms: readonly IrChoiceArm[]; readonly origin: Origin }
  | { readonly k: 'audit'; readonly profile: string };

export interface IrChoiceArm {
  /** Literal to compare with (or regex pattern under `re.select`); undefined = `_`. */
  readonly pattern: IrValue | undefined;
  readonly body: readonly IrStmt[];
}

export interface IrBinding {
  readonly event: EventKind;
  readonly selectors: IrSelectors;
  readonly body: readonly IrStmt[];
  readonly origin: Origin;
}

export type ModelName = 'Base' | 'Pred' | 'Bool' | 'Math' | 'Struct' | 'Regex' | 'HashSet' | 'StaticMap' | 'Flow' | 'Mic';

export interface IrObject {
  readonly name: string;
  readonly model: ModelName;
  /** The object's `config` value (model-specific), already checked at build time. */
  readonly config: IrValue | undefined;
  readonly origin: Origin;
}

/** level → object name → audit conditions. */
export interface IrAuditProfile {
  readonly name: string;
  readonly levels: readonly { readonly level: number; readonly objects: readonly { readonly object: string; readonly kss: readonly ('granted' | 'denied')[]; readonly omit: readonly string[]; readonly emit: readonly string[] }[] }[];
}

export interface IrEndpoint {
  /** Qualified name through component instances: `pingComp.pingImpl`. */
  readonly name: string;
  readonly riid: number;
  readonly interface: string;
  /** CDL component (type) names on the endpoint's instance path, outermost first: `["Ping"]`. */
  readonly components?: readonly string[];
  /** Method names by MID. */
  readonly methods: readonly string[];
}

export interface IrClass {
  readonly name: string;
  readonly endpoints: readonly IrEndpoint[];
  /** Security interface methods (by MID), when the class declares `security`. */
  readonly securityInterface?: string;
  readonly securityMethods?: readonly string[];
}

export interface PolicyIR {
  readonly version: typeof POLICY_IR_VERSION;
  readonly classes: readonly IrClass[];
  readonly objects: readonly IrObject[];
  readonly bindings: readonly IrBinding[];
  readonly auditProfiles: readonly IrAuditProfile[];
  readonly auditDefault: { readonly profile: string; readonly level: number } | undefined;
}

/** A security event as the kernel (or a PAL test) presents it to the security module. */
export interface SecurityEvent {
  readonly kind: EventKind;
  /** Class indices into PolicyIR.classes (the kernel's own start: both are kl.core.Core).
   *  `security` events have one participant: dst is taken to be src. */
  readonly srcClass: number;
  readonly dstClass: number;
  readonly srcSid: number;
  readonly dstSid: number;
  /** For request/response/error: endpoint RIID on the server class (dst of a request, src of a
   *  response/error) and the method MID; for security: the MID in the src class's security interface. */
  readonly riid?: number;
  readonly mid?: number;
  /** Decoded message params, fetched only if a rule reads `message`. */
  readonly message?: () => Readonly<Record<string, unknown>>;
  /** Display names for explanations (task names); optional. */
  readonly srcTask?: string;
  readonly dstTask?: string;
}
