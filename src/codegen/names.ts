// Identifier and file naming for generated code: IDL names → collision-free TypeScript names.
import type { Interface, SolutionModel, TypeDecl } from '../model/model.ts';

// IDL identifiers are [A-Za-z_][A-Za-z0-9_]*, so any name containing `$` is free for the generator's
// internal use (module aliases, codec helpers) and can never collide with a name from the IDL.

/**
 * Names an IDL-derived identifier must not take at module scope: JS/TS keywords, TS built-in type
 * names, and the globals generated code relies on. A clashing IDL name gets `_` appended.
 */
export const RESERVED: ReadonlySet<string> = new Set([
  // JavaScript reserved and strict-mode words
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof',
  'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void',
  'while', 'with', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected',
  'public', 'await', 'arguments', 'eval',
  // TypeScript keywords and built-in type names
  'any', 'unknown', 'never', 'number', 'bigint', 'boolean', 'string', 'symbol', 'object', 'undefined',
  'type', 'declare', 'namespace', 'module', 'abstract', 'as', 'async', 'from', 'get', 'set', 'of', 'is',
  'keyof', 'readonly', 'infer', 'asserts', 'satisfies', 'accessor', 'require', 'global', 'out', 'override',
  'unique', 'constructor',
  // globals used by generated code or likely to be (shadowing them would break it)
  'Array', 'ReadonlyArray', 'Uint8Array', 'DataView', 'ArrayBuffer', 'Promise', 'PromiseLike', 'Error',
  'Object', 'Number', 'BigInt', 'String', 'Boolean', 'Symbol', 'Math', 'JSON', 'Map', 'Set', 'Record',
  'Readonly', 'Partial', 'TextEncoder', 'TextDecoder', 'globalThis', 'NaN', 'Infinity',
]);

/**
 * Class member names that would change what a proxy object is: `constructor` would replace the
 * constructor and `then` would make proxies thenable (so `await proxy` would call it).
 */
const UNSAFE_MEMBERS: ReadonlySet<string> = new Set(['constructor', 'then']);

/** The last segment of a dotted name: `drone_controller.LoggerInterface` → `LoggerInterface`. */
export function lastSegment(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot + 1);
}

/** Output file of an IDL package: `drone_controller.LoggerInterface` → `drone_controller.LoggerInterface.idl.ts`. */
export function packageFile(pkg: string): string {
  return `${pkg}.idl.ts`;
}

/** Output file of a process class's dispatcher: `drone_controller.Logger` → `drone_controller.Logger.edl.ts`. */
export function classFile(cls: string): string {
  return `${cls}.edl.ts`;
}

/** Module-local alias under which one generated module imports another package's module. */
export function packageAlias(pkg: string): string {
  return `$p_${pkg.replaceAll('.', '$')}`;
}

/** Export name of a package (or, with `$class`, a process class) in index.ts: dots become `$`. */
export function indexName(name: string, suffix = ''): string {
  return name.replaceAll('.', '$') + suffix;
}

/** Property key in an object literal: `__proto__` would set the prototype instead of a field. */
export function propKey(name: string): string {
  return name === '__proto__' ? '["__proto__"]' : name;
}

/** Property access on a value. */
export function prop(obj: string, name: string): string {
  return name === '__proto__' ? `${obj}["__proto__"]` : `${obj}.${name}`;
}

/** Proxy/handler member name for an IDL method. */
export function memberName(method: string): string {
  return UNSAFE_MEMBERS.has(method) ? `${method}_` : method;
}

/** Hands out module-scope identifiers: the first claimant of a name keeps it, later ones get `_` appended. */
export class Scope {
  private readonly taken = new Set<string>(RESERVED);

  claim(wanted: string): string {
    let name = wanted;
    while (this.taken.has(name)) name += '_';
    this.taken.add(name);
    return name;
  }
}

export interface MethodNames {
  readonly member: string;
  readonly mid: string;
  readonly request: string;
  readonly response: string;
  readonly errorParams: string;
  readonly errorClass: string;
  readonly encodeRequest: string;
  readonly decodeRequest: string;
  readonly encodeResponse: string;
  readonly decodeResponse: string;
  readonly encodeError: string;
  readonly decodeError: string;
}

export interface InterfaceNames {
  /** Short interface name, the prefix of per-method names (`Ping` for package `examples.Ping`). */
  readonly short: string;
  readonly proxy: string;
  readonly handler: string;
  readonly dispatcher: string;
  readonly methods: ReadonlyMap<string, MethodNames>;
}

export interface PackageNames {
  readonly pkg: string;
  readonly file: string;
  /** Type declarations of this package, fully qualified name → TS name. */
  readonly types: ReadonlyMap<string, string>;
  /** Constants of this package, IDL name → TS name. */
  readonly constants: ReadonlyMap<string, string>;
  readonly iface: InterfaceNames | undefined;
}

export interface NameTable {
  readonly packages: ReadonlyMap<string, PackageNames>;
  /** Fully qualified type name → owning package. */
  readonly typeOwner: ReadonlyMap<string, string>;
}

/** The short name of a declaration (some producers qualify `decl.name`, some don't). */
export function declShortName(decl: TypeDecl): string {
  return decl.name.startsWith(`${decl.package}.`) ? decl.name.slice(decl.package.length + 1) : decl.name;
}

/** Declarations in source order (file, then position), name as tie-breaker: stable for any map order. */
export function sortDecls(decls: readonly (readonly [string, TypeDecl])[]): (readonly [string, TypeDecl])[] {
  return [...decls].sort(([an, a], [bn, b]) =>
    compare(a.span.file.path, b.span.file.path) || a.span.start - b.span.start || compare(an, bn));
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every package that needs a module: declared packages plus owners of types and interfaces. */
export function packageNames(model: SolutionModel): string[] {
  const set = new Set<string>(model.packages.keys());
  for (const decl of model.types.values()) set.add(decl.package);
  for (const iface of model.interfaces.values()) set.add(iface.name);
  return [...set].sort(compare);
}

/** Assigns every generated module-scope name, deterministically, before any code is emitted. */
export function buildNames(model: SolutionModel): NameTable {
  const byPackage = new Map<string, (readonly [string, TypeDecl])[]>();
  const typeOwner = new Map<string, string>();
  for (const [qualified, decl] of model.types) {
    typeOwner.set(qualified, decl.package);
    let list = byPackage.get(decl.package);
    if (!list) byPackage.set(decl.package, (list = []));
    list.push([qualified, decl]);
  }

  const packages = new Map<string, PackageNames>();
  for (const pkg of packageNames(model)) {
    const scope = new Scope();
    // IDL names claim first, so they keep their spelling unless they clash with a reserved word.
    const types = new Map<string, string>();
    for (const [qualified, decl] of sortDecls(byPackage.get(pkg) ?? [])) types.set(qualified, scope.claim(declShortName(decl)));
    const constants = new Map<string, string>();
    for (const c of model.packages.get(pkg)?.constants ?? []) constants.set(c.name, scope.claim(lastSegment(c.name)));
    const iface = model.interfaces.get(pkg);
    packages.set(pkg, { pkg, file: packageFile(pkg), types, constants, iface: iface && interfaceNames(iface, scope) });
  }
  return { packages, typeOwner };
}

function interfaceNames(iface: Interface, scope: Scope): InterfaceNames {
  const short = lastSegment(iface.name);
  const proxy = scope.claim(`${short}Proxy`);
  const handler = scope.claim(`${short}Handler`);
  const dispatcher = scope.claim(`create${short}Dispatcher`);
  const methods = new Map<string, MethodNames>();
  for (const m of [...iface.methods].sort((a, b) => a.mid - b.mid)) {
    const base = `${short}_${m.name}`;
    const request = scope.claim(`${base}_Request`);
    const response = scope.claim(`${base}_Response`);
    const errorParams = scope.claim(`${base}_ErrorParams`);
    methods.set(m.name, {
      member: memberName(m.name),
      mid: scope.claim(`${base}_MID`),
      request,
      response,
      errorParams,
      errorClass: scope.claim(`${base}_Error`),
      encodeRequest: scope.claim(`encode_${request}`),
      decodeRequest: scope.claim(`decode_${request}`),
      encodeResponse: scope.claim(`encode_${response}`),
      decodeResponse: scope.claim(`decode_${response}`),
      encodeError: scope.claim(`encode_${errorParams}`),
      decodeError: scope.claim(`decode_${errorParams}`),
    });
  }
  return { short, proxy, handler, dispatcher, methods };
}

/** Codec helper names of a struct or union (exported, so other packages' codecs can call them). */
export function encoderOf(tsName: string): string {
  return `$enc_${tsName}`;
}
export function decoderOf(tsName: string): string {
  return `$dec_${tsName}`;
}
