// IPC cost through the kernel, as ratios measured in one run:
//  - checked call round trip (IDL validation + policy decision on request and response),
//  - the same kernel relay with checks off (a security module that grants everything and a
//    validator that accepts everything, injected: the kernel's code path is unchanged),
//  - a direct MessageChannel round trip between two plain workers (the transport floor),
// plus calls/s with 1, 4 and 16 concurrent clients, and boot time / memory for 50 entities.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { buildSolution } from '../src/build/build.ts';
import { generateKeyPair, verifyImage, type VerifiedImage } from '../src/image/index.ts';
import { loadImageParts, tierSpawner } from '../src/kernel/boot.ts';
import { Kernel, type KernelOptions } from '../src/kernel/kernel.ts';
import type { CompiledSchema } from '../src/kernel/validate.ts';
import type { SecurityModule } from '../src/security/index.ts';

const RUNS = 3;
const CALLS = 2000;
const SOLUTION = path.join(path.dirname(new URL(import.meta.url).pathname), 'ipc');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Copies the bench solution with `clients` client tasks, each making `calls` calls `concurrency` at a time. */
async function imageWith(clients: number, calls: number, concurrency: number): Promise<VerifiedImage> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citadel-ipc-'));
  cpSync(SOLUTION, dir, { recursive: true });
  const entries = Array.from({ length: clients }, (_, i) =>
    `- name: echo.Client\n  task: client${i + 1}\n  connections:\n  - target: echo.Server\n    id: echo\n  args: ["--calls", "${calls}", "--concurrency", "${concurrency}"]\n`);
  writeFileSync(path.join(dir, 'init.yaml'), `entities:\n${entries.join('')}- name: echo.Server\n`);
  const key = generateKeyPair();
  const built = await buildSolution(dir, { privateKeyPem: key.privateKeyPem });
  if (!built.ok) throw new Error(`bench solution does not build: ${built.stage}`);
  return verifyImage(built.image, [key.publicKeyPem], { stateDir: dir });
}

const GRANT = Object.freeze({ granted: true });

/** Checks off: same kernel, a module that grants everything and a validator that accepts everything. */
function unchecked(parts: ReturnType<typeof loadImageParts>): Pick<KernelOptions, 'security' | 'schema'> {
  const security: SecurityModule = { ...parts.security, decide: () => GRANT, classIndex: (n) => parts.security.classIndex(n) };
  const accept = { validate: () => undefined, decode: () => ({}), handleOffsets: () => [], handles: 0 };
  const schema = {
    ...parts.schema,
    method: (cls: number, riid: number, mid: number) => {
      const m = parts.schema.method(cls, riid, mid);
      return m && { name: m.name, request: { ...accept, handles: m.request.handles }, response: accept, error: accept };
    },
  } as unknown as CompiledSchema;
  return { security, schema };
}

/** Runs the image; returns seconds between every client's "start" and the last "done". */
async function timeRun(image: VerifiedImage, checks: boolean, clients: number): Promise<number> {
  const parts = loadImageParts(image);
  let started = 0;
  let firstStart = 0;
  let lastDone = 0;
  let done = 0;
  const log = (line: string) => {
    if (line.endsWith('] start')) { if (started++ === 0) firstStart = performance.now(); }
    else if (line.endsWith('] done')) { done++; lastDone = performance.now(); }
    else if (line.startsWith('[kernel]') && !line.includes('stopped') && !line.includes('exited')) process.stderr.write(line + '\n');
  };
  const kernel = new Kernel({ ...parts, ...(checks ? {} : unchecked(parts)), spawn: tierSpawner(os.tmpdir()), log });
  kernel.boot();
  await kernel.done;
  if (done !== clients) throw new Error(`only ${done} of ${clients} clients finished`);
  return (lastDone - firstStart) / 1000;
}

/** Round trips over a MessageChannel between two plain workers, 128-byte buffers transferred. */
async function directRtt(calls: number): Promise<number> {
  const echo = `const { parentPort } = require('node:worker_threads');
    parentPort.once('message', (port) => port.on('message', (b) => port.postMessage(b, [b])));`;
  const client = `const { parentPort } = require('node:worker_threads');
    parentPort.once('message', ({ port, calls }) => {
      let n = 0; let t0 = 0;
      const send = () => { const b = new ArrayBuffer(160); port.postMessage(b, [b]); };
      port.on('message', () => {
        n++;
        if (n === 200) t0 = performance.now();
        if (n === 200 + calls) { parentPort.postMessage((performance.now() - t0) / 1000); process.exit(0); }
        send();
      });
      send();
    });`;
  const a = new Worker(echo, { eval: true });
  const b = new Worker(client, { eval: true });
  const { port1, port2 } = new MessageChannel();
  a.postMessage(port1, [port1]);
  const seconds = await new Promise<number>((resolve) => {
    b.once('message', resolve);
    b.postMessage({ port: port2, calls }, [port2]);
  });
  await a.terminate();
  return seconds;
}

/** Round trips between two plain workers over a SharedArrayBuffer with Atomics.wait/notify: the blocking floor. */
async function atomicsRtt(calls: number): Promise<number> {
  const code = `const { workerData, parentPort } = require('node:worker_threads');
    const a = new Int32Array(workerData.sab); const { role, calls } = workerData;
    if (role === 'pong') {
      for (let i = 1; i <= calls + 200; i++) { Atomics.wait(a, 0, i - 1); Atomics.store(a, 1, i); Atomics.notify(a, 1); }
    } else {
      let t0 = 0;
      for (let i = 1; i <= calls + 200; i++) {
        if (i === 201) t0 = performance.now();
        Atomics.store(a, 0, i); Atomics.notify(a, 0); Atomics.wait(a, 1, i - 1);
      }
      parentPort.postMessage((performance.now() - t0) / 1000);
    }`;
  const sab = new SharedArrayBuffer(8);
  const pong = new Worker(code, { eval: true, workerData: { sab, role: 'pong', calls } });
  const ping = new Worker(code, { eval: true, workerData: { sab, role: 'ping', calls } });
  const seconds = await new Promise<number>((resolve) => ping.once('message', resolve));
  await Promise.all([ping.terminate(), pong.terminate()]);
  return seconds;
}

/** Boot of a solution with `n` entities: wall time until all are running, and RSS added per entity. */
async function bootMany(n: number): Promise<{ ms: number; rssPerEntityMiB: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citadel-boot-'));
  cpSync(SOLUTION, dir, { recursive: true });
  // Clients that announce themselves and then idle: servers without clients would be stopped at once.
  writeFileSync(path.join(dir, 'init.yaml'), `entities:\n${Array.from({ length: n }, (_, i) => `- name: echo.Client\n  task: client${i + 1}\n`).join('')}`);
  writeFileSync(path.join(dir, 'src/Client.ts'), `console.log('ready');\nsetTimeout(() => undefined, 60_000);\n`);
  const key = generateKeyPair();
  const built = await buildSolution(dir, { privateKeyPem: key.privateKeyPem });
  if (!built.ok) throw new Error('boot bench solution does not build');
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const image = verifyImage(built.image, [key.publicKeyPem], { stateDir: dir });
  let ready = 0;
  let readyAt = 0;
  let rss1 = 0;
  const kernel = new Kernel({
    ...loadImageParts(image),
    spawn: tierSpawner(dir),
    log: (line) => {
      if (line.endsWith('] ready') && ++ready === n) {
        readyAt = performance.now();
        rss1 = process.memoryUsage().rss;
        void kernel.shutdown('benchmark over');
      }
    },
  });
  kernel.boot();
  await kernel.done;
  return { ms: readyAt - t0, rssPerEntityMiB: (rss1 - rss0) / n / 2 ** 20 };
}

const rows: { name: string; median: number; min: number; max: number; unit: string; ratio?: string }[] = [];
const row = (name: string, xs: number[], unit: string, ratio?: string) => {
  rows.push({ name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), unit, ...(ratio ? { ratio } : {}) });
};

const single = await imageWith(1, CALLS, 1);
const checked: number[] = [], relay: number[] = [], direct: number[] = [], atomics: number[] = [];
for (let r = 0; r < RUNS; r++) {
  atomics.push((await atomicsRtt(CALLS * 5)) / (CALLS * 5) * 1e6);
  direct.push((await directRtt(CALLS)) / CALLS * 1e6);
  relay.push((await timeRun(single, false, 1)) / CALLS * 1e6);
  checked.push((await timeRun(single, true, 1)) / CALLS * 1e6);
}
const ratios = (xs: number[], base: number[]) => xs.map((x, i) => x / base[i]!);
row('raw Atomics wait/notify RTT (worker ↔ worker, no payload)', atomics, 'µs');
row('direct MessageChannel RTT (worker ↔ worker)', direct, 'µs', `${median(ratios(direct, atomics)).toFixed(2)}× Atomics`);
row('kernel relay RTT, checks off', relay, 'µs', `${median(ratios(relay, direct)).toFixed(2)}× direct`);
row('checked call RTT (validation + policy, both ways)', checked, 'µs', `${median(ratios(checked, relay)).toFixed(2)}× unchecked, ${median(ratios(checked, direct)).toFixed(2)}× direct, ${median(ratios(checked, atomics)).toFixed(1)}× Atomics`);

for (const clients of [1, 4, 16]) {
  const image = await imageWith(clients, Math.round(CALLS * 2 / clients), 1);
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) rates.push((Math.round(CALLS * 2 / clients) * clients) / await timeRun(image, true, clients));
  row(`checked calls/s, ${clients} concurrent client${clients > 1 ? 's' : ''}`, rates, 'calls/s');
}

for (const n of [1, 10, 50]) {
  const boots: number[] = [], rss: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const b = await bootMany(n);
    boots.push(b.ms);
    rss.push(b.rssPerEntityMiB);
  }
  row(`boot of ${n} worker entit${n === 1 ? 'y' : 'ies'} (verify + spawn + ready)`, boots, 'ms', n === 50 ? `${median(boots) < 1000 ? 'within' : 'over'} the 1 s budget` : undefined);
  row(`RSS per idle worker entity, ${n} running`, rss, 'MiB', n === 50 ? `${median(rss) < 15 ? 'within' : 'over'} the 15 MiB budget` : undefined);
}

for (const r of rows) {
  process.stdout.write(`${r.name.padEnd(56)} ${r.median.toFixed(1).padStart(10)} ${r.unit.padEnd(8)} [${r.min.toFixed(1)}–${r.max.toFixed(1)}]${r.ratio ? `  ${r.ratio}` : ''}\n`);
}
process.stdout.write(`RESULT ${JSON.stringify({ bench: 'ipc', runs: RUNS, rows })}\n`);
