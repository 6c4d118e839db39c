// The kernel's side of Secure Audit, with scripted sandboxes standing in for the entities: records
// go to the audit task as calls from the kernel on slot 0, at most AUDIT_WINDOW batches in flight;
// a flood beyond the queue is dropped and counted (the count rides with the next batch); replies
// are checked and dropped (forged or malformed ones count as abuse); deliveries are never audited
// themselves; once every other task has ended the service is asked to Close, then stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameKind, Status, makeFrame, payloadOf, readHeader, type FrameHeader } from '../../../src/entity/frames.ts';
import { Core_RIID } from '../../../src/entity/gen/kl.core.Core.edl.ts';
import { AuditSink_Close_MID, AuditSink_Write_MID, decode_AuditSink_Write_Request, encode_AuditSink_Write_Response } from '../../../src/entity/gen/kl.core.AuditSink.idl.ts';
import { Time_Now_MID, encode_Time_Now_Request } from '../../../src/entity/gen/kl.core.Time.idl.ts';
import { verifyImage } from '../../../src/image/index.ts';
import { AUDIT_QUEUE_MAX, AUDIT_WINDOW } from '../../../src/kernel/audit.ts';
import { loadImageParts } from '../../../src/kernel/boot.ts';
import { Kernel, type Spawner } from '../../../src/kernel/kernel.ts';
import type { SandboxExit } from '../../../src/sandbox/sandbox.ts';
import { buildFiles, describeBuildFailure, fileCleanup, testKey } from '../../helpers/run-solution.ts';
import { freshPath } from '../../helpers/solution.ts';

const scope = fileCleanup();

const FILES = {
  'init.yaml': `entities:
- name: kl.Audit
  task: audit
  isolation: process
  resources:
    fs:
      write: ["audit"]
- name: app.Client
`,
  'app/Client.edl': 'task class app.Client\n',
  'src/Client.ts': 'console.log("scripted in the test");\n',
  // Denials only are recorded; the client's clock calls have no binding, so each is denied (and recorded).
  'security.psl': `execute: kl.core.Execute

use nk.base._

use EDL Einit
use EDL kl.core.Core
use EDL kl.Audit
use EDL app.Client

audit profile trace = { 0 : { base : { kss : ["denied"] } } }
audit default = trace 0

execute { grant () }
request src=kl.core.Core, dst=kl.Audit, endpoint=sink { grant () }
request dst=kl.core.Core, endpoint=log { grant () }
response src=kl.core.Core { grant () }
`,
};

interface Scripted {
  events: { onFrame(f: ArrayBuffer): void; onExit(e: SandboxExit): void };
  received: { h: FrameHeader; payload: Uint8Array }[];
  terminated: boolean;
}

async function boot() {
  const { result } = await buildFiles(scope, FILES);
  if (!result.ok) throw new Error(describeBuildFailure(result));
  const image = verifyImage(result.image, [testKey().publicKeyPem], { stateDir: freshPath(scope, 'state') });
  const log: string[] = [];
  const sandboxes = new Map<string, Scripted>();
  const spawn: Spawner = (task, _start, events) => {
    const s: Scripted = { events, received: [], terminated: false };
    sandboxes.set(task.name, s);
    return {
      send: (frame) => {
        const h = readHeader(new DataView(frame))!;
        s.received.push({ h, payload: payloadOf(frame, h).slice() });
      },
      terminate: async () => {
        s.terminated = true;
        queueMicrotask(() => events.onExit({ code: 0 }));
      },
    };
  };
  let kernel: Kernel | undefined;
  const parts = loadImageParts(image, (record) => kernel?.audit(record));
  kernel = new Kernel({ ...parts, spawn, log: (l) => log.push(l) });
  kernel.boot();
  return { kernel, log, audit: sandboxes.get('audit')!, client: sandboxes.get('app.Client')! };
}

const turn = () => new Promise<void>((r) => setImmediate(r));
const writes = (s: Scripted) => s.received.filter((f) => f.h.kind === FrameKind.call && f.h.mid === AuditSink_Write_MID);
const reply = (s: Scripted, h: FrameHeader, payload = encode_AuditSink_Write_Response({})) =>
  s.events.onFrame(makeFrame({ kind: FrameKind.reply, flags: 0, handle: h.handle, riid: h.riid, mid: h.mid, requestId: h.requestId, status: Status.ok }, payload));

test('records flow to the audit task in bounded batches; a flood is dropped and counted; the service is closed last', async () => {
  const { kernel, log, audit, client } = await boot();
  assert.ok(log.some((l) => /audit records go to task audit/.test(l)));
  const flood = AUDIT_QUEUE_MAX + 904;
  for (let i = 0; i < flood; i++) {
    client.events.onFrame(makeFrame({ kind: FrameKind.call, flags: 0, handle: 0, riid: Core_RIID.time, mid: Time_Now_MID, requestId: i + 1, status: Status.ok }, encode_Time_Now_Request({})));
  }
  await turn();
  assert.equal(log.filter((l) => /audit lags behind/.test(l)).length, 1);
  // The window: AUDIT_WINDOW batches in flight, each a call from the kernel on slot 0.
  assert.equal(writes(audit).length, AUDIT_WINDOW);
  for (const w of writes(audit)) assert.deepEqual([w.h.handle, w.h.riid], [0, 0]);
  const first = decode_AuditSink_Write_Request(writes(audit)[0]!.payload);
  assert.equal(first.dropped, 904);
  assert.equal(first.records.length, 64);
  const r0 = JSON.parse(first.records[0]!) as { event: string; decision: string; src: { task: string }; method: string };
  assert.deepEqual([r0.event, r0.decision, r0.src.task, r0.method], ['request', 'denied', 'app.Client', 'Now']);

  // A reply to a call never made, and a malformed reply, are abuse; neither releases the window.
  const h0 = writes(audit)[0]!.h;
  reply(audit, { ...h0, requestId: 999_999 });
  reply(audit, h0, new Uint8Array([1, 2, 3]));
  assert.ok(log.some((l) => /audit sent a reply to call 999999 it never received/.test(l)));
  assert.ok(log.some((l) => /audit sent an invalid response to the kernel's Write call/.test(l)));

  // Answer everything until the queue is drained: every queued record arrives exactly once, in order.
  let answered = 1;
  for (;;) {
    const open = writes(audit).slice(answered);
    if (open.length === 0) break;
    answered += open.length;
    for (const w of open) reply(audit, w.h);
    await turn();
  }
  const batches = writes(audit).map((w) => decode_AuditSink_Write_Request(w.payload));
  assert.equal(batches.reduce((n, b) => n + b.records.length, 0), AUDIT_QUEUE_MAX);
  // The batch answered with garbage is lost: its 64 records and the 904 it reported are counted again.
  assert.equal(batches.slice(1).reduce((n, b) => n + b.dropped, 0), 64 + 904);
  assert.ok(log.some((l) => /audit caught up; 904 audit records were dropped meanwhile/.test(l)));
  // No record is about a delivery to the audit service.
  for (const b of batches) for (const text of b.records) assert.notEqual(JSON.parse(text).dst.class, 'kl.Audit');

  // The client ends: the audit service gets Close (after the last count), and is stopped once it answers.
  client.events.onExit({ code: 0 });
  await turn();
  const close = audit.received.find((f) => f.h.mid === AuditSink_Close_MID);
  assert.ok(close, 'Close was sent');
  assert.equal(audit.terminated, false, 'not stopped before it has sealed its log');
  reply(audit, close.h, new Uint8Array(0));
  const exits = await kernel.done;
  assert.equal(audit.terminated, true);
  assert.deepEqual(exits.map((e) => e.task).sort(), ['app.Client', 'audit']);
});

test('a batch the service fails to write is counted as lost and reported with the next one; shutdown closes the service last', async () => {
  const { kernel, audit, client } = await boot();
  client.events.onFrame(makeFrame({ kind: FrameKind.call, flags: 0, handle: 0, riid: Core_RIID.time, mid: Time_Now_MID, requestId: 1, status: Status.ok }, encode_Time_Now_Request({})));
  await turn();
  const w = writes(audit)[0]!;
  // A fault from the service (it failed to write): the batch is lost, and said.
  audit.events.onFrame(makeFrame({ kind: FrameKind.fault, flags: 0, handle: 0, riid: w.h.riid, mid: w.h.mid, requestId: w.h.requestId, status: Status.serverFault }, new TextEncoder().encode('disk full')));
  client.events.onFrame(makeFrame({ kind: FrameKind.call, flags: 0, handle: 0, riid: Core_RIID.time, mid: Time_Now_MID, requestId: 2, status: Status.ok }, encode_Time_Now_Request({})));
  await turn();
  const later = writes(audit).slice(1).map((x) => decode_AuditSink_Write_Request(x.payload));
  assert.deepEqual(later.map((b) => [b.records.length, b.dropped]), [[0, 1], [1, 0]], 'the loss is reported at once, then the next record follows');
  for (const x of writes(audit).slice(1)) reply(audit, x.h);
  const stopping = kernel.shutdown('test over');
  await turn();
  assert.equal(client.terminated, true);
  const close = audit.received.find((f) => f.h.mid === AuditSink_Close_MID);
  assert.ok(close, 'shutdown closes the audit service last');
  assert.equal(audit.terminated, false);
  reply(audit, close.h, new Uint8Array(0));
  await stopping;
  assert.equal(audit.terminated, true);
});
