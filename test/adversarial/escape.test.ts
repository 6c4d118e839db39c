// Escape attempts from inside real entities (worker tier: SES Compartment in a worker thread;
// process tier: child process under the permission model). One prober entity runs every probe
// and reports each outcome; a neighbour entity checks nothing leaked into its own realm; a
// process-tier driver probes its file grant. Each test asserts one precise refusal or absence.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { clientEdl, policy, svcFiles } from '../helpers/kit.ts';
import { buildFiles, exitOf, fileCleanup, linesOf, REPORT_TS, results, runSolution, type RunResult } from '../helpers/run-solution.ts';
import { refused } from './report.ts';

const INIT = `entities:
- name: t.Prober
  connections:
  - target: t.Server
    id: svc
- name: t.Neighbor
  connections:
  - target: t.Server
    id: svc
- name: t.Driver
  isolation: process
  resources:
    fs:
      write: ["data"]
- name: t.DirectEval
- name: t.Server
`;

// Probes: each a function whose outcome (value or thrown error) is reported by name. The source
// must not contain the byte patterns the build refuses (dynamic import, HTML comments).
const PROBER = `import { connect, hostFs } from 'citadel';
import { SvcProxy } from '../gen/t.Svc.idl.ts';
${REPORT_TS}
declare const process: unknown, require: unknown, module: unknown, exports: unknown, __dirname: unknown;
declare const __citadel: any;
const g = globalThis as any;
const host = __citadel;
const hostPaths = (s: string) => /\\/work\\/|node:internal|file:\\/\\/|\\.ts:\\d|worker_threads|bootstrap/.test(s);

// Every name an entity must not have (ambient authority, other channels, clocks, entropy, threads).
const ABSENT = ['process', 'require', 'module', 'exports', '__dirname', '__filename', 'global', 'Buffer', 'setImmediate',
  'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'BroadcastChannel', 'MessageChannel', 'MessagePort', 'Worker',
  'SharedWorker', 'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'performance', 'crypto', 'navigator',
  'postMessage', 'importScripts', 'structuredClone', 'FinalizationRegistry', 'WeakRef', 'queueMicrotask', 'Deno', 'Bun'];
report('absent', Object.fromEntries(ABSENT.map((n) => [n, [typeof g[n], n in g]])));
report('globals', Object.getOwnPropertyNames(g).sort());

// A free name the compartment lacks reads as undefined (SES's scope terminator), it does not throw.
report('process', attempt(() => process));
// \`require\` in a bundle is esbuild's shim, which defers to a global require: there is none.
report('require', attempt(() => (require as any)(['node', 'fs'].join(':'))));
report('require-typeof', typeof require);
report('module', attempt(() => module));
report('globalThis.process', attempt(() => g.process));
report('Function-this', attempt(() => Function('return this')()));
report('Function-process', attempt(() => Function('return typeof process')()));
report('ctor-ctor', attempt(() => ({}).constructor.constructor('return process')()));
report('this-ctor', attempt(() => ({ m(this: any) { return this.constructor.constructor('return process')(); } }).m()));
report('fn-ctor', attempt(() => (function () {}).constructor('return process')()));
report('async-ctor', attempt(() => (async function () {}).constructor('return process')));
report('gen-ctor', attempt(() => (function* () {}).constructor('return process')));
report('asyncgen-ctor', attempt(() => (async function* () {}).constructor('return process')));
report('reflect-ctor', attempt(() => Reflect.construct(Object.getPrototypeOf(function () {}).constructor, ['return process'])));
const indirect = g.eval;
report('indirect-eval-global', attempt(() => indirect('this') === globalThis));
report('indirect-eval-process', attempt(() => indirect('typeof process')));
// Built at run time, so the bundle holds no such text (a literal concatenation would be folded).
const IMPORT = ['imp', 'ort'].join('');
report('runtime-dynamic-import', attempt(() => Function('return ' + IMPORT + '("node:fs")')()));
report('eval-dynamic-import', attempt(() => indirect(IMPORT + '("node:child_process")')));
report('escaped-import', attempt(() => Function('return im\\\\u0070ort("node:fs")')()));
report('nested-compartment', attempt(() => new g.Compartment().evaluate('typeof process + typeof require')));
report('nested-compartment-endowed', attempt(() => new g.Compartment({ __options__: true }).evaluate('typeof __citadel')));

// Stack traces: no CallSites, no host frames.
let frames: unknown;
const prep = attempt(() => { Error.prepareStackTrace = (_e: unknown, f: unknown) => { frames = f; return f; }; return 'assigned'; });
const err = new Error('probe');
report('prepareStackTrace', { prep, frames: frames === undefined ? 'none' : typeof frames, stackType: typeof err.stack, stack: String(err.stack), prepNow: typeof Error.prepareStackTrace });
const holder: { stack?: unknown } = {};
const cap = attempt(() => { (Error as any).captureStackTrace(holder); return typeof holder.stack; });
report('captureStackTrace', { cap, stack: String(holder.stack), hostPaths: hostPaths(String(holder.stack)) });
const deep = (n: number): Error => (n === 0 ? new Error('deep') : deep(n - 1));
report('error-stack', { stack: String(deep(5).stack), hostPaths: hostPaths(String(deep(5).stack)) });
// An error thrown by the host (the endowment) into the entity.
let hostErr: any;
try { host.send(42); } catch (e) { hostErr = e; }
report('host-error', { message: String(hostErr && hostErr.message), stack: String(hostErr && hostErr.stack), hostPaths: hostPaths(String(hostErr && hostErr.stack)),
  ctor: attempt(() => hostErr.constructor.constructor('return process')()) });

// Prototype pollution of shared intrinsics.
report('pollute-object', attempt(() => { (Object.prototype as any).x = 1; return ({} as any).x; }));
report('pollute-proto', attempt(() => { ({} as any).__proto__.y = 1; return ({} as any).y; }));
report('pollute-array-push', attempt(() => { Array.prototype.push = function () { return 0; }; return 'assigned'; }));
report('pollute-json-parse', attempt(() => { JSON.parse = () => 'evil'; return JSON.parse('1'); }));
report('pollute-promise-then', attempt(() => { Promise.prototype.then = (() => undefined) as any; return 'assigned'; }));
report('pollute-function-call', attempt(() => Object.defineProperty(Function.prototype, 'call', { value: () => 'evil' })));
report('pollute-definegetter', attempt(() => (Object.prototype as any).__defineGetter__('z', () => 'evil')));
report('pollute-string', attempt(() => { (String.prototype as any).evil = 1; return 'assigned'; }));
report('after-pollution', { x: String(({} as any).x), y: String(({} as any).y), z: String(({} as any).z), push: [1].push(2), json: JSON.parse('1') });
// The compartment's own global is the entity's to change (it affects only itself).
g.proberSecret = 'prober-secret-value';
report('own-global', g.proberSecret);

// No clock, no entropy.
report('Date.now', attempt(() => Date.now()));
report('new-Date', attempt(() => new Date()));
report('Date-call', attempt(() => (Date as any)()));
report('Math.random', attempt(() => Math.random()));
report('performance', attempt(() => g.performance.now()));
report('Temporal.Now', attempt(() => g.Temporal.Now.instant()));

// The endowment is hardened.
report('endowment-frozen', { host: Object.isFrozen(host), boot: Object.isFrozen(host.boot), channels: Object.isFrozen(host.boot.channels), svc: Object.isFrozen(host.boot.channels.svc), send: Object.isFrozen(host.send) });
report('mut-send', attempt(() => { host.send = () => undefined; return 'assigned'; }));
report('mut-task', attempt(() => { host.boot.task = 't.Server'; return host.boot.task; }));
report('mut-handle', attempt(() => { host.boot.channels.svc.handle = 99; return host.boot.channels.svc.handle; }));
report('mut-add', attempt(() => { host.extra = 1; return 'assigned'; }));
report('mut-delete', attempt(() => { delete host.exit; return typeof host.exit; }));
report('mut-getter', attempt(() => Object.defineProperty(host, 'send', { get() { return () => undefined; } })));
report('mut-fn-prop', attempt(() => { host.send.evil = 1; return 'assigned'; }));
report('endowment-descriptors', Object.entries(Object.getOwnPropertyDescriptors(host)).map(([k, d]: [string, any]) => k + ':' + ('get' in d || 'set' in d ? 'accessor' : 'data')));
report('endowment-fn-ctor', attempt(() => host.send.constructor('return process')()));
report('endowment-toString', { send: Function.prototype.toString.call(host.send), exit: Function.prototype.toString.call(host.exit) });
report('hostFs-worker', typeof hostFs());
// The environment is init.yaml's (none here), never the host's.
report('boot-env', { env: host.boot.env, args: host.boot.args });
// Crafted objects handed to the endowment are refused by the host, not trusted.
report('send-proxy', attempt(() => host.send(new Proxy(new ArrayBuffer(32), {}))));
report('send-fake-buffer', attempt(() => host.send(Object.create(ArrayBuffer.prototype))));
report('send-typed-array', attempt(() => host.send(new Uint8Array(32))));

// with-scope games.
report('unscopables-global', attempt(() => { g[Symbol.unscopables] = { process: true, require: true }; return 'assigned'; }));
report('unscopables-objproto', attempt(() => { (Object.prototype as any)[Symbol.unscopables] = { process: true }; return 'assigned'; }));
report('after-unscopables', { process: typeof process, viaFunction: Function('return typeof process')(), viaEval: indirect('typeof require') });

// Strict-mode leftovers.
function victim() { return (victim as any).caller; }
report('caller', attempt(() => victim()));

const ch = connect('svc');
const svc = new SvcProxy(ch, ch.riid('svc'));
await svc.Echo({ text: 'release' });
console.log('prober done');
`;

const NEIGHBOR = `import { connect } from 'citadel';
import { SvcProxy } from '../gen/t.Svc.idl.ts';
${REPORT_TS}
const ch = connect('svc');
const svc = new SvcProxy(ch, ch.riid('svc'));
// Answered only once the prober has run every probe (it sends Echo('release') last).
await svc.Hang({ x: 1 });
const g = globalThis as any;
report('neighbor', {
  x: String(({} as any).x), y: String(({} as any).y), z: String(({} as any).z), evil: String(('' as any).evil),
  push: [1].push(2), json: JSON.parse('[1]').length, then: typeof Promise.prototype.then,
  secret: typeof g.proberSecret, unscopables: typeof g[Symbol.unscopables],
  call: (function (this: unknown) { return this; }).call(7),
});
`;

const DRIVER = `import { hostFs } from 'citadel';
${REPORT_TS}
declare const process: unknown, require: unknown;
const fs = hostFs()!;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const tryAsync = async (fn: () => Promise<unknown>) => { try { const v = await fn(); return { ok: true, value: v instanceof Uint8Array ? text(v) : v === undefined ? 'undefined' : v }; } catch (e) { return { ok: false, error: String((e as Error).message) }; } };
report('proc-globals', { process: typeof process, require: typeof require, fs: typeof fs, g: typeof (globalThis as any).process, gr: typeof (globalThis as any).require });
report('proc-require', attempt(() => (require as any)(['node', 'child_process'].join(':'))));
report('proc-ctor', attempt(() => ({}).constructor.constructor('return process')()));
report('write-inside', await tryAsync(() => fs.writeFile('data/note.txt', new TextEncoder().encode('inside'))));
report('read-inside', await tryAsync(() => fs.readFile('data/note.txt')));
report('mkdir-inside', await tryAsync(() => fs.mkdir('data/sub')));
report('read-passwd', await tryAsync(() => fs.readFile('/etc/passwd')));
report('read-traversal', await tryAsync(() => fs.readFile('data/../../../../etc/passwd')));
report('write-outside', await tryAsync(() => fs.writeFile('../escape.txt', new TextEncoder().encode('x'))));
report('write-abs', await tryAsync(() => fs.writeFile('/tmp/citadel-escape-' + 'probe.txt', new TextEncoder().encode('x'))));
report('write-sibling', await tryAsync(() => fs.writeFile('data2/x.txt', new TextEncoder().encode('x'))));
report('write-base', await tryAsync(() => fs.writeFile('outside.txt', new TextEncoder().encode('x'))));
report('readdir-root', await tryAsync(() => fs.readdir('/')));
report('rename-out', await tryAsync(() => fs.rename('data/note.txt', 'moved.txt')));
report('nul-path', await tryAsync(() => fs.readFile('data/note.txt\\0/etc/passwd')));
report('symlink-read', await tryAsync(() => fs.readFile('data/link/secret.txt')));
report('symlink-write', await tryAsync(() => fs.writeFile('data/link/planted.txt', new TextEncoder().encode('x'))));
`;

const scope = fileCleanup();
let run: RunResult;
let prober: Map<string, unknown>;
let dataDir: string;
let outsideDir: string;

before(async () => {
  // A directory outside the driver's grant, reachable only through a symlink planted inside it.
  outsideDir = mkdtempSync(path.join(os.tmpdir(), 'citadel-outside-'));
  scope.after(() => rmSync(outsideDir, { recursive: true, force: true }));
  writeFileSync(path.join(outsideDir, 'secret.txt'), 'outside secret');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'citadel-escape-data-'));
  scope.after(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(path.join(dataDir, 'data'));
  mkdirSync(path.join(dataDir, 'data2'));
  symlinkSync(outsideDir, path.join(dataDir, 'data', 'link'));
  run = await runSolution(scope, {
    'init.yaml': INIT,
    'security.psl': policy(['t.Prober', 't.Neighbor', 't.Driver', 't.DirectEval', 't.Server']),
    ...svcFiles(),
    't/Prober.edl': clientEdl('t.Prober'),
    't/Neighbor.edl': clientEdl('t.Neighbor'),
    't/Driver.edl': clientEdl('t.Driver'),
    't/DirectEval.edl': clientEdl('t.DirectEval'),
    'src/Prober.ts': PROBER,
    'src/Neighbor.ts': NEIGHBOR,
    'src/Driver.ts': DRIVER,
    // Top-level await keeps it an ES module (esbuild wraps other code using direct eval as CommonJS).
    'src/DirectEval.ts': `await 0;\nconst code = 'typeof process';\nconsole.log('direct eval gave ' + eval(code));\n`,
  }, { timeoutMs: 20_000, dataDir });
  prober = results(run, 't.Prober');
});

type Outcome = { ok: boolean; value?: unknown; error?: string };
const probe = (name: string) => {
  assert.ok(prober.has(name), `the prober did not report ${name}\n${run.lines.join('\n')}`);
  return prober.get(name) as Outcome;
};
/** The probe threw, with an error matching `error`. */
const threw = (name: string, error: RegExp) => {
  const o = probe(name);
  assert.equal(o.ok, false, `${name} did not throw: ${JSON.stringify(o)}`);
  assert.match(o.error!, error);
};
const absent = () => prober.get('absent') as Record<string, [string, boolean]>;
const notThere = (...names: string[]) => {
  for (const n of names) assert.deepEqual(absent()[n], ['undefined', false], `${n} is reachable: ${JSON.stringify(absent()[n])}`);
};

test('the prober ran to the end', () => {
  assert.ok(linesOf(run, 't.Prober').includes('prober done'), run.lines.join('\n'));
  assert.deepEqual(exitOf(run, 't.Prober'), { task: 't.Prober', code: 0, stopped: false });
});

test('escape: process is not defined (reads as undefined)', () => refused('escape', 'process', () => {
  assert.deepEqual(probe('process'), { ok: true, value: 'undefined' });
  notThere('process');
}));

test('escape: require is not defined (the bundler\'s shim finds no require to defer to)', () => refused('escape', 'require', () => {
  threw('require', /^Error: Dynamic require of "node:fs" is not supported/);
  // `typeof require` in entity code names esbuild's shim, not Node's require.
  assert.equal(prober.get('require-typeof'), 'function');
  notThere('require');
}));

test('escape: module / exports / __dirname / __filename are not defined', () => refused('escape', 'module', () => {
  assert.deepEqual(probe('module'), { ok: true, value: 'undefined' });
  notThere('module', 'exports', '__dirname', '__filename');
}));

test('escape: globalThis.process is undefined, and no Node global is reachable', () => refused('escape', 'globalThis.process', () => {
  assert.deepEqual(probe('globalThis.process'), { ok: true, value: 'undefined' });
  notThere('global', 'Buffer', 'setImmediate');
}));

test('escape: the compartment global holds only standard JavaScript and the endowment', () => refused('escape', 'global-inventory', () => {
  assert.deepEqual(prober.get('globals'), [
    'AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'Compartment', 'DataView', 'Date',
    'Error', 'EvalError', 'Function', 'Infinity', 'Int16Array', 'Int32Array', 'Int8Array', 'Iterator', 'JSON', 'Map', 'Math', 'NaN',
    'Number', 'Object', 'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol', 'SyntaxError',
    'Temporal', 'TextDecoder', 'TextEncoder', 'TypeError', 'URIError', 'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray',
    'WeakMap', 'WeakSet', '__citadel', 'clearInterval', 'clearTimeout', 'console', 'decodeURI', 'decodeURIComponent', 'encodeURI',
    'encodeURIComponent', 'escape', 'eval', 'globalThis', 'harden', 'isFinite', 'isNaN', 'lockdown', 'parseFloat', 'parseInt',
    'setInterval', 'setTimeout', 'undefined', 'unescape',
  ]);
}));

test('escape: import() in entity code fails the build', async (t) => refused('escape', 'dynamic import (build)', async () => {
  for (const code of [
    `const name = 'node:fs';\nconst fs = await import(name);\nconsole.log(Object.keys(fs));\n`,
    `console.log('import("node:fs") inside a string is refused too');\n`,
  ]) {
    const { result } = await buildFiles(t, { 'init.yaml': 'entities:\n- name: t.Evil\n', 'security.psl': policy(['t.Evil']), 't/Evil.edl': clientEdl('t.Evil'), 'src/Evil.ts': code });
    assert.equal(result.ok, false, 'a bundle with import( was built');
    if (result.ok) return;
    assert.equal(result.stage, 'bundle');
    assert.match(result.bundleErrors.map((e) => e.text).join('\n'), /dynamic import\(\) is not available to entities \(the bundle contains "import\("\)/);
  }
  // A static import of a Node built-in does not resolve for entities either.
  const { result } = await buildFiles(t, { 'init.yaml': 'entities:\n- name: t.Evil\n', 'security.psl': policy(['t.Evil']), 't/Evil.edl': clientEdl('t.Evil'), 'src/Evil.ts': `import { readFileSync } from 'node:fs';\nconsole.log(readFileSync('/etc/passwd', 'utf8'));\n` });
  assert.equal(result.ok, false, 'an entity importing node:fs was built');
}));

test('escape: import() built at run time (Function, indirect eval, escaped keyword) is rejected', () => refused('escape', 'dynamic import (run time)', () => {
  threw('runtime-dynamic-import', /SES_IMPORT_REJECTED|import expression rejected/i);
  threw('eval-dynamic-import', /SES_IMPORT_REJECTED|import expression rejected/i);
  threw('escaped-import', /^SyntaxError/);
}));

test('escape: Function("return this")() has no process', () => refused('escape', 'Function-this', () => {
  assert.deepEqual(probe('Function-this'), { ok: true, value: 'undefined' });
  assert.deepEqual(probe('Function-process'), { ok: true, value: 'undefined' });
}));

test('escape: this.constructor.constructor("return process")() throws', () => refused('escape', 'constructor-constructor', () => {
  threw('ctor-ctor', /^TypeError: Function\.prototype\.constructor is not a valid constructor/);
  threw('this-ctor', /^TypeError: Function\.prototype\.constructor is not a valid constructor/);
  threw('fn-ctor', /^TypeError: Function\.prototype\.constructor is not a valid constructor/);
  threw('reflect-ctor', /^TypeError/);
}));

test('escape: async / generator / async generator function constructors throw', () => refused('escape', 'async-generator-constructors', () => {
  for (const name of ['async-ctor', 'gen-ctor', 'asyncgen-ctor']) threw(name, /^TypeError: Function\.prototype\.constructor is not a valid constructor/);
}));

test('escape: indirect eval yields the compartment global, without process', () => refused('escape', 'indirect-eval', () => {
  assert.deepEqual(probe('indirect-eval-global'), { ok: true, value: true });
  assert.deepEqual(probe('indirect-eval-process'), { ok: true, value: 'undefined' });
}));

test('escape: direct eval in entity code is rejected before the entity runs', () => refused('escape', 'direct-eval', () => {
  assert.deepEqual(linesOf(run, 't.DirectEval'), []);
  const exit = exitOf(run, 't.DirectEval')!;
  assert.equal(exit.code, 1);
  assert.match(exit.reason ?? '', /^crashed: SyntaxError: .*(SES_EVAL_REJECTED|direct eval)/i);
}));

test('escape: a nested Compartment has no process, require or endowment', () => refused('escape', 'nested-compartment', () => {
  assert.deepEqual(probe('nested-compartment'), { ok: true, value: 'undefinedundefined' });
  assert.deepEqual(probe('nested-compartment-endowed'), { ok: true, value: 'undefined' });
}));

test('escape: Error.prepareStackTrace / captureStackTrace give no CallSites and no host frames', () => refused('escape', 'stack-trace-api', () => {
  const p = prober.get('prepareStackTrace') as { frames: string; stackType: string; stack: string };
  assert.equal(p.frames, 'none', 'prepareStackTrace was called with CallSites');
  assert.equal(p.stackType, 'string');
  assert.equal(p.stack, '');
  const c = prober.get('captureStackTrace') as { stack: string; hostPaths: boolean };
  assert.equal(c.hostPaths, false, c.stack);
  assert.ok(c.stack === '' || c.stack === 'undefined', c.stack);
  const e = prober.get('error-stack') as { stack: string; hostPaths: boolean };
  assert.equal(e.stack, '');
  const h = prober.get('host-error') as { message: string; stack: string; hostPaths: boolean; ctor: Outcome };
  assert.equal(h.message, 'send takes an ArrayBuffer frame');
  assert.equal(h.hostPaths, false, h.stack);
  assert.equal(h.ctor.ok, false);
  assert.match(h.ctor.error!, /^TypeError/);
}));

test('escape: polluting shared intrinsics throws, and changes nothing', () => refused('escape', 'prototype-pollution', () => {
  threw('pollute-object', /^TypeError: Cannot add property x, object is not extensible/);
  threw('pollute-proto', /^TypeError/);
  threw('pollute-array-push', /^TypeError: Cannot assign to read only property 'push'/);
  threw('pollute-json-parse', /^TypeError: Cannot assign to read only property 'parse'/);
  threw('pollute-promise-then', /^TypeError/);
  threw('pollute-function-call', /^TypeError: Cannot redefine property: call/);
  threw('pollute-definegetter', /^TypeError/);
  threw('pollute-string', /^TypeError/);
  assert.deepEqual(prober.get('after-pollution'), { x: 'undefined', y: 'undefined', z: 'undefined', push: 2, json: 1 });
}));

test('escape: another entity sees no pollution and none of the prober\'s globals', () => refused('escape', 'cross-entity-memory', () => {
  assert.deepEqual(prober.get('own-global'), 'prober-secret-value');
  assert.deepEqual(results(run, 't.Neighbor').get('neighbor'), {
    x: 'undefined', y: 'undefined', z: 'undefined', evil: 'undefined', push: 2, json: 1, then: 'function', secret: 'undefined', unscopables: 'undefined', call: 7,
  });
}));

test('escape: WebAssembly is absent', () => refused('escape', 'WebAssembly', () => notThere('WebAssembly')));

test('escape: SharedArrayBuffer and Atomics are absent', () => refused('escape', 'SharedArrayBuffer/Atomics', () => notThere('SharedArrayBuffer', 'Atomics')));

test('escape: no channel outside the kernel (BroadcastChannel, MessageChannel, Worker, fetch, XMLHttpRequest, WebSocket)', () => refused('escape', 'side-channels', () => {
  notThere('BroadcastChannel', 'MessageChannel', 'MessagePort', 'Worker', 'SharedWorker', 'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'postMessage', 'importScripts', 'structuredClone');
}));

test('escape: no clock and no entropy (Date.now, new Date, Date(), Math.random, performance)', () => refused('escape', 'clock-entropy', () => {
  threw('Date.now', /^TypeError: secure mode Calling %SharedDate%\.now\(\) throws/);
  threw('new-Date', /^TypeError: secure mode Calling new %SharedDate%\(\) with no arguments throws/);
  threw('Date-call', /^TypeError: secure mode Calling %SharedDate% constructor as a function throws/);
  threw('Math.random', /^TypeError: secure mode %SharedMath%\.random\(\) throws/);
  threw('performance', /^TypeError: Cannot read properties of undefined \(reading 'now'\)/);
  threw('Temporal.Now', /^TypeError: Cannot read properties of undefined \(reading 'instant'\)/);
  notThere('performance', 'crypto', 'navigator', 'FinalizationRegistry', 'WeakRef');
}));

test('escape: the endowment is hardened (no mutation, no getters, no additions)', () => refused('escape', 'endowment-mutation', () => {
  assert.deepEqual(prober.get('endowment-frozen'), { host: true, boot: true, channels: true, svc: true, send: true });
  threw('mut-send', /^TypeError: Cannot assign to read only property 'send'/);
  threw('mut-task', /^TypeError: Cannot assign to read only property 'task'/);
  threw('mut-handle', /^TypeError: Cannot assign to read only property 'handle'/);
  threw('mut-add', /^TypeError: Cannot add property extra, object is not extensible/);
  threw('mut-delete', /^TypeError: Cannot delete property 'exit'/);
  threw('mut-getter', /^TypeError: Cannot redefine property: send/);
  threw('mut-fn-prop', /^TypeError: Cannot add property evil, object is not extensible/);
  threw('endowment-fn-ctor', /^TypeError: Function\.prototype\.constructor is not a valid constructor/);
  assert.deepEqual(prober.get('endowment-descriptors'), ['boot:data', 'send:data', 'receive:data', 'keepAlive:data', 'setTimer:data', 'clearTimer:data', 'exit:data']);
  assert.equal(prober.get('hostFs-worker'), 'undefined');
  assert.deepEqual(prober.get('boot-env'), { env: {}, args: [] }, 'host environment variables reached the entity');
}));

test('escape: objects that only look like frames are refused by the host', () => refused('escape', 'endowment-fake-frames', () => {
  threw('send-proxy', /DataCloneError|could not be cloned|TypeError/);
  threw('send-fake-buffer', /DataCloneError|could not be cloned|TypeError/);
  threw('send-typed-array', /^TypeError: send takes an ArrayBuffer frame/);
}));

test('escape: Symbol.unscopables games on globalThis do not uncover host names', () => refused('escape', 'unscopables', () => {
  threw('unscopables-global', /^TypeError: Cannot set Symbol\.unscopables of a Compartment's globalThis/);
  threw('unscopables-objproto', /^TypeError: Cannot add property Symbol\(Symbol\.unscopables\), object is not extensible/);
  assert.deepEqual(prober.get('after-unscopables'), { process: 'undefined', viaFunction: 'undefined', viaEval: 'undefined' });
}));

test('escape: Function.prototype.toString of endowed functions reveals no kernel secret (documented: the bootstrap source is visible)', () => refused('escape', 'endowment-source', () => {
  const src = prober.get('endowment-toString') as { send: string; exit: string };
  // Documented, accepted: the source of the bootstrap's endowed functions is visible to the entity.
  assert.match(src.send, /^send\(frame\s*\) \{\n.*link\.post\(frame, \[frame\]\)/s);
  for (const s of [src.send, src.exit]) {
    assert.doesNotMatch(s, /PRIVATE KEY|BEGIN|\/work\/|\/home\/|citadel\.key|dev\.key/);
    assert.ok(s.length < 500, 'an endowed function\'s source is short and holds nothing but its own logic');
  }
}));

test('escape: f.caller reveals no caller', () => refused('escape', 'caller', () => {
  assert.deepEqual(probe('caller'), { ok: true, value: 'undefined' });
}));

test('escape: no worker creation (Worker absent, no worker_threads without require)', () => refused('escape', 'worker-creation', () => {
  notThere('Worker', 'SharedWorker', 'require');
}));

// ---- process tier -----------------------------------------------------------------------------

const driver = () => results(run, 't.Driver');
const dres = (name: string) => {
  assert.ok(driver().has(name), `the driver did not report ${name}\n${run.lines.join('\n')}`);
  return driver().get(name) as Outcome;
};

test('process tier: no process or require either', () => refused('escape', 'process-tier-globals', () => {
  // `require` is esbuild's shim (see the worker-tier test); globalThis has neither.
  assert.deepEqual(driver().get('proc-globals'), { process: 'undefined', require: 'function', fs: 'object', g: 'undefined', gr: 'undefined' });
  assert.equal(dres('proc-require').ok, false);
  assert.match(dres('proc-require').error!, /^Error: Dynamic require of "node:child_process" is not supported/);
  assert.equal(dres('proc-ctor').ok, false);
}));

test('process tier: writes and reads inside its data dir work', () => {
  assert.deepEqual(dres('write-inside'), { ok: true, value: 'undefined' });
  assert.deepEqual(dres('read-inside'), { ok: true, value: 'inside' });
  assert.deepEqual(dres('mkdir-inside'), { ok: true, value: 'undefined' });
  assert.ok(existsSync(path.join(dataDir, 'data', 'sub')));
});

test('process tier: reading /etc/passwd (directly or by traversal) is refused', () => refused('escape', 'process-tier-read-outside', () => {
  assert.deepEqual(dres('read-passwd'), { ok: false, error: `read /etc/passwd: outside the paths this entity may use (${path.join(dataDir, 'data')})` });
  assert.equal(dres('read-traversal').ok, false);
  assert.match(dres('read-traversal').error!, /outside the paths this entity may use/);
  assert.equal(dres('readdir-root').ok, false);
  assert.equal(dres('nul-path').ok, false);
  assert.match(dres('nul-path').error!, /without NUL/);
}));

test('process tier: writing outside its data dir is refused', () => refused('escape', 'process-tier-write-outside', () => {
  for (const name of ['write-outside', 'write-abs', 'write-sibling', 'write-base', 'rename-out']) {
    assert.equal(dres(name).ok, false, `${name}: ${JSON.stringify(dres(name))}`);
    assert.match(dres(name).error!, /^write .*: outside the paths this entity may use/);
  }
  assert.ok(!existsSync(path.join(dataDir, 'escape.txt')) && !existsSync(path.join(path.dirname(dataDir), 'escape.txt')));
  assert.ok(!existsSync(path.join(dataDir, 'data2', 'x.txt')));
  assert.ok(!existsSync('/tmp/citadel-escape-probe.txt'));
}));

test('process tier: a symlink inside the data dir does not lead outside it', () => refused('escape', 'process-tier-symlink', () => {
  // The entity cannot make symlinks, but one may exist in its directory (planted by the host here).
  const read = dres('symlink-read');
  const write = dres('symlink-write');
  assert.equal(read.ok, false, `read through a symlink out of the grant: ${JSON.stringify(read)}`);
  assert.equal(write.ok, false, `wrote through a symlink out of the grant: ${JSON.stringify(write)}`);
  assert.ok(!existsSync(path.join(outsideDir, 'planted.txt')));
}));
