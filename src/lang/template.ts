// Renders CMake `configure_file` placeholders (`@NAME@`) and Jinja conditionals (`{% if %}`,
// `{{ NAME }}`, `{# #}`) in KasperskyOS spec templates, keeping a map back to the template so
// diagnostics point at the template's own lines.
import type { DiagnosticBag } from './diagnostics.ts';
import { makeSource, span, type SourceFile, type SourceOrigin } from './source.ts';

export type Defines = ReadonlyMap<string, string>;

/** Values for placeholders nobody defined; `sdkPlaceholderDefault` when not given. */
export type SdkDefaults = (name: string) => string | undefined;

/** Values the KasperskyOS SDK's CMake gives its own placeholders when nothing else is known. */
export function sdkPlaceholderDefault(name: string): string | undefined {
  if (name === 'INIT_EXTERNAL_ENTITIES' || name === 'INIT_EXTERNAL_ENTITIES+') return '';
  if (/^INIT_.+_ENTITY_(CONNECTIONS|ENV|ARGS)\+?$/.test(name)) return '';
  const path = /^INIT_(.+)_PATH$/.exec(name);
  if (path) return path[1]!;
  if (name === 'ROOTFS_ENTITY') return 'kl.VfsRamFs';
  return undefined;
}

export function isTemplate(text: string): boolean {
  return /@[A-Za-z_][A-Za-z0-9_]*\+?@/.test(text) || /\{[%{#]/.test(text);
}

interface Frame {
  /** Whether text in the current branch is emitted. */
  active: boolean;
  /** Whether some branch of this if-chain was already taken. */
  taken: boolean;
  /** Whether the enclosing context is active. */
  parentActive: boolean;
  sawElse: boolean;
  start: number;
}

export function renderTemplate(file: SourceFile, defines: Defines, diags: DiagnosticBag, sdkDefaults: SdkDefaults = sdkPlaceholderDefault): SourceFile {
  const text = file.text;
  if (!isTemplate(text)) return file;
  let out = '';
  const segments: { out: number; orig: number; length: number; copied: boolean; origLength?: number }[] = [];
  const stack: Frame[] = [];
  const active = () => stack.length === 0 || stack[stack.length - 1]!.active;
  const warned = new Set<string>();

  const copy = (from: number, to: number) => {
    if (to <= from || !active()) return;
    const last = segments[segments.length - 1];
    if (last && last.copied && last.orig + last.length === from && last.out + last.length === out.length) last.length += to - from;
    else segments.push({ out: out.length, orig: from, length: to - from, copied: true });
    out += text.slice(from, to);
  };
  const substitute = (at: number, origLength: number, value: string) => {
    if (!active() || value.length === 0) return;
    segments.push({ out: out.length, orig: at, length: value.length, copied: false, origLength });
    out += value;
  };

  let i = 0;
  let plainStart = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{' && (text[i + 1] === '%' || text[i + 1] === '{' || text[i + 1] === '#')) {
      const open = text[i + 1]!;
      const close = open === '{' ? '}}' : open + '}';
      const end = text.indexOf(close, i + 2);
      if (end < 0) {
        diags.error(span(file, i, i + 2), `unterminated template tag "{${open}": no closing "${close}"`);
        break;
      }
      copy(plainStart, i);
      const inner = text.slice(i + 2, end).replace(/^-/, '').replace(/-$/, '').trim();
      if (open === '%') directive(inner, i, end + 2);
      else if (open === '{') substitute(i, end + 2 - i, evaluate(inner, i, end + 2).text);
      i = end + 2;
      plainStart = i;
      continue;
    }
    if (ch === '@') {
      const m = /^@([A-Za-z_][A-Za-z0-9_]*\+?)@/.exec(text.slice(i, i + 256));
      if (m) {
        copy(plainStart, i);
        const name = m[1]!;
        let value = defines.get(name) ?? defines.get(name.replace(/\+$/, ''));
        if (value === undefined) value = sdkDefaults(name);
        if (value === undefined) {
          // Inside a dotted name (`helloworld.@MAIN_TASK@`) an empty value would break the name,
          // so there the placeholder stands for itself; elsewhere it renders empty.
          const inName = /[A-Za-z0-9_.]/.test(text[i - 1] ?? '') || /[A-Za-z0-9_]/.test(text[i + m[0].length] ?? '');
          value = inName ? name.replace(/\+$/, '') : '';
          if (active() && !warned.has(name)) {
            warned.add(name);
            diags.warning(span(file, i, i + m[0].length), `template placeholder @${name}@ has no value and is rendered ${inName ? `as "${value}"` : 'empty'} (define it with -D ${name}=VALUE)`);
          }
        }
        substitute(i, m[0].length, value);
        i += m[0].length;
        plainStart = i;
        continue;
      }
    }
    i++;
  }
  copy(plainStart, Math.min(i, text.length));
  for (const f of stack) diags.error(span(file, f.start, f.start + 2), '"{% if %}" has no matching "{% endif %}"');

  const origin: SourceOrigin = { file, segments };
  return makeSource(file.path, out, origin);

  function directive(inner: string, start: number, end: number): void {
    const at = span(file, start, end);
    const [, word = '', rest = ''] = /^(\w+)\s*([\s\S]*)$/.exec(inner) ?? [];
    const top = stack[stack.length - 1];
    switch (word) {
      case 'if': {
        const parentActive = active();
        const empty = rest.trim() === '';
        if (empty) diags.error(at, '"{% if %}" needs a condition');
        const cond = parentActive && !empty && evaluate(rest, start, end).truthy;
        stack.push({ active: cond, taken: cond, parentActive, sawElse: false, start });
        return;
      }
      case 'elif': {
        if (!top || top.sawElse) { diags.error(at, top ? '"{% elif %}" after "{% else %}"' : '"{% elif %}" without "{% if %}"'); return; }
        const empty = rest.trim() === '';
        if (empty) diags.error(at, '"{% elif %}" needs a condition');
        const cond = top.parentActive && !top.taken && !empty && evaluate(rest, start, end).truthy;
        top.active = cond;
        top.taken ||= cond;
        return;
      }
      case 'else':
        if (!top || top.sawElse) { diags.error(at, top ? 'a second "{% else %}" in one "{% if %}"' : '"{% else %}" without "{% if %}"'); return; }
        top.sawElse = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        return;
      case 'endif':
        if (!top) { diags.error(at, '"{% endif %}" without "{% if %}"'); return; }
        stack.pop();
        return;
      default:
        diags.error(at, `unsupported template directive "${word || inner}" (Citadel renders if/elif/else/endif)`);
    }
  }

  /** Jinja expressions over -D values: names, literals, ==, !=, not, and, or, parentheses. */
  function evaluate(expr: string, start: number, end: number): { truthy: boolean; text: string } {
    const tokens = expr.match(/"[^"]*"|'[^']*'|==|!=|\(|\)|[A-Za-z_][A-Za-z0-9_]*|-?\d+|\S/g) ?? [];
    let pos = 0;
    const fail = (): never => { throw new SyntaxError(); };
    const value = (tok: string | undefined): string | undefined => {
      if (tok === undefined) return fail();
      if (/^["']/.test(tok)) return tok.slice(1, -1);
      if (/^-?\d+$/.test(tok)) return tok;
      if (tok === 'true' || tok === 'True') return 'true';
      if (tok === 'false' || tok === 'False' || tok === 'none' || tok === 'None') return undefined;
      if (/^[A-Za-z_]/.test(tok)) return defines.get(tok);
      return fail();
    };
    const truthy = (v: string | undefined) => v !== undefined && !/^(|0|false|off|no)$/i.test(v);
    const primary = (): { v: string | undefined } => {
      const tok = tokens[pos++];
      if (tok === 'not') return { v: truthy(primary().v) ? undefined : 'true' };
      if (tok === '(') {
        const inner = or();
        if (tokens[pos++] !== ')') fail();
        return inner;
      }
      const left = value(tok);
      const op = tokens[pos];
      if (op === '==' || op === '!=') {
        pos++;
        const right = value(tokens[pos++]);
        return { v: ((left ?? '') === (right ?? '')) === (op === '==') ? 'true' : undefined };
      }
      return { v: left };
    };
    const and = (): { v: string | undefined } => {
      let left = primary();
      while (tokens[pos] === 'and') { pos++; const right = primary(); left = { v: truthy(left.v) && truthy(right.v) ? 'true' : undefined }; }
      return left;
    };
    const or = (): { v: string | undefined } => {
      let left = and();
      while (tokens[pos] === 'or') { pos++; const right = and(); left = { v: truthy(left.v) || truthy(right.v) ? 'true' : undefined }; }
      return left;
    };
    try {
      const result = or();
      if (pos !== tokens.length) fail();
      return { truthy: truthy(result.v), text: result.v ?? '' };
    } catch {
      diags.error(span(file, start, end), `cannot read template expression "${expr}"`);
      return { truthy: false, text: '' };
    }
  }
}
