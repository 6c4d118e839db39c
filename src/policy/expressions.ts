// Compiles PSL expressions to IR with static checks: names, `message.<param>` against the IDL,
// model method calls, and operand kinds.
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import type { CallExpr, PslExpr } from '../lang/psl-ast.ts';
import type { Span } from '../lang/source.ts';
import type { Param, TypeDecl, TypeRef } from '../model/model.ts';
import { unalias } from '../model/wire-size.ts';
import type { IrBinaryOp, IrExpr, ModelName } from '../security/ir.ts';
import type { ObjectFacts } from './configs.ts';
import { MODEL_METHODS, type ArgShape, type MethodSignature, type ValueKind } from './signatures.ts';
import { recordKeyText } from './values.ts';

export interface PolicyObjectInfo {
  readonly name: string;
  readonly model: ModelName;
  readonly facts: ObjectFacts;
}

/** What an expression may refer to where it appears. */
export interface ExprScope {
  readonly objects: ReadonlyMap<string, PolicyObjectInfo>;
  readonly types: ReadonlyMap<string, TypeDecl>;
  /** The params `message` has here, or a reason why `message` cannot be used. */
  readonly message: () => { params: readonly Param[]; describe: string } | { error: string };
  readonly origin: (span: Span) => string;
}

/** A compiled expression with what the checker knows of its value. */
export interface Typed {
  readonly ir: IrExpr;
  readonly kind: ValueKind;
  /** IDL type of a value read from the message, for further field and index checks. */
  readonly idl?: TypeRef;
  /** Flow object whose state this expression yields (`flow.query`), for checking choice arms. */
  readonly flowObject?: PolicyObjectInfo;
  /** True for `re.select {…}`: choice arms are regular expressions. */
  readonly regexSelect?: boolean;
}

const ANY: Typed = { ir: { k: 'lit', value: { t: 'unit' } }, kind: 'any' };

export class ExprCompiler {
  private readonly scope: ExprScope;
  private readonly diags: DiagnosticBag;

  constructor(scope: ExprScope, diags: DiagnosticBag) {
    this.scope = scope;
    this.diags = diags;
  }

  compile(e: PslExpr): Typed {
    switch (e.kind) {
      case 'int': return { ir: { k: 'lit', value: { t: 'int', v: e.value.toString() } }, kind: 'int' };
      case 'string': return { ir: { k: 'lit', value: { t: 'text', v: e.value } }, kind: 'text' };
      case 'bool': return { ir: { k: 'lit', value: { t: 'bool', v: e.value } }, kind: 'bool' };
      case 'unit': return { ir: { k: 'lit', value: { t: 'unit' } }, kind: 'unit' };
      case 'list': return { ir: { k: 'list', items: e.items.map((i) => this.compile(i).ir) }, kind: 'list' };
      case 'record': {
        const fields = e.entries.map((en) => [recordKeyText(en.key), this.compile(en.value).ir] as const);
        return { ir: { k: 'dict', fields }, kind: 'dict' };
      }
      case 'name': return this.name(e.name.text, e.span);
      case 'field': return this.field(this.compile(e.target), e.field.text, e.field.span);
      case 'index': {
        const target = this.compile(e.target);
        const index = this.compile(e.index);
        this.expectKind(index, ['int'], e.index.span, 'an index');
        this.expectKind(target, ['list'], e.target.span, 'an indexed value');
        const t = target.idl && unalias(target.idl, this.scope.types);
        const element = t && (t.kind === 'array' || t.kind === 'sequence') ? t.element : undefined;
        const kind: ValueKind = t?.kind === 'bytes' ? 'int' : element ? this.kindOf(element) : 'any';
        return { ir: { k: 'index', of: target.ir, index: index.ir }, kind, ...(element ? { idl: element } : {}) };
      }
      case 'unary': {
        const arg = this.compile(e.operand);
        this.expectKind(arg, e.op === '!' ? ['bool'] : ['int'], e.operand.span, `the operand of "${e.op}"`);
        return { ir: { k: 'unary', op: e.op, arg: arg.ir }, kind: e.op === '!' ? 'bool' : 'int' };
      }
      case 'binary': {
        const left = this.compile(e.left);
        const right = this.compile(e.right);
        return { ir: { k: 'binary', op: e.op as IrBinaryOp, left: left.ir, right: right.ir }, kind: this.binaryKind(e.op, left, right, e.left.span, e.right.span) };
      }
      case 'call': return this.call(e);
    }
  }

  private binaryKind(op: string, left: Typed, right: Typed, ls: Span, rs: Span): ValueKind {
    switch (op) {
      case '&&': case '||': case '==>':
        this.expectKind(left, ['bool'], ls, `the left operand of "${op}"`);
        this.expectKind(right, ['bool'], rs, `the right operand of "${op}"`);
        return 'bool';
      case '==': case '!=':
        if (left.kind !== 'any' && right.kind !== 'any' && !compatible(left.kind, right.kind)) {
          this.diags.error(rs, `cannot compare ${left.kind} with ${right.kind} using "${op}"`);
        }
        return 'bool';
      case '<': case '<=': case '>': case '>=':
        this.expectKind(left, ['int'], ls, `the left operand of "${op}"`);
        this.expectKind(right, ['int'], rs, `the right operand of "${op}"`);
        return 'bool';
      default:
        this.expectKind(left, ['int'], ls, `the left operand of "${op}"`);
        this.expectKind(right, ['int'], rs, `the right operand of "${op}"`);
        return 'int';
    }
  }

  private expectKind(v: Typed, kinds: readonly ValueKind[], at: Span, what: string): void {
    if (v.kind === 'any' || kinds.includes('any') || kinds.some((k) => compatible(k, v.kind))) return;
    this.diags.error(at, `type error: ${what} must be ${kinds.join(' or ')}, found ${v.kind}`);
  }

  private name(text: string, at: Span): Typed {
    const [head, ...rest] = text.split('.');
    let base: Typed;
    if (head === 'src_sid' || head === 'dst_sid') base = { ir: { k: head }, kind: 'sid' };
    else if (head === 'true' || head === 'false') base = { ir: { k: 'lit', value: { t: 'bool', v: head === 'true' } }, kind: 'bool' };
    else if (head === 'message') {
      const msg = this.scope.message();
      if ('error' in msg) {
        this.diags.error(at, msg.error);
        return ANY;
      }
      if (rest.length === 0) return { ir: { k: 'message' }, kind: 'dict' };
      const param = msg.params.find((p) => p.name === rest[0]);
      if (!param) {
        const names = msg.params.map((p) => p.name);
        this.diags.error(at, `"${rest[0]}" is not a parameter of ${msg.describe}; ${names.length ? `its parameters are: ${names.join(', ')}` : 'it has no parameters'}`);
        return ANY;
      }
      let v: Typed = { ir: { k: 'field', of: { k: 'message' }, name: param.name }, kind: this.kindOf(param.type), idl: param.type };
      for (const f of rest.slice(1)) v = this.field(v, f, at);
      return v;
    } else if (this.scope.objects.has(head!)) {
      this.diags.error(at, `"${text}" names a policy object; call one of its methods, e.g. ${head}.${Object.keys(MODEL_METHODS[this.scope.objects.get(head!)!.model])[0] ?? 'method'} {…}`);
      return ANY;
    } else {
      this.diags.error(at, `unknown name "${head}" (expected src_sid, dst_sid, message.<param>, a literal or a model call)`);
      return ANY;
    }
    for (const f of rest) base = this.field(base, f, at);
    return base;
  }

  private field(target: Typed, name: string, at: Span): Typed {
    const ir: IrExpr = { k: 'field', of: target.ir, name };
    if (!target.idl) {
      if (target.kind !== 'any' && target.kind !== 'dict') this.diags.error(at, `type error: cannot read field "${name}" of a ${target.kind}`);
      return { ir, kind: 'any' };
    }
    const t = unalias(target.idl, this.scope.types);
    if (t.kind === 'handle') {
      if (name === 'handle') return { ir, kind: 'sid' };
      if (name === 'rights') return { ir, kind: 'int' };
      this.diags.error(at, `a handle has fields "handle" and "rights", not "${name}"`);
      return { ir, kind: 'any' };
    }
    const decl = t.kind === 'ref' ? this.scope.types.get(t.name) : undefined;
    if (!decl || decl.kind === 'typedef') {
      this.diags.error(at, `type error: cannot read field "${name}" of a ${this.kindOf(t)}`);
      return { ir, kind: 'any' };
    }
    const field = decl.fields.find((f) => f.name === name);
    if (!field) {
      this.diags.error(at, `${decl.kind} ${decl.name} has no field "${name}"; its fields are: ${decl.fields.map((f) => f.name).join(', ')}`);
      return { ir, kind: 'any' };
    }
    return { ir, kind: this.kindOf(field.type), idl: field.type };
  }

  kindOf(type: TypeRef): ValueKind {
    const t = unalias(type, this.scope.types);
    switch (t.kind) {
      case 'int': return 'int';
      case 'string': return 'text';
      case 'bytes': case 'array': case 'sequence': return 'list';
      case 'handle': case 'ref': return 'dict';
    }
  }

  /** `obj.method arg` or `size (x)` used as a value. */
  call(e: CallExpr): Typed {
    const callee = e.callee.text;
    if (callee === 'size') {
      const arg = this.compile(e.arg);
      this.expectKind(arg, ['list', 'text', 'dict'], e.arg.span, 'the argument of size');
      return { ir: { k: 'builtin', name: 'size', arg: arg.ir }, kind: 'int' };
    }
    const resolved = this.method(e.callee.text, e.callee.span, 'expr');
    if (!resolved) { this.compile(e.arg); return ANY; }
    const arg = this.checkArg(resolved.sig.arg, e.arg, `${callee}`);
    if (resolved.object.model === 'Regex' && resolved.method === 'match') this.checkPattern(e.arg);
    const ir: IrExpr = { k: 'call', object: resolved.object.name, method: resolved.method, arg: arg.ir, origin: this.scope.origin(e.span) };
    return {
      ir,
      kind: resolved.sig.yields ?? 'any',
      ...(resolved.object.model === 'Flow' && resolved.method === 'query' ? { flowObject: resolved.object } : {}),
      ...(resolved.object.model === 'Regex' && resolved.method === 'select' ? { regexSelect: true } : {}),
    };
  }

  /** A literal `pattern` of `re.match` must compile, as `re.select` arms must. */
  private checkPattern(arg: PslExpr): void {
    if (arg.kind !== 'record') return;
    const pattern = arg.entries.find((en) => recordKeyText(en.key) === 'pattern')?.value;
    if (pattern?.kind !== 'string') return;
    try { new RegExp(pattern.value); } catch (err) { this.diags.error(pattern.span, `invalid regular expression: ${(err as Error).message}`); }
  }

  /** Resolves `obj.method` (or a bare Base method) and checks it has the role wanted. */
  method(text: string, at: Span, role: 'rule' | 'expr'): { object: PolicyObjectInfo; method: string; sig: MethodSignature } | undefined {
    const dot = text.lastIndexOf('.');
    const objectName = dot < 0 ? 'base' : text.slice(0, dot);
    const method = dot < 0 ? text : text.slice(dot + 1);
    const object = this.scope.objects.get(objectName);
    if (!object) {
      if (dot < 0) this.diags.error(at, `"${method}" is a method of the Base model: add "use nk.base._" to the policy`);
      else this.diags.error(at, `unknown policy object "${objectName}"${['pred', 'bool', 'math', 'struct'].includes(objectName) ? ' (add "use nk.basic._")' : objectName === 're' ? ' (add "use nk.regex._")' : ''}`);
      return undefined;
    }
    const sig = MODEL_METHODS[object.model][method];
    if (!sig) {
      const known = Object.keys(MODEL_METHODS[object.model]);
      this.diags.error(at, `${object.model} object "${objectName}" has no method "${method}"; its methods are: ${known.join(', ') || '(none)'}`);
      return undefined;
    }
    if (sig.role !== role) {
      this.diags.error(at, role === 'rule'
        ? `${objectName}.${method} yields a value, it does not grant or deny; use it inside assert (…) or choice (…)`
        : `${objectName}.${method} is a rule (it grants or denies), not a value`);
      return undefined;
    }
    return { object, method, sig };
  }

  checkArg(shape: ArgShape, arg: PslExpr, what: string): Typed {
    if (shape.kind === 'value') {
      const v = this.compile(arg);
      this.expectKind(v, shape.accepts, arg.span, `the argument of ${what}`);
      return v;
    }
    if (arg.kind !== 'record') {
      const fields = Object.keys(shape.required).map((k) => `${k} : …`).join(', ');
      this.diags.error(arg.span, `${what} takes a record {${fields}}`);
      return this.compile(arg);
    }
    const fields: (readonly [string, IrExpr])[] = [];
    for (const entry of arg.entries) {
      const key = recordKeyText(entry.key);
      const value = this.compile(entry.value);
      fields.push([key, value.ir]);
      const kind = shape.required[key] ?? shape.optional?.[key];
      if (kind === undefined) {
        this.diags.error(entry.key.span, `${what} has no argument "${key}"; it takes: ${[...Object.keys(shape.required), ...Object.keys(shape.optional ?? {})].join(', ')}`);
      } else {
        this.expectKind(value, [kind], entry.value.span, `"${key}" of ${what}`);
      }
    }
    for (const name of Object.keys(shape.required)) {
      if (!fields.some(([k]) => k === name)) this.diags.error(arg.span, `${what} needs "${name}" in its argument record`);
    }
    return { ir: { k: 'dict', fields }, kind: 'dict' };
  }
}

function compatible(a: ValueKind, b: ValueKind): boolean {
  if (a === b || a === 'any' || b === 'any') return true;
  // SIDs are integers underneath; PSL lets them meet integer literals.
  return (a === 'sid' && b === 'int') || (a === 'int' && b === 'sid');
}
