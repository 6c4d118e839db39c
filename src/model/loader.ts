// Finds and parses specification files by KasperskyOS name: a dotted name is a path relative to an
// include directory (`kl.core.Core` → `kl/core/Core.edl`), searched in order. Each file is parsed once.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ComponentFile, IdlFile } from '../lang/ast.ts';
import { parseComponentFile } from '../lang/component.ts';
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import { parseIdl } from '../lang/idl.ts';
import { makeSource, type SourceFile } from '../lang/source.ts';

/** Citadel's own include tree: Einit, kl.core.Core and the kernel interfaces. */
export const CITADEL_INCLUDE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../include');

export type SpecKind = 'idl' | 'cdl' | 'edl' | 'psl' | 'psl.in';

const SKIP_DIRS = new Set(['node_modules', '.git', 'gen', 'build', 'dist']);

export class SpecLoader {
  readonly root: string;
  readonly includeDirs: readonly string[];
  readonly diags: DiagnosticBag;
  private readonly idl = new Map<string, IdlFile>();
  private readonly components = new Map<string, ComponentFile>();

  constructor(root: string, diags: DiagnosticBag, extraIncludes: readonly string[] = []) {
    this.root = path.resolve(root);
    this.includeDirs = [this.root, ...extraIncludes.map((d) => path.resolve(d)), CITADEL_INCLUDE];
    this.diags = diags;
  }

  /** Display path: relative to the solution root for its own files, else relative to cwd. */
  displayPath(abs: string): string {
    const rel = path.relative(this.root, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? path.relative(process.cwd(), abs) : rel;
  }

  readSource(abs: string): SourceFile {
    return makeSource(this.displayPath(abs), readFileSync(abs, 'utf8'));
  }

  /** Absolute path of the file for `name` with extension `kind`, or undefined. */
  locate(name: string, kind: SpecKind): string | undefined {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) return undefined;
    const rel = name.split('.').join(path.sep) + '.' + kind;
    for (const dir of this.includeDirs) {
      const abs = path.join(dir, rel);
      if (existsSync(abs) && statSync(abs).isFile()) return abs;
    }
    return undefined;
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
