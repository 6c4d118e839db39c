// End to end: the shipped kl.SecureStorage entity (process tier, real host files) with two client
// entities and a policy that pins each client class to its own namespace and grants a shared one
// (read-write for Alice, read-only for Bob). The solution runs twice on the same data directory:
// the second run reads what the first wrote (same sealing key, durable records).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { exitOf, fileCleanup, kernelLines, linesOf, REPORT_TS, results, runSolution, type RunResult } from '../../helpers/run-solution.ts';

// "vault" and "vault-key" on purpose: Node 26's permission model then refuses to list "vault"
// itself (a grant extending another's name); the service must cope.
const INIT = `entities:
- name: app.Alice
  connections:
  - target: kl.SecureStorage
    id: storage
- name: app.Bob
  connections:
  - target: kl.SecureStorage
    id: storage
- name: kl.SecureStorage
  isolation: process
  args: ["--dir", "vault", "--key", "vault-key/sealing.key", "--max-value", "1024", "--max-keys", "8"]
  resources:
    fs:
      write: ["vault", "vault-key"]
`;

// Each client class may name only its own namespace (the kernel establishes src=, the policy pins
// message.namespace to it); "shared" is granted to both, writable by Alice only.
const POLICY = `execute: kl.core.Execute

use nk.base._

use EDL Einit
use EDL kl.core.Core
use EDL kl.SecureStorage
use EDL app.Alice
use EDL app.Bob

execute { grant () }
request dst=kl.core.Core { grant () }
response src=kl.core.Core { grant () }

response src=kl.SecureStorage { grant () }
error src=kl.SecureStorage { grant () }

request src=app.Alice, dst=kl.SecureStorage {
    match method=Get { assert (message.namespace == "alice" || message.namespace == "shared") }
    match method=List { assert (message.namespace == "alice" || message.namespace == "shared") }
    match method=Put { assert (message.namespace == "alice" || message.namespace == "shared") }
    match method=CompareAndSet { assert (message.namespace == "alice" || message.namespace == "shared") }
    match method=Delete { assert (message.namespace == "alice") }
}

request src=app.Bob, dst=kl.SecureStorage {
    match method=Get { assert (message.namespace == "bob" || message.namespace == "shared") }
    match method=List { assert (message.namespace == "bob" || message.namespace == "shared") }
    match method=Put { assert (message.namespace == "bob") }
    match method=CompareAndSet { assert (message.namespace == "bob") }
    match method=Delete { assert (message.namespace == "bob") }
}

assert "each client reaches only its own namespace and the shared one" {
    setup {
        alice <- execute dst=app.Alice
        bob <- execute dst=app.Bob
        storage <- execute dst=kl.SecureStorage
    }
    sequence "own namespaces" {
        grant alice ~> storage:storage.Put { namespace : "alice", key : "token", value : [1] }
        grant bob ~> storage:storage.Get { namespace : "bob", key : "token" }
    }
    sequence "another client's namespace is refused" {
        deny bob ~> storage:storage.Get { namespace : "alice", key : "token" }
        deny alice ~> storage:storage.List { namespace : "bob", after : "" }
    }
    sequence "the shared namespace is read-only for Bob" {
        grant bob ~> storage:storage.Get { namespace : "shared", key : "motd" }
        deny bob ~> storage:storage.Put { namespace : "shared", key : "motd", value : [1] }
    }
}
`;

const CLIENT_PRELUDE = `import { connect, CallFailed } from 'citadel';
import { SecureStorageProxy, ByVersion, ByValue } from '../gen/kl.SecureStorage.idl.ts';
${REPORT_TS}
const channel = connect('storage');
const store = new SecureStorageProxy(channel, channel.riid('storage'));
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
/** What a call gave: its result (bigints as strings, bytes as text), a typed error reply, or a kernel refusal. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: JSON.parse(JSON.stringify(await p, (_k, v) => typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? str(v) : v)) };
  } catch (e) {
    if (e instanceof CallFailed) return { refused: e.status, explanation: e.explanation };
    const params = (e as { params?: Record<string, unknown> }).params;
    if (params) return { error: Number(params['status']), reason: params['reason'], ...(params['current'] !== undefined ? { current: String(params['current']) } : {}) };
    return { other: String(e) };
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
`;

const ALICE = `${CLIENT_PRELUDE}
report('before', await outcome(store.Get({ namespace: 'alice', key: 'token' })));
report('put', await outcome(store.Put({ namespace: 'alice', key: 'token', value: text('alice-secret') })));
report('get', await outcome(store.Get({ namespace: 'alice', key: 'token' })));
report('cas-stale', await outcome(store.CompareAndSet({ namespace: 'alice', key: 'token', mode: ByVersion, expectedVersion: 0n, expectedValue: new Uint8Array(0), value: text('x') })));
report('cas-value', await outcome(store.CompareAndSet({ namespace: 'alice', key: 'counter-cas', mode: ByValue, expectedValue: text('nope'), expectedVersion: 0n, value: text('x') })));
report('too-large', await outcome(store.Put({ namespace: 'alice', key: 'big', value: new Uint8Array(2000) })));
report('over-idl-bound', await outcome(store.Put({ namespace: 'alice', key: 'huge', value: new Uint8Array(70000) })));
report('bad-key', await outcome(store.Put({ namespace: 'alice', key: 'tab\\there', value: text('v') })));
report('shared-put', await outcome(store.Put({ namespace: 'shared', key: 'motd', value: text('hello from alice') })));
report('other-get', await outcome(store.Get({ namespace: 'bob', key: 'token' })));
report('other-list', await outcome(store.List({ namespace: 'bob', after: '' })));
report('list', await outcome(store.List({ namespace: 'alice', after: '' })));
`;

const BOB = `${CLIENT_PRELUDE}
report('put', await outcome(store.Put({ namespace: 'bob', key: 'token', value: text('bob-secret') })));
report('get', await outcome(store.Get({ namespace: 'bob', key: 'token' })));
// Claiming Alice's namespace in the message does not help: the policy checks it against the caller's class.
report('other-get', await outcome(store.Get({ namespace: 'alice', key: 'token' })));
report('other-put', await outcome(store.Put({ namespace: 'alice', key: 'token', value: text('overwritten by bob') })));
report('other-delete', await outcome(store.Delete({ namespace: 'alice', key: 'token' })));
let motd: unknown;
for (let i = 0; i < 200; i++) {
  motd = await outcome(store.Get({ namespace: 'shared', key: 'motd' }));
  if ((motd as { ok?: unknown }).ok) break;
  await sleep(10);
}
report('shared-get', motd);
report('shared-put', await outcome(store.Put({ namespace: 'shared', key: 'motd', value: text('bob was here') })));
report('list', await outcome(store.List({ namespace: 'bob', after: '' })));
`;

const FILES = {
  'init.yaml': INIT,
  'security.psl': POLICY,
  'app/Alice.edl': 'task class app.Alice\n',
  'app/Bob.edl': 'task class app.Bob\n',
  'src/Alice.ts': ALICE,
  'src/Bob.ts': BOB,
};

const cleanup = fileCleanup();
let first: RunResult;
let second: RunResult;
let alice: Map<string, unknown>;
let bob: Map<string, unknown>;

before(async () => {
  first = await runSolution(cleanup, FILES);
  alice = results(first, 'app.Alice');
  bob = results(first, 'app.Bob');
  second = await runSolution(cleanup, FILES, { dataDir: first.dataDir });
});

const denied = (r: unknown) => {
  const o = r as { refused?: string; explanation?: string };
  assert.equal(o.refused, 'SecurityDisallow', JSON.stringify(r));
  return o.explanation!;
};

test('the service starts in the process tier and every entity ends cleanly', () => {
  assert.ok(linesOf(first, 'kl.SecureStorage').some((l) => /^kl\.SecureStorage: serving vault \(sealing key vault-key\/sealing\.key; limits: value 1024 B, 8 keys/.test(l)), linesOf(first, 'kl.SecureStorage').join('\n'));
  for (const task of ['app.Alice', 'app.Bob']) assert.equal(exitOf(first, task)?.code, 0, `${task}: ${JSON.stringify(exitOf(first, task))}\n${first.lines.join('\n')}`);
});

test('each client reads and writes its own namespace; equal keys in two namespaces stay apart', () => {
  assert.equal((alice.get('before') as { error: number }).error, 1); // NotFound on a fresh store
  assert.deepEqual(alice.get('put'), { ok: { version: '1' } });
  assert.deepEqual(alice.get('get'), { ok: { value: 'alice-secret', version: '1' } });
  assert.deepEqual(bob.get('put'), { ok: { version: '1' } });
  assert.deepEqual(bob.get('get'), { ok: { value: 'bob-secret', version: '1' } });
  assert.deepEqual(alice.get('list'), { ok: { keys: ['token'], more: 0 } });
  assert.deepEqual(bob.get('list'), { ok: { keys: ['token'], more: 0 } });
});

test('a client cannot read, write, delete or list another client\'s namespace: the kernel refuses with the policy\'s explanation', () => {
  for (const [who, name] of [[bob, 'other-get'], [bob, 'other-put'], [bob, 'other-delete'], [alice, 'other-get'], [alice, 'other-list']] as const) {
    const explanation = denied(who.get(name));
    assert.match(explanation, /^denied request: app\.(Alice|Bob) .* → kl\.SecureStorage/, explanation);
    assert.match(explanation, /security\.psl:\d+:\d+/, explanation);
  }
  // The service never saw them: the second run finds Alice's token as she left it (test below).
});

test('the shared namespace granted by the policy: Alice writes, Bob reads, and Bob\'s Put is denied with the explanation', () => {
  assert.deepEqual(alice.get('shared-put'), { ok: { version: '1' } });
  assert.deepEqual(bob.get('shared-get'), { ok: { value: 'hello from alice', version: '1' } });
  const explanation = denied(bob.get('shared-put'));
  assert.match(explanation, /method Put/, explanation);
  // The explanation points at the rule that refused: Bob's Put assertion.
  const lines = POLICY.split('\n');
  const bobPut = lines.findIndex((l) => l.includes('match method=Put { assert (message.namespace == "bob") }'));
  assert.match(explanation, new RegExp(`rule: +security\\.psl:${bobPut + 1}:\\d+`), explanation);
  assert.match(explanation, /reason: +base\.assert: assertion failed/, explanation);
});

test('limits: the service\'s --max-value gives a TooLarge reply with a reason; the IDL bound stops bigger values before they are sent', () => {
  assert.deepEqual(alice.get('too-large'), { error: 4, reason: 'value is 2000 bytes; this store takes at most 1024 (--max-value)' });
  // The generated proxy refuses to encode it (a hand-made frame would fail the kernel's IDL check).
  assert.deepEqual(alice.get('over-idl-bound'), { other: 'CodecError: BoundExceeded at request.value: 70000 bytes exceed the bound of 65536' });
  assert.deepEqual(alice.get('bad-key'), { error: 3, reason: 'key "tab\\there" contains a control character or a lone surrogate' });
});

test('CompareAndSet over IPC: a stale version and a wrong expected value conflict, with the current version', () => {
  assert.deepEqual(alice.get('cas-stale'), { error: 2, reason: 'key "token" is at version 1, not 0', current: '1' });
  assert.deepEqual(alice.get('cas-value'), { error: 2, reason: 'key "counter-cas" does not exist (expected a value)', current: '0' });
});

test('values are encrypted at rest; the sealing key file is 0600 in its own granted directory', () => {
  const files: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name)); };
  walk(path.join(first.dataDir, 'vault'));
  assert.ok(files.some((f) => f.endsWith('.rec')), files.join('\n'));
  for (const f of files) {
    const bytes = readFileSync(f).toString('latin1');
    for (const secret of ['alice-secret', 'bob-secret', 'hello from alice']) assert.ok(!bytes.includes(secret), `${f} holds "${secret}" in the clear`);
  }
  const key = path.join(first.dataDir, 'vault-key', 'sealing.key');
  assert.equal(statSync(key).mode & 0o777, 0o600);
  assert.equal(statSync(key).size, 36);
});

test('a second run on the same data reads what the first wrote (durable, same sealing key)', () => {
  const again = results(second, 'app.Alice');
  assert.deepEqual(again.get('before'), { ok: { value: 'alice-secret', version: '1' } });
  assert.deepEqual(again.get('put'), { ok: { version: '2' } });
  assert.deepEqual(results(second, 'app.Bob').get('put'), { ok: { version: '2' } });
  assert.equal(kernelLines(second).filter((l) => /integrity/.test(l)).length, 0);
});
