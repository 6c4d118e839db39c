// End to end: the shipped kl.Audit entity (process tier, real files) in a solution whose policy has
// an audit profile. The kernel's records of granted and denied decisions reach the log, an
// application appends and queries through the log endpoint, SetLevel goes through the kernel's
// audit endpoint and changes what is recorded, and `citadel audit verify` accepts the sealed log.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { nodeLogCrypto, readSegments } from '../../../src/services/audit/node.ts';
import { verifyLog, type LogRecord } from '../../../src/services/audit/log.ts';
import { exitOf, fileCleanup, kernelLines, linesOf, REPORT_TS, results, runSolution } from '../../helpers/run-solution.ts';
import { PROJECT_ROOT } from '../../helpers/solution.ts';

const scope = fileCleanup();
const CLI = path.join(PROJECT_ROOT, 'bin', 'citadel.js');

const INIT = `entities:
- name: kl.Audit
  task: audit
  isolation: process
  args: ["--dir", "audit", "--checkpoint-every", "8"]
  resources:
    fs:
      write: ["audit"]
- name: app.Client
  connections:
  - target: audit
    id: audit
  - target: server
    id: server
- name: app.Server
  task: server
`;

// Level 0 records denials only, level 1 every outcome. The kernel may deliver to the audit
// service's sink; only the audit service may set the level in the kernel. Without \`sink\` the
// kernel's deliveries are denied, and the client may call anything on the audit service.
const POLICY = (sink: boolean) => `execute: kl.core.Execute

use nk.base._

use EDL Einit
use EDL kl.core.Core
use EDL kl.Audit
use EDL app.Client
use EDL app.Server

audit profile trace = { 0 : { base : { kss : ["denied"] } }, 1 : { base : { kss : ["granted", "denied"] } } }
audit default = trace 0

execute { grant () }
request dst=kl.core.Core, endpoint=log { grant () }
request dst=kl.core.Core, endpoint=time { grant () }
request dst=kl.core.Core, endpoint=random { grant () }
request dst=kl.core.Core, endpoint=task { grant () }
request src=kl.Audit, dst=kl.core.Core, endpoint=audit { grant () }
response src=kl.core.Core { grant () }
${sink ? 'request src=kl.core.Core, dst=kl.Audit, endpoint=sink { grant () }' : ''}

request src=app.Client, dst=app.Server, endpoint=ping, method=Ping { grant () }
request src=app.Client, dst=app.Server, endpoint=ping, method=Secret { deny () }
response src=app.Server, dst=app.Client { grant () }

${sink ? `request src=app.Client, dst=kl.Audit, endpoint=log {
    match method=Append { assert (message.source == "client") }
    match method=Query { grant () }
    match method=GetLevel { grant () }
    match method=SetLevel { grant () }
}` : 'request src=app.Client, dst=kl.Audit { grant () }'}
response src=kl.Audit, dst=app.Client { grant () }
`;

const FILES = (sink: boolean) => ({
  'init.yaml': INIT,
  'security.psl': POLICY(sink),
  'app/Ping.idl': 'package app.Ping\n\ninterface {\n    Ping(in UInt32 value, out UInt32 result);\n    Secret(out UInt32 code);\n}\n',
  'app/Server.edl': 'task class app.Server\n\nendpoints {\n    ping : app.Ping\n}\n',
  'app/Client.edl': 'task class app.Client\n',
  'src/Server.ts': `import { serve } from 'citadel';
import { createServerDispatcher } from '../gen/app.Server.edl.ts';
serve(createServerDispatcher({ ping: { Ping: ({ value }) => ({ result: value + 1 }), Secret: () => ({ code: 42 }) } }));
`,
  'src/Client.ts': `import { CallFailed, connect, current } from 'citadel';
import { PingProxy } from '../gen/app.Ping.idl.ts';
import { AuditLogProxy } from '../gen/kl.AuditLog.idl.ts';
import { AuditSinkProxy } from '../gen/kl.core.AuditSink.idl.ts';
import { AuditProxy } from '../gen/kl.core.Audit.idl.ts';
import { Core_RIID } from '../gen/kl.core.Core.edl.ts';
${REPORT_TS}
const status = async (f: () => Promise<unknown>) => { try { await f(); return 'ok'; } catch (e) { return e instanceof CallFailed ? e.status : String(e); } };
const server = connect('server');
const ping = new PingProxy(server, server.riid('ping'));
const channel = connect('audit');
const audit = new AuditLogProxy(channel, channel.riid('log'));
await ping.Ping({ value: 1 });
report('secret', await status(() => ping.Secret({})));
report('levelBefore', (await audit.GetLevel({})).level);
report('kernelSetLevel', await status(() => new AuditProxy(current().kernel, Core_RIID.audit).SetLevel({ level: 0 })));
report('forgedSinkWrite', await status(() => new AuditSinkProxy(channel, channel.riid('sink')).Write({ records: ['{}'], dropped: 0 })));
await audit.SetLevel({ level: 1 });
report('levelAfter', (await audit.GetLevel({})).level);
await ping.Ping({ value: 2 });
report('seq', Number((await audit.Append({ source: 'client', event: 'user-login', detail: 'alice' })).seq));
report('impostor', await status(() => audit.Append({ source: 'server', event: 'x', detail: '' })));
report('denied', (await audit.Query({ count: 16, task: '', event: '', decision: 2 })).records.map((r) => JSON.parse(r).method));
`,
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test('granted and denied decisions land in the log, SetLevel changes what is recorded, and the sealed log verifies', async () => {
  const run = await runSolution(scope, FILES(true));
  const r = results(run, 'app.Client');
  assert.equal(exitOf(run, 'app.Client')?.code, 0, run.lines.join('\n'));
  assert.equal(exitOf(run, 'audit')?.stopped, true, run.lines.join('\n'));
  assert.equal(r.get('secret'), 'SecurityDisallow');
  assert.equal(r.get('levelBefore'), 0);
  assert.equal(r.get('kernelSetLevel'), 'SecurityDisallow', 'only the audit service may set the level in the kernel');
  assert.equal(r.get('forgedSinkWrite'), 'SecurityDisallow', 'applications cannot write kernel records');
  assert.equal(r.get('levelAfter'), 1);
  assert.equal(r.get('impostor'), 'SecurityDisallow', 'the policy pins the source an application may claim');
  // Query sees every denial so far, in order: the Secret call, the kernel SetLevel, the forged sink write, the impostor.
  assert.deepEqual(r.get('denied'), ['Secret', 'SetLevel', 'Write', 'Append']);
  assert.ok(kernelLines(run).some((l) => /audit level 0 → 1, set by audit/.test(l)), kernelLines(run).join('\n'));
  assert.ok(linesOf(run, 'audit').some((l) => /WHEN FULL .*--on-full stop/.test(l)), 'the full-disk policy is stated at start');

  const dir = path.join(run.dataDir, 'audit');
  const records: LogRecord[] = [];
  const report = verifyLog(readSegments(dir), { crypto: nodeLogCrypto, onRecord: (x) => records.push(x) });
  assert.ok(report.ok && report.closed && report.uncovered === 0, JSON.stringify(report.error));
  const pings = records.filter((x) => x.kind === 'decision' && x.method === 'Ping' && x.event === 'request');
  const levelAt = records.find((x) => x.event === 'audit-level')!.seq;
  // Level 0 records denials only: the first Ping (granted) is not in the log, the second is.
  assert.equal(pings.length, 1, JSON.stringify(pings));
  assert.ok(pings[0]!.seq > levelAt && pings[0]!.decision === 'granted' && pings[0]!.task === 'app.Client' && pings[0]!.dstTask === 'server');
  const secret = records.find((x) => x.method === 'Secret')!;
  assert.equal(secret.decision, 'denied');
  assert.ok(secret.seq < levelAt);
  assert.ok(records.some((x) => x.kind === 'decision' && x.method === 'SetLevel' && x.endpoint === 'audit' && x.decision === 'denied' && x.task === 'app.Client'));
  assert.ok(records.some((x) => x.kind === 'app' && x.event === 'user-login' && x.task === 'client' && x.detail === 'alice' && x.seq === r.get('seq')));
  // Deliveries to the audit service are never themselves audited.
  assert.ok(!records.some((x) => x.endpoint === 'sink' && x.task === 'kernel'), 'kernel → audit deliveries are not recorded');
  assert.equal(statSync(path.join(dir, 'audit.key')).mode & 0o777, 0o600);

  const verified = await cli('audit', 'verify', dir, '--key', path.join(dir, 'audit.pub'));
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /^ok {2}.*sealed/s);
  const queried = await cli('audit', 'query', dir, '--decision', 'denied', '--task', 'server', '--json');
  assert.equal(queried.code, 0, queried.stderr);
  assert.deepEqual(queried.stdout.trim().split('\n').map((l) => (JSON.parse(l) as LogRecord).method), ['Secret']);
  // The log is tamper-evident from the outside too: one changed byte and verify names the record.
  const first = readSegments(dir)[0]!;
  const text = readFileSync(path.join(dir, first.name), 'utf8').replace('"user-login"', '"user-logon"');
  writeFileSync(path.join(dir, first.name), text);
  const tampered = await cli('audit', 'verify', dir);
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, new RegExp(`record ${r.get('seq')} was changed`));
  writeFileSync(path.join(dir, first.name), first.bytes);
  firstRun = run.dataDir;
});

let firstRun: string | undefined;

test('the next run continues the same log with the same key: one chain across runs', async (t) => {
  if (!firstRun) return t.skip('needs the first run');
  const run = await runSolution(scope, FILES(true), { dataDir: firstRun });
  assert.equal(exitOf(run, 'app.Client')?.code, 0, run.lines.join('\n'));
  assert.ok(!linesOf(run, 'audit').some((l) => /created the audit signing key/.test(l)));
  const records: LogRecord[] = [];
  const report = verifyLog(readSegments(path.join(firstRun, 'audit')), { crypto: nodeLogCrypto, onRecord: (x) => records.push(x) });
  assert.ok(report.ok && report.closed, JSON.stringify(report.error));
  assert.equal(records.filter((x) => x.event === 'start').length, 2);
  assert.equal(records.filter((x) => x.event === 'user-login').length, 2);
});

test('a policy that denies the kernel\'s deliveries is reported once, loudly, and nothing hangs; the service itself refuses forged sink calls', async () => {
  const run = await runSolution(scope, FILES(false));
  assert.equal(exitOf(run, 'app.Client')?.code, 0, run.lines.join('\n'));
  // The policy lets the client call the sink endpoint here; the service refuses calls not from the kernel's slot.
  assert.equal(results(run, 'app.Client').get('forgedSinkWrite'), 'ServerFault');
  const denials = run.entries.filter((l) => l.includes('THE POLICY DENIES the kernel\'s deliveries to audit'));
  assert.equal(denials.length, 1, run.entries.join('\n'));
  const report = verifyLog(readSegments(path.join(run.dataDir, 'audit')), { crypto: nodeLogCrypto });
  assert.ok(report.ok, JSON.stringify(report.error));
  assert.equal(report.closed, false, 'without deliveries the log is not sealed either (Close is denied too)');
});
