// Tokenizer shared by IDL, CDL, EDL and PSL: identifiers, integers, strings, punctuation, comments.
import type { DiagnosticBag } from './diagnostics.ts';
import { span, type SourceFile, type Span } from './source.ts';

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Raw text for ident/punct/number; the decoded value for strings. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Integer value for number tokens. */
  readonly value?: bigint;
  /** True when a line break separates this token from the previous one (PSL continuation rules). */
  readonly newlineBefore: boolean;
}

// Longest first. `<` and `>` stay single so `sequence<sequence<UInt8,2>,3>` lexes; the IDL
// expression parser recognises `<<`/`>>` as two adjacent tokens.
const PUNCTUATION = [
  '==>', '<-', '~>', '==', '!=', '<=', '>=', '&&', '||', '**',
  '{', '}', '(', ')', '[', ']', '<', '>', ',', ';', ':', '=', '.', '+', '-', '*', '/', '|', '&', '~', '!', '%', '^',
];

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(file: SourceFile, diags: DiagnosticBag): Token[] {
  const text = file.text;
  const tokens: Token[] = [];
  let i = 0;
  let newline = true;
  const at = (s: number, e: number): Span => span(file, s, e);

  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 10) { newline = true; i++; continue; }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 0xfeff) { i++; continue; }
    if (c === 47 && text.charCodeAt(i + 1) === 47) { // line comment
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) { // block comment
      const close = text.indexOf('*/', i + 2);
      if (close < 0) {
        diags.error(at(i, i + 2), 'unterminated comment: "/*" has no matching "*/"');
        i = text.length;
        break;
      }
      if (text.slice(i, close).includes('\n')) newline = true;
      i = close + 2;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), start, end: i, newlineBefore: newline });
    } else if (isDigit(c)) {
      const lit = readNumber(text, i);
      i = lit.end;
      if (lit.value === undefined) diags.error(at(start, i), `malformed integer literal "${text.slice(start, i)}"`);
      tokens.push({ kind: 'number', text: text.slice(start, i), start, end: i, value: lit.value ?? 0n, newlineBefore: newline });
    } else if (c === 34) {
      const str = readString(text, i);
      i = str.end;
      if (!str.closed) diags.error(at(start, start + 1), 'unterminated string literal');
      tokens.push({ kind: 'string', text: str.value, start, end: i, newlineBefore: newline });
    } else {
      const p = PUNCTUATION.find((q) => text.startsWith(q, i));
      if (p === undefined) {
        const ch = String.fromCodePoint(text.codePointAt(i)!);
        diags.error(at(i, i + ch.length), `unexpected character "${ch}"`);
        i += ch.length;
        continue;
      }
      i += p.length;
      tokens.push({ kind: 'punct', text: p, start, end: i, newlineBefore: newline });
    }
    newline = false;
  }
  tokens.push({ kind: 'eof', text: '<end of file>', start: text.length, end: text.length, newlineBefore: true });
  return tokens;
}

function readNumber(text: string, i: number): { end: number; value: bigint | undefined } {
  const start = i;
  while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
  const raw = text.slice(start, i).replaceAll("'", '');
  let value: bigint | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(raw) || /^0[bB][01]+$/.test(raw)) value = BigInt(raw);
  else if (/^0[oO][0-7]+$/.test(raw)) value = BigInt(raw);
  else if (/^0[0-7]+$/.test(raw)) value = BigInt('0o' + raw.slice(1)); // C-style octal
  else if (/^(0|[1-9][0-9]*)$/.test(raw)) value = BigInt(raw);
  return { end: i, value };
}

function readString(text: string, i: number): { end: number; value: string; closed: boolean } {
  let value = '';
  i++; // opening quote
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') return { end: i + 1, value, closed: true };
    if (ch === '\n') break;
    if (ch === '\\' && i + 1 < text.length) {
      const esc = text[i + 1]!;
      value += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : esc === '0' ? '\0' : esc;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  return { end: i, value, closed: false };
}
