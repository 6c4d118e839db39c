// kl.Vfs end to end: a real solution with the driver in the process tier and two clients whose
// ordinary `node:fs/promises` code runs unchanged, each in its own root; the policy pins who each
// client may attach as; every refusal seen from inside an entity, and the kernel's IDL bounds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { REPORT_TS, exitOf, fileCleanup, linesOf, results, runSolution, type RunResult } from '../../helpers/run-solution.ts';
import { PROJECT_ROOT } from '../../helpers/solution.ts';

const VFS_GEN = path.join(PROJECT_ROOT, 'src/services/vfs/gen/kl.vfs.Files.idl.ts');

const INIT = `entities:
- name: app.Alice
  task: alice
  connections:
  - target: vfs
    id: vfs
- name: app.Bob
  task: bob
  connections:
  - target: vfs
    id: vfs
- name: app.Carol
  task: carol
- name: kl.Vfs
  task: vfs
  isolation: process
  args: [--mount, "alice:alice:rw", --mount, "alice:/shared:shared:ro", --mount, "bob:bob:rw"]
  resources:
    fs:
      read: [shared]
      write: [alice, bob]
`;

const POLICY = `execute: kl.core.Execute

use nk.base._

use EDL Einit
use EDL kl.core.Core
use EDL app.Alice
use EDL app.Bob
use EDL app.Carol
use EDL kl.Vfs

execute { grant () }
request dst=kl.core.Core { grant () }
response src=kl.core.Core { grant () }

// Each client may use the driver, attaching only under its own name.
request src=app.Alice, dst=kl.Vfs { grant () }
request src=app.Alice, dst=kl.Vfs, endpoint=fs, method=Attach { assert (message.client == "alice") }
request src=app.Bob, dst=kl.Vfs { grant () }
request src=app.Bob, dst=kl.Vfs, endpoint=fs, method=Attach { assert (message.client == "bob") }
response src=kl.Vfs, dst=app.Alice { grant () }
error src=kl.Vfs, dst=app.Alice { grant () }
response src=kl.Vfs, dst=app.Bob { grant () }
error src=kl.Vfs, dst=app.Bob { grant () }

assert "each client attaches only as itself" {
    setup {
        alice <- execute dst=app.Alice
        bob <- execute dst=app.Bob
        vfs <- execute dst=kl.Vfs
    }
    sequence "alice attaches as alice" {
        grant alice ~> vfs:fs.Attach { client : "alice" }
    }
    sequence "bob cannot claim to be alice" {
        deny bob ~> vfs:fs.Attach { client : "alice" }
    }
}
`;

const HELPERS = `${REPORT_TS}
async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try { await fn(); return 'ok'; } catch (e) { return String((e as { code?: unknown }).code ?? (e as Error).message); }
}
`;

// Ordinary Node code: nothing Citadel-specific in it.
const ALICE = (data: string) => `import { appendFile, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import fs, { createReadStream, createWriteStream } from 'node:fs';
${HELPERS}
await mkdir('/notes/2026', { recursive: true });
await writeFile('/notes/2026/today.txt', 'milk, eggs');
await appendFile('/notes/2026/today.txt', ', bread');
await rename('/notes/2026/today.txt', '/notes/2026/groceries.txt');
report('read', await readFile('/notes/2026/groceries.txt', 'utf8'));
report('root', (await readdir('/')).sort());
const s = await stat('/notes/2026/groceries.txt');
report('stat', { size: s.size, file: s.isFile(), dir: (await stat('/notes')).isDirectory() });
report('shared', await readFile('/shared/readme.txt', 'utf8'));
const out = createWriteStream('/big.bin');
for (let i = 0; i < 10; i++) out.write(new Uint8Array(100_000).fill(i));
await new Promise((resolve) => out.end(resolve));
let streamed = 0;
for await (const chunk of createReadStream('/big.bin')) streamed += chunk.length;
report('stream', streamed);
report('bigRead', (await readFile('/big.bin')).length);
{
  await using handle = await open('/notes/2026/groceries.txt');
  report('handle', { asyncDispose: typeof Symbol.asyncDispose, text: await handle.readFile('utf8') });
  // fsync is off in the process tier (Node's permission model); O_SYNC opens are the durable way.
  report('fsync', await codeOf(() => handle.sync()));
}
{
  await using log = await open('/journal.log', 'as');
  await log.write('entry 1\\n');
  await log.write('entry 2\\n');
}
report('journal', await readFile('/journal.log', 'utf8'));
report('callback', await new Promise((resolve, reject) => fs.readFile('/notes/2026/groceries.txt', 'utf8', (err, text) => (err ? reject(err) : resolve(text)))));
report('refusals', {
  readOnly: await codeOf(() => writeFile('/shared/readme.txt', 'defaced')),
  readOnlyMkdir: await codeOf(() => mkdir('/shared/new')),
  traversal: await codeOf(() => readFile('../../bob/diary.txt', 'utf8')),
  hostPath: await codeOf(() => readFile(${JSON.stringify(path.join(data, 'bob', 'diary.txt'))}, 'utf8')),
  etcPasswd: await codeOf(() => readFile('/etc/passwd', 'utf8')),
  symlinkOutside: await codeOf(() => readFile('/out/secret.txt', 'utf8')),
  symlinkToBob: await codeOf(() => readFile('/to-bob/diary.txt', 'utf8')),
  danglingOutside: await codeOf(() => writeFile('/dangling', 'planted')),
  fifo: await codeOf(() => readFile('/fifo')),
});
// A link leading out can still be removed (the link, not what it leads to).
report('unlinkLinkOut', await codeOf(() => unlink('/out')));
`;

// Bob speaks the IDL directly too, to try what citadel/fs never sends.
const BOB = `import { readdir, readFile, writeFile } from 'node:fs/promises';
import { CallFailed, connect } from 'citadel';
import { FilesProxy, Files_WriteFile_MID, MaxData } from ${JSON.stringify(VFS_GEN)};
${HELPERS}
const channel = connect('vfs');
const raw = new FilesProxy(channel, channel.riid('fs'));
try {
  await raw.Attach({ client: 'alice' });
  report('claimAlice', 'attached');
} catch (e) {
  report('claimAlice', e instanceof CallFailed ? e.status : String(e));
}
await raw.Attach({ client: 'bob' });
try {
  await raw.ReadFile({ path: '/../alice/notes/2026/groceries.txt' });
  report('rawTraversal', 'read');
} catch (e) {
  report('rawTraversal', (e as { params?: { code: number; reason: string } }).params ?? String(e));
}
await writeFile('/mine.txt', 'bob was here');
report('bobRoot', (await readdir('/')).sort());
report('aliceFile', await codeOf(() => readFile('/notes/2026/groceries.txt')));
report('aliceShared', await codeOf(() => readFile('/shared/readme.txt')));
// A WriteFile whose data descriptor claims one byte more than the IDL allows: the kernel refuses it.
const fixed = new DataView(new ArrayBuffer(17));
fixed.setUint32(0, 0, true); fixed.setUint32(4, 3, true);                 // path "/x" + NUL
fixed.setUint32(8, 3, true); fixed.setUint32(12, MaxData + 1, true);      // data
const payload = new Uint8Array(17 + 3 + MaxData + 1);
payload.set(new Uint8Array(fixed.buffer), 0);
payload.set([0x2f, 0x78, 0], 17);
try {
  await channel.call(channel.riid('fs'), Files_WriteFile_MID, payload);
  report('oversize', 'accepted');
} catch (e) {
  report('oversize', e instanceof CallFailed ? [e.status, e.explanation] : String(e));
}
`;

const CAROL = `import { readFile } from 'fs/promises';
${HELPERS}
report('noChannel', await codeOf(() => readFile('/anything')));
`;

const scope = fileCleanup();
let run: RunResult;
let data: string;
let outside: string;

before(async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'citadel-vfs-e2e-'));
  scope.after(() => rmSync(root, { recursive: true, force: true }));
  data = path.join(root, 'data');
  outside = path.join(root, 'outside');
  for (const d of ['alice', 'bob', 'shared']) mkdirSync(path.join(data, d), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'outside secret');
  writeFileSync(path.join(data, 'bob', 'diary.txt'), 'bob only');
  writeFileSync(path.join(data, 'shared', 'readme.txt'), 'read me, do not change me');
  // Planted on the host before the run: links out of alice's root, and a FIFO with no writer.
  symlinkSync(outside, path.join(data, 'alice', 'out'));
  symlinkSync(path.join(data, 'bob'), path.join(data, 'alice', 'to-bob'));
  symlinkSync(path.join(outside, 'planted.txt'), path.join(data, 'alice', 'dangling'));
  execFileSync('mkfifo', [path.join(data, 'alice', 'fifo')]);
  run = await runSolution(scope, {
    'init.yaml': INIT,
    'security.psl': POLICY,
    'app/Alice.edl': 'task class app.Alice\n',
    'app/Bob.edl': 'task class app.Bob\n',
    'app/Carol.edl': 'task class app.Carol\n',
    'src/Alice.ts': ALICE(data),
    'src/Bob.ts': BOB,
    'src/Carol.ts': CAROL,
  }, { dataDir: data, timeoutMs: 20_000 });
});

function reported(task: string, name: string): unknown {
  const r = results(run, task);
  assert.ok(r.has(name), `${task} did not report ${name}; log:\n${run.lines.join('\n')}`);
  return r.get(name);
}

test('every entity ran to the end, and the driver stopped once no client was left', () => {
  for (const task of ['alice', 'bob', 'carol']) assert.equal(exitOf(run, task)?.code, 0, `${task}: ${JSON.stringify(exitOf(run, task))}\n${run.lines.join('\n')}`);
  assert.equal(exitOf(run, 'vfs')?.stopped, true, JSON.stringify(exitOf(run, 'vfs')));
  assert.match(linesOf(run, 'vfs').join('\n'), /serving alice:\/ -> alice \(rw\), alice:\/shared -> shared \(ro\), bob:\/ -> bob \(rw\)/);
});

test('ordinary node:fs/promises code works unchanged through the driver, into the client\'s own host directory', () => {
  assert.equal(reported('alice', 'read'), 'milk, eggs, bread');
  assert.deepEqual(reported('alice', 'root'), ['dangling', 'fifo', 'notes', 'out', 'shared', 'to-bob']);
  assert.deepEqual(reported('alice', 'stat'), { size: 17, file: true, dir: true });
  assert.equal(reported('alice', 'shared'), 'read me, do not change me');
  assert.equal(reported('alice', 'stream'), 1_000_000);
  assert.equal(reported('alice', 'bigRead'), 1_000_000);
  assert.equal(reported('alice', 'callback'), 'milk, eggs, bread');
  assert.equal((reported('alice', 'handle') as { text: string }).text, 'milk, eggs, bread');
  assert.equal(reported('alice', 'fsync'), 'ENOSYS');
  assert.equal(reported('alice', 'journal'), 'entry 1\nentry 2\n');
  assert.equal(readFileSync(path.join(data, 'alice', 'notes', '2026', 'groceries.txt'), 'utf8'), 'milk, eggs, bread');
});

test('two clients are isolated: bob sees only his root and cannot reach alice\'s files or mounts', () => {
  assert.deepEqual(reported('bob', 'bobRoot'), ['diary.txt', 'mine.txt']);
  assert.equal(reported('bob', 'aliceFile'), 'ENOENT');
  assert.equal(reported('bob', 'aliceShared'), 'ENOENT');
  assert.equal(readFileSync(path.join(data, 'bob', 'mine.txt'), 'utf8'), 'bob was here');
  assert.equal(existsSync(path.join(data, 'alice', 'mine.txt')), false);
});

test('the policy pins each client\'s name: bob claiming to be alice is denied before the driver sees it', () => {
  assert.equal(reported('bob', 'claimAlice'), 'SecurityDisallow');
});

test('refusals from inside an entity: read-only mount, traversal, host paths, symlink escapes, FIFOs', () => {
  assert.deepEqual(reported('alice', 'refusals'), {
    readOnly: 'EROFS', readOnlyMkdir: 'EROFS',
    traversal: 'ENOENT', hostPath: 'ENOENT', etcPasswd: 'ENOENT',
    symlinkOutside: 'EACCES', symlinkToBob: 'EACCES', danglingOutside: 'EACCES',
    fifo: 'EACCES',
  });
  assert.deepEqual(reported('bob', 'rawTraversal'), { code: 13, reason: 'path traversal (..) is refused' });
  assert.equal(readFileSync(path.join(data, 'shared', 'readme.txt'), 'utf8'), 'read me, do not change me');
  assert.equal(existsSync(path.join(outside, 'planted.txt')), false);
  assert.equal(reported('alice', 'unlinkLinkOut'), 'ok');
  assert.equal(existsSync(path.join(data, 'alice', 'out')), false);
  assert.equal(readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'outside secret');
  assert.equal(readFileSync(path.join(data, 'bob', 'diary.txt'), 'utf8'), 'bob only');
  // The driver logs the refusals it decides itself.
  const log = linesOf(run, 'vfs').join('\n');
  assert.match(log, /refused alice: ReadFile \/out\/secret\.txt: a symbolic link leads outside the client's mounts/);
  assert.match(log, /refused alice: ReadFile \/fifo: not a regular file or directory/);
  assert.match(log, /refused alice: WriteFile \/shared\/readme\.txt: read-only mount/);
  assert.doesNotMatch(log, /big\.bin/, 'EFBIG (readFile falling back to chunks) is no refusal');
  assert.match(log, /refused bob: ReadFile \/\.\.\/alice\/notes\/2026\/groceries\.txt: path traversal/);
});

test('the kernel enforces the IDL bounds: one byte over MaxData never reaches the driver', () => {
  const [status, explanation] = reported('bob', 'oversize') as [string, string];
  assert.equal(status, 'InvalidMessage');
  assert.match(explanation, /request\.data/);
});

test('an entity with no channel to a driver gets ENOSYS from node:fs', () => {
  assert.equal(reported('carol', 'noChannel'), 'ENOSYS');
});
