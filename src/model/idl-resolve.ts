// Resolves IDL packages: imports, constants (evaluated), types (with cycle detection) and interfaces.
import type { IdlFile, IntExpr, MethodDecl, TypeExpr } from '../lang/ast.ts';
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import type { Span } from '../lang/source.ts';
import type { SpecLoader } from './loader.ts';
import type { Constant, Field, IntName, Interface, Method, Package, Param, TypeDecl, TypeRef } from './model.ts';
import { messageLayout, unalias } from './wire-size.ts';

export const INT_TYPES: Readonly<Record<IntName, { bytes: 1 | 2 | 4 | 8; signed: boolean }>> = {
  SInt8: { bytes: 1, signed: true }, SInt16: { bytes: 2, signed: true }, SInt32: { bytes: 4, signed: true }, SInt64: { bytes: 8, signed: true },
  UInt8: { bytes: 1, signed: false }, UInt16: { bytes: 2, signed: false }, UInt32: { bytes: 4, signed: false }, UInt64: { bytes: 8, signed: false },
  UIntSize: { bytes: 8, signed: false }, UIntPtr: { bytes: 8, signed: false },
};

/** KasperskyOS caps one message (fixed part + arena) at 4–16 MiB by platform; Citadel uses 16 MiB. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Bound on any single size in a type (`string<N>`, `sequence<T,N>` …). */
const MAX_BOUND = 2 ** 31 - 1;

type Member =
  | { kind: 'const'; name: string; expr: IntExpr; typeExpr: TypeExpr; span: Span }
  | { kind: 'type'; qualified: string; span: Span };

interface PackageState {
  readonly name: string;
  readonly abs: string;
  readonly ast: IdlFile;
  readonly members: Map<string, Member>;
  readonly constants: Map<string, Constant | 'evaluating' | 'bad'>;
  readonly imports: string[];
  interfaceName: string | undefined;
}

function intRef(name: IntName): TypeRef {
  return { kind: 'int', name, ...INT_TYPES[name] };
}

export class IdlResolver {
  readonly types = new Map<string, TypeDecl>();
  readonly interfaces = new Map<string, Interface>();
  readonly packages = new Map<string, Package>();
  private readonly states = new Map<string, PackageState | 'missing'>();
  private readonly byPath = new Map<string, PackageState>();
  private readonly loader: SpecLoader;
  private readonly diags: DiagnosticBag;
  /** Interfaces whose method layouts still need computing once all types are known. */
  private readonly pendingMethods: { iface: string; decls: readonly MethodDecl[]; pkg: PackageState }[] = [];

  constructor(loader: SpecLoader, diags: DiagnosticBag) {
    this.loader = loader;
    this.diags = diags;
  }

  /** Loads package `name`; reports at `ref` when it cannot be found. */
  requirePackage(name: string, ref: Span | undefined): PackageState | undefined {
    const known = this.states.get(name);
    if (known === 'missing' && ref) this.diags.error(ref, `unknown package "${name}": no ${name.split('.').join('/')}.idl in the solution or Citadel's include tree`);
    if (known) return known === 'missing' ? undefined : known;
    const abs = this.loader.locate(name, 'idl');
    const state = abs ? this.loadFile(abs) : undefined;
    this.states.set(name, state ?? 'missing');
    if (!state && ref) this.diags.error(ref, `unknown package "${name}": no ${name.split('.').join('/')}.idl in the solution or Citadel's include tree`);
    return state;
  }

  /** Resolves the IDL file at `abs` (also used for files discovered in the solution tree). */
  loadFile(abs: string): PackageState | undefined {
    const byPath = this.byPath.get(abs);
    if (byPath) return byPath;
    const ast = this.loader.loadIdlFile(abs);
    const name = this.loader.nameFor(abs, ast.package?.text);
    if (name === undefined) return undefined;
    const existing = this.states.get(name);
    if (existing && existing !== 'missing') return existing;
    if (this.loader.strictNames && ast.package && ast.package.text !== name) {
      this.diags.error(ast.package.span, `package name "${ast.package.text}" does not match its file path: ${this.loader.displayPath(abs)} must declare "package ${name}"`);
    }
    const state: PackageState = { name, abs, ast, members: new Map(), constants: new Map(), imports: [], interfaceName: undefined };
    this.states.set(name, state);
    this.byPath.set(abs, state);
    this.resolve(state);
    return state;
  }

  /** Whether package `name` declares an interface, reporting why not at `ref`. */
  requireInterface(name: string, ref: Span): boolean {
    const pkg = this.requirePackage(name, undefined);
    if (!pkg) {
      this.diags.error(ref, `unknown interface "${name}": no package ${name} (${name.split('.').join('/')}.idl) in the solution or Citadel's include tree`);
      return false;
    }
    if (!pkg.ast.methods) {
      this.diags.error(ref, `package "${name}" declares no interface`);
      return false;
    }
    return true;
  }

  private resolve(pkg: PackageState): void {
    const { ast } = pkg;
    for (const imp of ast.imports) {
      if (this.requirePackage(imp.text, imp.span)) pkg.imports.push(imp.text);
    }
    // Pass 1: declare every name so declarations may refer forward.
    for (const decl of ast.decls) {
      const prior = pkg.members.get(decl.name.text);
      if (prior) {
        this.diags.error(decl.name.span, `duplicate declaration of "${decl.name.text}" in package ${pkg.name}`);
        continue;
      }
      if (decl.kind === 'const') pkg.members.set(decl.name.text, { kind: 'const', name: decl.name.text, expr: decl.value, typeExpr: decl.type, span: decl.name.span });
      else pkg.members.set(decl.name.text, { kind: 'type', qualified: `${pkg.name}.${decl.name.text}`, span: decl.name.span });
    }
    // Pass 2: resolve bodies.
    const typeNames: string[] = [];
    for (const decl of ast.decls) {
      const member = pkg.members.get(decl.name.text);
      if (member?.span !== decl.name.span) continue; // a duplicate, already reported
      if (decl.kind === 'const') {
        this.constant(pkg, decl.name.text);
        continue;
      }
      const qualified = `${pkg.name}.${decl.name.text}`;
      typeNames.push(qualified);
      if (decl.kind === 'typedef') {
        this.types.set(qualified, { kind: 'typedef', name: qualified, package: pkg.name, target: this.type(pkg, decl.type) ?? intRef('UInt8'), span: decl.name.span });
      } else {
        const fields: Field[] = [];
        const seen = new Set<string>();
        for (const f of decl.fields) {
          if (seen.has(f.name.text)) this.diags.error(f.name.span, `duplicate field "${f.name.text}" in ${decl.kind} ${decl.name.text}`);
          seen.add(f.name.text);
          fields.push({ name: f.name.text, type: this.type(pkg, f.type) ?? intRef('UInt8') });
        }
        if (fields.length === 0) this.diags.error(decl.name.span, `${decl.kind} "${decl.name.text}" has no fields`);
        this.types.set(qualified, { kind: decl.kind, name: qualified, package: pkg.name, fields, span: decl.name.span });
      }
    }
    if (ast.methods) {
      pkg.interfaceName = pkg.name;
      this.pendingMethods.push({ iface: pkg.name, decls: ast.methods, pkg });
    }
    this.packages.set(pkg.name, {
      name: pkg.name,
      path: this.loader.displayPath(pkg.abs),
      imports: pkg.imports,
      constants: [],
      types: typeNames,
      interface: pkg.interfaceName,
    });
  }

  /** After all packages are loaded: reject recursive types, then lay out every method's messages. */
  finish(): void {
    const cyclic = this.findCycles();
    for (const { iface, decls, pkg } of this.pendingMethods) {
      const methods: Method[] = [];
      const names = new Set<string>();
      decls.forEach((m) => {
        if (names.has(m.name.text)) this.diags.error(m.name.span, `duplicate method "${m.name.text}" in interface ${iface}`);
        names.add(m.name.text);
        const method = this.method(pkg, m, methods.length, cyclic);
        if (method) methods.push(method);
      });
      this.interfaces.set(iface, { name: iface, methods, span: pkg.ast.interfaceSpan! });
    }
    for (const [name, pkg] of this.packages) {
      const state = this.states.get(name);
      if (state && state !== 'missing') {
        const consts = [...state.constants.values()].filter((c): c is Constant => typeof c === 'object');
        this.packages.set(name, { ...pkg, constants: consts });
      }
    }
  }

  private method(pkg: PackageState, m: MethodDecl, mid: number, cyclic: ReadonlySet<string>): Method | undefined {
    const rank = { in: 0, out: 1, error: 2 } as const;
    let highest: MethodDecl['params'][number] | undefined;
    const seen = new Set<string>();
    const byDir: Record<'in' | 'out' | 'error', Param[]> = { in: [], out: [], error: [] };
    let ok = true;
    for (const p of m.params) {
      if (highest && rank[p.direction] < rank[highest.direction]) {
        this.diags.error(p.span, `"${p.direction}" parameter "${p.name.text}" comes after "${highest.direction}" parameter "${highest.name.text}": parameters must be all "in", then "out", then "error"`);
      } else if (!highest || rank[p.direction] > rank[highest.direction]) {
        highest = p;
      }
      if (seen.has(p.name.text)) this.diags.error(p.name.span, `duplicate parameter "${p.name.text}" in method ${m.name.text}`);
      seen.add(p.name.text);
      const type = this.type(pkg, p.type);
      if (!type || this.mentionsAny(type, cyclic)) { ok = false; continue; }
      byDir[p.direction].push({ name: p.name.text, type });
    }
    if (!ok) return undefined;
    const method: Method = {
      name: m.name.text,
      mid,
      request: messageLayout(byDir.in, this.types),
      response: messageLayout(byDir.out, this.types),
      error: messageLayout(byDir.error, this.types),
      span: m.span,
    };
    for (const which of ['request', 'response', 'error'] as const) {
      const { fixed, arenaMax } = method[which].size;
      if (fixed + arenaMax > MAX_MESSAGE_BYTES) {
        this.diags.error(m.name.span, `the ${which} of ${m.name.text} can reach ${fixed + arenaMax} bytes, over the ${MAX_MESSAGE_BYTES}-byte message limit; lower its bounds`);
      }
    }
    return method;
  }

  private mentionsAny(type: TypeRef, names: ReadonlySet<string>): boolean {
    if (names.size === 0) return false;
    switch (type.kind) {
      case 'ref': return names.has(type.name);
      case 'array':
      case 'sequence': return this.mentionsAny(type.element, names);
      default: return false;
    }
  }

  /** Reports each cycle of type declarations once; returns the names on cycles. */
  private findCycles(): Set<string> {
    const state = new Map<string, 'active' | 'done'>();
    const cyclic = new Set<string>();
    const stack: string[] = [];
    const refs = (t: TypeRef, out: string[]) => {
      if (t.kind === 'ref') out.push(t.name);
      else if (t.kind === 'array' || t.kind === 'sequence') refs(t.element, out);
    };
    const visit = (name: string) => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(name));
        if (!cycle.some((n) => cyclic.has(n))) {
          const decl = this.types.get(name)!;
          this.diags.error(decl.span, `recursive type: ${[...cycle, name].join(' → ')} (IDL types must have a finite layout)`);
        }
        for (const n of cycle) cyclic.add(n);
        return;
      }
      const decl = this.types.get(name);
      if (!decl) return;
      state.set(name, 'active');
      stack.push(name);
      const next: string[] = [];
      if (decl.kind === 'typedef') refs(decl.target, next);
      else for (const f of decl.fields) refs(f.type, next);
      for (const n of next) visit(n);
      stack.pop();
      state.set(name, 'done');
    };
    for (const name of [...this.types.keys()].sort()) visit(name);
    // Anything that contains a cyclic type cannot be sized either.
    let grew = true;
    while (grew) {
      grew = false;
      for (const [name, decl] of this.types) {
        if (cyclic.has(name)) continue;
        const next: string[] = [];
        if (decl.kind === 'typedef') refs(decl.target, next);
        else for (const f of decl.fields) refs(f.type, next);
        if (next.some((n) => cyclic.has(n))) { cyclic.add(name); grew = true; }
      }
    }
    return cyclic;
  }

  /** Finds a name as a member of `pkg`, its imports, or (qualified) another package. */
  private lookup(pkg: PackageState, name: string): { pkg: PackageState; member: Member } | undefined {
    const dot = name.lastIndexOf('.');
    if (dot >= 0) {
      const owner = this.requirePackage(name.slice(0, dot), undefined);
      const member = owner?.members.get(name.slice(dot + 1));
      return owner && member ? { pkg: owner, member } : undefined;
    }
    const own = pkg.members.get(name);
    if (own) return { pkg, member: own };
    for (const imp of pkg.imports) {
      const p = this.states.get(imp);
      if (p && p !== 'missing') {
        const m = p.members.get(name);
        if (m) return { pkg: p, member: m };
      }
    }
    return undefined;
  }

  private type(pkg: PackageState, t: TypeExpr): TypeRef | undefined {
    switch (t.kind) {
      case 'named': {
        const text = t.name.text;
        if (Object.hasOwn(INT_TYPES, text)) return intRef(text as IntName);
        const found = this.lookup(pkg, text);
        if (!found) {
          const hint = text === 'Boolean' ? ' (Boolean comes from "import kl.core.Types")' : '';
          this.diags.error(t.span, `unknown type "${text}"${hint}`);
          return undefined;
        }
        if (found.member.kind === 'const') {
          this.diags.error(t.span, `"${text}" is a constant, not a type`);
          return undefined;
        }
        return { kind: 'ref', name: found.member.qualified };
      }
      case 'handle': {
        if (t.iface) {
          const owner = this.requirePackage(t.iface.text, undefined);
          if (!owner || !owner.ast.methods) {
            this.diags.error(t.iface.span, `handle<${t.iface.text}> names no interface: ${owner ? `package ${t.iface.text} declares none` : `no package ${t.iface.text}`}`);
          }
        }
        return { kind: 'handle', iface: t.iface?.text };
      }
      case 'bytes':
      case 'string': {
        const max = this.bound(pkg, t.size, `${t.kind} size`);
        return max === undefined ? undefined : { kind: t.kind, max };
      }
      case 'array':
      case 'sequence': {
        const element = this.type(pkg, t.element);
        const n = this.bound(pkg, t.size, `${t.kind} size`);
        if (!element || n === undefined) return undefined;
        return t.kind === 'array' ? { kind: 'array', element, length: n } : { kind: 'sequence', element, max: n };
      }
    }
  }

  private bound(pkg: PackageState, e: IntExpr, what: string): number | undefined {
    const v = this.evaluate(pkg, e);
    if (v === undefined) return undefined;
    if (v < 1n || v > BigInt(MAX_BOUND)) {
      this.diags.error(e.span, `${what} must be between 1 and ${MAX_BOUND}, found ${v}`);
      return undefined;
    }
    return Number(v);
  }

  private constant(pkg: PackageState, name: string): Constant | undefined {
    const state = pkg.constants.get(name);
    if (state === 'evaluating') return undefined;
    if (state === 'bad') return undefined;
    if (state) return state;
    const member = pkg.members.get(name);
    if (!member || member.kind !== 'const') return undefined;
    pkg.constants.set(name, 'evaluating');
    const type = this.type(pkg, member.typeExpr);
    const base = type && unalias(type, this.types);
    if (type && base?.kind !== 'int') {
      this.diags.error(member.typeExpr.kind === 'named' ? member.typeExpr.span : member.span, `constant "${name}" must have an integer type`);
    }
    const value = this.evaluate(pkg, member.expr);
    if (value === undefined || base?.kind !== 'int') {
      pkg.constants.set(name, 'bad');
      return undefined;
    }
    const bits = BigInt(base.bytes * 8);
    const min = base.signed ? -(1n << (bits - 1n)) : 0n;
    const max = base.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (value < min || value > max) {
      this.diags.error(member.expr.span, `value ${value} of constant "${name}" does not fit ${base.name} (${min}..${max})`);
      pkg.constants.set(name, 'bad');
      return undefined;
    }
    const c: Constant = { name, package: pkg.name, type: type!, value };
    pkg.constants.set(name, c);
    return c;
  }

  private evaluate(pkg: PackageState, e: IntExpr): bigint | undefined {
    switch (e.kind) {
      case 'int': return e.value;
      case 'ref': {
        const found = this.lookup(pkg, e.name.text);
        if (!found) {
          this.diags.error(e.span, `undefined constant "${e.name.text}"`);
          return undefined;
        }
        if (found.member.kind !== 'const') {
          this.diags.error(e.span, `"${e.name.text}" is a type, not an integer constant`);
          return undefined;
        }
        if (found.pkg.constants.get(found.member.name) === 'evaluating') {
          this.diags.error(e.span, `constant "${e.name.text}" is defined in terms of itself`);
          found.pkg.constants.set(found.member.name, 'bad');
          return undefined;
        }
        return this.constant(found.pkg, found.member.name)?.value;
      }
      case 'unary': {
        const v = this.evaluate(pkg, e.operand);
        if (v === undefined) return undefined;
        return e.op === '-' ? -v : e.op === '~' ? ~v : v;
      }
      case 'binary': {
        const l = this.evaluate(pkg, e.left);
        const r = this.evaluate(pkg, e.right);
        if (l === undefined || r === undefined) return undefined;
        switch (e.op) {
          case '+': return l + r;
          case '-': return l - r;
          case '*': return l * r;
          case '|': return l | r;
          case '&': return l & r;
          case '^': return l ^ r;
          case '/':
          case '%':
            if (r === 0n) { this.diags.error(e.right.span, 'division by zero in a constant expression'); return undefined; }
            return e.op === '/' ? l / r : l % r;
          case '<<':
          case '>>':
          case '**':
            if (r < 0n || r > 256n) { this.diags.error(e.right.span, `the right operand of "${e.op}" must be between 0 and 256, found ${r}`); return undefined; }
            return e.op === '<<' ? l << r : e.op === '>>' ? l >> r : l ** r;
        }
      }
    }
  }
}

