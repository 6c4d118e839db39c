// The command-line contract of `citadel check --kos`, `citadel parse` and `citadel test` (with and
// without --kos), run as child processes: stdout lines, stderr diagnostics, exit codes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { citadel, HEAD, lines, POLICY_BASE } from '../helpers/policy.ts';
import { freshPath, PING_EXAMPLE, PROJECT_ROOT, writeSolution, type Cleanup } from '../helpers/solution.ts';

/**
 * A KasperskyOS-style repository: templates, EDLs whose paths do not match their names, and a class
 * name only a -D value completes (`demo.@CLIENT@`), plus a second init description with no policy.
 */
const KOS_REPO: Readonly<Record<string, string>> = {
  'einit/src/init.yaml.in': 'entities:\n- name: demo.Server\n@INIT_Server_ENTITY_CONNECTIONS@\n- name: demo.@CLIENT@\n  connections:\n  - target: demo.Server\n    id: srv\n@INIT_EXTERNAL_ENTITIES@\n',
  'einit/src/security.psl.in': [
    'execute: kl.core.Execute',
    '',
    'use nk.base._',
    '',
    'use EDL Einit',
    'use EDL kl.core.Core',
    'use EDL demo.Server',
    'use EDL demo.@CLIENT@',
    '{% if WITH_GEN %}',
    'use EDL demo.Generated',
    '{% endif %}',
    '',
    'execute { grant () }',
    'request dst=demo.Server { grant () }',
    'response src=demo.Server { grant () }',
    '',
  ].join('\n'),
  'resources/edl/Server.edl': 'task class demo.Server\n\nendpoints {\n    echo : demo.Echo\n}\n',
  'resources/edl/Client.edl': 'task class demo.Client\n',
  'resources/idl/Echo.idl': 'package demo.Echo\n\ninterface {\n    Say(in string<32> text, out string<32> reply);\n}\n',
  'tools/init.yaml': 'entities:\n- name: demo.Server\n',
};

/** Writes KOS_REPO as `<tmp>/repo` and returns the temp dir (the cwd for the CLI). */
function kosRepo(t: Cleanup, extra: Readonly<Record<string, string>> = {}): string {
  const files = Object.fromEntries(Object.entries({ ...KOS_REPO, ...extra }).map(([k, v]) => [`repo/${k}`, v]));
  return writeSolution(t, files);
}

const MAIN_LINE = 'repo/einit/src/init.yaml.in + security.psl.in';
const TOOLS_LINE = 'repo/tools/init.yaml (no policy found): ok';

describe('citadel check --kos', () => {
  test('one line per solution, then "checked N solutions: K ok, M failed"; a missing template value fails the check', (t) => {
    const cwd = kosRepo(t);
    const r = citadel(cwd, 'check', '--kos', 'repo');
    assert.equal(r.status, 1);
    assert.deepEqual(lines(r.stdout), [`${MAIN_LINE}: 1 error, 2 warnings`, TOOLS_LINE, 'checked 2 solutions: 1 ok, 1 failed']);
    const headers = lines(r.stderr).filter((l) => /^\S+:\d+:\d+: /.test(l));
    assert.deepEqual(headers, [
      'einit/src/init.yaml.in:4:14: warning: template placeholder @CLIENT@ has no value and is rendered as "CLIENT" (define it with -D CLIENT=VALUE)',
      'einit/src/security.psl.in:8:9: error: unknown process class "demo.CLIENT": no EDL file found for it',
      'einit/src/security.psl.in:8:14: warning: template placeholder @CLIENT@ has no value and is rendered as "CLIENT" (define it with -D CLIENT=VALUE)',
    ]);
  });

  test('-D supplies the value: the solution checks, with nothing on stderr', (t) => {
    const cwd = kosRepo(t);
    const r = citadel(cwd, 'check', '--kos', 'repo', '-D', 'CLIENT=Client');
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.deepEqual(lines(r.stdout), [`${MAIN_LINE}: ok (2 tasks, 3 bindings)`, TOOLS_LINE, 'checked 2 solutions: 2 ok, 0 failed']);
  });

  test('-D also drives {% if %}: an EDL nobody ships fails, and --stub-missing replaces it with a warning', (t) => {
    const cwd = kosRepo(t);
    const plain = citadel(cwd, 'check', '--kos', 'repo', '-D', 'CLIENT=Client', '-D', 'WITH_GEN=1');
    assert.equal(plain.status, 1);
    assert.deepEqual(lines(plain.stdout), [`${MAIN_LINE}: 1 error`, TOOLS_LINE, 'checked 2 solutions: 1 ok, 1 failed']);
    assert.equal(plain.stderr, [
      'einit/src/security.psl.in:10:9: error: unknown process class "demo.Generated": no EDL file found for it',
      'use EDL demo.Generated',
      '        ^~~~~~~~~~~~~~',
      '',
    ].join('\n'));

    const stubbed = citadel(cwd, 'check', '--kos', 'repo', '-D', 'CLIENT=Client', '-D', 'WITH_GEN=1', '--stub-missing');
    assert.equal(stubbed.status, 0);
    assert.deepEqual(lines(stubbed.stdout), [`${MAIN_LINE}: ok (2 tasks, 3 bindings), 1 warning`, TOOLS_LINE, 'checked 2 solutions: 2 ok, 0 failed']);
    assert.equal(stubbed.stderr, [
      'einit/src/security.psl.in:10:9: warning: unresolved process class "demo.Generated" replaced by an empty stand-in (--stub-missing)',
      'use EDL demo.Generated',
      '        ^~~~~~~~~~~~~~',
      '',
    ].join('\n'));
  });

  test('a repository directory that does not exist exits 1 with a clear message', (t) => {
    const missing = freshPath(t, 'no-such-repo');
    const r = citadel(PROJECT_ROOT, 'check', '--kos', missing);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `citadel: error: repository directory "${missing}" does not exist\n`);
  });
});

describe('citadel parse', () => {
  test('a syntax error prints path:line:col: error:, the source line and a caret, and exits 1', (t) => {
    const cwd = writeSolution(t, { 'bad.psl': 'use nk.base._\nrequest dst=X { grant ( }\n', 'good.idl': 'package a.B\n' });
    const r = citadel(cwd, 'parse', 'bad.psl', 'good.idl');
    assert.equal(r.status, 1);
    assert.deepEqual(lines(r.stdout), ['parsed 2 files: 1 ok, 1 failed']);
    assert.equal(r.stderr, 'bad.psl:2:25: error: expected an expression, found "}"\nrequest dst=X { grant ( }\n                        ^\n');
  });

  test('templates are rendered with -D values before parsing, and errors point at the template', (t) => {
    const cwd = writeSolution(t, { 'sec.psl.in': 'use nk.base._\n{% if BROKEN %}\nrequest {\n{% endif %}\nrequest dst=@DST@ { grant () }\n' });
    const ok = citadel(cwd, 'parse', '-D', 'DST=a.B', 'sec.psl.in');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    assert.deepEqual(lines(ok.stdout), ['parsed 1 files: 1 ok, 0 failed']);
    const bad = citadel(cwd, 'parse', '-D', 'DST=a.B', '-D', 'BROKEN=1', 'sec.psl.in');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^sec\.psl\.in:5:1: error: /);
  });

  test('a path that does not exist counts as failed', (t) => {
    const cwd = writeSolution(t, {});
    const r = citadel(cwd, 'parse', 'nothere.psl');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'citadel: error: "nothere.psl" does not exist\n');
    assert.deepEqual(lines(r.stdout), ['parsed 1 files: 0 ok, 1 failed']);
  });
});

describe('citadel test', () => {
  const PSL = HEAD + [
    'execute { grant () }',
    'request dst=app.Server, endpoint=calc, method=Add { assert (message.a < 10) }',
    '',
    'assert "calc" {',
    '    setup {',
    '        s <- execute dst=app.Server',
    '        c <- execute dst=app.Client',
    '    }',
    '    sequence "small" { c ~> s:calc.Add { a : 1 } }',
    '    sequence "large" { c ~> s:calc.Add { a : 10 } }',
    '    sequence "large, denied" { deny c ~> s:calc.Add { a : 10 } }',
    '}',
    '',
  ].join('\n');

  test('one line per sequence, failures explained below theirs, then "N passed, M failed"; exit 1 when any failed', (t) => {
    const dir = writeSolution(t, { ...POLICY_BASE, 'security.psl': PSL });
    const r = citadel(PROJECT_ROOT, 'test', dir);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 1);
    assert.deepEqual(lines(r.stdout), [
      'pass  calc / small  (security.psl:19:5)',
      'FAIL  calc / large  (security.psl:20:5)',
      '      security.psl:20:24: request case: expected grant, got denied',
      '          denied request: app.Client (sid 101) → app.Server (sid 100)',
      '            target:   endpoint calc, interface app.Calc, method Add',
      '            bindings: security.psl:12:1',
      '            rule:     security.psl:12:53',
      '            reason:   base.assert: assertion failed',
      'pass  calc / large, denied  (security.psl:21:5)',
      '2 passed, 1 failed',
    ]);
  });

  test('exit 0 when every sequence passes', (t) => {
    const dir = writeSolution(t, { ...POLICY_BASE, 'security.psl': PSL.replace('    sequence "large" { c ~> s:calc.Add { a : 10 } }\n', '') });
    const r = citadel(PROJECT_ROOT, 'test', dir);
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(lines(r.stdout).map((l) => l.slice(0, 5)), ['pass ', 'pass ', '2 pas']);
    assert.equal(lines(r.stdout).at(-1), '2 passed, 0 failed');
  });

  test('examples/ping passes all its sequences', () => {
    const r = citadel(PROJECT_ROOT, 'test', path.relative(PROJECT_ROOT, PING_EXAMPLE));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const out = lines(r.stdout);
    assert.equal(out.at(-1), '9 passed, 0 failed');
    assert.equal(out.length, 10);
    for (const l of out.slice(0, -1)) assert.match(l, /^pass {2}.+ \/ .+ {2}\(security\.psl:\d+:5\)$/);
  });

  test('a policy that does not compile runs no tests and exits 1', (t) => {
    const dir = writeSolution(t, { ...POLICY_BASE, 'security.psl': PSL.replace('dst=app.Server, endpoint', 'dst=app.Nobody, endpoint') });
    const r = citadel(PROJECT_ROOT, 'test', dir);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const err = lines(r.stderr);
    assert.equal(err[0], 'security.psl:12:13: error: unknown process class "app.Nobody"');
    assert.equal(err.at(-1), `${dir}: the policy does not compile; no tests run`);
  });

  test('no solution directory and no --kos is a usage error (exit 1)', () => {
    const r = citadel(PROJECT_ROOT, 'test');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'citadel: error: give a solution directory, or --kos <repo-dir>\n');
  });

  test('a solution directory that does not exist is a user error (exit 1), not an internal error', (t) => {
    // `citadel check` reports this cleanly; `citadel test` crashes with
    // "citadel: internal error: ENOENT: no such file or directory, scandir …" and exit code 2.
    const missing = freshPath(t, 'no-such-solution');
    const r = citadel(PROJECT_ROOT, 'test', missing);
    assert.equal(r.stderr, `citadel: error: solution directory "${missing}" does not exist\n`);
    assert.equal(r.status, 1);
  });
});

describe('citadel test --kos', () => {
  const PAL = [
    'use nk.base._',
    'use EDL kl.core.Core',
    'use EDL demo.Server',
    'use EDL demo.Client',
    'execute { grant () }',
    'request dst=demo.Server { grant () }',
    'assert "echo" {',
    '    setup {',
    '        s <- execute dst=demo.Server',
    '        c <- execute dst=demo.Client',
    '    }',
    '    sequence "say" { c ~> s:echo.Say { text : "hi" } }',
    '    sequence "no reply" { deny response src=s dst=c endpoint=echo method=Say {} }',
    '}',
    '',
  ].join('\n');

  test('runs every policy file with assert blocks, one line per sequence, then the total', (t) => {
    const cwd = kosRepo(t, { 'einit/src/tests.psl': PAL });
    const r = citadel(cwd, 'test', '--kos', 'repo');
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.deepEqual(lines(r.stdout), [
      'pass  echo / say  (einit/src/tests.psl:12:5)',
      'pass  echo / no reply  (einit/src/tests.psl:13:5)',
      '2 passed, 0 failed',
    ]);
  });

  test('a policy file that does not compile fails all its sequences; --stub-missing lets it run', (t) => {
    const cwd = kosRepo(t, { 'einit/src/tests.psl': PAL.replace('use EDL demo.Client\n', 'use EDL demo.Client\nuse EDL demo.Generated\n') });
    const r = citadel(cwd, 'test', '--kos', 'repo');
    assert.equal(r.status, 1);
    assert.deepEqual(lines(r.stdout), ['FAIL  repo/einit/src/tests.psl: the policy does not compile, so its tests cannot run', '0 passed, 2 failed']);
    assert.match(r.stderr, /^einit\/src\/tests\.psl:5:9: error: unknown process class "demo\.Generated": no EDL file found for it\n/);
    const stubbed = citadel(cwd, 'test', '--kos', 'repo', '--stub-missing');
    assert.equal(stubbed.status, 0);
    assert.equal(lines(stubbed.stdout).at(-1), '2 passed, 0 failed');
  });

  test('a policy that does not compile counts its sequences, not every word "sequence"', (t) => {
    // runTestKos counts /\bsequence\b/ in the file text, so a comment or a sequence name containing
    // the word inflates the failure count: here 3 failed are reported for one sequence.
    const broken = 'use nk.base._\nuse EDL demo.Missing\n// this sequence is broken\nassert "broken" {\n    sequence "one sequence" {\n    }\n}\n';
    const cwd = kosRepo(t, { 'einit/src/tests.psl': broken });
    const r = citadel(cwd, 'test', '--kos', 'repo');
    assert.equal(r.status, 1);
    assert.equal(lines(r.stdout).at(-1), '0 passed, 1 failed');
  });

  test('a repository directory that does not exist is a user error (exit 1), not an internal error', (t) => {
    // `citadel check --kos` reports this cleanly; `citadel test --kos` crashes with
    // "citadel: internal error: ENOENT: no such file or directory, scandir …" and exit code 2.
    const missing = freshPath(t, 'no-such-repo');
    const r = citadel(PROJECT_ROOT, 'test', '--kos', missing);
    assert.equal(r.stderr, `citadel: error: repository directory "${missing}" does not exist\n`);
    assert.equal(r.status, 1);
  });
});
