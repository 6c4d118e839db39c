// Syntax tree for PSL policies and their PAL tests, as written: names unresolved, expressions unevaluated.
import type { Ident, QualifiedName } from './ast.ts';
import type { SourceFile, Span } from './source.ts';

export type { Ident, QualifiedName };

export type EventKind = 'execute' | 'request' | 'response' | 'error' | 'security';

export type SelectorKey = 'src' | 'dst' | 'interface' | 'component' | 'endpoint' | 'method';

/** `key=value`; in PAL tests `src`/`dst` may name a test variable instead of a class. */
export interface Selector {
  readonly kind: 'selector';
  readonly key: SelectorKey;
  readonly keySpan: Span;
  readonly value: QualifiedName;
  readonly span: Span;
}

// ---- Expressions -------------------------------------------------------------------------------

export interface IntLiteral { readonly kind: 'int'; readonly value: bigint; readonly span: Span }
export interface StringLiteral { readonly kind: 'string'; readonly value: string; readonly span: Span }
export interface BoolLiteral { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
/** `()`: the unit value, e.g. the argument of `grant ()`. */
export interface UnitLiteral { readonly kind: 'unit'; readonly span: Span }

/**
 * A dotted path as written: `src_sid`, `message.request.repeats`, `session` — whether a segment is
 * an object, a message field or a test variable is decided by name resolution, not here.
 */
export interface NameExpr { readonly kind: 'name'; readonly name: QualifiedName; readonly span: Span }

/** `obj.method arg`, `size (x)`, `flow.query {sid : dst_sid}`: one argument, often a record. */
export interface CallExpr { readonly kind: 'call'; readonly callee: QualifiedName; readonly arg: PslExpr; readonly span: Span }

export interface ListExpr { readonly kind: 'list'; readonly items: readonly PslExpr[]; readonly span: Span }

/** `{ k : v, … }` (also written with `=`): records, dictionaries and audit profiles alike. */
export interface RecordExpr { readonly kind: 'record'; readonly entries: readonly RecordEntry[]; readonly span: Span }
export interface RecordEntry { readonly kind: 'entry'; readonly key: RecordKey; readonly value: PslExpr; readonly span: Span }
export type RecordKey = IdentKey | StringLiteral | IntLiteral;
export interface IdentKey { readonly kind: 'ident'; readonly text: string; readonly span: Span }

/** `x.[i]` or `x[i]`. */
export interface IndexExpr { readonly kind: 'index'; readonly target: PslExpr; readonly index: PslExpr; readonly span: Span }
/** `.f` after something that is not a plain path, e.g. `x.[0].f`. */
export interface FieldExpr { readonly kind: 'field'; readonly target: PslExpr; readonly field: Ident; readonly span: Span }

export type UnaryOp = '!' | '~' | '-';
export interface UnaryExpr { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: PslExpr; readonly span: Span }

export type PslBinaryOp = '==>' | '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '|' | '&' | '+' | '-' | '*';
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: PslBinaryOp;
  readonly left: PslExpr;
  readonly right: PslExpr;
  readonly span: Span;
}

export type PslExpr =
  | IntLiteral | StringLiteral | BoolLiteral | UnitLiteral
  | NameExpr | CallExpr | ListExpr | RecordExpr | IndexExpr | FieldExpr | UnaryExpr | BinaryExpr;

// ---- Types (`type X = …` inside policy objects) ------------------------------------------------

export type PslPrimitive =
  | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'SInt8' | 'SInt16' | 'SInt32' | 'SInt64'
  | 'Boolean' | 'Text' | 'Sid' | 'Handle' | 'HandleDesc';

export type PslType =
  | { readonly kind: 'primitive'; readonly name: PslPrimitive; readonly span: Span }
  /** Any other name: a type parameter, a model alias (`Number`, `ScalarLiteral`), … */
  | { readonly kind: 'named'; readonly name: QualifiedName; readonly span: Span }
  /** A single value as a type: `"started"`, `12`, `-5`, `true`. */
  | { readonly kind: 'literal'; readonly value: IntLiteral | StringLiteral | BoolLiteral; readonly span: Span }
  | { readonly kind: 'unit'; readonly span: Span }
  | { readonly kind: 'variant'; readonly options: readonly PslType[]; readonly span: Span }
  | { readonly kind: 'dict'; readonly fields: readonly DictTypeField[]; readonly span: Span }
  | { readonly kind: 'tuple'; readonly elements: readonly PslType[]; readonly span: Span }
  | { readonly kind: 'list' | 'set'; readonly element: PslType; readonly span: Span }
  | { readonly kind: 'map'; readonly key: PslType; readonly value: PslType; readonly span: Span }
  | { readonly kind: 'array' | 'sequence'; readonly element: PslType; readonly size: IntLiteral; readonly span: Span };

export interface DictTypeField { readonly kind: 'type-field'; readonly name: Ident; readonly type: PslType; readonly span: Span }

// ---- Binding bodies ----------------------------------------------------------------------------

/** A model rule applied to the event: `grant ()`, `deny (expr)`, `session.enter {…}`, `pred.empty x`. */
export interface RuleItem { readonly kind: 'rule'; readonly callee: QualifiedName; readonly arg: PslExpr; readonly span: Span }
export interface MatchItem { readonly kind: 'match'; readonly selectors: readonly Selector[]; readonly body: readonly BodyItem[]; readonly span: Span }
export interface ChoiceItem { readonly kind: 'choice'; readonly scrutinee: PslExpr; readonly arms: readonly ChoiceArm[]; readonly span: Span }
export interface AuditItem { readonly kind: 'audit'; readonly profile: QualifiedName; readonly span: Span }
export type BodyItem = RuleItem | MatchItem | ChoiceItem | AuditItem;

export interface ChoiceArm { readonly kind: 'arm'; readonly pattern: ChoicePattern; readonly body: readonly BodyItem[]; readonly span: Span }
/** `_`, or one or more literals separated by `|`. */
export type ChoicePattern =
  | { readonly kind: 'wildcard'; readonly span: Span }
  | { readonly kind: 'values'; readonly values: readonly (IntLiteral | StringLiteral | BoolLiteral)[]; readonly span: Span };

// ---- PAL tests ---------------------------------------------------------------------------------

export type Expectation = 'grant' | 'deny' | 'any';

/**
 * `[grant|deny|any] ["name"] <event> <selectors> [{ message }]`. The shorthand
 * `a ~> b:endpoint.Method {…}` becomes a request with src/dst/endpoint/method selectors whose spans
 * point at the parts of the shorthand (`shorthand` is then true).
 */
export interface TestCase {
  readonly kind: 'test-case';
  readonly expect: Expectation;
  /** The verdict word, when written (the default is `grant`). */
  readonly expectSpan: Span | undefined;
  readonly name: StringLiteral | undefined;
  readonly event: EventKind;
  readonly eventSpan: Span;
  readonly selectors: readonly Selector[];
  readonly message: RecordExpr | undefined;
  readonly shorthand: boolean;
  readonly span: Span;
}

/** `var <- execute dst=Class`: a granted process start whose SID later cases refer to as `var`. */
export interface TestBind { readonly kind: 'test-bind'; readonly variable: Ident; readonly selectors: readonly Selector[]; readonly span: Span }

export type TestStep = TestCase | TestBind;

export interface TestBlock { readonly kind: 'setup' | 'finally'; readonly steps: readonly TestStep[]; readonly span: Span }
export interface SequenceDecl { readonly kind: 'sequence'; readonly name: StringLiteral | undefined; readonly steps: readonly TestStep[]; readonly span: Span }

// ---- Declarations ------------------------------------------------------------------------------

export interface ExecuteInterfaceDecl { readonly kind: 'execute-interface'; readonly iface: QualifiedName; readonly span: Span }
/** `use nk.base._`: `module` is the path without the trailing `._`. */
export interface UseDecl { readonly kind: 'use'; readonly module: QualifiedName; readonly span: Span }
export interface UseEdlDecl { readonly kind: 'use-edl'; readonly name: QualifiedName; readonly span: Span }
/** `task class Uart0 : kl.drivers.UART` (KCE 1.3+): a class name for an EDL. */
export interface TaskClassDecl { readonly kind: 'task-class'; readonly name: QualifiedName; readonly edl: QualifiedName; readonly span: Span }

export interface TypeParam { readonly kind: 'type-param'; readonly name: Ident; readonly type: PslType; readonly span: Span }
export interface PolicyObjectDecl {
  readonly kind: 'policy-object';
  readonly name: Ident;
  readonly model: QualifiedName;
  readonly types: readonly TypeParam[];
  readonly config: PslExpr | undefined;
  readonly span: Span;
}

export interface AuditProfileDecl { readonly kind: 'audit-profile'; readonly name: Ident; readonly value: PslExpr; readonly span: Span }
export interface AuditDefaultDecl { readonly kind: 'audit-default'; readonly profile: QualifiedName; readonly level: IntLiteral; readonly span: Span }

export interface BindingDecl {
  readonly kind: 'binding';
  readonly event: EventKind;
  readonly eventSpan: Span;
  readonly selectors: readonly Selector[];
  readonly body: readonly BodyItem[];
  readonly span: Span;
}

/** PAL: `assert ["name"] { setup {…} sequence ["name"] {…} … finally {…} }`. */
export interface AssertDecl {
  readonly kind: 'assert';
  readonly name: StringLiteral | undefined;
  readonly setup: TestBlock | undefined;
  readonly sequences: readonly SequenceDecl[];
  readonly finally: TestBlock | undefined;
  readonly span: Span;
}

export type PslDecl =
  | ExecuteInterfaceDecl | UseDecl | UseEdlDecl | TaskClassDecl | PolicyObjectDecl
  | AuditProfileDecl | AuditDefaultDecl | BindingDecl | AssertDecl;

export interface PslFile {
  readonly kind: 'psl';
  readonly file: SourceFile;
  readonly decls: readonly PslDecl[];
}
