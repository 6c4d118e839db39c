// Generates the TypeScript for Citadel's own kernel interfaces (include/kl/core) into
// src/entity/gen, which the entity library (console, clock) and the kernel's own server use.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../codegen/generate.ts';
import { formatDiagnostic } from '../lang/diagnostics.ts';
import { makeSource, span } from '../lang/source.ts';
import { CITADEL_INCLUDE } from '../model/loader.ts';
import { checkSolution } from '../model/resolve.ts';

export const CORE_GEN_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../entity/gen');

/** The generated files for kl.core.*, importing the wire runtime from src/entity/wire.ts. */
export function generateCore(): Map<string, string> {
  const result = checkSolution(CITADEL_INCLUDE, {
    initFile: false,
    discover: false,
    extraClasses: [{ name: 'kl.core.Core', span: span(makeSource('<core>', ''), 0) }],
    // Served by an entity, called by the kernel: the interface of the solution's audit service.
    extraPackages: ['kl.core.AuditSink', 'kl.core.Types'],
  });
  if (!result.model) throw new Error(`Citadel's include tree does not check:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  // The codec runtime is src/entity/wire.ts itself, one folder up, rather than a copy of it.
  const keep = [...generate(result.model)].filter(([name]) => name.startsWith('kl.core.'));
  return new Map(keep.map(([name, text]) => [name, text.replaceAll('from "./wire.ts"', 'from "../wire.ts"')]));
}

export function writeCoreGen(dir = CORE_GEN_DIR): number {
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) rmSync(path.join(dir, old));
  const files = generateCore();
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  return files.size;
}

if (import.meta.main) process.stdout.write(`generated ${writeCoreGen()} files in ${CORE_GEN_DIR}\n`);
