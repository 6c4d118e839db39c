// IDL parser: package, imports, constants, typedefs, structs, unions and the package's interface.
import type { BinaryOp, FieldDecl, IdlDecl, IdlFile, IntExpr, MethodDecl, ParamDecl, ParamDirection, TypeExpr } from './ast.ts';
import { Cursor, SyntaxAbort } from './cursor.ts';
import type { DiagnosticBag } from './diagnostics.ts';
import { tokenize, type Token } from './lexer.ts';
import { span, type SourceFile } from './source.ts';

const TOP_KEYWORDS = new Set(['package', 'import', 'const', 'typedef', 'struct', 'union', 'interface']);

export function parseIdl(file: SourceFile, diags: DiagnosticBag): IdlFile {
  const c = new Cursor(file, tokenize(file, diags), diags);
  const atTopKeyword = (t: Token) => t.kind === 'ident' && TOP_KEYWORDS.has(t.text) && t.newlineBefore;
  let pkg: IdlFile['package'];
  const imports: IdlFile['imports'][number][] = [];
  const decls: IdlDecl[] = [];
  let methods: MethodDecl[] | undefined;
  let interfaceSpan: IdlFile['interfaceSpan'];

  while (!c.atEnd) {
    const start = c.index;
    try {
      const kw = c.peek;
      if (c.eatWord('package')) {
        const name = c.qualifiedName('a package name');
        if (pkg) diags.error(span(file, kw.start, kw.end), `duplicate "package" declaration (the package is already ${pkg.text})`);
        else if (decls.length > 0 || imports.length > 0 || methods) diags.error(span(file, kw.start, kw.end), '"package" must be the first declaration of an IDL file');
        pkg ??= name;
        c.eatPunct(';');
        continue;
      }
      if (!pkg) {
        diags.error(c.spanOf(kw), `expected "package <name>" at the start of an IDL file, found "${kw.text}"`);
        pkg = undefined;
      }
      if (c.eatWord('import')) {
        imports.push(c.qualifiedName('a package name'));
        c.eatPunct(';');
      } else if (c.eatWord('const')) {
        const type = parseType(c);
        const name = ident(c, 'a constant name');
        c.expectPunct('=');
        const value = parseIntExpr(c, false);
        c.expectPunct(';', '";" after the constant');
        decls.push({ kind: 'const', type, name, value });
      } else if (c.eatWord('typedef')) {
        const type = parseType(c);
        const name = ident(c, 'a type name');
        c.expectPunct(';', '";" after the typedef');
        decls.push({ kind: 'typedef', type, name });
      } else if (c.isWord('struct') || c.isWord('union')) {
        const kind = c.next().text as 'struct' | 'union';
        const name = ident(c, `a ${kind} name`);
        decls.push({ kind, name, fields: parseFields(c, kind) });
        c.eatPunct(';');
      } else if (c.isWord('interface')) {
        const kwTok = c.next();
        if (c.peek.kind === 'ident') c.next(); // legacy `interface Name {`: the package names the interface
        if (methods) diags.error(c.spanOf(kwTok), 'a package declares at most one interface');
        const parsed = parseInterfaceBody(c);
        methods ??= parsed;
        interfaceSpan ??= c.spanOf(kwTok);
        c.eatPunct(';');
      } else {
        c.fail('a declaration (import, const, typedef, struct, union or interface)');
      }
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      if (c.index === start) c.next();
      c.recover(atTopKeyword);
    }
  }
  return { kind: 'idl', file, package: pkg, imports, decls, methods, interfaceSpan };
}

function ident(c: Cursor, what: string) {
  const t = c.expectIdent(what);
  return { text: t.text, span: c.spanOf(t) };
}

function parseFields(c: Cursor, kind: string): FieldDecl[] {
  c.expectPunct('{', `"{" to open the ${kind}`);
  const fields: FieldDecl[] = [];
  while (!c.isPunct('}')) {
    if (c.atEnd) c.fail(`"}" to close the ${kind}`);
    try {
      const type = parseType(c);
      const name = ident(c, 'a field name');
      c.expectPunct(';', '";" after the field');
      fields.push({ type, name });
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      c.recover((t) => t.kind === 'punct' && (t.text === ';' || t.text === '}'));
      c.eatPunct(';');
    }
  }
  c.next();
  return fields;
}

function parseInterfaceBody(c: Cursor): MethodDecl[] {
  c.expectPunct('{', '"{" to open the interface');
  const methods: MethodDecl[] = [];
  while (!c.isPunct('}')) {
    if (c.atEnd) c.fail('"}" to close the interface');
    try {
      methods.push(parseMethod(c));
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      c.recover((t) => t.kind === 'punct' && (t.text === ';' || t.text === '}'));
      c.eatPunct(';');
    }
  }
  c.next();
  return methods;
}

function parseMethod(c: Cursor): MethodDecl {
  const name = ident(c, 'a method name');
  c.expectPunct('(', '"(" after the method name');
  const params: ParamDecl[] = [];
  if (!c.isPunct(')')) {
    do {
      const dirTok = c.peek;
      if (!(c.isWord('in') || c.isWord('out') || c.isWord('error'))) c.fail('a parameter direction ("in", "out" or "error")');
      c.next();
      const type = parseType(c);
      const pname = ident(c, 'a parameter name');
      params.push({ direction: dirTok.text as ParamDirection, type, name: pname, span: span(c.file, dirTok.start, pname.span.end) });
    } while (c.eatPunct(','));
  }
  c.expectPunct(')', '")" or "," in the parameter list');
  c.expectPunct(';', '";" after the method');
  return { name, params, span: span(c.file, name.span.start, c.previous.end) };
}

export function parseType(c: Cursor): TypeExpr {
  const t = c.peek;
  if (t.kind !== 'ident') c.fail('a type');
  const start = t.start;
  const generic = (kinds: 'array' | 'sequence'): TypeExpr => {
    c.next();
    c.expectPunct('<', `"<" after "${kinds}"`);
    const element = parseType(c);
    c.expectPunct(',', `"," between the element type and the size of the ${kinds}`);
    const size = parseIntExpr(c, true);
    c.expectPunct('>', `">" to close "${kinds}<…>"`);
    return { kind: kinds, element, size, span: c.spanFrom(start) };
  };
  switch (t.text) {
    case 'array': return generic('array');
    case 'sequence': return generic('sequence');
    case 'bytes':
    case 'string': {
      c.next();
      c.expectPunct('<', `"<" after "${t.text}" (its maximum size)`);
      const size = parseIntExpr(c, true);
      c.expectPunct('>', `">" to close "${t.text}<…>"`);
      return { kind: t.text, size, span: c.spanFrom(start) };
    }
    case 'Handle':
      c.next();
      return { kind: 'handle', iface: undefined, span: c.spanFrom(start) };
    case 'handle': {
      c.next();
      c.expectPunct('<', '"<" after "handle" (the interface of the callable handle)');
      const iface = c.qualifiedName('an interface name');
      c.expectPunct('>', '">" to close "handle<…>"');
      return { kind: 'handle', iface, span: c.spanFrom(start) };
    }
    default: {
      const name = c.qualifiedName('a type');
      return { kind: 'named', name, span: name.span };
    }
  }
}

// Precedence climbing, C-like: | ^ & << >> + - * / % ** unary.
const LEVELS: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

/** `inTypeArgs`: inside `<…>` a `>>` closes two type argument lists instead of shifting (as in C++). */
export function parseIntExpr(c: Cursor, inTypeArgs: boolean): IntExpr {
  return parseLevel(c, 0, inTypeArgs);
}

function peekOperator(c: Cursor, inTypeArgs: boolean): string | undefined {
  const t = c.peek;
  if (t.kind !== 'punct') return undefined;
  if ((t.text === '<' || t.text === '>') && c.peekAt(1).kind === 'punct' && c.peekAt(1).text === t.text && c.peekAt(1).start === t.end) {
    if (t.text === '>' && inTypeArgs) return undefined;
    return t.text + t.text;
  }
  return t.text;
}

function parseLevel(c: Cursor, level: number, inTypeArgs: boolean): IntExpr {
  if (level === LEVELS.length) return parsePower(c, inTypeArgs);
  let left = parseLevel(c, level + 1, inTypeArgs);
  for (;;) {
    const op = peekOperator(c, inTypeArgs);
    if (op === undefined || !LEVELS[level]!.includes(op)) return left;
    c.next();
    if (op.length === 2 && (op === '<<' || op === '>>')) c.next();
    const right = parseLevel(c, level + 1, inTypeArgs);
    left = { kind: 'binary', op: op as BinaryOp, left, right, span: span(c.file, left.span.start, right.span.end) };
  }
}

function parsePower(c: Cursor, inTypeArgs: boolean): IntExpr {
  const base = parseUnary(c, inTypeArgs);
  if (!c.isPunct('**')) return base;
  c.next();
  const exponent = parsePower(c, inTypeArgs); // right-associative
  return { kind: 'binary', op: '**', left: base, right: exponent, span: span(c.file, base.span.start, exponent.span.end) };
}

function parseUnary(c: Cursor, inTypeArgs: boolean): IntExpr {
  const t = c.peek;
  if (t.kind === 'punct' && (t.text === '-' || t.text === '+' || t.text === '~')) {
    c.next();
    const operand = parseUnary(c, inTypeArgs);
    return { kind: 'unary', op: t.text, operand, span: span(c.file, t.start, operand.span.end) };
  }
  if (t.kind === 'number') {
    c.next();
    return { kind: 'int', value: t.value!, span: c.spanOf(t) };
  }
  if (t.kind === 'ident') {
    const name = c.qualifiedName();
    return { kind: 'ref', name, span: name.span };
  }
  if (c.eatPunct('(')) {
    const inner = parseLevel(c, 0, false);
    c.expectPunct(')', '")" to close the parenthesis');
    return { ...inner, span: span(c.file, t.start, c.previous.end) };
  }
  return c.fail('an integer expression');
}
