// Syntax trees for IDL, CDL and EDL, as written (names unresolved, expressions unevaluated).
import type { QualifiedName } from './cursor.ts';
import type { SourceFile, Span } from './source.ts';

export type { QualifiedName };

export interface Ident {
  readonly text: string;
  readonly span: Span;
}

export type IntExpr =
  | { readonly kind: 'int'; readonly value: bigint; readonly span: Span }
  | { readonly kind: 'ref'; readonly name: QualifiedName; readonly span: Span }
  | { readonly kind: 'unary'; readonly op: '-' | '+' | '~'; readonly operand: IntExpr; readonly span: Span }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: IntExpr; readonly right: IntExpr; readonly span: Span };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<<' | '>>' | '**' | '|' | '&' | '^';

export type TypeExpr =
  /** Primitive, typedef, struct or union, by (possibly qualified) name. */
  | { readonly kind: 'named'; readonly name: QualifiedName; readonly span: Span }
  | { readonly kind: 'array'; readonly element: TypeExpr; readonly size: IntExpr; readonly span: Span }
  | { readonly kind: 'sequence'; readonly element: TypeExpr; readonly size: IntExpr; readonly span: Span }
  | { readonly kind: 'bytes'; readonly size: IntExpr; readonly span: Span }
  | { readonly kind: 'string'; readonly size: IntExpr; readonly span: Span }
  /** `Handle` (any resource) or `handle<Iface>` (callable handle, KCE 1.4). */
  | { readonly kind: 'handle'; readonly iface: QualifiedName | undefined; readonly span: Span };

export interface FieldDecl {
  readonly type: TypeExpr;
  readonly name: Ident;
}

export type IdlDecl =
  | { readonly kind: 'const'; readonly type: TypeExpr; readonly name: Ident; readonly value: IntExpr }
  | { readonly kind: 'typedef'; readonly type: TypeExpr; readonly name: Ident }
  | { readonly kind: 'struct'; readonly name: Ident; readonly fields: readonly FieldDecl[] }
  | { readonly kind: 'union'; readonly name: Ident; readonly fields: readonly FieldDecl[] };

export type ParamDirection = 'in' | 'out' | 'error';

export interface ParamDecl {
  readonly direction: ParamDirection;
  readonly type: TypeExpr;
  readonly name: Ident;
  readonly span: Span;
}

export interface MethodDecl {
  readonly name: Ident;
  readonly params: readonly ParamDecl[];
  readonly span: Span;
}

export interface IdlFile {
  readonly kind: 'idl';
  readonly file: SourceFile;
  /** Absent only when the file failed to parse before its `package` line. */
  readonly package: QualifiedName | undefined;
  readonly imports: readonly QualifiedName[];
  readonly decls: readonly IdlDecl[];
  /** Methods of the package's interface, or undefined when the package declares none. */
  readonly methods: readonly MethodDecl[] | undefined;
  readonly interfaceSpan: Span | undefined;
}

export interface EndpointDecl {
  readonly name: Ident;
  readonly iface: QualifiedName;
}

export interface ComponentInstanceDecl {
  readonly name: Ident;
  readonly component: QualifiedName;
}

/** CDL component or EDL process class: the two share one body grammar. */
export interface ComponentFile {
  readonly kind: 'cdl' | 'edl';
  readonly file: SourceFile;
  /** `component` (CDL), `entity` (EDL, KCE ≤1.2) or `task class` (EDL, KCE 1.3+). */
  readonly form: 'component' | 'entity' | 'task class';
  readonly name: QualifiedName | undefined;
  readonly security: QualifiedName | undefined;
  readonly endpoints: readonly EndpointDecl[];
  readonly components: readonly ComponentInstanceDecl[];
}
