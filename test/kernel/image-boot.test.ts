// Secure boot through the real CLI: keygen → build → inspect → run, and every refusal `run` must
// make before any entity starts (a flipped bit in the signature, a blob or the manifest; a
// rollback; an untrusted signer).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileCleanup } from '../helpers/run-solution.ts';
import { PING_EXAMPLE, PROJECT_ROOT, readSolution, writeSolution } from '../helpers/solution.ts';

const CLI = path.join(PROJECT_ROOT, 'bin', 'citadel.js');
const ROOT = mkdtempSync(path.join(os.tmpdir(), 'citadel-cli-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));
const HOME = path.join(ROOT, 'home');
const STATE = path.join(ROOT, 'state');
const scope = fileCleanup();

interface Outcome { code: number; stdout: string; stderr: string }

function citadel(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', CITADEL_HOME: HOME }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const file = (name: string) => path.join(ROOT, name);
let solution: string;
let keyId: string;
let built: Outcome;

before(async () => {
  // A copy of the ping example without its generated code (the build writes it).
  const files = Object.fromEntries(Object.entries(readSolution(PING_EXAMPLE)).filter(([rel]) => !rel.startsWith('gen/')));
  solution = writeSolution(scope, files);
  const [k1, k2] = await Promise.all([citadel('keygen', '-o', file('keys')), citadel('keygen', '-o', file('other'))]);
  assert.equal(k1.code, 0, k1.stderr);
  assert.equal(k2.code, 0, k2.stderr);
  keyId = /key id ([0-9a-f]{16})/.exec(k1.stdout)![1]!;
  const key = file('keys/citadel.key');
  const builds = await Promise.all([
    citadel('build', solution, '-o', file('app.cimg'), '--key', key, '--rollback-index', '2', '--image-version', '1.2.3'),
    citadel('build', solution, '-o', file('old.cimg'), '--key', key, '--rollback-index', '1'),
  ]);
  built = builds[0];
  for (const b of builds) assert.equal(b.code, 0, b.stderr);
});

const trust = () => ['--trust', file('keys/citadel.pub'), '--state', STATE];

/** The image's regions, read from its framing (src/image/format.ts). */
function layout(image: Uint8Array) {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const m = view.getUint32(12, true);
  const manifest = JSON.parse(new TextDecoder().decode(image.subarray(16, 16 + m))) as { solution: string; signer: string; blobs: { name: string; kind: string; offset: number; size: number; sha256: string }[] };
  const sigAt = 20 + m;
  return { manifestAt: 16, manifestLength: m, manifest, sigAt, blobsAt: sigAt + view.getUint32(16 + m, true) };
}

function flipped(name: string, at: number, bit = 0): string {
  const bytes = new Uint8Array(readFileSync(file('app.cimg')));
  bytes[at]! ^= 1 << bit;
  writeFileSync(file(name), bytes);
  return file(name);
}

// Runs in order: the first run commits rollback index 2, which later tests rely on.
test('build → run: the solution runs, after the measured-boot log', async () => {
  assert.match(built.stdout, /^built .*app\.cimg: \d+ bytes, \d+ PAL sequences passed, signed with /m);
  const r = await citadel('run', file('app.cimg'), ...trust());
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const image = readFileSync(file('app.cimg'));
  const { manifest } = layout(image);
  // The measured-boot chain, recomputed here from the manifest, in load order.
  let chain = createHash('sha256').update('citadel-measured-boot-v1').digest();
  manifest.blobs.forEach((b, i) => {
    chain = createHash('sha256').update(chain).update(Buffer.from(b.sha256, 'hex')).update(b.name).digest();
    assert.equal(lines[i], `[boot] measure ${i + 1}/${manifest.blobs.length} ${b.kind} "${b.name}" size=${b.size} sha256=${b.sha256} chain=${chain.toString('hex')}`);
  });
  assert.equal(lines[manifest.blobs.length], `[boot] measured-boot head=${chain.toString('hex')} blobs=${manifest.blobs.length}`);
  // Entities run only after it.
  const firstEntity = lines.findIndex((l) => l.startsWith('[echo.'));
  assert.ok(firstEntity > manifest.blobs.length);
  assert.ok(lines.includes('[echo.Client] after 3 rounds the value is 6'));
  assert.ok(lines.includes('[echo.Client] Describe(mallory) → error reply, status 404'));
  assert.ok(lines.includes('[kernel] echo.Server stopped: no living clients'));
  assert.ok(lines.includes('[citadel] 2 tasks ended; none failed'));
});

/** `run` refused the image before anything was loaded: exit 1, the reason, no boot log, no entity. */
function assertRefused(r: Outcome, reason: RegExp): void {
  assert.equal(r.code, 1, `exit code ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /^citadel: secure boot refused the image: /);
  assert.match(r.stderr, reason);
  assert.doesNotMatch(r.stdout, /^\[(boot|echo\.|kernel)/m, 'something was loaded or ran');
}

test('one flipped bit in the signature → refused, no entity runs', async () => {
  const { sigAt } = layout(readFileSync(file('app.cimg')));
  const r = await citadel('run', flipped('sig.cimg', sigAt + 10, 3), ...trust());
  assertRefused(r, new RegExp(`manifest signature does not verify with trusted key ${keyId}`));
});

test('one flipped bit in a blob → refused naming the blob, no entity runs', async () => {
  const image = readFileSync(file('app.cimg'));
  const { manifest, blobsAt } = layout(image);
  const blob = manifest.blobs.find((b) => b.name === 'bundle:echo.Server')!;
  const r = await citadel('run', flipped('blob.cimg', blobsAt + blob.offset + Math.floor(blob.size / 2), 0), ...trust());
  assertRefused(r, /blob "bundle:echo\.Server" \(file bytes \d+\.\.\d+\): SHA-256 mismatch, expected [0-9a-f]{64}, got [0-9a-f]{64}/);
});

test('one flipped bit in the manifest → refused, no entity runs', async () => {
  const image = readFileSync(file('app.cimg'));
  const { manifestAt, manifestLength } = layout(image);
  // Inside the version string ('1' → '3'): the manifest stays well-formed JSON, so only the signature catches it.
  const inVersion = image.subarray(0, manifestAt + manifestLength).indexOf('"version":"1.2.3"') + '"version":"'.length;
  assert.ok(inVersion > manifestAt);
  const r1 = await citadel('run', flipped('manifest1.cimg', inVersion, 1), ...trust());
  assertRefused(r1, /manifest signature does not verify/);
  // On a structural character: the manifest no longer parses.
  const r2 = await citadel('run', flipped('manifest2.cimg', manifestAt, 2), ...trust());
  assertRefused(r2, /manifest/);
});

test('rollback: after running index 2, an image with index 1 is refused', async () => {
  const r = await citadel('run', file('old.cimg'), ...trust());
  assertRefused(r, /rollback index 1 is below the stored index 2 for solution "?citadel-test-/);
  const state = JSON.parse(readFileSync(path.join(STATE, 'rollback.json'), 'utf8')) as Record<string, number>;
  assert.deepEqual(Object.values(state), [2]);
});

test('--trust with a different key → refused as an untrusted signer', async () => {
  const r = await citadel('run', file('app.cimg'), '--trust', file('other/citadel.pub'), '--state', STATE);
  assertRefused(r, new RegExp(`manifest signer ${keyId} is not a trusted key \\(trusted: [0-9a-f]{16}\\)`));
});

test('the dev key is not trusted for an image signed with another key', async () => {
  const r = await citadel('run', file('app.cimg'), '--state', STATE);
  assertRefused(r, new RegExp(`manifest signer ${keyId} is not a trusted key`));
});

test('inspect lists the entities, channels and signer', async () => {
  const r = await citadel('inspect', file('app.cimg'), '--trust', file('keys/citadel.pub'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^signer: +${keyId}$`, 'm'));
  assert.match(r.stdout, /^version: +1\.2\.3$/m);
  assert.match(r.stdout, /^rollback index: 2$/m);
  assert.match(r.stdout, /echo\.Client \(echo\.Client, worker\)/);
  assert.match(r.stdout, /echo\.Server \(echo\.Server, worker\)/);
  assert.match(r.stdout, /- "echo\.Client → echo\.Server as \\"server_connection\\" \(handle 1\)"/);
  assert.match(r.stdout, /bundle +"?bundle:echo\.Client"? +\d+ B +sha256 [0-9a-f]{64}/);
  // inspect never boots: no entity output, and the old image can still be inspected.
  assert.doesNotMatch(r.stdout, /^\[/m);
  const old = await citadel('inspect', file('old.cimg'), '--trust', file('keys/citadel.pub'));
  assert.equal(old.code, 0, old.stderr);
  assert.match(old.stdout, /^rollback index: 1$/m);
});
