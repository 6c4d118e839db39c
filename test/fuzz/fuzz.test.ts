// `citadel fuzz` end to end, through the real kernel and real sandboxes: a CI-sized run over
// examples/ping finds nothing and exercises every method both ways (delivered and refused); a
// server that crashes on one value is caught, the finding is minimised to that one message and
// written as a case file, and `citadel fuzz --replay` reproduces it (and not against the fixed server).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildSolution } from '../../src/build/build.ts';
import { readCase } from '../../src/fuzz/cases.ts';
import { replayCase, runFuzz, type FuzzReport } from '../../src/fuzz/fuzz.ts';
import { formatTable } from '../../src/fuzz/report.ts';
import { fuzzableTasks, loadSetup, type FuzzSetup } from '../../src/fuzz/target.ts';
import { generateKeyPair, verifyImage } from '../../src/image/index.ts';
import { PING_EXAMPLE, PROJECT_ROOT, readSolution, type SolutionFiles } from '../helpers/solution.ts';

const NODE = path.join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
const CITADEL = path.join(PROJECT_ROOT, 'bin', 'citadel.js');

const scratch = mkdtempSync(path.join(os.tmpdir(), 'citadel-fuzz-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const key = generateKeyPair();
let dirs = 0;

/** The example's sources (generated code left out: the build writes it), with `changes` applied. */
function pingFiles(changes: Readonly<Record<string, string>> = {}): SolutionFiles {
  const files = Object.fromEntries(Object.entries(readSolution(PING_EXAMPLE)).filter(([rel]) => !rel.startsWith('gen/')));
  return { ...files, ...changes };
}

async function setupOf(files: SolutionFiles): Promise<{ dir: string; setup: FuzzSetup }> {
  const dir = path.join(scratch, `solution-${++dirs}`);
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(dir, ...rel.split('/'));
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  const result = await buildSolution(dir, { privateKeyPem: key.privateKeyPem });
  assert.ok(result.ok, `the solution builds: ${JSON.stringify(!result.ok && result.diagnostics)}`);
  const image = verifyImage(result.image, [key.publicKeyPem], { stateDir: path.join(scratch, 'state'), checkRollback: false, commitRollback: false });
  return { dir, setup: loadSetup(image, path.join(scratch, 'data')) };
}

function describeReport(r: FuzzReport): string {
  return [...r.targets.map((t) => `${t.target}: ${t.messages} messages\n${formatTable(t.stats)}`), ...r.findings.map((f) => `${f.kind} ${f.entity} ${f.method}: ${f.detail}`)].join('\n');
}

/** The ping server, except that Ping(7) ends it with exit code 9. */
const BROKEN_SERVER = `import { serve } from 'citadel';
import { createServerDispatcher } from '../gen/echo.Server.edl.ts';
import { NotFound, Ping_Describe_Error } from '../gen/echo.Ping.idl.ts';

declare const __citadel: { exit(code: number): never };
const known = new Set(['alice', 'bob']);

serve(createServerDispatcher({
  'pingComp.pingImpl': {
    Ping: ({ value }) => {
      if (value === 7) __citadel.exit(9);
      return { result: (value + 1) >>> 0 };
    },
    Pong: ({ value }) => ({ result: (value + 1) >>> 0 }),
    Describe: ({ peer }) => {
      if (!known.has(peer.name)) throw new Ping_Describe_Error({ status: NotFound });
      return { reply: { tag: 'text', value: peer.name }, known: 1 };
    },
  },
}));
`;

function citadel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [CITADEL, ...args], {
    cwd: scratch,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, CITADEL_HOME: path.join(scratch, 'home'), CITADEL_DEBUG: '', NODE_OPTIONS: '' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('citadel fuzz', () => {
  test('a 3-second run over examples/ping finds nothing, and every method gets both delivered and refused messages', async () => {
    const { setup } = await setupOf(pingFiles());
    assert.deepEqual(fuzzableTasks(setup), ['echo.Server']);
    const report = await runFuzz(setup, {
      targets: ['echo.Server'], timeMs: 3000, seed: 20240607, outDir: path.join(scratch, 'ping-cases'),
      callTimeoutMs: 5000, rssLimitBytes: 512 * 2 ** 20,
    });
    assert.deepEqual(report.findings, [], describeReport(report));
    const [target] = report.targets;
    assert.ok(target && target.messages > 500, describeReport(report));
    assert.deepEqual([...target.stats.keys()], ['pingComp.pingImpl.Ping', 'pingComp.pingImpl.Pong', 'pingComp.pingImpl.Describe']);
    for (const [method, s] of target.stats) {
      assert.ok(s.delivered > 0, `${method} had messages delivered\n${describeReport(report)}`);
      assert.ok(s.refused > 0, `${method} had messages refused as invalid\n${describeReport(report)}`);
      assert.equal(s.sent, s.delivered + s.refused + s.denied + s.dropped + s.other, `${method}: every message is counted once`);
    }
    // The policy makes Ping and Pong alternate: the fuzzer runs into it.
    assert.ok(target.stats.get('pingComp.pingImpl.Ping')!.denied > 0, describeReport(report));
    assert.equal(readdirSync(scratch).includes('ping-cases'), false, 'no case files without findings');
  });

  test('a server that crashes on one value: the crash is found, minimised to one message, written as a case, and --replay reproduces it', async () => {
    const { dir, setup } = await setupOf(pingFiles({ 'src/Server.ts': BROKEN_SERVER }));
    const out = path.join(scratch, 'broken-cases');
    const report = await runFuzz(setup, {
      targets: ['echo.Server'], timeMs: 15_000, seed: 7, outDir: out, callTimeoutMs: 5000, rssLimitBytes: 512 * 2 ** 20, maxFindings: 1,
    });
    assert.equal(report.findings.length, 1, describeReport(report));
    const [finding] = report.findings;
    assert.equal(finding!.kind, 'crash');
    assert.equal(finding!.entity, 'echo.Server');
    assert.match(finding!.detail, /exit code 9/);
    assert.ok(finding!.file, 'a case file is written');
    assert.deepEqual(readdirSync(out), ['case-1.json']);

    const c = readCase(finding!.file!);
    assert.equal(c.kind, 'crash');
    assert.equal(c.target, 'echo.Server');
    assert.equal(c.method, 'pingComp.pingImpl.Ping');
    assert.deepEqual(c.via, { client: 'echo.Client', channel: 'server_connection', handle: 1 });
    assert.deepEqual([c.message.riid, c.message.mid, [...c.message.payload]], [0, 0, [7, 0, 0, 0]], 'minimised to Ping(7)');
    assert.deepEqual(c.prelude, []);
    assert.equal(c.reproduced, true);
    const json = JSON.parse(readFileSync(finding!.file!, 'utf8')) as Record<string, unknown>;
    assert.equal(json['payload'], '07000000');
    assert.match(String(json['expected']), /^delivered to echo\.Server/);
    assert.match(String(json['observed']), /echo\.Server ended with exit code 9/);

    // The API replays it in a fresh kernel…
    const replayed = await replayCase(setup, c, { callTimeoutMs: 5000 });
    assert.equal(replayed.reproduced, true, JSON.stringify(replayed));
    // …and so does the command line, with exit code 1 while it reproduces, 0 once fixed.
    const still = citadel('fuzz', '--replay', finding!.file!, dir);
    assert.equal(still.status, 1, still.stdout + still.stderr);
    assert.match(still.stdout, /^reproduced: crash of echo\.Server$/m);
    const fixed = await setupOf(pingFiles());
    const gone = citadel('fuzz', '--replay', finding!.file!, fixed.dir);
    assert.equal(gone.status, 0, gone.stdout + gone.stderr);
    assert.match(gone.stdout, /does not reproduce/);
  });

  test('the command line: a short run prints the table and exits 0; user errors exit 1', async () => {
    const { dir } = await setupOf(pingFiles());
    const run = citadel('fuzz', dir, '--time', '1', '--seed', '5');
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^citadel fuzz: .+, echo\.Server; 1 s, seed 5$/m);
    assert.match(run.stdout, /^method +sent +delivered +refused +denied +dropped +other +crashes +hangs +bypasses +errors$/m);
    assert.match(run.stdout, /^pingComp\.pingImpl\.Describe +\d+/m);
    assert.match(run.stdout, /^no findings$/m);
    assert.match(run.stderr, /^fuzz: \d+% /m, 'plain progress lines when stderr is not a terminal');
    const bad = citadel('fuzz', dir, '--entity', 'echo.Client', '--time', '1');
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /cannot fuzz "echo\.Client"/);
    const notCase = citadel('fuzz', '--replay', path.join(dir, 'init.yaml'), dir);
    assert.equal(notCase.status, 1, notCase.stdout + notCase.stderr);
    assert.match(notCase.stderr, /citadel: error: cannot read case file/);
  });
});
