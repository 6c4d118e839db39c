// Test helpers for codegen: build a SolutionModel from a compact description, and load generated code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate } from '../../src/codegen/generate.ts';
import { makeSource, type Span } from '../../src/lang/source.ts';
import type {
  Component, Constant, IntName, Interface, Method, Package, ProcessClass, SolutionModel, TypeDecl, TypeRef,
} from '../../src/model/model.ts';
import { messageLayout } from '../../src/model/wire-size.ts';

const INTS: Record<IntName, { bytes: 1 | 2 | 4 | 8; signed: boolean }> = {
  UInt8: { bytes: 1, signed: false }, SInt8: { bytes: 1, signed: true },
  UInt16: { bytes: 2, signed: false }, SInt16: { bytes: 2, signed: true },
  UInt32: { bytes: 4, signed: false }, SInt32: { bytes: 4, signed: true },
  UInt64: { bytes: 8, signed: false }, SInt64: { bytes: 8, signed: true },
  UIntSize: { bytes: 8, signed: false }, UIntPtr: { bytes: 8, signed: false },
};

export const INT_NAMES = Object.keys(INTS) as IntName[];

function int(name: IntName): TypeRef {
  return { kind: 'int', name, ...INTS[name] };
}

/** TypeRef constructors. */
export const t = {
  int,
  u8: int('UInt8'), s8: int('SInt8'), u16: int('UInt16'), s16: int('SInt16'),
  u32: int('UInt32'), s32: int('SInt32'), u64: int('UInt64'), s64: int('SInt64'),
  handle: (iface?: string): TypeRef => ({ kind: 'handle', iface }),
  str: (max: number): TypeRef => ({ kind: 'string', max }),
  bytes: (max: number): TypeRef => ({ kind: 'bytes', max }),
  arr: (element: TypeRef, length: number): TypeRef => ({ kind: 'array', element, length }),
  seq: (element: TypeRef, max: number): TypeRef => ({ kind: 'sequence', element, max }),
  ref: (name: string): TypeRef => ({ kind: 'ref', name }),
};

export type FieldSpec = readonly (readonly [string, TypeRef])[];

export type TypeSpec =
  | { readonly struct: FieldSpec }
  | { readonly union: FieldSpec }
  | { readonly typedef: TypeRef };

export interface MethodSpec {
  readonly in?: FieldSpec;
  readonly out?: FieldSpec;
  readonly error?: FieldSpec;
}

export interface PackageSpec {
  readonly constants?: readonly (readonly [string, TypeRef, bigint])[];
  /** Declaration order is kept (the generator orders declarations by source position). */
  readonly types?: Readonly<Record<string, TypeSpec>>;
  /** Present (even empty) when the package declares an interface; MIDs follow key order. */
  readonly methods?: Readonly<Record<string, MethodSpec>>;
}

export interface ModelSpec {
  readonly packages: Readonly<Record<string, PackageSpec>>;
  /** Process class → endpoints as [qualified name, interface package], RIIDs in order. */
  readonly classes?: Readonly<Record<string, readonly (readonly [string, string])[]>>;
}

/** A SolutionModel as the resolver would produce it, from a compact description. */
export function buildModel(spec: ModelSpec): SolutionModel {
  let offset = 0;
  const spanIn = (file: string): Span => {
    const start = offset++;
    return { file: makeSource(file, ''), start, end: start };
  };
  const fields = (list: FieldSpec | undefined) => (list ?? []).map(([name, type]) => ({ name, type }));

  const types = new Map<string, TypeDecl>();
  const packages = new Map<string, Package>();
  const interfaces = new Map<string, Interface>();
  for (const [pkg, p] of Object.entries(spec.packages)) {
    const file = `${pkg.replaceAll('.', '/')}.idl`;
    const typeNames: string[] = [];
    for (const [name, ts] of Object.entries(p.types ?? {})) {
      const qualified = `${pkg}.${name}`;
      typeNames.push(qualified);
      const span = spanIn(file);
      const decl: TypeDecl = 'struct' in ts ? { kind: 'struct', name, package: pkg, fields: fields(ts.struct), span }
        : 'union' in ts ? { kind: 'union', name, package: pkg, fields: fields(ts.union), span }
        : { kind: 'typedef', name, package: pkg, target: ts.typedef, span };
      types.set(qualified, decl);
    }
    const constants: Constant[] = (p.constants ?? []).map(([name, type, value]) => ({ name, package: pkg, type, value }));
    packages.set(pkg, { name: pkg, path: file, imports: [], constants, types: typeNames, interface: p.methods ? pkg : undefined });
  }
  // Layouts need every type declared first (packages may reference each other).
  for (const [pkg, p] of Object.entries(spec.packages)) {
    if (!p.methods) continue;
    const file = `${pkg.replaceAll('.', '/')}.idl`;
    const methods: Method[] = Object.entries(p.methods).map(([name, m], mid) => ({
      name,
      mid,
      request: messageLayout(fields(m.in), types),
      response: messageLayout(fields(m.out), types),
      error: messageLayout(fields(m.error), types),
      span: spanIn(file),
    }));
    interfaces.set(pkg, { name: pkg, methods, span: spanIn(file) });
  }

  const components = new Map<string, Component>();
  const classes = new Map<string, ProcessClass>();
  for (const [name, eps] of Object.entries(spec.classes ?? {})) {
    const file = `${name.replaceAll('.', '/')}.edl`;
    const component: Component = {
      name, isClass: true, form: 'task class', security: undefined,
      endpoints: eps.map(([qn, iface]) => ({ name: qn, iface })), instances: [], path: file, span: spanIn(file),
    };
    components.set(name, component);
    classes.set(name, { name, component, endpoints: eps.map(([qualifiedName, iface], riid) => ({ qualifiedName, riid, iface, components: [] })) });
  }
  return { root: '/solution', packages, types, interfaces, components, classes, tasks: [], channels: [] };
}

/** Writes generated files into a fresh temp dir (an ES module package) and returns its path. */
export function writeGenerated(files: ReadonlyMap<string, string>, prefix = 'citadel-codegen-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** The runtime module as copied into an output dir (a separate instance per dir: its own CodecError class). */
export type Wire = typeof import('../../src/entity/wire.ts');

/** Generates code for a model, writes it out and imports one module of it (plus the runtime). */
export async function loadGenerated<M = Record<string, unknown>>(
  model: SolutionModel, file: string,
): Promise<{ dir: string; mod: M; wire: Wire }> {
  const dir = writeGenerated(generate(model));
  return { dir, mod: await importFrom<M>(dir, file), wire: await importFrom<Wire>(dir, 'wire.ts') };
}

/** Imports one more module of an already written output dir. */
export async function importFrom<M = Record<string, unknown>>(dir: string, file: string): Promise<M> {
  return (await import(pathToFileURL(path.join(dir, file)).href)) as M;
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A model exercising every generator feature: all integer widths, handles, bytes, strings, arrays,
 * sequences, nested structs/unions/typedefs across packages (with an import cycle), names that
 * clash with TS keywords/globals or generated names, empty messages, structs, unions and interfaces,
 * constants, and process classes with nested endpoints.
 */
export function representativeModel(): SolutionModel {
  return buildModel({
    packages: {
      'geo.Types': {
        constants: [['MAX_NAME', t.u32, 16n], ['MIN_OFFSET', t.s64, -(2n ** 63n)], ['SIZE', t.int('UIntSize'), 2n ** 64n - 1n]],
        types: {
          Name: { typedef: t.str(16) },
          Alias: { typedef: t.ref('geo.Types.Name') },
          Point: { struct: [['x', t.s32], ['y', t.s32]] },
          Shape: { union: [['point', t.ref('geo.Types.Point')], ['label', t.ref('geo.Types.Alias')], ['big', t.u64], ['tiny', t.u8]] },
          Array: { struct: [['delete', t.u8], ['pts', t.seq(t.ref('geo.Types.Point'), 4)], ['m', t.arr(t.arr(t.u16, 2), 3)]] },
          Empty: { struct: [] },
          Nothing: { union: [] },
          Linked: { struct: [['peer', t.ref('app.Echo.Payload')], ['other', t.seq(t.ref('app.Echo.Payload'), 2)]] },
          PingProxy: { typedef: t.u8 },
          ['__proto__']: { struct: [['__proto__', t.u8], ['constructor', t.s8]] },
        },
      },
      'app.Echo': {
        constants: [['LIMIT', t.u16, 3n]],
        types: {
          Payload: {
            struct: [
              ['u8', t.u8], ['s8', t.s8], ['u16', t.u16], ['s16', t.s16], ['u32', t.u32], ['s32', t.s32],
              ['u64', t.u64], ['s64', t.s64], ['size', t.int('UIntSize')], ['ptr', t.int('UIntPtr')],
              ['h', t.handle()], ['hi', t.handle('app.Echo')], ['data', t.bytes(8)], ['text', t.str(12)],
              ['grid', t.arr(t.s8, 4)], ['list', t.seq(t.str(4), 3)], ['none', t.seq(t.u8, 0)], ['zero', t.arr(t.u32, 0)],
            ],
          },
          Choice: { union: [['num', t.s32], ['payload', t.ref('app.Echo.Payload')], ['shape', t.ref('geo.Types.Shape')], ['list', t.seq(t.ref('geo.Types.Name'), 2)]] },
        },
        methods: {
          Echo: { in: [['value', t.ref('app.Echo.Choice')], ['tag', t.u8]], out: [['value', t.ref('app.Echo.Choice')], ['count', t.u32]], error: [['code', t.s32], ['reason', t.str(32)]] },
          Reset: {},
          // 'constructor' needs an explicit type: contextual typing sees Object.prototype.constructor.
          ['constructor']: { in: [['h', t.handle()]] } as MethodSpec,
          then: { out: [['at', t.ref('geo.Types.Array')]] },
          Sum: { in: [['values', t.seq(t.s64, 8)]], out: [['sum', t.s64]], error: [['overflow', t.u8]] },
        },
      },
      'app.Nothing': { methods: {} },
      single: { types: { wire: { struct: [['a', t.u8]] } }, methods: { Get: { out: [['w', t.ref('single.wire')]] } } },
    },
    classes: {
      'app.Server': [['echo', 'app.Echo'], ['inner.echo', 'app.Echo'], ['inner.deep.nothing', 'app.Nothing'], ['single', 'single']],
      'app.Idle': [],
    },
  });
}
