// Emission plumbing shared by the generator's modules: an indenting line buffer and per-module context.
import type { SolutionModel, TypeRef, WireSize } from '../model/model.ts';
import { wireSize } from '../model/wire-size.ts';
import { packageAlias, type NameTable } from './names.ts';

/** Lines of TypeScript with two-space indentation. */
export class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ''): void {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }

  /** A line that opens a block (`{` at its end); the following lines are indented. */
  open(text: string): void {
    this.line(text);
    this.depth++;
  }

  /** Closes a block opened by `open`. */
  close(text = '}'): void {
    this.depth--;
    this.line(text);
  }

  /** A line between two blocks, such as `} catch (e) {`: dedented, and the next lines indented again. */
  between(text: string): void {
    this.depth--;
    this.line(text);
    this.depth++;
  }

  append(other: Code): void {
    for (const l of other.lines) this.lines.push(l === '' ? '' : '  '.repeat(this.depth) + l);
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/** A string literal in generated code. */
export function lit(s: string): string {
  return JSON.stringify(s);
}

/**
 * What one output module needs while it is emitted: the model, the name table, which other
 * package modules it references (to import them), and memoized wire sizes.
 */
export class ModuleContext {
  readonly model: SolutionModel;
  readonly names: NameTable;
  /** The package this module is for (undefined for class dispatcher modules). */
  readonly pkg: string | undefined;
  private readonly imported = new Set<string>();
  private readonly sizes: Map<string, WireSize>;

  constructor(model: SolutionModel, names: NameTable, pkg: string | undefined, sizes: Map<string, WireSize>) {
    this.model = model;
    this.names = names;
    this.pkg = pkg;
    this.sizes = sizes;
  }

  size(type: TypeRef): WireSize {
    return wireSize(type, this.model.types, this.sizes);
  }

  /** Reference to a module-scope name of package `pkg`, importing that package's module if it is another one. */
  ref(pkg: string, name: string): string {
    if (pkg === this.pkg) return name;
    this.imported.add(pkg);
    return `${packageAlias(pkg)}.${name}`;
  }

  /** TS name of a declared type, as referenced from this module. */
  typeRef(qualified: string, tsNameOf: (tsName: string) => string = (n) => n): string {
    const owner = this.names.typeOwner.get(qualified);
    if (owner === undefined) throw new Error(`internal: unresolved type ${qualified}`);
    const tsName = this.names.packages.get(owner)?.types.get(qualified);
    if (tsName === undefined) throw new Error(`internal: no name for type ${qualified}`);
    return this.ref(owner, tsNameOf(tsName));
  }

  /** Import lines for the other package modules this module referenced, sorted. */
  imports(): string[] {
    return [...this.imported].sort().map((pkg) => {
      const file = this.names.packages.get(pkg)?.file;
      if (file === undefined) throw new Error(`internal: no module for package ${pkg}`);
      return `import * as ${packageAlias(pkg)} from "./${file}";`;
    });
  }
}
