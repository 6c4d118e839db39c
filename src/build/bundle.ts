// Bundles an entity's code (TypeScript/JavaScript, with the generated proxies it imports and the
// `citadel` entity library) into one script that the sandbox evaluates inside a Compartment.
import { build, type Message } from 'esbuild';
import path from 'node:path';

const ENTITY_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../entity');

// `citadel` is the entity library; Node's fs modules are citadel/fs (IPC to the VFS driver), so
// ordinary Node file code runs unchanged in an entity.
const FS_PROMISES = path.join(ENTITY_DIR, 'fs.ts');
const FS_CALLBACKS = path.join(ENTITY_DIR, 'fs-node.ts');
const ENTITY_ALIASES = {
  'citadel': path.join(ENTITY_DIR, 'index.ts'),
  'citadel/fs': FS_PROMISES,
  'node:fs/promises': FS_PROMISES,
  'fs/promises': FS_PROMISES,
  'node:fs': FS_CALLBACKS,
  'fs': FS_CALLBACKS,
};

export interface BundleResult {
  readonly code: string | undefined;
  /** esbuild's and Citadel's own complaints, each with file:line:col when known. */
  readonly errors: readonly { readonly file: string; readonly line: number; readonly col: number; readonly text: string; readonly lineText: string }[];
}

// SES rejects sources containing these byte patterns even inside strings (see reference/js-isolation.md §1.4).
const REJECTED = [
  { pattern: /\bimport\s*\(/, why: 'dynamic import() is not available to entities' },
  { pattern: /(?:<!--|-->)/, why: 'HTML comment tokens are rejected by SES' },
];

export async function bundleEntity(entry: string, solutionRoot: string): Promise<BundleResult> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      // ESM output allows top-level await; it is wrapped in an async function below, since a
      // Compartment evaluates scripts. Everything is bundled, so no import statements remain.
      format: 'esm',
      platform: 'neutral',
      target: 'es2024',
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: solutionRoot,
      alias: ENTITY_ALIASES,
      inject: [path.join(ENTITY_DIR, 'prelude.ts')],
      mainFields: ['module', 'main'],
      conditions: ['import'],
    });
    const esm = result.outputFiles[0]?.text ?? '';
    if (/^export\s/m.test(esm)) {
      const text = /__commonJS/.test(esm)
        ? 'the entity was bundled as CommonJS because it uses `module`, `exports`, `require` or direct `eval`; entities are ES modules with no such globals'
        : 'an entity module must not export anything: its top-level code is the program';
      return { code: undefined, errors: [{ file: path.relative(solutionRoot, entry), line: 0, col: 0, text, lineText: '' }] };
    }
    const code = `(async () => {\n${esm}\n})();\n`;
    const errors = REJECTED.flatMap(({ pattern, why }) => {
      const m = pattern.exec(code);
      return m ? [{ file: path.relative(solutionRoot, entry), line: 0, col: 0, text: `${why} (the bundle contains "${m[0]}")`, lineText: '' }] : [];
    });
    return { code: errors.length ? undefined : code, errors };
  } catch (err) {
    const messages = (err as { errors?: Message[] }).errors;
    if (!messages) throw err;
    return {
      code: undefined,
      errors: messages.map((m) => ({
        file: m.location?.file ?? path.relative(solutionRoot, entry),
        line: m.location?.line ?? 0,
        col: (m.location?.column ?? 0) + 1,
        text: m.text,
        lineText: m.location?.lineText ?? '',
      })),
    };
  }
}
