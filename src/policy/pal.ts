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
