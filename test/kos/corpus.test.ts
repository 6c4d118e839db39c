// KasperskyOS-repository mode against the public corpus (read in place, never copied into the
// project): every file parses, each folder's solutions check with exactly the counts and reasons
// docs/kos-compatibility.md lists, the delivery-drone PAL tests pass (and fail when a grant is
// removed, on a temporary copy), and mutated corpus files never crash the per-file parse path.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkKosSolution, findKosSolutions, policyBeside } from '../../src/build/kos.ts';
import { collectSpecFiles, parseSpecFile } from '../../src/cli/parse.ts';
import { DiagnosticBag } from '../../src/lang/diagnostics.ts';
import { fuzzCorpus } from '../helpers/corpus-fuzz.ts';
import { citadel, lines, writableCopy } from '../helpers/policy.ts';
import { PROJECT_ROOT, writeSolution } from '../helpers/solution.ts';

const CORPUS_DIR = fileURLToPath(new URL('../../../shared/reference/kos-corpus/', import.meta.url));
const HAVE_CORPUS = existsSync(CORPUS_DIR);
const DRONE = 'cyberimmunity-edu+cyberimmune-systems-autonomous-delivery-drone-with-kos';

/** Skips the test (returns false) when the corpus is not beside the project. */
function corpus(t: TestContext): boolean {
  if (!HAVE_CORPUS) t.skip(`no corpus at ${CORPUS_DIR}`);
  return HAVE_CORPUS;
}

const DOC = readFileSync(path.join(PROJECT_ROOT, 'docs', 'kos-compatibility.md'), 'utf8');

/** `| <label> | K / N (…) |` from the doc's table. */
function documentedRatio(label: string): { ok: number; total: number } {
  const row = DOC.split('\n').find((l) => l.startsWith(`| ${label} |`));
  assert.ok(row, `docs/kos-compatibility.md has a "${label}" row`);
  const m = /\|\s*(\d+) \/ (\d+)/.exec(row.slice(label.length + 3));
  assert.ok(m, row);
  return { ok: Number(m[1]), total: Number(m[2]) };
}

/**
 * Every solution per folder, and those that fail without flags with the text every one of their
 * errors must match (the reason docs/kos-compatibility.md gives). Keys are init paths under the folder.
 */
const FOLDERS: Readonly<Record<string, { readonly solutions: number; readonly failing: Readonly<Record<string, RegExp>> }>> = {
  'C-STACK7+day1-homework': { solutions: 1, failing: {} },
  'ElPallasCat+kos_abot_mqtt': { solutions: 1, failing: { 'einit/src/init.yaml.in': /^unknown process class "echo\.(Client|NavigationController)"$/ } },
  'KasperskyLab+abseil-cpp-kos': { solutions: 1, failing: { 'kos/example/einit/src/init.yaml.in': /^unknown process class "example\.Hello"/ } },
  'KasperskyLab+jwt-kos': { solutions: 2, failing: { 'kos/unittests/einit/src/init.yaml.in': /^unknown process class "unittests\.TestEntity"/ } },
  'KasperskyLab+kos-ce-extra': {
    solutions: 20,
    failing: {
      'examples/abseil/einit/src/init.yaml.in': /^unknown process class "example\.Hello"/,
      'examples/boringssl/einit/src/init.yaml.in': /^unknown process class "examples\.Hasher"/,
      'examples/cellular/mbim_ntpd/einit/src/init.yaml.in': /^unknown process class "mbim_ntpd\.Client"/,
      'examples/cellular/mbim_sms/einit/src/init.yaml.in': /^unknown process class "mbim_sms\.Client"/,
      'examples/cpython/hello/einit/src/init.yaml.in': /^unknown (policy module|process class) "python\.Python3"/,
      'examples/grpc/einit/src/client.init.yaml.in': /^unknown process class "helloworld\.MAIN_TASK"/,
      'examples/grpc/einit/src/server.init.yaml.in': /^unknown process class "helloworld\.MAIN_TASK"/,
      'examples/rabbitmq/amqp_consumer/einit/src/init.yaml.in': /^unknown process class "amqp\.Consumer"/,
      'examples/rabbitmq/amqp_publisher/einit/src/init.yaml.in': /^unknown process class "amqp\.Publisher"/,
      'examples/uvc_camera_stills/einit/src/init.yaml.in': /^unknown process class "uvc_camera_stills\.Client"/,
    },
  },
  'KasperskyLab+rabbitmq-c-kos': { solutions: 3, failing: { 'kos/unit_tests/einit/src/init.yaml.in': /^unknown process class "amqp\.TestEntity"/ } },
  [DRONE]: { solutions: 5, failing: {} },
  'cyberimmunity-edu+cyberimmune-systems-example-traffic-light-kos': { solutions: 1, failing: {} },
  'fanglores+KasperskyOS_Hackaton2022': { solutions: 6, failing: { 'Qualification/Task4/mqtt_echo/einit/src/init.yaml.in': /^unknown process class "echo\.Client": no EDL file found for it$/ } },
  'sergey-sobolev+cyberimmune-systems-prototypes-FireFighter-drone-kos': { solutions: 1, failing: {} },
};

interface FolderResult {
  /** init path under the folder → error messages (empty when the solution checks). */
  readonly errors: ReadonlyMap<string, readonly string[]>;
  readonly warnings: ReadonlyMap<string, readonly string[]>;
}

function checkFolder(folder: string, defines: Readonly<Record<string, string>>, stubMissing: boolean): FolderResult {
  const repo = path.join(CORPUS_DIR, folder);
  const errors = new Map<string, string[]>();
  const warnings = new Map<string, string[]>();
  for (const solution of findKosSolutions(repo)) {
    const r = checkKosSolution(repo, solution, { defines: new Map(Object.entries(defines)), stubMissing });
    const rel = path.relative(repo, solution.init).split(path.sep).join('/');
    errors.set(rel, r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message));
    warnings.set(rel, r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message));
    assert.equal(r.policy === undefined, errors.get(rel)!.length > 0, `${rel}: a policy exactly when there are no errors`);
  }
  return { errors, warnings };
}

const failingOf = (r: FolderResult) => [...r.errors].filter(([, e]) => e.length > 0).map(([k]) => k).sort();

describe('citadel parse on the corpus', () => {
  test('all 195 files parse, in well under a second of parse work', (t) => {
    if (!corpus(t)) return;
    const start = performance.now();
    const { files, missing } = collectSpecFiles([CORPUS_DIR]);
    const failed: string[] = [];
    for (const abs of files) {
      const diags = new DiagnosticBag();
      parseSpecFile(abs, path.relative(CORPUS_DIR, abs), new Map(), diags);
      if (diags.hasErrors) failed.push(abs);
    }
    const ms = performance.now() - start;
    assert.deepEqual(missing, []);
    assert.equal(files.length, 195);
    assert.deepEqual(failed, []);
    assert.ok(ms < 1000, `parsing took ${ms.toFixed(0)} ms`);
  });

  test('the command prints "parsed 195 files: 195 ok, 0 failed" last and exits 0', (t) => {
    if (!corpus(t)) return;
    const r = citadel(PROJECT_ROOT, 'parse', CORPUS_DIR);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['parsed 195 files: 195 ok, 0 failed']);
    assert.ok(DOC.includes('`parsed 195 files: 195 ok, 0 failed`'), 'the doc states the same result');
    // The only diagnostics are warnings (placeholders with no value).
    assert.ok(!/: error: /.test(r.stderr), r.stderr);
  });
});

describe('citadel check --kos on the corpus', () => {
  test('without flags: per folder exactly the documented solutions fail, each for its documented reason', (t) => {
    if (!corpus(t)) return;
    let ok = 0;
    let total = 0;
    for (const [folder, expected] of Object.entries(FOLDERS)) {
      const r = checkFolder(folder, {}, false);
      assert.equal(r.errors.size, expected.solutions, `${folder}: number of solutions`);
      assert.deepEqual(failingOf(r), Object.keys(expected.failing).sort(), `${folder}: failing solutions`);
      for (const [init, reason] of Object.entries(expected.failing)) {
        for (const message of r.errors.get(init)!) assert.match(message, reason, `${folder}/${init}`);
      }
      total += expected.solutions;
      ok += expected.solutions - Object.keys(expected.failing).length;
    }
    assert.deepEqual({ ok, total }, documentedRatio('no flags'));
    assert.deepEqual({ ok, total }, { ok: 26, total: 41 });
  });

  test('the ElPallasCat policy fails on the bindings at lines 153 and 609', (t) => {
    if (!corpus(t)) return;
    const repo = path.join(CORPUS_DIR, 'ElPallasCat+kos_abot_mqtt');
    const [solution] = findKosSolutions(repo);
    const r = checkKosSolution(repo, solution!, { defines: new Map(), stubMissing: true });
    const where = r.diagnostics.filter((d) => d.severity === 'error').map((d) => {
      const text = d.span.file.text.slice(0, d.span.start);
      return `${d.span.file.path}:${text.split('\n').length} ${d.message}`;
    });
    assert.deepEqual(where, [
      'einit/src/security.psl:153 unknown process class "echo.Client"',
      'einit/src/security.psl:609 unknown process class "echo.NavigationController"',
      'einit/src/security.psl:609 unknown process class "echo.Client"',
    ]);
  });

  test('with --stub-missing only the ElPallasCat solution still fails; stand-ins are warned about', (t) => {
    if (!corpus(t)) return;
    let ok = 0;
    let total = 0;
    for (const [folder, expected] of Object.entries(FOLDERS)) {
      const r = checkFolder(folder, {}, true);
      const stillFailing = folder === 'ElPallasCat+kos_abot_mqtt' ? ['einit/src/init.yaml.in'] : [];
      assert.deepEqual(failingOf(r), stillFailing, folder);
      for (const init of Object.keys(expected.failing)) {
        if (stillFailing.includes(init) || init.includes('/grpc/')) continue;
        assert.ok(r.warnings.get(init)!.some((w) => /--stub-missing\)$/.test(w)), `${folder}/${init}: a stand-in warning, got ${JSON.stringify(r.warnings.get(init))}`);
      }
      total += expected.solutions;
      ok += expected.solutions - stillFailing.length;
    }
    assert.deepEqual({ ok, total }, documentedRatio('`--stub-missing`'));
    assert.deepEqual({ ok, total }, { ok: 40, total: 41 });
  });

  test('-D MAIN_TASK=GreeterServer makes both grpc solutions check (+2)', (t) => {
    if (!corpus(t)) return;
    const folder = 'KasperskyLab+kos-ce-extra';
    const r = checkFolder(folder, { MAIN_TASK: 'GreeterServer' }, false);
    const expected = Object.keys(FOLDERS[folder]!.failing).filter((k) => !k.includes('/grpc/')).sort();
    assert.deepEqual(failingOf(r), expected);
    assert.ok(/`-D MAIN_TASK=GreeterServer` \(grpc\) \| \+2 \|/.test(DOC), 'the doc says +2');
  });

  test('the command prints one line per solution, then the count, diagnostics on stderr', (t) => {
    if (!corpus(t)) return;
    const repo = path.join(CORPUS_DIR, 'KasperskyLab+jwt-kos');
    const rel = path.relative(PROJECT_ROOT, repo);
    const r = citadel(PROJECT_ROOT, 'check', '--kos', rel);
    assert.equal(r.status, 1);
    assert.deepEqual(lines(r.stdout), [
      `${rel}/kos/example/einit/src/init.yaml.in + security.psl.in: ok (4 tasks, 11 bindings)`,
      `${rel}/kos/unittests/einit/src/init.yaml.in + security.psl.in: 1 error`,
      'checked 2 solutions: 1 ok, 1 failed',
    ]);
    assert.equal(r.stderr, [
      'kos/unittests/einit/psl/security.psl.in:18:9: error: unknown process class "unittests.TestEntity": no EDL file found for it',
      'use EDL unittests.TestEntity',
      '        ^~~~~~~~~~~~~~~~~~~~',
      '',
    ].join('\n'));
  });
});

describe('citadel test --kos on the delivery drone', () => {
  test('all 14 sequences pass', (t) => {
    if (!corpus(t)) return;
    const r = citadel(PROJECT_ROOT, 'test', '--kos', path.join(CORPUS_DIR, DRONE));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.at(-1), '14 passed, 0 failed');
    assert.ok(DOC.includes('`14 passed, 0 failed`'));
    assert.equal(out.length, 15);
    for (const l of out.slice(0, -1)) assert.match(l, /^pass {2}\S.* \/ .+ {2}\(kos\/einit\/drone_controller\/src\/pal_tests\.psl\.in:\d+:5\)$/);
  });

  test('removing the WaitForInit grant fails exactly the WaitForInit sequences, each naming the denied request', (t) => {
    if (!corpus(t)) return;
    const copy = writableCopy(t, path.join(CORPUS_DIR, DRONE));
    const policy = path.join(copy, 'kos', 'einit', 'drone_controller', 'src', 'drone_controller.psl');
    const text = readFileSync(policy, 'utf8');
    const line = '    match interface=drone_controller.Initialization method=WaitForInit { grant () }\n';
    // The first occurrence is in the request block (the second, in the response block, stays).
    assert.ok(text.indexOf(line) > text.indexOf('request {') && text.indexOf(line) < text.indexOf('response {'));
    writeFileSync(policy, text.replace(line, ''));

    const r = citadel(PROJECT_ROOT, 'test', '--kos', copy);
    assert.equal(r.status, 1);
    const out = lines(r.stdout);
    assert.equal(out.at(-1), '8 passed, 6 failed');
    const sequences = out.filter((l) => /^(pass|FAIL) /.test(l));
    assert.equal(sequences.length, 14);
    const failed = sequences.filter((l) => l.startsWith('FAIL '));
    assert.equal(failed.length, 6);
    for (const l of failed) assert.match(l, /^FAIL {2}\w+ \/ WaitForInit {2}\(/);
    // Each failure: the case, expected vs actual, then the explanation of the denial.
    const details = r.stdout.split(/^FAIL .*\n/m).slice(1).map((block) => block.split(/^pass /m)[0]!);
    assert.equal(details.length, 6);
    for (const d of details) {
      assert.match(d, /^ {6}kos\/einit\/drone_controller\/src\/pal_tests\.psl\.in:\d+:9: request case: expected grant, got denied\n/);
      assert.match(d, /\n {10}denied request: drone_controller\.FlightController \(sid \d+\) → drone_controller\.\w+ \(sid \d+\)\n/);
      assert.match(d, /\n {12}target: {3}endpoint waitForInit, interface drone_controller\.Initialization, method WaitForInit\n/);
      assert.match(d, /\n {12}reason: {3}no rule applies/);
    }
  });
});

describe('mutated corpus files', () => {
  test('never crash the per-file parse path, and every diagnostic stays inside its file', { timeout: 60_000 }, async (t) => {
    if (!corpus(t)) return;
    const r = await fuzzCorpus({ corpus: CORPUS_DIR, seed: 0x5eed_c0de, numRuns: 150 });
    if (!r.ok) assert.fail(`${r.reason}\nlast input: ${r.lastInput}`);
    assert.equal(r.failed, false, r.report);
    assert.equal(r.numRuns, 150);
  });
});

describe('finding solutions in a repository', () => {
  test('an init description with its policy beside it, in a sibling folder, or named after it', (t) => {
    const repo = writeSolution(t, {
      'a/einit/src/init.yaml.in': 'entities:\n- name: a.X\n',
      'a/einit/src/security.psl.in': '',
      'b/einit/src/init.yaml': 'entities: []\n',
      'b/einit/psl/security.psl.in': '',
      'c/src/real.yaml.in': 'entities:\n- name: c.X\n',
      'c/src/real.psl.in': '',
      'c/src/security.psl': '',
      'd/einit/client.init.yaml.in': 'entities: []\n',
      'd/einit/client.psl': '',
      'e/both/init.yaml': 'entities: []\n',
      'e/both/security.psl': '',
      'e/both/security.psl.in': '',
      'f/orphan/init.yaml': 'entities: []\n',
      'g/config.yaml': 'name: not an init description\n',
    });
    const found = findKosSolutions(repo).map((s) => [path.relative(repo, s.init), s.policy && path.relative(repo, s.policy)]);
    assert.deepEqual(found, [
      ['a/einit/src/init.yaml.in', 'a/einit/src/security.psl.in'],
      ['b/einit/src/init.yaml', 'b/einit/psl/security.psl.in'],
      ['c/src/real.yaml.in', 'c/src/real.psl.in'],
      ['d/einit/client.init.yaml.in', 'd/einit/client.psl'],
      ['e/both/init.yaml', 'e/both/security.psl'],
      ['f/orphan/init.yaml', undefined],
    ]);
  });

  test('policyBeside prefers the non-template file when both exist', (t) => {
    const repo = writeSolution(t, { 'x/init.yaml.in': 'entities: []\n', 'x/init.psl': '', 'x/init.psl.in': '' });
    assert.equal(policyBeside(path.join(repo, 'x', 'init.yaml.in')), path.join(repo, 'x', 'init.psl'));
    mkdirSync(path.join(repo, 'y', 'src'), { recursive: true });
    writeFileSync(path.join(repo, 'y', 'src', 'init.yaml'), 'entities: []\n');
    assert.equal(policyBeside(path.join(repo, 'y', 'src', 'init.yaml')), undefined);
  });
});
