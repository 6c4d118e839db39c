// citadel/fs (src/entity/fs.ts, fs-node.ts) over an in-process driver: Node's fs/promises and
// callback APIs, Node-style errors, file handles and streams — and the same operation sequences
// giving the same results as Node's own fs on a real directory.
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import * as fs from '../../../src/entity/fs.ts';
import * as cb from '../../../src/entity/fs-node.ts';
import { decodeText, encodeText } from '../../../src/entity/fs-encoding.ts';
import { makeHostFs } from '../../../src/sandbox/host-fs.ts';
import { VfsDriver } from '../../../src/services/vfs/driver.ts';
import * as F from '../../../src/services/vfs/gen/kl.vfs.Files.idl.ts';
import { parseMountArgs } from '../../../src/services/vfs/namespace.ts';
import { fixture } from './helpers.ts';
import { loopback } from './loopback.ts';

/** A fresh fixture, citadel/fs using alice's channel (slot 1). */
async function asAlice(t: { after: (fn: () => void) => void }) {
  const fx = await fixture(t.after.bind(t));
  fs.configureVfs({ transport: loopback(fx.driver, 1), client: 'alice', random: async (n) => crypto.getRandomValues(new Uint8Array(n)) });
  return fx;
}

/** The error a call rejects with (fails the test if it succeeds). */
async function failure<E = fs.SystemError>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new Error('the call succeeded');
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'ok';
}

test('readFile and writeFile as in Node: encodings, flags, appendFile, data that does not fit one message', async (t) => {
  const { data } = await asAlice(t);
  await fs.writeFile('notes.txt', 'héllo');
  assert.equal(await fs.readFile('notes.txt', 'utf8'), 'héllo');
  assert.equal(await fs.readFile('/notes.txt', { encoding: 'base64' }), Buffer.from('héllo').toString('base64'));
  assert.equal(await fs.readFile('./notes.txt', 'hex'), Buffer.from('héllo').toString('hex'));
  const bytes = await fs.readFile('notes.txt');
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(bytes.toString(), 'héllo', 'readFile without encoding decodes like a Buffer');
  assert.equal(String(bytes), 'héllo');
  await fs.appendFile('notes.txt', Uint8Array.of(0x21));
  await fs.writeFile('notes.txt', '?', { flag: 'a' });
  assert.equal(await fs.readFile('notes.txt', 'latin1'), Buffer.from('héllo!?').toString('latin1'));
  await fs.writeFile('b64.txt', Buffer.from('binary').toString('base64'), 'base64');
  assert.equal(readFileSync(path.join(data, 'alice', 'b64.txt'), 'utf8'), 'binary');
  assert.equal(await codeOf(fs.writeFile('notes.txt', 'x', { flag: 'wx' })), 'EEXIST');
  await fs.writeFile('parts.txt', ['a', Uint8Array.of(0x62), 'c']);
  assert.equal(await fs.readFile('parts.txt', 'utf8'), 'abc');
  // Bigger than one message (MaxData): chunked through an open file, both ways.
  const big = new Uint8Array(F.MaxData * 2 + 123).map((_, i) => i % 251);
  await fs.writeFile('big.bin', big);
  assert.deepEqual(new Uint8Array(readFileSync(path.join(data, 'alice', 'big.bin'))), big);
  assert.deepEqual(new Uint8Array(await fs.readFile('big.bin')), big);
  await fs.appendFile('big.bin', big);
  assert.equal((await fs.stat('big.bin')).size, big.length * 2);
  await assert.rejects(fs.readFile('x', 'klingon' as never), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('encodings decode and encode exactly as Buffer does', () => {
  const encodings = ['utf8', 'latin1', 'ascii', 'hex', 'base64', 'base64url', 'utf16le'] as const;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...encodings), (bytes, enc) => {
    const text = Buffer.from(bytes).toString(enc);
    assert.equal(decodeText(bytes, enc), text);
    assert.deepEqual(encodeText(text, enc), new Uint8Array(Buffer.from(text, enc)));
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 32 }), fc.constantFrom('utf8', 'latin1', 'ascii', 'utf16le'), (text, enc) => {
    assert.deepEqual(encodeText(text, enc), new Uint8Array(Buffer.from(text, enc)));
  }), { numRuns: 300 });
  // Malformed base64 and hex are decoded as leniently as Buffer does.
  const b64 = fc.string({ unit: fc.constantFrom(...'ABCXYZabcxyz0189+/-_= \n'), maxLength: 24 });
  fc.assert(fc.property(b64, fc.constantFrom('base64', 'base64url'), (text, enc) => {
    assert.deepEqual(encodeText(text, enc), new Uint8Array(Buffer.from(text, enc)));
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'09afAFxz'), maxLength: 12 }), (text) => {
    assert.deepEqual(encodeText(text, 'hex'), new Uint8Array(Buffer.from(text, 'hex')));
  }), { numRuns: 300 });
});

test('errors are Node\'s: code, negative errno, syscall, path, and the usual message', async (t) => {
  await asAlice(t);
  const err = await failure(fs.readFile('/missing.txt'));
  assert.ok(err instanceof Error);
  assert.equal(err.code, 'ENOENT');
  assert.equal(err.errno, -2);
  assert.equal(err.syscall, 'open');
  assert.equal(err.path, '/missing.txt');
  assert.equal(err.message, "ENOENT: no such file or directory, open '/missing.txt'");
  const ro = await failure(fs.writeFile('/shared/readme.txt', 'x'));
  assert.equal(ro.code, 'EROFS');
  assert.equal(ro.message, "EROFS: read-only file system (read-only mount), open '/shared/readme.txt'");
  const ren = await failure(fs.rename('/a', '/b'));
  assert.equal(ren.message, "ENOENT: no such file or directory, rename '/a' -> '/b'");
  assert.equal(ren.dest, '/b');
  await assert.rejects(fs.readFile('a\0b'), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(fs.readFile(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('paths are the client\'s own: ".." stops at its root and host paths name nothing', async (t) => {
  const { data } = await asAlice(t);
  assert.equal(fs.resolvePath('../../etc/passwd'), '/etc/passwd');
  assert.equal(fs.resolvePath('a/./b//c/../d/'), '/a/b/d');
  for (const p of ['../../../etc/passwd', '/etc/passwd', path.join(data, 'bob', 'diary.txt'), '../bob/diary.txt']) {
    assert.equal(await codeOf(fs.readFile(p)), 'ENOENT', p);
  }
  assert.equal(await fs.readFile(new URL('file:///shared/readme.txt'), 'utf8'), 'shared, read-only');
});

test('metadata and directories: Stats, Dirents, recursive readdir and mkdir, rm, rename, copy, access, realpath', async (t) => {
  await asAlice(t);
  assert.equal(await fs.mkdir('/a/b/c', { recursive: true }), '/a');
  assert.equal(await fs.mkdir('/a/b/c', { recursive: true }), undefined);
  assert.equal(await fs.mkdir('/a/d'), undefined);
  await fs.writeFile('/a/b/c/f.txt', '12345');
  const s = await fs.stat('/a/b/c/f.txt') as fs.Stats;
  assert.equal(s.isFile(), true);
  assert.equal(s.isDirectory(), false);
  assert.equal(s.size, 5);
  assert.equal((s.mode & fs.constants.S_IFMT), fs.constants.S_IFREG);
  assert.ok(s.mtimeMs > 0 && s.mtime instanceof Date);
  const big = await fs.stat('/a', { bigint: true }) as fs.BigIntStats;
  assert.equal(typeof big.size, 'bigint');
  assert.ok(big.mtimeNs > 0n);
  assert.equal(big.isDirectory(), true);
  assert.deepEqual(await fs.readdir('/a'), ['b', 'd']);
  assert.deepEqual(await fs.readdir('/a', { recursive: true }), ['b', 'd', 'b/c', 'b/c/f.txt']);
  const dirents = await fs.readdir('/a/b/c', { withFileTypes: true }) as fs.Dirent[];
  assert.deepEqual(dirents.map((d) => [d.name, d.parentPath, d.isFile(), d.isDirectory()]), [['f.txt', '/a/b/c', true, false]]);
  await fs.copyFile('/a/b/c/f.txt', '/a/g.txt', fs.constants.COPYFILE_EXCL);
  assert.equal(await codeOf(fs.copyFile('/a/b/c/f.txt', '/a/g.txt', fs.constants.COPYFILE_EXCL)), 'EEXIST');
  await fs.cp('/a', '/copy', { recursive: true });
  assert.deepEqual(await fs.readdir('/copy', { recursive: true }), ['b', 'd', 'g.txt', 'b/c', 'b/c/f.txt']);
  await fs.rename('/a/g.txt', '/a/h.txt');
  await fs.truncate('/a/h.txt', 2);
  assert.equal(await fs.readFile('/a/h.txt', 'utf8'), '12');
  await fs.access('/a/h.txt', fs.constants.R_OK | fs.constants.W_OK);
  assert.equal(await codeOf(fs.access('/shared/readme.txt', fs.constants.W_OK)), 'EROFS');
  assert.equal(await fs.exists('/a/h.txt'), true);
  assert.equal(await fs.exists('/a/nope'), false);
  assert.equal(await fs.realpath('/a/b/../h.txt'), '/a/h.txt');
  await fs.unlink('/a/h.txt');
  assert.equal(await codeOf(fs.rmdir('/a/b')), 'ENOTEMPTY');
  await fs.rmdir('/a/d');
  assert.equal(await codeOf(fs.rm('/a')), 'EISDIR');
  await fs.rm('/a', { recursive: true });
  await fs.rm('/a', { recursive: true, force: true });
  assert.equal(await codeOf(fs.rm('/a')), 'ENOENT');
  const tmp = await fs.mkdtemp('/tmp-');
  assert.match(tmp, /^\/tmp-[A-Za-z0-9]{6}$/);
  assert.equal((await fs.stat(tmp)).isDirectory(), true);
  const disposable = await fs.mkdtempDisposable('/d-');
  await disposable.remove();
  assert.equal(await fs.exists(disposable.path), false);
  const dir = await fs.opendir('/copy');
  const seen: string[] = [];
  for await (const e of dir) seen.push(e.name);
  assert.deepEqual(seen, ['b', 'd', 'g.txt']);
});

test('FileHandle: positional and sequential reads and writes, readFile, stat, truncate, sync, close', async (t) => {
  const { alice } = await asAlice(t);
  const fh = await fs.open('/h.txt', 'w+');
  assert.ok(fh.fd >= 3);
  assert.deepEqual((await fh.write('hello world')).bytesWritten, 11);
  assert.deepEqual((await fh.write(Uint8Array.of(0x48), 0, 1, 0)).bytesWritten, 1);
  const buf = new Uint8Array(5);
  const r = await fh.read(buf, 0, 5, 6);
  assert.equal(r.bytesRead, 5);
  assert.equal(new TextDecoder().decode(buf), 'world');
  const { bytesRead, buffer } = await fh.read({ buffer: new Uint8Array(3), position: 0 });
  assert.equal(new TextDecoder().decode(buffer.subarray(0, bytesRead)), 'Hel');
  assert.equal((await fh.stat()).size, 11);
  await fh.truncate(5);
  await fh.sync();
  await fh.close();
  await fh.close();
  assert.equal(fh.fd, -1);
  assert.equal(await fs.readFile('/h.txt', 'utf8'), 'Hello');
  const again = await fs.open('/h.txt');
  assert.equal(await again.readFile('utf8'), 'Hello');
  assert.equal(await codeOf(again.write('x')), 'EBADF');
  await again.close();
  assert.equal(await codeOf(again.read()), 'EBADF');
  assert.equal(await codeOf(fs.open('/h.txt', 'bogus')), 'ERR_INVALID_ARG_VALUE');
  const numeric = await fs.open('/n.txt', fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL);
  await numeric.close();
  const synchronous = await fs.open('/n.txt', fs.constants.O_RDWR | fs.constants.O_SYNC);
  await synchronous.write('sync');
  await synchronous.close();
  const appending = await fs.open('/n.txt', 'as');
  await appending.write('!');
  await appending.close();
  assert.equal(await fs.readFile('/n.txt', 'utf8'), 'sync!');
  assert.equal(await codeOf(fs.open('/n.txt', fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_SYNC)), 'EINVAL');
  assert.equal(await codeOf(fs.open('/n.txt', 'wx')), 'EEXIST');
  {
    await using disposable = await fs.open('/n.txt');
    assert.equal(alice.openFiles, 1);
    assert.ok(disposable.fd >= 3);
  }
  assert.equal(alice.openFiles, 0, '`await using` closed the handle');
});

test('streams: a read stream is an async iterable and an event source; a write stream takes write/end; pipe connects them', async (t) => {
  const { data } = await asAlice(t);
  const content = new Uint8Array(200_000).map((_, i) => (i * 7) % 256);
  writeFileSync(path.join(data, 'alice', 'in.bin'), content);
  const chunks: Uint8Array[] = [];
  for await (const chunk of fs.createReadStream('/in.bin', { highWaterMark: 65536 })) chunks.push(chunk as Uint8Array);
  assert.deepEqual(chunks.map((c) => c.length), [65536, 65536, 65536, 3392]);
  const ranged: string[] = [];
  for await (const chunk of fs.createReadStream('/shared/readme.txt', { start: 8, end: 11, encoding: 'utf8' })) ranged.push(chunk as string);
  assert.deepEqual(ranged, ['read']);
  // Events, as Node code uses them.
  const events: string[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream('/in.bin')
      .on('open', () => events.push('open'))
      .on('data', (c: Uint8Array) => { total += c.length; })
      .on('end', () => events.push('end'))
      .on('error', reject)
      .on('close', () => { events.push('close'); resolve(); });
  });
  assert.deepEqual(events, ['open', 'end', 'close']);
  assert.equal(total, content.length);
  const missing = await new Promise<string>((resolve) => fs.createReadStream('/nope').on('error', (e: fs.SystemError) => resolve(e.code)).on('data', () => undefined));
  assert.equal(missing, 'ENOENT');
  // Write stream.
  const out = fs.createWriteStream('/out.txt');
  out.write('one ');
  out.write(Uint8Array.of(0x74, 0x77, 0x6f));
  await new Promise<void>((resolve) => out.end(' three', resolve));
  await new Promise<void>((resolve) => (out.destroyed ? resolve() : out.once('close', resolve)));
  assert.equal(readFileSync(path.join(data, 'alice', 'out.txt'), 'utf8'), 'one two three');
  assert.equal(out.bytesWritten, 13);
  // pipe, with back-pressure through 'drain'.
  const copy = fs.createWriteStream('/copy.bin', { highWaterMark: 1024 });
  await new Promise<void>((resolve, reject) => fs.createReadStream('/in.bin').pipe(copy).on('close', resolve).on('error', reject));
  assert.deepEqual(new Uint8Array(readFileSync(path.join(data, 'alice', 'copy.bin'))), content);
  const refused = fs.createWriteStream('/shared/x.txt');
  assert.equal(await new Promise((resolve) => refused.on('error', (e: fs.SystemError) => resolve(e.code))), 'EROFS');
});

test('node:fs callback API: callbacks, numeric descriptors, exists, promises', async (t) => {
  const { data } = await asAlice(t);
  const p = <T>(fn: (done: (err: Error | null, ...v: unknown[]) => void) => void) => new Promise<T[]>((resolve, reject) => fn((err, ...v) => (err ? reject(err) : resolve(v as T[]))));
  await p((done) => cb.writeFile('/cb.txt', 'callback', done));
  assert.deepEqual(await p((done) => cb.readFile('/cb.txt', 'utf8', done)), ['callback']);
  await assert.rejects(p((done) => cb.readFile('/none', done)), { code: 'ENOENT', syscall: 'open' });
  const [fd] = await p<number>((done) => cb.open('/cb.txt', 'r+', done));
  assert.equal(typeof fd, 'number');
  const buffer = new Uint8Array(4);
  assert.deepEqual((await p((done) => cb.read(fd!, buffer, 0, 4, 0, done)))[0], 4);
  assert.equal(new TextDecoder().decode(buffer), 'call');
  assert.deepEqual((await p((done) => cb.write(fd!, 'BACK', 4, 'utf8', done)))[0], 4);
  const [st] = await p<fs.Stats>((done) => cb.fstat(fd!, done));
  assert.equal(st!.size, 8);
  await p((done) => cb.close(fd!, done));
  await assert.rejects(p((done) => cb.close(fd!, done)), { code: 'EBADF' });
  assert.equal(readFileSync(path.join(data, 'alice', 'cb.txt'), 'utf8'), 'callBACK');
  assert.equal(await new Promise((resolve) => cb.exists('/cb.txt', resolve)), true);
  assert.equal(await new Promise((resolve) => cb.exists('/nope', resolve)), false);
  assert.deepEqual(await p((done) => cb.mkdir('/x/y', { recursive: true }, done)), ['/x']);
  assert.deepEqual(await p((done) => cb.readdir('/x', done)), [['y']]);
  assert.equal(await cb.promises.readFile('/cb.txt', 'utf8'), 'callBACK');
  assert.equal(cb.default.constants.O_RDONLY, 0);
  assert.throws(() => cb.readFile('/cb.txt'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a restarted driver has forgotten the channel: the next call attaches again by itself', async (t) => {
  const fx = await fixture(t.after.bind(t));
  let target = loopback(fx.driver, 1);
  fs.configureVfs({ transport: { call: (riid, mid, payload, o) => target.call(riid, mid, payload, o) }, client: 'alice' });
  await fs.writeFile('/before.txt', 'written before the restart');
  target = loopback(await VfsDriver.start(fx.driver.fs, fx.driver.specs), 1);
  assert.equal(await fs.readFile('/before.txt', 'utf8'), 'written before the restart');
});

test('a client without a channel to a driver gets ENOSYS, and a policy denial is EACCES with the explanation as its cause', async (t) => {
  fs.configureVfs({ transport: { call: async () => { throw new (await import('../../../src/entity/runtime.ts')).CallFailed('SecurityDisallow', 'no rule grants it'); } }, client: 'alice' });
  const denied = await failure<fs.SystemError & { cause: { explanation: string } }>(fs.readFile('/x'));
  assert.equal(denied.code, 'EACCES');
  assert.match(denied.message, /denied by the security policy/);
  assert.equal(denied.cause.explanation, 'no rule grants it');
  fs.configureVfs({ connection: 'nowhere', client: 'alice' });
  t.after(() => fs.configureVfs({}));
  // connect() needs the entity runtime; outside one it fails like a missing channel.
  assert.equal(await codeOf(fs.readFile('/x')), 'ENOSYS');
});

// ---- differential: the same operations through Node's fs and through the driver --------------

type Op =
  | { op: 'writeFile' | 'appendFile'; p: string; data: string }
  | { op: 'readFile' | 'stat' | 'lstat' | 'readdir' | 'unlink' | 'rmdir' | 'exists'; p: string }
  | { op: 'mkdir'; p: string; recursive: boolean }
  | { op: 'rm'; p: string; recursive: boolean; force: boolean }
  | { op: 'rename' | 'copyFile'; p: string; q: string };

const NAME = fc.constantFrom('a', 'b', 'c');
const PATH = fc.array(NAME, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const OP: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('writeFile' as const, 'appendFile' as const), p: PATH, data: fc.string({ maxLength: 8 }) }),
  fc.record({ op: fc.constantFrom('readFile' as const, 'stat' as const, 'lstat' as const, 'readdir' as const, 'unlink' as const, 'rmdir' as const, 'exists' as const), p: PATH }),
  fc.record({ op: fc.constant('mkdir' as const), p: PATH, recursive: fc.boolean() }),
  fc.record({ op: fc.constant('rm' as const), p: PATH, recursive: fc.boolean(), force: fc.boolean() }),
  fc.record({ op: fc.constantFrom('rename' as const, 'copyFile' as const), p: PATH, q: PATH }),
);

/** One op's observable outcome: its value (normalized) or its error code. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const v = await run();
    if (typeof v === 'object' && v !== null && 'isFile' in v) {
      const s = v as { isFile(): boolean; isDirectory(): boolean; size: number };
      return { file: s.isFile(), dir: s.isDirectory(), size: s.isFile() ? s.size : 0 };
    }
    return Array.isArray(v) ? [...v].sort() : v === undefined ? null : v;
  } catch (err) {
    const code = (err as { code: string }).code;
    return { error: code === 'ERR_FS_EISDIR' ? 'EISDIR' : code };
  }
}

async function apply(api: 'node' | 'vfs', root: string, o: Op): Promise<unknown> {
  const at = (p: string) => (api === 'node' ? path.join(root, p) : `/${p}`);
  // The two modules as one shape: the point of the test is that they behave alike.
  const f = (api === 'node' ? nodeFs : fs) as unknown as typeof fs;
  switch (o.op) {
    case 'writeFile': return outcome(() => f.writeFile(at(o.p), o.data));
    case 'appendFile': return outcome(() => f.appendFile(at(o.p), o.data));
    case 'readFile': return outcome(() => f.readFile(at(o.p), 'utf8'));
    case 'stat': return outcome(() => f.stat(at(o.p)));
    case 'lstat': return outcome(() => f.lstat(at(o.p)));
    case 'readdir': return outcome(() => f.readdir(at(o.p)));
    case 'unlink': return outcome(() => f.unlink(at(o.p)));
    case 'rmdir': return outcome(() => f.rmdir(at(o.p)));
    case 'exists': return outcome(() => (api === 'node' ? nodeFs.access(at(o.p)).then(() => true, () => false) : fs.exists(at(o.p))));
    case 'mkdir': return outcome(async () => { const r = await f.mkdir(at(o.p), { recursive: o.recursive }); return r === undefined ? null : path.relative(api === 'node' ? root : '/', r); });
    case 'rm': return outcome(() => f.rm(at(o.p), { recursive: o.recursive, force: o.force }));
    case 'rename': return outcome(() => f.rename(at(o.p), at(o.q)));
    case 'copyFile': return outcome(() => f.copyFile(at(o.p), at(o.q)));
  }
}

test('differential: random operation sequences give the same values and error codes as Node\'s own fs', async (t) => {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'citadel-vfs-diff-')));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  let run = 0;
  await fc.assert(fc.asyncProperty(fc.array(OP, { minLength: 1, maxLength: 25 }), async (ops) => {
    const dir = path.join(base, String(run++));
    const nodeRoot = path.join(dir, 'node');
    const vfsRoot = path.join(dir, 'vfs');
    mkdirSync(nodeRoot, { recursive: true });
    mkdirSync(vfsRoot, { recursive: true });
    const driver = await VfsDriver.start(makeHostFs({ base: dir, read: [], write: [vfsRoot] }), parseMountArgs(['--mount', 'alice:vfs:rw']));
    fs.configureVfs({ transport: loopback(driver, 1), client: 'alice' });
    for (const o of ops) {
      const expected = await apply('node', nodeRoot, o);
      const actual = await apply('vfs', vfsRoot, o);
      assert.deepEqual(actual, expected, `${JSON.stringify(o)} after ${JSON.stringify(ops.slice(0, ops.indexOf(o)))}`);
    }
  }), { numRuns: 60, seed: 20261126 });
});
