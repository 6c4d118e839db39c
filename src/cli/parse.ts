// `citadel parse [-D NAME=VALUE]... <file-or-dir>...`: syntax check of spec files one by one,
// rendering CMake/Jinja templates first; no cross-file resolution.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseComponentFile } from '../lang/component.ts';
import { DiagnosticBag } from '../lang/diagnostics.ts';
import { parseIdl } from '../lang/idl.ts';
import { parseInitYaml } from '../lang/init-yaml.ts';
import { parsePsl } from '../lang/psl.ts';
import { makeSource } from '../lang/source.ts';
import { renderTemplate, type Defines } from '../lang/template.ts';
import { printDiagnostics } from './report.ts';

type SpecFileKind = 'idl' | 'cdl' | 'edl' | 'psl' | 'yaml';

/** The language of a file by name, or undefined when it is not a spec file. */
export function specKindOf(name: string): SpecFileKind | undefined {
  const m = /\.(idl|cdl|edl|psl|yaml)(\.in)?$/.exec(name);
  return m ? (m[1] as SpecFileKind) : undefined;
}

/** Init descriptions are the YAML files whose top level is `entities:`. */
function isInitYaml(text: string): boolean {
  return /^entities\s*:/m.test(text);
}

export function parseDefines(list: readonly string[]): Map<string, string> {
  const defines = new Map<string, string>();
  for (const d of list) {
    const eq = d.indexOf('=');
    if (eq < 0) defines.set(d, 'ON');
    else defines.set(d.slice(0, eq), d.slice(eq + 1));
  }
  return defines;
}

/** Spec files given directly or found below directories, in a stable order. */
export function collectSpecFiles(inputs: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(abs);
      } else if (specKindOf(e.name)) {
        if (specKindOf(e.name) !== 'yaml' || isInitYaml(readFileSync(abs, 'utf8'))) files.push(abs);
      }
    }
  };
  for (const input of inputs) {
    let stat;
    try { stat = statSync(input); } catch { missing.push(input); continue; }
    if (stat.isDirectory()) walk(input);
    else files.push(input);
  }
  return { files, missing };
}

export function parseSpecFile(abs: string, display: string, defines: Defines, diags: DiagnosticBag): void {
  const kind = specKindOf(abs) ?? (abs.endsWith('.yml') ? 'yaml' : undefined);
  const source = renderTemplate(makeSource(display, readFileSync(abs, 'utf8')), defines, diags);
  switch (kind) {
    case 'idl': parseIdl(source, diags); break;
    case 'cdl': case 'edl': parseComponentFile(source, kind, diags); break;
    case 'psl': parsePsl(source, diags); break;
    case 'yaml': parseInitYaml(source, diags); break;
    default: diags.error({ file: source, start: 0, end: 0 }, 'not a specification file (expected .idl, .cdl, .edl, .psl or init .yaml, optionally with .in)');
  }
}

export function runParse(inputs: readonly string[], defineList: readonly string[]): number {
  const defines = parseDefines(defineList);
  const { files, missing } = collectSpecFiles(inputs);
  for (const m of missing) process.stderr.write(`citadel: error: "${m}" does not exist\n`);
  let failed = 0;
  for (const abs of files) {
    const diags = new DiagnosticBag();
    parseSpecFile(abs, path.relative(process.cwd(), abs) || abs, defines, diags);
    printDiagnostics(diags.items);
    if (diags.hasErrors) failed++;
  }
  failed += missing.length;
  const total = files.length + missing.length;
  process.stdout.write(`parsed ${total} files: ${total - failed} ok, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
