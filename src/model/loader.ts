// Finds and parses specification files by KasperskyOS name: a dotted name is a path relative to an
// include directory (`kl.core.Core` → `kl/core/Core.edl`), searched in order. Each file is parsed once.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ComponentFile, IdlFile } from '../lang/ast.ts';
import { parseComponentFile } from '../lang/component.ts';
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import { parseIdl } from '../lang/idl.ts';
import { DiagnosticBag as Bag } from '../lang/diagnostics.ts';
import { makeSource, type SourceFile } from '../lang/source.ts';
import { renderTemplate, sdkPlaceholderDefault, type Defines } from '../lang/template.ts';
import { pslPlaceholderDefault } from './sdk.ts';

/** Citadel's own include tree: Einit, kl.core.Core and the kernel interfaces. */
export const CITADEL_INCLUDE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../include');

/** System services shipped with Citadel: each `src/services/<name>/` has its specs in `spec/` and its entity code beside them. */
export const SERVICES_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../services');

/** The `spec/` include directory of every shipped service. */
export function serviceIncludeDirs(): string[] {
  if (!existsSync(SERVICES_DIR)) return [];
  return readdirSync(SERVICES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(SERVICES_DIR, e.name, 'spec')))
    .map((e) => path.join(SERVICES_DIR, e.name, 'spec'))
    .sort();
}

/** For a class whose EDL is a shipped service's, the service's entity code for it; else undefined. */
export function serviceEntityPath(edlAbs: string): string | undefined {
  const rel = path.relative(SERVICES_DIR, edlAbs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const service = rel.split(path.sep)[0]!;
  return path.join(SERVICES_DIR, service, `${path.basename(edlAbs).replace(/\.edl(\.in)?$/, '')}.ts`);
}

export type SpecKind = 'idl' | 'cdl' | 'edl' | 'psl' | 'psl.in';

const SKIP_DIRS = new Set(['node_modules', '.git', 'gen', 'build', 'dist']);

/** KasperskyOS repository mode: templates rendered, names resolved by declaration too. */
export interface KosMode {
  /** Directory of the solution being checked: among files declaring the same name, the nearest wins. */
  readonly base: string;
  readonly defines: Defines;
}

export class SpecLoader {
  readonly root: string;
  readonly includeDirs: readonly string[];
  readonly diags: DiagnosticBag;
  readonly kos: KosMode | undefined;
  private readonly idl = new Map<string, IdlFile>();
  private readonly components = new Map<string, ComponentFile>();
  private declared: Map<string, string[]> | undefined;

  constructor(root: string, diags: DiagnosticBag, extraIncludes: readonly string[] = [], kos?: KosMode) {
    this.root = path.resolve(root);
    this.includeDirs = [this.root, ...extraIncludes.map((d) => path.resolve(d)), CITADEL_INCLUDE, ...serviceIncludeDirs()];
    this.diags = diags;
    this.kos = kos;
  }

  /** Whether a file's declared name must equal its path (Citadel solutions) or may differ (KOS repos). */
  get strictNames(): boolean {
    return this.kos === undefined;
  }

  /** The name a parsed file goes by: its path-derived name, or in KOS mode the name it declares. */
  nameFor(abs: string, declared: string | undefined): string | undefined {
    if (this.kos && declared && !abs.startsWith(CITADEL_INCLUDE + path.sep)) return declared;
    return this.expectedName(abs);
  }

  /** Display path: relative to the solution root for its own files, else relative to cwd. */
  displayPath(abs: string): string {
    const rel = path.relative(this.root, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? path.relative(process.cwd(), abs) : rel;
  }

  readSource(abs: string): SourceFile {
    const source = makeSource(this.displayPath(abs), readFileSync(abs, 'utf8'));
    if (!this.kos) return source;
    return renderTemplate(source, this.kos.defines, this.diags, /\.psl(\.in)?$/.test(abs) ? pslPlaceholderDefault : sdkPlaceholderDefault);
  }

  /** Absolute path of the file for `name` with extension `kind`, or undefined. */
  locate(name: string, kind: SpecKind): string | undefined {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) return undefined;
    const rel = name.split('.').join(path.sep) + '.' + kind;
    for (const dir of this.includeDirs) {
      for (const candidate of this.kos && !kind.endsWith('.in') ? [rel, rel + '.in'] : [rel]) {
        const abs = path.join(dir, candidate);
        if (existsSync(abs) && statSync(abs).isFile()) return abs;
      }
    }
    return this.kos ? this.locateDeclared(name, kind) : undefined;
  }

  /** KOS mode: a file anywhere in the repository that declares `name`, nearest to the solution first. */
  private locateDeclared(name: string, kind: SpecKind): string | undefined {
    this.declared ??= this.indexDeclarations();
    const ext = kind.replace(/\.in$/, '');
    const candidates = (this.declared.get(name) ?? []).filter((abs) => abs.replace(/\.in$/, '').endsWith('.' + ext));
    const base = this.kos!.base;
    const shared = (abs: string) => {
      const a = path.dirname(abs).split(path.sep);
      const b = base.split(path.sep);
      let n = 0;
      while (n < a.length && n < b.length && a[n] === b[n]) n++;
      return n;
    };
    return candidates.sort((x, y) => shared(y) - shared(x) || (x < y ? -1 : 1))[0];
  }

  private indexDeclarations(): Map<string, string[]> {
    const index = new Map<string, string[]>();
    const scratch = new Bag();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(abs);
        } else if (/\.(idl|cdl|edl)(\.in)?$/.test(entry.name)) {
          const text = renderTemplate(makeSource(abs, readFileSync(abs, 'utf8')), this.kos!.defines, scratch).text
            .replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
          const m = /^\s*(?:package|component|entity|task\s+class)\s+([A-Za-z_][\w.]*)/m.exec(text);
          if (m) index.set(m[1]!, [...(index.get(m[1]!) ?? []), abs]);
        }
      }
    };
    walk(this.root);
    return index;
  }

  /** The name a file at `abs` must declare, derived from its path under the include dir holding it. */
  expectedName(abs: string): string | undefined {
    for (const dir of this.includeDirs) {
      const rel = path.relative(dir, abs);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.replace(/\.[a-z]+(\.in)?$/, '').split(path.sep).join('.');
    }
    return undefined;
  }

  loadIdlFile(abs: string): IdlFile {
    let ast = this.idl.get(abs);
    if (!ast) {
      ast = parseIdl(this.readSource(abs), this.diags);
      this.idl.set(abs, ast);
    }
    return ast;
  }

  loadComponentFile(abs: string, kind: 'cdl' | 'edl'): ComponentFile {
    let ast = this.components.get(abs);
    if (!ast) {
      ast = parseComponentFile(this.readSource(abs), kind, this.diags);
      this.components.set(abs, ast);
    }
    return ast;
  }

  /** Every spec file in the solution tree, so syntax errors are reported even in unreferenced files. */
  discover(): { kind: 'idl' | 'cdl' | 'edl'; abs: string }[] {
    const out: { kind: 'idl' | 'cdl' | 'edl'; abs: string }[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (entry.isDirectory()) {
          if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(path.join(dir, entry.name));
        } else {
          const m = /\.(idl|cdl|edl)$/.exec(entry.name);
          if (m) out.push({ kind: m[1] as 'idl' | 'cdl' | 'edl', abs: path.join(dir, entry.name) });
        }
      }
    };
    walk(this.root);
    return out;
  }
}
