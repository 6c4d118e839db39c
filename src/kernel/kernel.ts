// The kernel: the entity table, every entity's handle table, and the one IPC path. Each frame is
// checked (header, handle, endpoint/method, payload against the IDL) and decided by the security
// module before delivery; responses are checked and decided on the way back.
import { FrameKind, HANDLE_DESCRIPTOR_BYTES, HEADER_BYTES, MAX_FRAME_BYTES, Status, handlesOf, makeFrame, payloadOf, readHeader, type FrameHeader } from '../entity/frames.ts';
import type { BootInfo } from '../entity/host.ts';
import { KERNEL_HANDLE } from '../entity/host.ts';
import { NO_HANDLE, type ServerDispatch } from '../entity/wire.ts';
import type { Sandbox, SandboxExit } from '../sandbox/sandbox.ts';
import type { StartMessage } from '../sandbox/protocol.ts';
import { formatExplanation, type AuditRecord, type Decision, type SecurityModule } from '../security/index.ts';
import type { EventKind } from '../security/ir.ts';
import { AuditSink_Close_MID, AuditSink_Write_MID, encode_AuditSink_Close_Request, encode_AuditSink_Write_Request } from '../entity/gen/kl.core.AuditSink.idl.ts';
import { AUDIT_CLASS, AUDIT_CLOSE_MS, AUDIT_WINDOW, AuditQueue } from './audit.ts';
import { ALL_RIGHTS, HandleTable, Rights, type ChannelRecord } from './handles.ts';
import type { PlanTask, SolutionPlan } from './plan.ts';
import { createCoreServices } from './services.ts';
import type { CompiledMethod, CompiledSchema, MessagePlan } from './validate.ts';

/** Starts a sandbox for a task; the kernel supplies the events. */
export type Spawner = (task: PlanTask, start: StartMessage, events: { onFrame(f: ArrayBuffer): void; onExit(e: SandboxExit): void }) => Sandbox;

export interface KernelOptions {
  readonly plan: SolutionPlan;
  readonly security: SecurityModule;
  readonly schema: CompiledSchema;
  readonly bundle: (task: PlanTask) => string;
  readonly spawn: Spawner;
  /** Kernel log: entity console output, denials, exits. */
  readonly log: (line: string) => void;
}

export interface TaskExit {
  readonly task: string;
  readonly code: number;
  readonly reason?: string;
  /** True when the kernel stopped it deliberately (no living clients, shutdown). */
  readonly stopped: boolean;
}

interface PendingCall {
  readonly client: Entity;
  readonly clientRequestId: number;
  readonly clientHandle: number;
  readonly channel: ChannelRecord;
  readonly slot: number;
  readonly method: CompiledMethod;
  readonly riid: number;
  readonly mid: number;
  readonly bytes: number;
}

/** A call the kernel itself made to an entity (to the audit service); its reply is checked and dropped. */
interface KernelCall {
  readonly riid: number;
  readonly mid: number;
  readonly method: CompiledMethod;
  readonly done: (outcome: 'reply' | 'error' | 'fault' | 'lost') => void;
}

/** One running instance of a task. */
interface Entity {
  readonly task: PlanTask;
  readonly sid: number;
  readonly handles: HandleTable;
  readonly pending: Map<number, PendingCall>;
  /** Server-side slot of each channel that reaches this entity, and back. */
  readonly slots: Map<ChannelRecord, number>;
  readonly slotChannels: Map<number, ChannelRecord>;
  readonly core: ServerDispatch;
  sandbox: Sandbox | undefined;
  alive: boolean;
  nextRequest: number;
  /** Calls this entity made that still await a reply. */
  outgoing: number;
  /** Payload bytes delivered to it as a server and not yet answered. */
  queuedBytes: number;
  abuse: number;
  stopping: string | undefined;
  /** Kernel request ids of calls whose client is gone: their late replies are dropped quietly. */
  readonly orphaned: Set<number>;
  /** Calls to the kernel itself (handle 0) not yet answered. */
  kernelInFlight: number;
  /** Calls from the kernel to this entity not yet answered, by request id (they arrive on slot 0). */
  readonly fromKernel: Map<number, KernelCall>;
}

/** Control characters an entity could use to fake log lines or rewrite a terminal, made visible. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Entity text as log lines, every one of them carrying the entity's own prefix. */
function entityLines(task: string, text: string): string {
  return visible(text).split('\n').map((line) => `[${task}] ${line}`).join('\n');
}

/** Entity-supplied text inside a kernel line (crash reasons): one line, nothing hidden. */
function oneLine(text: string): string {
  return visible(text).replaceAll('\n', ' ⏎ ');
}

const KERNEL_SID = 1;
/** Validating a response's Handle fields accepts any value: they name the server's handles, checked separately. */
const ANY_SLOT = 0xffffffff;
/** Handles one entity may hold: passing handles cannot grow a server's table without bound. */
const MAX_HANDLES = 4096;
/** The server-side slot of calls that come from the kernel (channel slots start at 1). */
const KERNEL_SLOT = 0;
const EINIT_SID = 2;
/** An entity that sends this many malformed or forged frames is terminated. */
const ABUSE_LIMIT = 64;
const utf8 = new TextEncoder();

export class Kernel {
  readonly #o: KernelOptions;
  readonly #entities = new Map<string, Entity>();
  readonly #restarts = new Map<string, number>();
  readonly #exits: TaskExit[] = [];
  readonly #channels: ChannelRecord[];
  readonly #coreClass: number;
  readonly #einitClass: number;
  #nextSid = 100;
  #finished = false;
  /** The solution's audit service and the records waiting for it; undefined when it has none. */
  readonly #audit: AuditQueue | undefined;
  #auditPumpQueued = false;
  /** True while the kernel decides its own calls: records of those decisions are not kept (they would feed themselves). */
  #unaudited = false;
  #resolveDone!: (exits: readonly TaskExit[]) => void;
  readonly done: Promise<readonly TaskExit[]>;

  constructor(options: KernelOptions) {
    this.#o = options;
    this.#channels = options.plan.channels.map((c) => ({ id: c.id, server: c.server, client: c.client, inFlight: 0 }));
    this.#coreClass = options.security.classIndex('kl.core.Core') ?? -1;
    this.#einitClass = options.security.classIndex('Einit') ?? -1;
    this.done = new Promise((resolve) => { this.#resolveDone = resolve; });
    this.#audit = this.#findAuditService();
  }

  /** The first task of class kl.Audit, if its class serves kl.core.AuditSink at endpoint `sink`. */
  #findAuditService(): AuditQueue | undefined {
    const { plan, security, schema, log } = this.#o;
    const tasks = plan.tasks.filter((t) => t.className === AUDIT_CLASS);
    const task = tasks[0];
    if (!task) return undefined;
    const ids = security.methodIds(task.classIndex, 'sink', 'Write');
    if (!ids || ids.mid !== AuditSink_Write_MID || schema.method(task.classIndex, ids.riid, AuditSink_Close_MID)?.name !== 'Close') {
      log(`[kernel] audit: task ${task.name} (class ${AUDIT_CLASS}) has no endpoint "sink" of interface kl.core.AuditSink; audit records are not delivered`);
      return undefined;
    }
    const more = tasks.length > 1 ? ` (and not to ${tasks.slice(1).map((t) => t.name).join(', ')})` : '';
    log(`[kernel] audit: the security module's audit records go to task ${task.name}${more}; up to 4096 wait for it, beyond that they are dropped and counted`);
    return new AuditQueue(task.name, ids.riid, log);
  }

  /**
   * Takes one audit record from the security module (boot wires the module's sink here). Called
   * while the module decides, so delivery happens later. Records of the kernel's own calls to the
   * audit service are not kept: each delivery would otherwise produce a record to deliver.
   */
  audit(record: AuditRecord): void {
    const q = this.#audit;
    if (!q || this.#unaudited) return;
    if (q.closing) {
      q.lost(1);
      return;
    }
    q.push(record);
    if (!this.#auditPumpQueued) {
      this.#auditPumpQueued = true;
      queueMicrotask(() => {
        this.#auditPumpQueued = false;
        this.#pumpAudit();
      });
    }
  }

  /** Kernel start, Einit start, then every task: each an `execute` event the policy decides. */
  boot(): boolean {
    const { security, log } = this.#o;
    const self = security.decide({ kind: 'execute', srcClass: this.#coreClass, dstClass: this.#coreClass, srcSid: KERNEL_SID, dstSid: KERNEL_SID });
    if (!self.granted) {
      log(`[kernel] the policy denies the kernel's own start; nothing runs\n${formatExplanation(self.explanation!)}`);
      this.#finish();
      return false;
    }
    const einit = security.decide({ kind: 'execute', srcClass: this.#coreClass, dstClass: this.#einitClass, srcSid: KERNEL_SID, dstSid: EINIT_SID });
    if (!einit.granted) {
      log(`[kernel] can't start Einit: check the security configuration in the policy\n${formatExplanation(einit.explanation!)}`);
      this.#finish();
      return false;
    }
    for (const task of this.#o.plan.tasks) this.#start(task);
    this.#settle();
    return true;
  }

  /** Graceful stop of everything (SIGINT/SIGTERM); the audit service last, once it has sealed its log. */
  async shutdown(reason: string): Promise<void> {
    const sink = this.#audit && this.#entities.get(this.#audit.task);
    await Promise.all([...this.#entities.values()].filter((e) => e.alive && e !== sink).map((e) => this.#stop(e, reason)));
    if (sink?.alive) {
      await this.#closeAudit(sink);
      await this.#stop(sink, reason);
    }
  }

  #start(task: PlanTask): void {
    const sid = this.#nextSid++;
    const decision = this.#o.security.decide({ kind: 'execute', srcClass: this.#einitClass, dstClass: task.classIndex, srcSid: EINIT_SID, dstSid: sid, dstTask: task.name });
    if (!decision.granted) {
      this.#o.log(`[kernel] start of ${task.name} denied by policy:\n${formatExplanation(decision.explanation!)}`);
      this.#exits.push({ task: task.name, code: 1, reason: 'start denied by policy', stopped: false });
      return;
    }
    const handles = new HandleTable();
    const channels: Record<string, BootInfo['channels'][string]> = {};
    for (const c of this.#o.plan.channels.filter((c) => c.client === task.name)) {
      const record = this.#channels.find((r) => r.id === c.id && r.client === c.client)!;
      handles.install(c.handle, { channel: record, rights: ALL_RIGHTS });
      const server = this.#o.plan.tasks.find((t) => t.name === c.server);
      channels[c.id] = { handle: c.handle, server: c.server, serverClass: server?.className ?? '', endpoints: server?.endpoints ?? {} };
    }
    const entity: Entity = {
      task, sid, handles, pending: new Map(), slots: new Map(), slotChannels: new Map(), core: undefined!,
      sandbox: undefined, alive: true, nextRequest: 1, outgoing: 0, queuedBytes: 0, abuse: 0, stopping: undefined,
      orphaned: new Set(), kernelInFlight: 0, fromKernel: new Map(),
    };
    Object.assign(entity, {
      core: createCoreServices({
        log: (_level, text) => this.#o.log(entityLines(task.name, text)),
        exit: () => undefined,
        closeHandle: (n) => handles.close(n),
        copyHandle: (n, rights) => {
          const held = handles.get(n);
          return held && (rights & ~held.rights) === 0 ? handles.add({ channel: held.channel, rights }) : undefined;
        },
        auditLevel: () => this.#o.security.auditLevel(),
        setAuditLevel: (level) => {
          const was = this.#o.security.auditLevel();
          this.#o.security.setAuditLevel(level);
          this.#o.log(`[kernel] audit level ${was} → ${level}, set by ${task.name}`);
        },
      }),
    });
    this.#channels.filter((c) => c.server === task.name).forEach((c, i) => {
      entity.slots.set(c, i + 1);
      entity.slotChannels.set(i + 1, c);
    });
    this.#entities.set(task.name, entity);
    if (this.#audit?.task === task.name) {
      // A new instance of the audit service (first start or restart) is sent what waits for it.
      this.#audit.closing = undefined;
      this.#audit.closed = false;
      queueMicrotask(() => this.#pumpAudit());
    }
    const boot: BootInfo = { task: task.name, className: task.className, args: task.args, env: task.env, channels, endpoints: task.endpoints };
    entity.sandbox = this.#o.spawn(task, { bundle: this.#o.bundle(task), boot }, {
      // An entity being terminated gets nothing more through: no decisions, no deliveries.
      onFrame: (frame) => { if (entity.alive && !entity.stopping) this.#onFrame(entity, frame); },
      onExit: (exit) => this.#onExit(entity, exit),
    });
  }

  // ---- frames ------------------------------------------------------------------------------

  #onFrame(from: Entity, frame: ArrayBuffer): void {
    if (frame.byteLength > MAX_FRAME_BYTES) return this.#abuse(from, `sent a ${frame.byteLength}-byte frame, over the ${MAX_FRAME_BYTES}-byte limit`);
    const h = readHeader(new DataView(frame));
    if (!h) return this.#abuse(from, `sent a malformed frame (${frame.byteLength} bytes; header lengths do not match)`);
    if (h.version !== 1) return this.#abuse(from, `sent a frame of unknown version ${h.version}`);
    if (h.kind === FrameKind.call) this.#call(from, frame, h);
    else if (h.kind === FrameKind.reply || h.kind === FrameKind.error || h.kind === FrameKind.fault) this.#reply(from, frame, h);
    else this.#abuse(from, `sent a frame of unknown kind ${h.kind}`);
  }

  #fault(to: Entity, h: FrameHeader, status: number, text: string): void {
    if (!to.alive) return;
    to.sandbox?.send(makeFrame({ kind: FrameKind.fault, flags: 0, handle: h.handle, riid: h.riid, mid: h.mid, requestId: h.requestId, status }, utf8.encode(text)));
  }

  #call(client: Entity, frame: ArrayBuffer, h: FrameHeader): void {
    const isKernel = h.handle === KERNEL_HANDLE;
    const entry = isKernel ? undefined : client.handles.get(h.handle);
    if (!isKernel && !entry) return this.#refuse(client, h, Status.invalidMessage, `no handle ${h.handle} in ${client.task.name}'s handle table`);
    if (entry && (entry.rights & Rights.call) === 0) return this.#refuse(client, h, Status.invalidMessage, `handle ${h.handle} lacks the call right (rights ${entry.rights})`);
    const server = entry ? this.#entities.get(entry.channel.server) : undefined;
    const dstClass = isKernel ? this.#coreClass : server?.task.classIndex ?? this.#o.plan.tasks.find((t) => t.name === entry!.channel.server)?.classIndex ?? -1;
    const method = this.#o.schema.method(dstClass, h.riid, h.mid);
    if (!method) return this.#refuse(client, h, Status.invalidMessage, `the server has no endpoint ${h.riid} with method ${h.mid}`);
    const payload = payloadOf(frame, h);
    const invalid = h.handleCount > method.request.handles
      ? `the request carries ${h.handleCount} handles; its IDL allows at most ${method.request.handles}`
      : method.request.validate(payload, h.handleCount);
    if (invalid) return this.#refuse(client, h, Status.invalidMessage, `the request does not match the IDL: ${invalid}`);
    const transfer = this.#checkTransfer(client, frame, h);
    if (typeof transfer === 'string') return this.#refuse(client, h, Status.invalidMessage, transfer);
    if (!isKernel && (!server || !server.alive || server.stopping)) {
      return this.#fault(client, h, Status.notConnected, `${entry!.channel.server} is not running`);
    }
    // Flow control comes before the decision: a granted decision commits model state, so a call
    // refused as Busy afterwards would leave the policy believing it happened.
    const bytes = payload.byteLength;
    if (isKernel && client.kernelInFlight >= client.task.limits.inFlight) {
      return this.#fault(client, h, Status.busy, `${client.kernelInFlight} kernel calls already in flight (limits.inFlight = ${client.task.limits.inFlight})`);
    }
    if (!isKernel && entry!.channel.inFlight >= client.task.limits.inFlight) {
      return this.#fault(client, h, Status.busy, `${entry!.channel.inFlight} calls already in flight on channel ${entry!.channel.id} (limits.inFlight = ${client.task.limits.inFlight})`);
    }
    if (!isKernel && server!.queuedBytes + bytes > server!.task.limits.queueKiB * 1024) {
      return this.#fault(client, h, Status.busy, `${server!.task.name}'s request queue is full (limits.queueKiB = ${server!.task.limits.queueKiB})`);
    }
    if (!isKernel && transfer.length > 0 && server!.handles.size + transfer.length > MAX_HANDLES) {
      return this.#fault(client, h, Status.busy, `${server!.task.name}'s handle table is full (${MAX_HANDLES} handles)`);
    }
    const dstSid = isKernel ? KERNEL_SID : server!.sid;
    if (!this.#decide('request', client, client.task.classIndex, client.sid, dstClass, dstSid, h, method.request, payload, isKernel ? 'kernel' : server!.task.name)) return;

    if (isKernel) {
      // The kernel acts on the caller's own table: handle fields name the caller's handles.
      this.#rewriteHandles(payload, method.request, transfer.map((t) => t.number), frame, h);
      return void this.#kernelCall(client, h, method, payload);
    }
    const channel = entry!.channel;
    const target = server!;
    const requestId = target.nextRequest;
    target.nextRequest = target.nextRequest >= 0xfffffffe ? 1 : target.nextRequest + 1;
    const slot = target.slots.get(channel) ?? 0;
    target.pending.set(requestId, { client, clientRequestId: h.requestId, clientHandle: h.handle, channel, slot, method, riid: h.riid, mid: h.mid, bytes });
    channel.inFlight++;
    client.outgoing++;
    target.queuedBytes += bytes;
    // Each handed-over handle becomes a new handle in the server's table, with the rights asked for.
    const received = transfer.map((t) => target.handles.add({ channel: t.channel, rights: t.rights }));
    this.#rewriteHandles(payload, method.request, received, frame, h);
    // The frame is ours now (transferred): rewrite the header in place and pass it on.
    const view = new DataView(frame);
    view.setUint32(4, slot, true);
    view.setUint32(16, requestId, true);
    target.sandbox!.send(frame);
  }

  #reply(server: Entity, frame: ArrayBuffer, h: FrameHeader): void {
    const fromKernel = server.fromKernel.get(h.requestId);
    if (fromKernel) return this.#replyToKernel(server, frame, h, fromKernel);
    if (server.orphaned.delete(h.requestId)) return; // the caller is gone; nobody to answer
    const p = server.pending.get(h.requestId);
    if (!p || p.slot !== h.handle || p.riid !== h.riid || p.mid !== h.mid) {
      return this.#abuse(server, `sent a reply to call ${h.requestId} it never received`);
    }
    server.pending.delete(h.requestId);
    this.#release(p, server);
    const back: FrameHeader = { ...h, handle: p.clientHandle, requestId: p.clientRequestId };
    if (h.kind === FrameKind.fault) {
      return this.#fault(p.client, back, Status.serverFault, `${server.task.name} failed to serve the call: ${oneLine(new TextDecoder().decode(payloadOf(frame, h)).slice(0, 1024))}`);
    }
    const which = h.kind === FrameKind.reply ? 'response' : 'error';
    const shape = which === 'response' ? p.method.response : p.method.error;
    const payload = payloadOf(frame, h);
    // In a response a Handle field names a handle of the server's own table (there is no handle list).
    const invalid = h.handleCount > 0 ? 'a response names its handles in its Handle fields, not in a handle list' : shape.validate(payload, shape.handles > 0 ? ANY_SLOT : 0);
    if (invalid) {
      this.#o.log(`[kernel] ${server.task.name} sent an invalid ${which}: ${invalid}`);
      return this.#fault(p.client, back, Status.invalidMessage, `${server.task.name}'s ${which} does not match the IDL: ${invalid}`);
    }
    const handed = shape.handles > 0 ? this.#responseHandles(server, p.client, shape, payload) : [];
    if (typeof handed === 'string') {
      this.#abuse(server, `sent a ${which} handing over ${handed}`);
      return this.#fault(p.client, back, Status.invalidMessage, `${server.task.name}'s ${which} hands over ${handed}`);
    }
    if (!this.#decide(which, p.client, server.task.classIndex, server.sid, p.client.task.classIndex, p.client.sid, back, shape, payload, p.client.task.name, server.task.name)) return;
    if (!p.client.alive) return;
    // Each handed-over handle becomes a new handle in the client's table; the field now names it.
    const fields = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (const { offset, channel, rights } of handed) fields.setUint32(offset, p.client.handles.add({ channel, rights }), true);
    const view = new DataView(frame);
    view.setUint32(4, p.clientHandle, true);
    view.setUint32(16, p.clientRequestId, true);
    p.client.sandbox!.send(frame);
  }

  async #kernelCall(client: Entity, h: FrameHeader, method: CompiledMethod, payload: Uint8Array): Promise<void> {
    // Answering on a later turn lets a burst accumulate against limits.inFlight (checked by the
    // caller), so a flood is refused as Busy instead of growing the reply queue.
    client.outgoing++;
    client.kernelInFlight++;
    let result;
    try {
      await new Promise((resolve) => setImmediate(resolve));
      result = await client.core(h.riid, h.mid, payload.slice());
    } catch (err) {
      return this.#fault(client, h, Status.serverFault, `kernel: ${(err as Error).message}`);
    } finally {
      client.outgoing--;
      client.kernelInFlight--;
    }
    const which = result.kind === 'reply' ? 'response' : 'error';
    const shape = which === 'response' ? method.response : method.error;
    if (!this.#decide(which, client, this.#coreClass, KERNEL_SID, client.task.classIndex, client.sid, h, shape, result.payload, client.task.name, 'kernel')) return;
    if (!client.alive) return;
    client.sandbox!.send(makeFrame({ kind: which === 'response' ? FrameKind.reply : FrameKind.error, flags: 0, handle: KERNEL_HANDLE, riid: h.riid, mid: h.mid, requestId: h.requestId, status: Status.ok }, result.payload));
    // Only a server that stops waiting on the kernel can become stoppable; settling scans every entity.
    if (client.outgoing === 0 && client.pending.size === 0) this.#settle();
  }

  // ---- calls from the kernel (to the audit service) ------------------------------------------

  /**
   * A call from the kernel (class kl.core.Core) to `target`, decided by the policy like any request
   * but never audited. Sent on slot 0; `done` gets the outcome. Returns the decision.
   */
  #callFromKernel(target: Entity, riid: number, mid: number, payload: Uint8Array, done: KernelCall['done']): Decision {
    const method = this.#o.schema.method(target.task.classIndex, riid, mid)!;
    this.#unaudited = true;
    let decision: Decision;
    try {
      decision = this.#o.security.decide({
        kind: 'request', srcClass: this.#coreClass, dstClass: target.task.classIndex, srcSid: KERNEL_SID, dstSid: target.sid,
        riid, mid, srcTask: 'kernel', dstTask: target.task.name, message: () => method.request.decode(payload),
      });
    } finally {
      this.#unaudited = false;
    }
    if (!decision.granted) return decision;
    const requestId = target.nextRequest;
    target.nextRequest = target.nextRequest >= 0xfffffffe ? 1 : target.nextRequest + 1;
    target.fromKernel.set(requestId, { riid, mid, method, done });
    target.sandbox!.send(makeFrame({ kind: FrameKind.call, flags: 0, handle: KERNEL_SLOT, riid, mid, requestId, status: Status.ok }, payload));
    return decision;
  }

  /** A reply to a call from the kernel: checked against the IDL, then dropped (there is nobody to pass it to). */
  #replyToKernel(server: Entity, frame: ArrayBuffer, h: FrameHeader, call: KernelCall): void {
    if (h.handle !== KERNEL_SLOT || h.riid !== call.riid || h.mid !== call.mid) return this.#abuse(server, `sent a reply to call ${h.requestId} it never received`);
    server.fromKernel.delete(h.requestId);
    if (h.kind === FrameKind.fault) {
      this.#o.log(`[kernel] ${server.task.name} failed to serve the kernel's ${call.method.name} call: ${oneLine(new TextDecoder().decode(payloadOf(frame, h)).slice(0, 1024))}`);
      return call.done('fault');
    }
    const which = h.kind === FrameKind.reply ? 'response' : 'error';
    const invalid = h.handleCount > 0 ? 'handles can be sent in requests only' : (which === 'response' ? call.method.response : call.method.error).validate(payloadOf(frame, h), h.handleCount);
    if (invalid) {
      this.#abuse(server, `sent an invalid ${which} to the kernel's ${call.method.name} call: ${invalid}`);
      return call.done('fault');
    }
    call.done(which === 'response' ? 'reply' : 'error');
  }

  /** Sends queued audit records to the audit service, up to AUDIT_WINDOW batches in flight. */
  #pumpAudit(): void {
    const q = this.#audit;
    const sink = q && this.#entities.get(q.task);
    if (!q || !sink?.alive || sink.stopping || q.closing) return;
    while (q.inFlight < AUDIT_WINDOW && (q.pending > 0 || q.dropped > 0)) {
      const batch = q.take();
      const payload = encode_AuditSink_Write_Request(batch);
      const lost = batch.records.length + batch.dropped;
      const decision = this.#callFromKernel(sink, q.riid, AuditSink_Write_MID, payload, (outcome) => {
        q.inFlight--;
        if (outcome !== 'reply') q.lost(lost);
        this.#pumpAudit();
        this.#settle();
      });
      if (!decision.granted) {
        q.lost(lost);
        if (!q.denied) {
          q.denied = true;
          this.#o.log(`[kernel] audit: THE POLICY DENIES the kernel's deliveries to ${q.task}, so audit records are dropped (counted); ` +
            `allow them with \`request src=kl.core.Core, dst=${AUDIT_CLASS}, endpoint=sink { grant () }\`\n${formatExplanation(decision.explanation!)}`);
        }
        return;
      }
      q.inFlight++;
    }
  }

  /** Asks the audit service to seal its log (every other task has ended); resolves once it has, or failed to in time. */
  #closeAudit(sink: Entity): Promise<void> {
    const q = this.#audit!;
    q.closing ??= new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        if (q.closed) return;
        clearTimeout(timer);
        q.closed = true;
        resolve();
        this.#settle();
      };
      timer = setTimeout(() => {
        this.#o.log(`[kernel] audit: ${q.task} did not seal its log within ${AUDIT_CLOSE_MS} ms; stopping it`);
        finish();
      }, AUDIT_CLOSE_MS);
      const decision = this.#callFromKernel(sink, q.riid, AuditSink_Close_MID, encode_AuditSink_Close_Request({}), (outcome) => {
        if (outcome !== 'reply' && outcome !== 'lost') this.#o.log(`[kernel] audit: ${q.task} could not seal its log`);
        finish();
      });
      if (!decision.granted) queueMicrotask(finish);
    });
    return q.closing;
  }

  /** The handles a frame hands over: each must be in the sender's table with the transfer right, and keep or lose rights, never gain. */
  #checkTransfer(sender: Entity, frame: ArrayBuffer, h: FrameHeader): { number: number; channel: ChannelRecord; rights: number }[] | string {
    const out: { number: number; channel: ChannelRecord; rights: number }[] = [];
    for (const [number, rights] of handlesOf(frame, h)) {
      const held = sender.handles.get(number);
      if (!held) return `handle ${number} is not in ${sender.task.name}'s handle table`;
      if ((held.rights & Rights.transfer) === 0) return `handle ${number} may not be passed on (no transfer right)`;
      if ((rights & ~held.rights) !== 0) return `handle ${number} holds rights ${held.rights}; it cannot grant ${rights}`;
      out.push({ number, channel: held.channel, rights });
    }
    return out;
  }

  /** The handles a response hands over: each in the server's table with the transfer right, rights never grown, room in the client's table. */
  #responseHandles(server: Entity, client: Entity, shape: MessagePlan, payload: Uint8Array): { offset: number; channel: ChannelRecord; rights: number }[] | string {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const out: { offset: number; channel: ChannelRecord; rights: number }[] = [];
    for (const offset of shape.handleOffsets(payload)) {
      const number = view.getUint32(offset, true);
      if (number === NO_HANDLE) continue;
      const rights = view.getUint32(offset + 4, true);
      const held = server.handles.get(number);
      if (!held) return `handle ${number}, which is not in its handle table`;
      if ((held.rights & Rights.transfer) === 0) return `handle ${number}, which it may not pass on (no transfer right)`;
      if ((rights & ~held.rights) !== 0) return `handle ${number} with rights ${rights}, more than the ${held.rights} it holds`;
      out.push({ offset, channel: held.channel, rights });
    }
    if (client.handles.size + out.length > MAX_HANDLES) return `${out.length} handles to ${client.task.name}, whose handle table is full (${MAX_HANDLES})`;
    return out;
  }

  /** Rewrites every handle field (a slot index into the frame's handle list) to the receiver's handle number. */
  #rewriteHandles(payload: Uint8Array, shape: MessagePlan, numbers: readonly number[], frame: ArrayBuffer, h: FrameHeader): void {
    if (numbers.length === 0) return;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (const offset of shape.handleOffsets(payload)) {
      const slot = view.getUint32(offset, true);
      if (slot !== NO_HANDLE) view.setUint32(offset, numbers[slot]!, true);
    }
    const frameView = new DataView(frame);
    numbers.forEach((n, i) => frameView.setUint32(HEADER_BYTES + h.payloadLength + i * HANDLE_DESCRIPTOR_BYTES, n, true));
  }

  /** Asks the security module; on denial the client gets SecurityDisallow with the explanation. */
  #decide(kind: EventKind, client: Entity, srcClass: number, srcSid: number, dstClass: number, dstSid: number, h: FrameHeader, shape: MessagePlan, payload: Uint8Array, dstTask: string, srcTask = client.task.name): boolean {
    const decision = this.#o.security.decide({
      kind, srcClass, dstClass, srcSid, dstSid, riid: h.riid, mid: h.mid, srcTask, dstTask,
      message: () => shape.decode(payload),
    });
    if (decision.granted) return true;
    const text = formatExplanation(decision.explanation!);
    this.#o.log(`[kernel] ${text}`);
    this.#fault(client, h, Status.securityDisallow, text);
    return false;
  }

  #refuse(client: Entity, h: FrameHeader, status: number, why: string): void {
    this.#fault(client, h, status, why);
    this.#abuse(client, why, false);
  }

  #abuse(entity: Entity, what: string, log = true): void {
    entity.abuse++;
    if (log) this.#o.log(`[kernel] ${entity.task.name} ${what}`);
    if (entity.abuse >= ABUSE_LIMIT && !entity.stopping) void this.#stop(entity, `terminated after ${ABUSE_LIMIT} malformed or forged frames`, false);
  }

  #release(p: PendingCall, server: Entity): void {
    p.channel.inFlight--;
    p.client.outgoing--;
    server.queuedBytes -= p.bytes;
  }

  // ---- lifetimes ---------------------------------------------------------------------------

  async #stop(entity: Entity, reason: string, deliberate = true): Promise<void> {
    if (!entity.alive || entity.stopping) return;
    entity.stopping = deliberate ? reason : `!${reason}`;
    await entity.sandbox?.terminate(reason);
  }

  #onExit(entity: Entity, exit: SandboxExit): void {
    if (!entity.alive) return;
    entity.alive = false;
    const deliberate = entity.stopping !== undefined && !entity.stopping.startsWith('!');
    const reason = entity.stopping?.replace(/^!/, '') ?? exit.reason;
    const code = deliberate ? 0 : exit.code;
    this.#exits.push({ task: entity.task.name, code, ...(reason ? { reason } : {}), stopped: deliberate });
    this.#o.log(`[kernel] ${entity.task.name} ${deliberate ? `stopped: ${reason}` : code === 0 ? 'exited' : `failed (exit code ${code})${reason ? `: ${oneLine(reason)}` : ''}`}`);
    // Calls waiting on this entity fail now; nobody hangs because a server died.
    for (const [, p] of entity.pending) {
      this.#release(p, entity);
      this.#fault(p.client, { version: 1, kind: FrameKind.fault, flags: 0, handle: p.clientHandle, riid: p.riid, mid: p.mid, requestId: p.clientRequestId, payloadLength: 0, handleCount: 0, status: 0 },
        Status.notConnected, `${entity.task.name} ended before replying`);
    }
    entity.pending.clear();
    const fromKernel = [...entity.fromKernel.values()];
    entity.fromKernel.clear();
    for (const call of fromKernel) call.done('lost');
    // Calls it made are abandoned: servers stop waiting on it (and may then be stopped themselves).
    for (const server of this.#entities.values()) {
      for (const [id, p] of server.pending) {
        if (p.client !== entity) continue;
        server.pending.delete(id);
        this.#release(p, server);
        if (server.alive) server.orphaned.add(id);
      }
    }
    const restarts = this.#restarts.get(entity.task.name) ?? 0;
    const restart = entity.task.restart;
    if (!deliberate && code !== 0 && restart.mode === 'on-failure' && restarts < restart.maxRestarts && !this.#finished) {
      this.#restarts.set(entity.task.name, restarts + 1);
      this.#o.log(`[kernel] restarting ${entity.task.name} (${restarts + 1} of ${restart.maxRestarts})`);
      this.#start(entity.task);
    }
    this.#settle();
  }

  /**
   * Ends servers that can never be called again (no living entity holds a channel to them and
   * they wait on nothing), and finishes the run when nothing is left.
   */
  #settle(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const e of this.#entities.values()) {
        if (!e.alive || e.stopping || Object.keys(e.task.endpoints).length === 0 || e.outgoing > 0 || e.pending.size > 0 || e.fromKernel.size > 0) continue;
        const reachable = [...this.#entities.values()].some((c) => c !== e && c.alive && !c.stopping && c.handles.reaches(e.task.name));
        // A failed task is restarted as soon as it exits, so only living entities can call again.
        if (reachable) continue;
        if (this.#audit?.task === e.task.name && !this.#audit.closed) {
          // The audit service records to the end: once every other task has ended and what was
          // queued is delivered, it seals its log, and only then is it stopped.
          const q = this.#audit;
          if (q.inFlight > 0 || [...this.#entities.values()].some((c) => c !== e && c.alive)) continue;
          // What waits (and the count of what was dropped) goes first, unless the policy refuses it.
          if (!q.denied && (q.pending > 0 || q.dropped > 0)) this.#pumpAudit();
          if (q.inFlight === 0) void this.#closeAudit(e);
          continue;
        }
        void this.#stop(e, 'no living clients');
        changed = true;
      }
    }
    if ([...this.#entities.values()].every((e) => !e.alive)) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const undelivered = this.#audit?.discard() ?? 0;
    if (undelivered > 0) this.#o.log(`[kernel] audit: ${undelivered} audit records never reached ${this.#audit!.task}`);
    this.#resolveDone(this.#exits);
  }
}

