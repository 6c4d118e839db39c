// Token cursor shared by the hand-written recursive-descent parsers: lookahead, expect, recovery.
import type { DiagnosticBag } from './diagnostics.ts';
import type { Token } from './lexer.ts';
import { span, type SourceFile, type Span } from './source.ts';

/** Thrown inside a parser to abandon the current construct; the caller recovers and goes on. */
export class SyntaxAbort extends Error {}

export interface QualifiedName {
  /** Dotted text, e.g. `kl.core.Core`. */
  readonly text: string;
  readonly span: Span;
}

export class Cursor {
  private pos = 0;
  readonly file: SourceFile;
  readonly tokens: readonly Token[];
  readonly diags: DiagnosticBag;

  constructor(file: SourceFile, tokens: readonly Token[], diags: DiagnosticBag) {
    this.file = file;
    this.tokens = tokens;
    this.diags = diags;
  }

  get peek(): Token { return this.tokens[this.pos]!; }
  peekAt(n: number): Token { return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)]!; }
  get previous(): Token { return this.tokens[Math.max(0, this.pos - 1)]!; }
  get atEnd(): boolean { return this.peek.kind === 'eof'; }
  get index(): number { return this.pos; }

  next(): Token {
    const t = this.peek;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  spanOf(t: Token): Span { return span(this.file, t.start, t.end); }
  spanFrom(startOffset: number): Span { return span(this.file, startOffset, Math.max(startOffset, this.previous.end)); }

  isPunct(p: string): boolean { const t = this.peek; return t.kind === 'punct' && t.text === p; }
  isWord(w: string): boolean { const t = this.peek; return t.kind === 'ident' && t.text === w; }

  eatPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.next();
    return true;
  }
  eatWord(w: string): boolean {
    if (!this.isWord(w)) return false;
    this.next();
    return true;
  }

  /** Reports "expected X, found Y" at the current token and aborts the construct. */
  fail(expected: string): never {
    const t = this.peek;
    const found = t.kind === 'eof' ? 'end of file' : t.kind === 'string' ? `string "${t.text}"` : `"${t.text}"`;
    this.diags.error(this.spanOf(t), `expected ${expected}, found ${found}`);
    throw new SyntaxAbort();
  }

  expectPunct(p: string, what = `"${p}"`): Token {
    if (!this.isPunct(p)) this.fail(what);
    return this.next();
  }
  expectWord(w: string): Token {
    if (!this.isWord(w)) this.fail(`"${w}"`);
    return this.next();
  }
  expectIdent(what = 'a name'): Token {
    if (this.peek.kind !== 'ident') this.fail(what);
    return this.next();
  }

  /** `a.b.C` — identifiers joined by dots with no whitespace rules (KOS names are dotted paths). */
  qualifiedName(what = 'a name'): QualifiedName {
    const first = this.expectIdent(what);
    let text = first.text;
    while (this.isPunct('.') && this.peekAt(1).kind === 'ident' && this.peekAt(1).start === this.peek.end) {
      this.next();
      text += '.' + this.next().text;
    }
    return { text, span: span(this.file, first.start, this.previous.end) };
  }

  /** Skips tokens until one of `stops` at brace depth 0 (not consumed) or past a closing brace of this level. */
  recover(stops: (t: Token) => boolean): void {
    let depth = 0;
    while (!this.atEnd) {
      const t = this.peek;
      if (depth === 0 && stops(t)) return;
      if (t.kind === 'punct' && t.text === '{') depth++;
      if (t.kind === 'punct' && t.text === '}') {
        if (depth === 0) return;
        depth--;
        this.next();
        if (depth === 0 && stops(this.peek)) return;
        continue;
      }
      this.next();
    }
  }
}
