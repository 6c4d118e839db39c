// PAL (Policy Assertion Language) tests in compiled form, and default message values for them.
import type { Param, TypeDecl, TypeRef } from '../model/model.ts';
import { unalias } from '../model/wire-size.ts';
import type { EventKind, IrValue } from '../security/ir.ts';

/** A participant of a test case: a variable bound by `x <- execute`, or a class named directly. */
export interface PalRef {
  readonly variable?: string;
  readonly class: number;
}

export type PalStep =
  | { readonly k: 'bind'; readonly variable: string; readonly src: PalRef | undefined; readonly dst: PalRef; readonly origin: string }
  | {
    readonly k: 'case';
    readonly expect: 'grant' | 'deny' | 'any';
    readonly name: string | undefined;
    readonly event: EventKind;
    readonly src: PalRef | undefined;
    readonly dst: PalRef | undefined;
    readonly riid: number | undefined;
    readonly mid: number | undefined;
    readonly message: IrValue | undefined;
    /** Set when the message breaks its IDL types: the case is then denied before any rule. */
    readonly invalid?: string;
    readonly origin: string;
  };

export interface PalSequence {
  readonly name: string | undefined;
  readonly origin: string;
  readonly steps: readonly PalStep[];
}

export interface PalSuite {
  readonly name: string | undefined;
  readonly origin: string;
  readonly setup: readonly PalStep[];
  readonly sequences: readonly PalSequence[];
  readonly finally: readonly PalStep[];
}

/** A message with every parameter present: given values, else PAL defaults (0, "", empty). */
export function defaultMessage(params: readonly Param[], types: ReadonlyMap<string, TypeDecl>, given: IrValue | undefined): IrValue {
  const fields: [string, IrValue][] = params.map((p) => {
    const v = given?.t === 'dict' ? given.fields.find(([k]) => k === p.name)?.[1] : undefined;
    return [p.name, v ?? defaultValue(p.type, types, 0)];
  });
  return { t: 'dict', fields };
}

function defaultValue(type: TypeRef, types: ReadonlyMap<string, TypeDecl>, depth: number): IrValue {
  const t = unalias(type, types);
  if (depth > 32) return { t: 'unit' };
  switch (t.kind) {
    case 'int': return { t: 'int', v: '0' };
    case 'string': return { t: 'text', v: '' };
    case 'bytes': case 'sequence': return { t: 'list', items: [] };
    case 'array': return { t: 'list', items: Array.from({ length: Math.min(t.length, 4096) }, () => defaultValue(t.element, types, depth + 1)) };
    case 'handle': return { t: 'dict', fields: [['handle', { t: 'int', v: '0' }], ['rights', { t: 'int', v: '0' }]] };
    case 'ref': {
      const decl = types.get(t.name);
      if (!decl || decl.kind === 'typedef') return { t: 'unit' };
      if (decl.kind === 'union') {
        const first = decl.fields[0]!;
        return { t: 'dict', fields: [[first.name, defaultValue(first.type, types, depth + 1)]] };
      }
      return { t: 'dict', fields: decl.fields.map((f) => [f.name, defaultValue(f.type, types, depth + 1)] as [string, IrValue]) };
    }
  }
}

/**
 * Why a test message breaks its IDL types (the security module would never see it: the kernel
 * rejects such a message before any rule), or undefined when it fits.
 */
export function messageViolation(value: IrValue, params: readonly Param[], types: ReadonlyMap<string, TypeDecl>): string | undefined {
  if (value.t !== 'dict') return 'the message must be a record of parameters';
  for (const p of params) {
    const v = value.fields.find(([k]) => k === p.name)?.[1];
    const why = v === undefined ? 'missing' : violation(v, p.type, types, 0);
    if (why) return `${p.name}: ${why}`;
  }
  return undefined;
}

function violation(v: IrValue, type: TypeRef, types: ReadonlyMap<string, TypeDecl>, depth: number): string | undefined {
  const t = unalias(type, types);
  if (depth > 64) return 'nested too deeply';
  switch (t.kind) {
    case 'int': {
      if (v.t !== 'int') return `expected an integer (${t.name})`;
      const n = BigInt(v.v);
      const bits = BigInt(t.bytes * 8);
      const min = t.signed ? -(1n << (bits - 1n)) : 0n;
      const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
      return n < min || n > max ? `${n} does not fit ${t.name}` : undefined;
    }
    case 'string': {
      if (v.t !== 'text') return 'expected a string';
      const bytes = new TextEncoder().encode(v.v).length;
      return bytes > t.max ? `string of ${bytes} bytes exceeds string<${t.max}>` : v.v.includes('\0') ? 'string contains NUL' : undefined;
    }
    case 'bytes':
    case 'sequence':
    case 'array': {
      if (v.t !== 'list') return 'expected a list';
      const bound = t.kind === 'array' ? t.length : t.max;
      if (t.kind === 'array' ? v.items.length !== bound : v.items.length > bound) {
        return `${v.items.length} elements ${t.kind === 'array' ? `but array<…, ${bound}> needs exactly ${bound}` : `exceed the bound ${bound}`}`;
      }
      const element: TypeRef = t.kind === 'bytes' ? { kind: 'int', name: 'UInt8', bytes: 1, signed: false } : t.element;
      for (const [i, item] of v.items.entries()) {
        const why = violation(item, element, types, depth + 1);
        if (why) return `[${i}]: ${why}`;
      }
      return undefined;
    }
    case 'handle':
      return v.t === 'dict' || v.t === 'int' ? undefined : 'expected a handle {handle, rights}';
    case 'ref': {
      const decl = types.get(t.name);
      if (!decl || decl.kind === 'typedef') return undefined;
      if (v.t !== 'dict') return `expected a ${decl.kind} record`;
      if (decl.kind === 'union') {
        if (v.fields.length !== 1) return `a union value names exactly one member of ${decl.fields.map((f) => f.name).join(', ')}`;
        const [name, inner] = v.fields[0]!;
        const member = decl.fields.find((f) => f.name === name);
        return member ? violation(inner, member.type, types, depth + 1) : `${name} is not a member of union ${decl.name}`;
      }
      for (const [name] of v.fields) if (!decl.fields.some((f) => f.name === name)) return `${name} is not a field of struct ${decl.name}`;
      for (const f of decl.fields) {
        const inner = v.fields.find(([k]) => k === f.name)?.[1];
        const why = inner === undefined ? undefined : violation(inner, f.type, types, depth + 1);
        if (why) return `${f.name}: ${why}`;
      }
      return undefined;
    }
  }
}
