// Every solution under examples/ stays valid and its PAL tests pass, exactly as a user runs them:
// `citadel check <dir>` and `citadel test <dir>` with the project's Node 26.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = path.join(ROOT, 'node_modules', 'node', 'bin', 'node');
const CITADEL = path.join(ROOT, 'bin', 'citadel.js');
const EXAMPLES = path.join(ROOT, 'examples');

function citadel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [CITADEL, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CITADEL_DEBUG: '', NODE_OPTIONS: '' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(EXAMPLES, e.name, 'init.yaml')))
  .map((e) => e.name)
  .sort();

test('the examples folder holds the solutions this suite is meant to cover', () => {
  for (const name of ['models', 'notes', 'ping']) assert.ok(examples.includes(name), `examples/${name} is missing`);
});

for (const name of examples) {
  const dir = path.join('examples', name);
  describe(`examples/${name}`, () => {
    let declared: number | undefined;

    test('citadel check accepts it', () => {
      const r = citadel('check', dir);
      assert.equal(r.status, 0, `citadel check ${dir} exited ${r.status}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^ok: /m);
      assert.doesNotMatch(r.stderr, /error/, r.stderr);
      const m = /(\d+) test sequences?/.exec(r.stdout);
      declared = m ? Number(m[1]) : 0;
    });

    test('citadel test passes every PAL sequence it declares', () => {
      const r = citadel('test', dir);
      assert.equal(r.status, 0, `citadel test ${dir} exited ${r.status}\n${r.stdout}${r.stderr}`);
      const summary = /^(\d+) passed, 0 failed$/m.exec(r.stdout);
      assert.ok(summary, `no "N passed, 0 failed" line in:\n${r.stdout}`);
      assert.doesNotMatch(r.stdout, /^FAIL /m);
      if (declared !== undefined) assert.equal(Number(summary[1]), declared, 'every sequence that citadel check counts must run and pass');
    });
  });
}
