// Constant PSL values (object configs, audit profiles, PAL messages) → JSON-safe IR values.
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import type { PslExpr, RecordKey } from '../lang/psl-ast.ts';
import type { IrValue } from '../security/ir.ts';

export function recordKeyText(key: RecordKey): string {
  return key.kind === 'ident' ? key.text : key.kind === 'string' ? key.value : key.value.toString();
}

/** Evaluates an expression that must be a constant; reports and returns undefined otherwise. */
export function constValue(e: PslExpr, diags: DiagnosticBag, what: string): IrValue | undefined {
  switch (e.kind) {
    case 'int': return { t: 'int', v: e.value.toString() };
    case 'string': return { t: 'text', v: e.value };
    case 'bool': return { t: 'bool', v: e.value };
    case 'unit': return { t: 'unit' };
    case 'unary':
      if (e.op === '-' && e.operand.kind === 'int') return { t: 'int', v: (-e.operand.value).toString() };
      break;
    case 'name':
      if (e.name.text === 'true' || e.name.text === 'false') return { t: 'bool', v: e.name.text === 'true' };
      break;
    case 'list': {
      const items: IrValue[] = [];
      for (const item of e.items) {
        const v = constValue(item, diags, what);
        if (!v) return undefined;
        items.push(v);
      }
      return { t: 'list', items };
    }
    case 'record': {
      const fields: [string, IrValue][] = [];
      const seen = new Set<string>();
      for (const entry of e.entries) {
        const key = recordKeyText(entry.key);
        if (seen.has(key)) {
          diags.error(entry.key.span, `duplicate key "${key}" in ${what}`);
          return undefined;
        }
        seen.add(key);
        const v = constValue(entry.value, diags, what);
        if (!v) return undefined;
        fields.push([key, v]);
      }
      return { t: 'dict', fields };
    }
    default:
      break;
  }
  diags.error(e.span, `${what} must be a constant (literals, lists and records only)`);
  return undefined;
}

export function dictGet(v: IrValue | undefined, key: string): IrValue | undefined {
  return v?.t === 'dict' ? v.fields.find(([k]) => k === key)?.[1] : undefined;
}

export function textList(v: IrValue | undefined): string[] | undefined {
  if (v?.t !== 'list') return undefined;
  const out: string[] = [];
  for (const item of v.items) {
    if (item.t !== 'text') return undefined;
    out.push(item.v);
  }
  return out;
}

export function describeValue(v: IrValue): string {
  switch (v.t) {
    case 'int': return v.v;
    case 'text': return JSON.stringify(v.v);
    case 'bool': return String(v.v);
    case 'unit': return '()';
    case 'list': return `[${v.items.map(describeValue).join(', ')}]`;
    case 'dict': return `{${v.fields.map(([k, x]) => `${k} : ${describeValue(x)}`).join(', ')}}`;
  }
}
