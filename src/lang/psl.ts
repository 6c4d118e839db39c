// PSL parser: declarations, security-event bindings and their rules, audit profiles and PAL tests.
import { Cursor, SyntaxAbort, type QualifiedName } from './cursor.ts';
import type { DiagnosticBag } from './diagnostics.ts';
import { tokenize, type Token } from './lexer.ts';
import type {
  AssertDecl, BodyItem, BoolLiteral, ChoiceArm, ChoiceItem, ChoicePattern, DictTypeField, EventKind,
  Expectation, Ident, IntLiteral, MatchItem, PolicyObjectDecl, PslBinaryOp, PslDecl, PslExpr, PslFile, PslPrimitive,
  PslType, RecordEntry, RecordExpr, RecordKey, Selector, SelectorKey, SequenceDecl, StringLiteral, TestBlock,
  TestStep, TypeParam,
} from './psl-ast.ts';
import { positionOf, span, type SourceFile, type Span } from './source.ts';

const EVENTS: readonly EventKind[] = ['execute', 'request', 'response', 'error', 'security'];
const SELECTOR_KEYS: readonly SelectorKey[] = ['src', 'dst', 'interface', 'component', 'endpoint', 'method'];
const SELECTOR_VALUE: Readonly<Record<SelectorKey, string>> = {
  src: 'a process class name', dst: 'a process class name', interface: 'an interface name',
  component: 'a component name', endpoint: 'an endpoint name', method: 'a method name',
};
const PRIMITIVES: ReadonlySet<string> = new Set<PslPrimitive>([
  'UInt8', 'UInt16', 'UInt32', 'UInt64', 'SInt8', 'SInt16', 'SInt32', 'SInt64',
  'Boolean', 'Text', 'Sid', 'Handle', 'HandleDesc',
]);
const EXPECTATIONS: ReadonlySet<string> = new Set<Expectation>(['grant', 'deny', 'any']);

const DECLARATION_WORDS: ReadonlySet<string> = new Set(['use', 'task', 'policy', 'audit', 'assert', ...EVENTS]);
// Words that cannot start a line inside the given block: seeing one means the block's "}" is
// missing, and stopping there lets the next declaration parse normally.
const NOT_IN_BODY: ReadonlySet<string> = new Set(['use', 'task', 'policy', ...EVENTS]);
const NOT_IN_ASSERT: ReadonlySet<string> = new Set(['use', 'task', 'policy', 'audit', 'assert', ...EVENTS]);
const NOT_IN_STEPS: ReadonlySet<string> = new Set(['use', 'task', 'policy', 'audit', 'assert', 'setup', 'sequence', 'finally']);

// Precedence climbing, loosest first; `==>` (looser still, right-associative) is handled apart.
const LEVELS: readonly (readonly PslBinaryOp[])[] = [
  ['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>='], ['|', '&'], ['+', '-'], ['*'],
];

// Bounds recursion so a hostile file (10 000 "(") gets a diagnostic, not a stack overflow.
const MAX_NESTING = 200;

interface Parser {
  readonly c: Cursor;
  readonly file: SourceFile;
  readonly diags: DiagnosticBag;
  /** Number of "{" open before each token: lets a block skip a broken item without leaving itself. */
  readonly depth: Int32Array;
  nesting: number;
  /** Token index where a missing "}" was reported, so enclosing blocks do not report it again. */
  unclosedAt: number;
}

export function parsePsl(file: SourceFile, diags: DiagnosticBag): PslFile {
  const tokens = tokenize(file, diags);
  const c = new Cursor(file, tokens, diags);
  const p: Parser = { c, file, diags, depth: braceDepths(tokens), nesting: 0, unclosedAt: -1 };
  const decls: PslDecl[] = [];
  while (!c.atEnd) {
    const start = c.index;
    try {
      decls.push(parseDeclaration(p));
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      if (c.index === start) c.next();
      skipToDeclaration(p, p.depth[start]!);
    }
  }
  return { kind: 'psl', file, decls };
}

function braceDepths(tokens: readonly Token[]): Int32Array {
  const out = new Int32Array(tokens.length);
  let d = 0;
  tokens.forEach((t, i) => {
    out[i] = d;
    if (t.kind === 'punct' && t.text === '{') d++;
    else if (t.kind === 'punct' && t.text === '}' && d > 0) d--;
  });
  return out;
}

// ---- Declarations ------------------------------------------------------------------------------

function parseDeclaration(p: Parser): PslDecl {
  const { c } = p;
  const t = c.peek;
  if (t.kind === 'ident') {
    if (t.text === 'execute' && isPunct(c.peekAt(1), ':')) return parseExecuteInterface(p);
    if (isEvent(t.text)) return parseBinding(p);
    switch (t.text) {
      case 'use': return parseUse(p);
      case 'task': return parseTaskClass(p);
      case 'policy': return parsePolicyObject(p);
      case 'audit': return parseAuditDeclaration(p);
      case 'assert': return parseAssert(p);
    }
  }
  return c.fail('a declaration (use, task class, policy object, audit, assert) or a security event (execute, request, response, error or security)');
}

function parseExecuteInterface(p: Parser): PslDecl {
  const { c } = p;
  const kw = c.next();
  c.next(); // ":"
  const iface = continuedName(p, kw, 'the execute interface (such as kl.core.Execute)');
  return { kind: 'execute-interface', iface, span: c.spanFrom(kw.start) };
}

function parseUse(p: Parser): PslDecl {
  const { c } = p;
  const kw = c.next();
  if (c.eatWord('EDL')) {
    const name = continuedName(p, kw, 'an EDL name after "use EDL"');
    return { kind: 'use-edl', name, span: c.spanFrom(kw.start) };
  }
  const path = continuedName(p, kw, 'a module path such as "nk.base._", or "EDL"');
  let module: QualifiedName = path;
  if (path.text.endsWith('._')) {
    module = { text: path.text.slice(0, -2), span: span(p.file, path.span.start, path.span.end - 2) };
  } else {
    p.diags.error(path.span, `expected a module path ending in "._" (use ${path.text}._), found "${path.text}"`);
  }
  return { kind: 'use', module, span: c.spanFrom(kw.start) };
}

function parseTaskClass(p: Parser): PslDecl {
  const { c } = p;
  const kw = c.next();
  if (!c.eatWord('class')) c.fail('"class" after "task"');
  const name = continuedName(p, kw, 'a process class name');
  c.expectPunct(':', `":" and the EDL that class "${name.text}" is declared by`);
  const edl = continuedName(p, kw, 'an EDL name');
  return { kind: 'task-class', name, edl, span: c.spanFrom(kw.start) };
}

function parsePolicyObject(p: Parser): PolicyObjectDecl {
  const { c } = p;
  const kw = c.next();
  if (!c.eatWord('object')) c.fail('"object" after "policy"');
  const name = ident(c, 'a policy object name');
  c.expectPunct(':', `":" and the security model of "${name.text}" (such as Flow)`);
  const model = c.qualifiedName('a security model name');
  const types: TypeParam[] = [];
  let config: PslExpr | undefined;
  let configLine = 0;
  // Objects of stateless models need no parameters, so the body is optional.
  if (c.isPunct('{')) {
    parseBlock(p, 'the policy object body', NOT_IN_BODY, () => {
      const t = c.peek;
      if (c.eatWord('type')) {
        const tname = ident(c, 'a type parameter name');
        c.expectPunct('=', `"=" after the type parameter "${tname.text}"`);
        const type = parseType(p);
        types.push({ kind: 'type-param', name: tname, type, span: c.spanFrom(t.start) });
      } else if (c.eatWord('config')) {
        c.expectPunct('=', '"=" after "config"');
        const value = parseExpr(p);
        if (config) p.diags.error(c.spanOf(t), `duplicate "config" in policy object "${name.text}" (the first is on line ${configLine})`);
        else { config = value; configLine = lineOf(p, t); }
      } else {
        c.fail(`"type" or "config" in the body of policy object "${name.text}"`);
      }
      c.eatPunct(',') || c.eatPunct(';');
    });
  }
  return { kind: 'policy-object', name, model, types, config, span: c.spanFrom(kw.start) };
}

function parseAuditDeclaration(p: Parser): PslDecl {
  const { c } = p;
  const kw = c.next();
  if (c.eatWord('profile')) {
    const name = ident(c, 'an audit profile name');
    c.expectPunct('=', `"=" after the audit profile name "${name.text}"`);
    const value = parseExpr(p);
    return { kind: 'audit-profile', name, value, span: c.spanFrom(kw.start) };
  }
  if (c.eatWord('default')) {
    c.expectPunct('=', '"=" after "audit default"');
    const profile = continuedName(p, kw, 'an audit profile name');
    if (c.peek.kind !== 'number' || !continues(p, kw)) c.fail(`the initial audit level (an integer) after the profile name "${profile.text}"`);
    const level = intLiteral(c, c.next());
    return { kind: 'audit-default', profile, level, span: c.spanFrom(kw.start) };
  }
  return c.fail('"profile" or "default" after "audit"');
}

function parseBinding(p: Parser): PslDecl {
  const { c } = p;
  const kw = c.next();
  const selectors = parseSelectors(p);
  const body = parseBody(p, 'the binding body');
  return { kind: 'binding', event: kw.text as EventKind, eventSpan: c.spanOf(kw), selectors, body, span: c.spanFrom(kw.start) };
}

// ---- Selectors ---------------------------------------------------------------------------------

/** `key=value` pairs separated by spaces and/or commas, possibly across lines; may be empty. */
function parseSelectors(p: Parser): Selector[] {
  const { c } = p;
  const out: Selector[] = [];
  for (;;) {
    const t = c.peek;
    if (t.kind !== 'ident') return out;
    const key = SELECTOR_KEYS.find((k) => k === t.text);
    if (!isPunct(c.peekAt(1), '=')) {
      if (key !== undefined) {
        c.next();
        c.fail(`"=" after the selector "${key}"`);
      }
      return out;
    }
    c.next();
    c.next(); // "="
    if (key === undefined) {
      p.diags.error(c.spanOf(t), `expected a selector (src, dst, interface, component, endpoint or method), found "${t.text}"`);
    }
    const value = c.qualifiedName(`${key ? SELECTOR_VALUE[key] : 'a name'} after "${t.text}="`);
    if (key !== undefined) out.push({ kind: 'selector', key, keySpan: c.spanOf(t), value, span: c.spanFrom(t.start) });
    c.eatPunct(',');
  }
}

// ---- Blocks and binding bodies -----------------------------------------------------------------

/**
 * `{ item* }`. A broken item is reported and skipped up to the next line that starts an item of
 * this block, so one run reports every error; a missing "}" is reported where the next
 * declaration starts.
 */
function parseBlock(p: Parser, what: string, interrupts: ReadonlySet<string>, item: () => void): void {
  const { c } = p;
  const openIndex = c.index;
  const open = c.expectPunct('{', `"{" to open ${what}`);
  const inner = p.depth[openIndex]! + 1;
  for (;;) {
    if (c.eatPunct('}')) return;
    const t = c.peek;
    if (t.kind === 'eof' || (t.newlineBefore && t.kind === 'ident' && interrupts.has(t.text))) {
      if (p.unclosedAt !== c.index) {
        p.diags.error(c.spanOf(t), `expected "}" to close ${what} opened on line ${lineOf(p, open)}, found ${describe(t)}`);
        p.unclosedAt = c.index;
      }
      return;
    }
    const start = c.index;
    try {
      item();
    } catch (e) {
      if (!(e instanceof SyntaxAbort)) throw e;
      if (c.index === start) c.next();
      if (!skipToItem(p, inner)) return;
    }
  }
}

/** Skips to the next line starting an item at this block's level, or to its "}"; false if the block was left. */
function skipToItem(p: Parser, inner: number): boolean {
  const { c } = p;
  while (!c.atEnd) {
    const d = p.depth[c.index]!;
    if (d < inner) return false;
    const t = c.peek;
    if (d === inner && (c.isPunct('}') || (t.newlineBefore && t.kind !== 'punct'))) return true;
    c.next();
  }
  return true;
}

function skipToDeclaration(p: Parser, level: number): void {
  const { c } = p;
  while (!c.atEnd) {
    const t = c.peek;
    if (t.newlineBefore && t.kind === 'ident' && DECLARATION_WORDS.has(t.text) && p.depth[c.index]! <= level) return;
    c.next();
  }
}

function parseBody(p: Parser, what: string): BodyItem[] {
  const items: BodyItem[] = [];
  parseBlock(p, what, NOT_IN_BODY, () => items.push(parseItem(p)));
  return items;
}

function parseItem(p: Parser): BodyItem {
  return nested(p, () => {
    const { c } = p;
    const t = c.peek;
    if (t.kind !== 'ident') c.fail('a rule (such as "grant ()"), "match", "choice" or "audit"');
    if (t.text === 'match') return parseMatch(p);
    if (t.text === 'choice') return parseChoice(p);
    if (t.text === 'audit') {
      c.next();
      const profile = continuedName(p, t, 'an audit profile name after "audit"');
      return { kind: 'audit', profile, span: c.spanFrom(t.start) };
    }
    const callee = c.qualifiedName();
    if (c.isPunct('=') && SELECTOR_KEYS.some((k) => k === callee.text)) {
      p.diags.error(callee.span, `expected a rule, "match", "choice" or "audit", found the selector "${callee.text}=" (selectors inside a body need "match")`);
      throw new SyntaxAbort();
    }
    // The argument may sit on a continuation line only when it opens with a bracket.
    const a = c.peek;
    const bracket = a.kind === 'punct' && (a.text === '(' || a.text === '{' || a.text === '[');
    if (!bracket && (a.newlineBefore || !(a.kind === 'ident' || a.kind === 'string' || a.kind === 'number'))) {
      c.fail(`an argument after "${callee.text}" (such as "()")`);
    }
    const arg = parsePostfix(p, false);
    return { kind: 'rule', callee, arg, span: c.spanFrom(callee.span.start) };
  });
}

function parseMatch(p: Parser): MatchItem {
  const { c } = p;
  const kw = c.next();
  const selectors = parseSelectors(p);
  if (selectors.length === 0) {
    p.diags.error(c.spanOf(c.peek), `expected a selector (src=, dst=, interface=, component=, endpoint= or method=) after "match", found ${describe(c.peek)}`);
  }
  const body = parseBody(p, 'the match body');
  return { kind: 'match', selectors, body, span: c.spanFrom(kw.start) };
}

function parseChoice(p: Parser): ChoiceItem {
  const { c } = p;
  const kw = c.next();
  c.expectPunct('(', '"(" after "choice" (the value to choose on)');
  const scrutinee = parseExpr(p);
  c.expectPunct(')', '")" after the value of "choice"');
  const arms: ChoiceArm[] = [];
  parseBlock(p, 'the choice arms', NOT_IN_BODY, () => arms.push(parseArm(p)));
  return { kind: 'choice', scrutinee, arms, span: c.spanFrom(kw.start) };
}

function parseArm(p: Parser): ChoiceArm {
  const { c } = p;
  const start = c.peek.start;
  let pattern: ChoicePattern;
  if (c.isWord('_')) {
    pattern = { kind: 'wildcard', span: c.spanOf(c.next()) };
  } else {
    const values = [patternLiteral(p)];
    while (c.eatPunct('|')) values.push(patternLiteral(p));
    pattern = { kind: 'values', values, span: c.spanFrom(start) };
  }
  c.expectPunct(':', '":" after the choice pattern');
  const body = c.isPunct('{') ? parseBody(p, 'the choice arm body') : [parseItem(p)];
  c.eatPunct(',') || c.eatPunct(';');
  return { kind: 'arm', pattern, body, span: c.spanFrom(start) };
}

function patternLiteral(p: Parser): IntLiteral | StringLiteral | BoolLiteral {
  const lit = scalarLiteral(p);
  return lit ?? p.c.fail('a choice pattern (a literal such as "started", or "_" for any other value)');
}

/** A string, integer (possibly negative) or Boolean literal, or undefined without consuming anything. */
function scalarLiteral(p: Parser): IntLiteral | StringLiteral | BoolLiteral | undefined {
  const { c } = p;
  const t = c.peek;
  if (t.kind === 'string') return stringLiteral(c, c.next());
  if (t.kind === 'number') return intLiteral(c, c.next());
  if (isPunct(t, '-') && c.peekAt(1).kind === 'number') {
    c.next();
    const n = c.next();
    return { kind: 'int', value: -n.value!, span: span(p.file, t.start, n.end) };
  }
  if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) {
    c.next();
    return { kind: 'bool', value: t.text === 'true', span: c.spanOf(t) };
  }
  return undefined;
}

// ---- Expressions -------------------------------------------------------------------------------

function parseExpr(p: Parser): PslExpr {
  return nested(p, () => {
    const { c } = p;
    const left = parseLevel(p, 0);
    if (!c.isPunct('==>')) return left;
    c.next();
    const right = parseExpr(p);
    return { kind: 'binary', op: '==>', left, right, span: span(p.file, left.span.start, right.span.end) };
  });
}

function parseLevel(p: Parser, level: number): PslExpr {
  if (level === LEVELS.length) return parseUnary(p);
  const { c } = p;
  let left = parseLevel(p, level + 1);
  for (;;) {
    const t = c.peek;
    const op = LEVELS[level]!.find((o) => isPunct(t, o));
    if (op === undefined) return left;
    c.next();
    const right = parseLevel(p, level + 1);
    left = { kind: 'binary', op, left, right, span: span(p.file, left.span.start, right.span.end) };
  }
}

function parseUnary(p: Parser): PslExpr {
  const { c } = p;
  const t = c.peek;
  if (t.kind === 'punct' && (t.text === '!' || t.text === '~' || t.text === '-')) {
    if (t.text === '-' && c.peekAt(1).kind === 'number') return scalarLiteral(p)!;
    c.next();
    const operand = nested(p, () => parseUnary(p));
    return { kind: 'unary', op: t.text, operand, span: span(p.file, t.start, operand.span.end) };
  }
  return parsePostfix(p, true);
}

/**
 * A primary followed by `.[i]`, `[i]` (no space before "[") or `.field`. With `allowCall`, a name
 * followed by an argument is a call: `(…)`/`{…}` anywhere, other arguments on the same line.
 * Arguments themselves never take arguments, so `pred.empty x grant ()` stays two things.
 */
function parsePostfix(p: Parser, allowCall: boolean): PslExpr {
  const { c } = p;
  let e = parsePrimary(p, allowCall);
  for (;;) {
    const t = c.peek;
    const indexed = (isPunct(t, '.') && isPunct(c.peekAt(1), '[')) || (isPunct(t, '[') && t.start === c.previous.end);
    if (indexed) {
      if (isPunct(t, '.')) c.next();
      c.next();
      const index = parseExpr(p);
      c.expectPunct(']', '"]" to close the index');
      e = { kind: 'index', target: e, index, span: c.spanFrom(e.span.start) };
    } else if (isPunct(t, '.') && c.peekAt(1).kind === 'ident') {
      c.next();
      const field = ident(c, 'a field name');
      e = { kind: 'field', target: e, field, span: c.spanFrom(e.span.start) };
    } else {
      return e;
    }
  }
}

function parsePrimary(p: Parser, allowCall: boolean): PslExpr {
  const { c } = p;
  const t = c.peek;
  const literal = scalarLiteral(p);
  if (literal) return literal;
  if (t.kind === 'ident') {
    const name = c.qualifiedName();
    if (allowCall && startsArgument(c)) {
      const arg = parsePostfix(p, false);
      return { kind: 'call', callee: name, arg, span: c.spanFrom(t.start) };
    }
    return { kind: 'name', name, span: name.span };
  }
  if (isPunct(t, '(')) {
    c.next();
    if (c.eatPunct(')')) return { kind: 'unit', span: c.spanFrom(t.start) };
    const inner = parseExpr(p);
    c.expectPunct(')', '")" to close the parenthesis');
    return inner;
  }
  if (isPunct(t, '{')) return parseRecord(p);
  if (isPunct(t, '[')) return parseList(p);
  return c.fail('an expression');
}

function startsArgument(c: Cursor): boolean {
  const t = c.peek;
  if (isPunct(t, '(') || isPunct(t, '{')) return true;
  if (t.newlineBefore) return false;
  if (isPunct(t, '[')) return t.start !== c.previous.end; // `x[0]` indexes, `bool.all [a, b]` calls
  return t.kind === 'ident' || t.kind === 'string' || t.kind === 'number';
}

/** `{ k : v, … }`; also `=` for `:`, string and integer keys, a trailing comma, and `{}`. */
function parseRecord(p: Parser): RecordExpr {
  return nested(p, () => {
    const { c } = p;
    const open = c.expectPunct('{');
    const entries: RecordEntry[] = [];
    while (!c.isPunct('}')) {
      const key = recordKey(p);
      if (!c.eatPunct(':') && !c.eatPunct('=')) c.fail(`":" after the key ${keyText(key)}`);
      const value = parseExpr(p);
      entries.push({ kind: 'entry', key, value, span: c.spanFrom(key.span.start) });
      if (!c.eatPunct(',')) break;
    }
    c.expectPunct('}', `"," or "}" in the record opened on line ${lineOf(p, open)}`);
    return { kind: 'record', entries, span: c.spanFrom(open.start) };
  });
}

function recordKey(p: Parser): RecordKey {
  const { c } = p;
  const t = c.peek;
  if (t.kind === 'ident') return { kind: 'ident', text: c.next().text, span: c.spanOf(t) };
  if (t.kind === 'string') return stringLiteral(c, c.next());
  if (t.kind === 'number') return intLiteral(c, c.next());
  return c.fail('a record key (a name, string or integer) or "}"');
}

function keyText(k: RecordKey): string {
  return k.kind === 'ident' ? `"${k.text}"` : k.kind === 'string' ? JSON.stringify(k.value) : String(k.value);
}

function parseList(p: Parser): PslExpr {
  return nested(p, () => {
    const { c } = p;
    const open = c.expectPunct('[');
    const items: PslExpr[] = [];
    while (!c.isPunct(']')) {
      items.push(parseExpr(p));
      if (!c.eatPunct(',')) break;
    }
    c.expectPunct(']', `"," or "]" in the list opened on line ${lineOf(p, open)}`);
    return { kind: 'list', items, span: c.spanFrom(open.start) };
  });
}

// ---- Types -------------------------------------------------------------------------------------

function parseType(p: Parser): PslType {
  return nested(p, () => {
    const { c } = p;
    const first = parseTypeAtom(p);
    if (!c.isPunct('|')) return first;
    const options = [first];
    while (c.eatPunct('|')) options.push(parseTypeAtom(p));
    return { kind: 'variant', options, span: c.spanFrom(first.span.start) };
  });
}

function parseTypeAtom(p: Parser): PslType {
  const { c } = p;
  const t = c.peek;
  const literal = scalarLiteral(p);
  if (literal) return { kind: 'literal', value: literal, span: literal.span };
  if (isPunct(t, '(')) {
    c.next();
    if (c.eatPunct(')')) return { kind: 'unit', span: c.spanFrom(t.start) };
    const inner = parseType(p);
    c.expectPunct(')', '")" to close the parenthesis');
    return inner;
  }
  if (isPunct(t, '{')) {
    c.next();
    const fields: DictTypeField[] = [];
    while (!c.isPunct('}')) {
      const name = ident(c, 'a field name or "}"');
      c.expectPunct(':', `":" after the field "${name.text}"`);
      const type = parseType(p);
      fields.push({ kind: 'type-field', name, type, span: c.spanFrom(name.span.start) });
      if (!c.eatPunct(',')) break;
    }
    c.expectPunct('}', `"," or "}" in the dictionary type opened on line ${lineOf(p, t)}`);
    return { kind: 'dict', fields, span: c.spanFrom(t.start) };
  }
  if (isPunct(t, '[')) {
    c.next();
    const elements: PslType[] = [];
    while (!c.isPunct(']')) {
      elements.push(parseType(p));
      if (!c.eatPunct(',')) break;
    }
    c.expectPunct(']', `"," or "]" in the tuple type opened on line ${lineOf(p, t)}`);
    return { kind: 'tuple', elements, span: c.spanFrom(t.start) };
  }
  if (t.kind !== 'ident') return c.fail('a type');
  const name = c.qualifiedName('a type');
  const open = () => c.expectPunct('<', `"<" after "${name.text}"`);
  const close = () => c.expectPunct('>', `">" to close "${name.text}<…>"`);
  const comma = (what: string) => c.expectPunct(',', `"," and ${what} in "${name.text}<…>"`);
  switch (name.text) {
    case 'List':
    case 'Set': {
      open();
      const element = parseType(p);
      close();
      return { kind: name.text === 'List' ? 'list' : 'set', element, span: c.spanFrom(t.start) };
    }
    case 'Map': {
      open();
      const key = parseType(p);
      comma('the value type');
      const value = parseType(p);
      close();
      return { kind: 'map', key, value, span: c.spanFrom(t.start) };
    }
    case 'Array':
    case 'Sequence': {
      open();
      const element = parseType(p);
      comma('the size');
      if (c.peek.kind !== 'number') c.fail(`the size of "${name.text}<…>" (an integer)`);
      const size = intLiteral(c, c.next());
      close();
      return { kind: name.text === 'Array' ? 'array' : 'sequence', element, size, span: c.spanFrom(t.start) };
    }
  }
  if (PRIMITIVES.has(name.text)) return { kind: 'primitive', name: name.text as PslPrimitive, span: name.span };
  return { kind: 'named', name, span: name.span };
}

// ---- PAL tests ---------------------------------------------------------------------------------

function parseAssert(p: Parser): AssertDecl {
  const { c } = p;
  const kw = c.next();
  const name = testName(p);
  let setup: TestBlock | undefined;
  let fin: TestBlock | undefined;
  const sequences: SequenceDecl[] = [];
  parseBlock(p, 'the assert block', NOT_IN_ASSERT, () => {
    const t = c.peek;
    if (c.eatWord('setup') || c.eatWord('finally')) {
      const kind = t.text === 'setup' ? 'setup' : 'finally';
      const steps = parseSteps(p, `the ${kind} block`);
      const block: TestBlock = { kind, steps, span: c.spanFrom(t.start) };
      const first = kind === 'setup' ? setup : fin;
      if (first) p.diags.error(c.spanOf(t), `duplicate "${kind}" block (an assert has at most one; the first is on line ${positionOf(p.file, first.span.start).line})`);
      else if (kind === 'setup') setup = block;
      else fin = block;
    } else if (c.eatWord('sequence')) {
      const sname = testName(p);
      const steps = parseSteps(p, 'the sequence block');
      sequences.push({ kind: 'sequence', name: sname, steps, span: c.spanFrom(t.start) });
    } else {
      c.fail('"setup", "sequence" or "finally" in the assert block');
    }
  });
  return { kind: 'assert', name, setup, sequences, finally: fin, span: c.spanFrom(kw.start) };
}

/** `"name"` or `["name"]`; optional. */
function testName(p: Parser): StringLiteral | undefined {
  const { c } = p;
  if (c.peek.kind === 'string') return stringLiteral(c, c.next());
  if (c.isPunct('[') && c.peekAt(1).kind === 'string') {
    c.next();
    const name = stringLiteral(c, c.next());
    c.expectPunct(']', '"]" after the test name');
    return name;
  }
  return undefined;
}

function parseSteps(p: Parser, what: string): TestStep[] {
  const steps: TestStep[] = [];
  parseBlock(p, what, NOT_IN_STEPS, () => steps.push(parseStep(p)));
  return steps;
}

function parseStep(p: Parser): TestStep {
  const { c } = p;
  const t = c.peek;
  if (t.kind === 'ident' && isPunct(c.peekAt(1), '<-')) {
    const variable = ident(c, 'a variable');
    c.next(); // "<-"
    if (!c.eatWord('execute')) c.fail('"execute" after "<-" (a variable holds the SID of a started process)');
    const selectors = parseSelectors(p);
    return { kind: 'test-bind', variable, selectors, span: c.spanFrom(t.start) };
  }
  let expect: Expectation = 'grant';
  let expectSpan: Span | undefined;
  if (t.kind === 'ident' && EXPECTATIONS.has(t.text) && !isPunct(c.peekAt(1), '~>')) {
    c.next();
    expect = t.text as Expectation;
    expectSpan = c.spanOf(t);
  }
  const name = c.peek.kind === 'string' ? stringLiteral(c, c.next()) : undefined;
  const e = c.peek;
  if (e.kind === 'ident' && isPunct(c.peekAt(1), '~>')) {
    const src = c.qualifiedName();
    const arrow = c.next();
    const dst = c.qualifiedName('the destination (a test variable) after "~>"');
    c.expectPunct(':', `":" and "<endpoint>.<method>" after the destination "${dst.text}"`);
    const target = c.qualifiedName('"<endpoint>.<method>"');
    const dot = target.text.lastIndexOf('.');
    if (dot < 0) {
      p.diags.error(target.span, `expected "<endpoint>.<method>" after ":", found "${target.text}" (no method name)`);
      throw new SyntaxAbort();
    }
    const endpoint = { text: target.text.slice(0, dot), span: span(p.file, target.span.start, target.span.start + dot) };
    const method = { text: target.text.slice(dot + 1), span: span(p.file, target.span.start + dot + 1, target.span.end) };
    const sel = (key: SelectorKey, value: QualifiedName): Selector => ({ kind: 'selector', key, keySpan: value.span, value, span: value.span });
    const message = c.isPunct('{') ? parseRecord(p) : undefined;
    return {
      kind: 'test-case', expect, expectSpan, name, event: 'request', eventSpan: c.spanOf(arrow),
      selectors: [sel('src', src), sel('dst', dst), sel('endpoint', endpoint), sel('method', method)],
      message, shorthand: true, span: c.spanFrom(t.start),
    };
  }
  if (e.kind !== 'ident' || !isEvent(e.text)) {
    c.fail('an event (execute, request, response, error or security) or "<src> ~> <dst>:<endpoint>.<method>"');
  }
  c.next();
  const selectors = parseSelectors(p);
  const message = c.isPunct('{') ? parseRecord(p) : undefined;
  return {
    kind: 'test-case', expect, expectSpan, name, event: e.text as EventKind, eventSpan: c.spanOf(e),
    selectors, message, shorthand: false, span: c.spanFrom(t.start),
  };
}

// ---- Helpers -----------------------------------------------------------------------------------

function nested<T>(p: Parser, parse: () => T): T {
  if (p.nesting >= MAX_NESTING) {
    p.diags.error(p.c.spanOf(p.c.peek), `nesting too deep (more than ${MAX_NESTING} levels)`);
    throw new SyntaxAbort();
  }
  p.nesting++;
  try {
    return parse();
  } finally {
    p.nesting--;
  }
}

/**
 * PSL has no terminators: a construct goes on past a line break only onto a line indented more
 * than its first token, so `use EDL` with its name missing does not swallow the next line.
 */
function continues(p: Parser, first: Token): boolean {
  const t = p.c.peek;
  return !t.newlineBefore || (t.kind !== 'eof' && positionOf(p.file, t.start).col > positionOf(p.file, first.start).col);
}

function continuedName(p: Parser, first: Token, what: string): QualifiedName {
  if (!continues(p, first)) p.c.fail(what);
  return p.c.qualifiedName(what);
}

function isPunct(t: Token, text: string): boolean {
  return t.kind === 'punct' && t.text === text;
}

function isEvent(word: string): word is EventKind {
  return (EVENTS as readonly string[]).includes(word);
}

function ident(c: Cursor, what: string): Ident {
  const t = c.expectIdent(what);
  return { text: t.text, span: c.spanOf(t) };
}

function intLiteral(c: Cursor, t: Token): IntLiteral {
  return { kind: 'int', value: t.value ?? 0n, span: c.spanOf(t) };
}

function stringLiteral(c: Cursor, t: Token): StringLiteral {
  return { kind: 'string', value: t.text, span: c.spanOf(t) };
}

function lineOf(p: Parser, t: { readonly start: number }): number {
  return positionOf(p.file, t.start).line;
}

/** How a token is named in "found …", matching Cursor.fail. */
function describe(t: Token): string {
  return t.kind === 'eof' ? 'end of file' : t.kind === 'string' ? `string "${t.text}"` : `"${t.text}"`;
}
