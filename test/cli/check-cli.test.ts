// The `citadel check` / `citadel init` command-line contract, run as a child process with the
// project's Node 26: exit codes, what goes to stdout and stderr, and no stack traces for user errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { freshPath, PING_EXAMPLE, PROJECT_ROOT, writeSolution } from '../helpers/solution.ts';

const NODE = path.join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
const CITADEL = path.join(PROJECT_ROOT, 'bin', 'citadel.js');

function citadel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [CITADEL, ...args], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, CITADEL_DEBUG: '', NODE_OPTIONS: '' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const VALID = {
  'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Server\n    id: server\n- name: app.Server\n',
  'app/Calc.idl': 'package app.Calc\n\ninterface {\n    Add(in UInt32 a, in UInt32 b, out UInt32 sum);\n}\n',
  'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n}\n',
  'app/Client.edl': 'task class app.Client\n',
  // A permissive policy, so that the check has nothing to warn about.
  'security.psl': 'execute: kl.core.Execute\n\nuse nk.base._\n\nuse EDL Einit\nuse EDL kl.core.Core\nuse EDL app.Client\nuse EDL app.Server\n\nexecute { grant () }\nrequest { grant () }\nresponse { grant () }\n',
};

/** The one-line summary of a valid solution; what follows the counts (e.g. policy statistics) may grow. */
const SUMMARY = /^ok: .+: \d+ tasks?, \d+ process class(es)?, \d+ interfaces? \(\d+ methods?\), \d+ channels?(;.*)?$/;

/** Splits output into lines, dropping the final newline. */
function lines(text: string): string[] {
  assert.ok(text.endsWith('\n'), `output must end with a newline: ${JSON.stringify(text)}`);
  return text.slice(0, -1).split('\n');
}

describe('citadel check', () => {
  test('a valid solution exits 0 and prints exactly one "ok:" summary line on stdout', () => {
    const r = citadel('check', PING_EXAMPLE);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    const out = lines(r.stdout);
    assert.equal(out.length, 1, r.stdout);
    assert.match(out[0]!, SUMMARY);
    assert.ok(out[0]!.startsWith(`ok: ${PING_EXAMPLE}: 2 tasks, 2 process classes, `), out[0]);
    assert.match(out[0]!, /, 1 channel(;|$)/);
  });

  test('the summary counts tasks, user process classes and channels', (t) => {
    const dir = writeSolution(t, VALID);
    const r = citadel('check', dir);
    assert.equal(r.status, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.length, 1);
    assert.match(out[0]!, SUMMARY);
    assert.ok(out[0]!.startsWith(`ok: ${dir}: 2 tasks, 2 process classes, `), out[0]);
    assert.match(out[0]!, /, 1 channel(;|$)/);
  });

  test('an invalid solution exits 1, with each diagnostic on stderr as location, source line and caret, then a count', (t) => {
    const dir = writeSolution(t, {
      ...VALID,
      'app/Calc.idl': 'package app.Calc\n\nconst UInt8 Big = 300;\n\ninterface {\n    Add(in Missing a);\n}\n',
      'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Nowhere\n    id: server\n- name: app.Server\n',
    });
    const r = citadel('check', dir);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.ok(!r.stderr.includes('    at '), `no stack trace expected:\n${r.stderr}`);
    const err = lines(r.stderr);
    assert.equal(err.at(-1), `3 errors in ${dir}`);
    const body = err.slice(0, -1);
    assert.equal(body.length, 9, r.stderr);
    for (let i = 0; i < body.length; i += 3) {
      assert.match(body[i]!, /^[^:\s]+:\d+:\d+: error: /);
      const [, file, line, col] = /^([^:]+):(\d+):(\d+):/.exec(body[i]!)!;
      const sourceLine = readFileSync(path.join(dir, file!), 'utf8').split('\n')[Number(line) - 1];
      assert.equal(body[i + 1], sourceLine, `source line of ${body[i]}`);
      assert.match(body[i + 2]!, /^ *\^~*$/);
      assert.equal(body[i + 2]!.indexOf('^') + 1, Number(col), `caret under column ${col}`);
    }
  });

  test('stderr holds exactly the formatted diagnostic and the error count', (t) => {
    const dir = writeSolution(t, {
      ...VALID,
      'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Nowhere\n    id: server\n- name: app.Server\n',
    });
    const r = citadel('check', dir);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, [
      'init.yaml:4:13: error: connection target "app.Nowhere" is not a task in init.yaml',
      '  - target: app.Nowhere',
      '            ^~~~~~~~~~~',
      `1 error in ${dir}`,
      '',
    ].join('\n'));
  });

  test('warnings are printed but do not fail the check', (t) => {
    const dir = writeSolution(t, { ...VALID, 'init.yaml': `version: 2\n${VALID['init.yaml']}` });
    const r = citadel('check', dir);
    assert.equal(r.status, 0);
    assert.equal(lines(r.stdout).length, 1);
    assert.match(r.stdout.trimEnd(), SUMMARY);
    assert.equal(r.stderr, 'init.yaml:1:1: warning: unknown top-level key "version" is ignored (expected "entities")\nversion: 2\n^~~~~~~\n');
  });

  test('a syntax error exits 1 without a stack trace', (t) => {
    const dir = writeSolution(t, { ...VALID, 'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc app.Calc\n}\n' });
    const r = citadel('check', dir);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.ok(!r.stderr.includes('    at '), r.stderr);
    assert.match(r.stderr, /^app\/Server\.edl:4:10: error: expected ":" after "calc", found "app"\n/);
  });

  test('a directory that does not exist exits 1 with a clear message', (t) => {
    const missing = freshPath(t, 'no-such-solution');
    const r = citadel('check', missing);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `citadel: error: solution directory "${missing}" does not exist\n`);
  });

  test('a missing argument is a usage error (exit 1), not an internal error', () => {
    const r = citadel('check');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.length > 0, 'a usage message on stderr');
    assert.ok(!r.stderr.includes('internal error'), r.stderr);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  });
});

describe('citadel init', () => {
  test('creates a solution in a new directory that then checks clean', (t) => {
    const dir = freshPath(t, 'hello');
    const init = citadel('init', dir);
    assert.equal(init.status, 0, init.stderr);
    assert.equal(init.stderr, '');
    assert.match(init.stdout, /^created solution in /);
    const files = (readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split(path.sep).join('/'));
    for (const f of ['init.yaml', 'app/Greeter.idl', 'app/Server.edl', 'app/Client.edl', 'security.psl']) assert.ok(files.includes(f), `${f} created`);
    const check = citadel('check', dir);
    assert.equal(check.stderr, '');
    assert.equal(check.status, 0);
    const out = lines(check.stdout);
    assert.equal(out.length, 1);
    assert.match(out[0]!, SUMMARY);
    assert.ok(out[0]!.startsWith(`ok: ${dir}: 2 tasks, 2 process classes, `), out[0]);
  });

  test('works in an existing empty directory', (t) => {
    const dir = freshPath(t, 'empty');
    mkdirSync(dir);
    const r = citadel('init', dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(citadel('check', dir).status, 0);
  });

  test('refuses a non-empty directory (exit 1) and leaves it untouched', (t) => {
    const dir = freshPath(t, 'busy');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    const r = citadel('init', dir);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `citadel: error: "${dir}" exists and is not empty; choose a new directory\n`);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
    assert.equal(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine\n');
  });
});
