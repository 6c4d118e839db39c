// Wire sizes of IDL types in Citadel's message layout (docs/wire-format.md): a packed
// little-endian fixed part, with variable-size data in the arena behind 8-byte descriptors.
import type { MessageLayout, Param, TypeDecl, TypeRef, WireSize } from './model.ts';

/** Bytes an arena descriptor takes in the fixed part: u32 offset + u32 size/count. */
export const DESCRIPTOR_BYTES = 8;
/** Bytes a handle takes in the fixed part: u32 slot + u32 rights mask. */
export const HANDLE_BYTES = 8;
/** Bytes of a union tag. */
export const UNION_TAG_BYTES = 4;

export type TypeTable = ReadonlyMap<string, TypeDecl>;

/** Follows typedefs until a non-typedef type; `ref`s to structs/unions stay refs. */
export function unalias(type: TypeRef, types: TypeTable): TypeRef {
  let t = type;
  for (let guard = 0; t.kind === 'ref' && guard < 1000; guard++) {
    const decl = types.get(t.name);
    if (!decl || decl.kind !== 'typedef') return t;
    t = decl.target;
  }
  return t;
}

export function wireSize(type: TypeRef, types: TypeTable, memo = new Map<string, WireSize>()): WireSize {
  switch (type.kind) {
    case 'int': return { fixed: type.bytes, arenaMax: 0, handles: 0 };
    case 'handle': return { fixed: HANDLE_BYTES, arenaMax: 0, handles: 1 };
    case 'bytes': return { fixed: DESCRIPTOR_BYTES, arenaMax: type.max, handles: 0 };
    case 'string': return { fixed: DESCRIPTOR_BYTES, arenaMax: type.max + 1, handles: 0 };
    case 'array': {
      const e = wireSize(type.element, types, memo);
      return { fixed: e.fixed * type.length, arenaMax: e.arenaMax * type.length, handles: e.handles * type.length };
    }
    case 'sequence': {
      const e = wireSize(type.element, types, memo);
      return { fixed: DESCRIPTOR_BYTES, arenaMax: (e.fixed + e.arenaMax) * type.max, handles: e.handles * type.max };
    }
    case 'ref': {
      const cached = memo.get(type.name);
      if (cached) return cached;
      const decl = types.get(type.name);
      if (!decl) throw new Error(`internal: unresolved type ${type.name}`);
      let size: WireSize;
      if (decl.kind === 'typedef') size = wireSize(decl.target, types, memo);
      else if (decl.kind === 'struct') size = sumSizes(decl.fields.map((f) => wireSize(f.type, types, memo)));
      else {
        const members = decl.fields.map((f) => wireSize(f.type, types, memo));
        size = {
          fixed: UNION_TAG_BYTES + Math.max(0, ...members.map((m) => m.fixed)),
          arenaMax: Math.max(0, ...members.map((m) => m.arenaMax)),
          handles: Math.max(0, ...members.map((m) => m.handles)),
        };
      }
      memo.set(type.name, size);
      return size;
    }
  }
}

function sumSizes(sizes: readonly WireSize[]): WireSize {
  let fixed = 0, arenaMax = 0, handles = 0;
  for (const s of sizes) { fixed += s.fixed; arenaMax += s.arenaMax; handles += s.handles; }
  return { fixed, arenaMax, handles };
}

export function messageLayout(params: readonly Param[], types: TypeTable): MessageLayout {
  const memo = new Map<string, WireSize>();
  return { params, size: sumSizes(params.map((p) => wireSize(p.type, types, memo))) };
}
