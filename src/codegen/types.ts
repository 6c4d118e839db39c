// TypeScript declarations for IDL types and message param objects (mapping per docs/wire-format.md).
import type { Param, TypeDecl, TypeRef } from '../model/model.ts';
import { Code, lit, type ModuleContext } from './emit.ts';
import { propKey } from './names.ts';

/** The TS type of a value of IDL type `t`. */
export function tsType(t: TypeRef, mod: ModuleContext): string {
  switch (t.kind) {
    case 'int': return t.bytes === 8 ? 'bigint' : 'number';
    case 'handle': return '$w.HandleRef';
    case 'bytes': return 'Uint8Array';
    case 'string': return 'string';
    // Element types never need parentheses: composite types are always named.
    case 'array': return `${tsType(t.element, mod)}[]`;
    case 'sequence': return `${tsType(t.element, mod)}[]`;
    case 'ref': return mod.typeRef(t.name);
  }
}

/** The IDL spelling of a type, for doc comments where the TS type loses bounds or widths. */
export function idlText(t: TypeRef): string {
  switch (t.kind) {
    case 'int': return t.name;
    case 'handle': return t.iface === undefined ? 'Handle' : `handle<${t.iface}>`;
    case 'bytes': return `bytes<${t.max}>`;
    case 'string': return `string<${t.max}>`;
    case 'array': return `array<${idlText(t.element)}, ${t.length}>`;
    case 'sequence': return `sequence<${idlText(t.element)}, ${t.max}>`;
    case 'ref': return t.name;
  }
}

/** A trailing comment with the IDL type, where the TS type loses its width or bounds (not for named types). */
function idlComment(t: TypeRef): string {
  return t.kind === 'ref' ? '' : ` // ${idlText(t)}`;
}

/** An object type with one property per field/param; empty ones become `Record<string, never>`. */
function objectType(code: Code, name: string, fields: readonly Param[], mod: ModuleContext, doc: string): void {
  code.line(`/** ${doc} */`);
  if (fields.length === 0) {
    code.line(`export type ${name} = Record<string, never>;`);
    return;
  }
  code.open(`export interface ${name} {`);
  for (const f of fields) code.line(`${propKey(f.name)}: ${tsType(f.type, mod)};${idlComment(f.type)}`);
  code.close();
}

/** The TS declaration of one IDL struct, union or typedef. */
export function emitTypeDecl(code: Code, qualified: string, decl: TypeDecl, tsName: string, mod: ModuleContext): void {
  switch (decl.kind) {
    case 'struct':
      objectType(code, tsName, decl.fields, mod, `IDL struct ${qualified}.`);
      return;
    case 'union':
      code.line(`/** IDL union ${qualified}: the member named by \`tag\` is active. */`);
      if (decl.fields.length === 0) {
        code.line(`export type ${tsName} = never;`);
        return;
      }
      code.line(`export type ${tsName} =`);
      decl.fields.forEach((f, i) => {
        const end = i === decl.fields.length - 1 ? ';' : '';
        code.line(`  | { tag: ${lit(f.name)}; value: ${tsType(f.type, mod)} }${end}${idlComment(f.type)}`);
      });
      return;
    case 'typedef':
      code.line(`/** IDL typedef ${qualified} = ${idlText(decl.target)}. */`);
      code.line(`export type ${tsName} = ${tsType(decl.target, mod)};`);
      return;
  }
}

/** The params object type of one message (request, response or error). */
export function emitParamsType(code: Code, name: string, params: readonly Param[], mod: ModuleContext, doc: string): void {
  objectType(code, name, params, mod, doc);
}
