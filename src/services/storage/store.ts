// The Secure Storage core: an encrypted, versioned key/value store in plain files, driven through
// the StorageFs and StorageCrypto interfaces so the same code runs inside the entity (hostFs, the
// sandbox's crypto) and directly in tests and host-side tools (node:fs, node:crypto). No IPC here: the
// entity wrapper (SecureStorage.ts) maps calls and errors to the IDL.
//
// Layout under `dir`: store.meta (format + sealing-key check), ns/<namespace>/<sha256(key)>.rec
// (one record per key, see record.ts) and ns/<namespace>/namespace.meta (highest deleted version).
// The sealing key file defaults to <dir>/sealing.key.
//
// Durability: a write is acknowledged (the returned promise resolves) only after
// write temp (data durable: fsync or O_SYNC) → rename over the record → fsync the directory; a
// delete only after unlink → fsync the directory (see fs.ts for hosts that cannot fsync a
// directory). A crash at any point leaves the old or the new record, never a mix; leftover temp
// files are removed when a namespace is next loaded. Everything in one namespace is serialised
// (one operation at a time), so CompareAndSet is atomic. One service instance per dir.
import { KEY_BYTES, NONCE_BYTES, type StorageCrypto } from './crypto.ts';
import type { StorageFs } from './fs.ts';
import * as Idl from './gen/kl.SecureStorage.idl.ts';
import {
  dataKey, encodeNamespaceMeta, encodeRecord, encodeSealingKeyFile, encodeStoreMeta, equalBytes, keyCheck, openNamespaceMeta,
  openRecord, readRecordHeader, readSealingKeyFile, readStoreMeta, recordFileName,
} from './record.ts';

/** Error statuses, as the IDL defines them. */
export const Status = {
  NotFound: Idl.NotFound,
  Conflict: Idl.Conflict,
  InvalidArgument: Idl.InvalidArgument,
  TooLarge: Idl.TooLarge,
  QuotaExceeded: Idl.QuotaExceeded,
  Corrupted: Idl.Corrupted,
  Unavailable: Idl.Unavailable,
} as const;
export type StatusName = keyof typeof Status;
export const STATUS_NAMES: Readonly<Record<number, StatusName>> = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k as StatusName]));

/** A refused or failed operation: an IDL status, a reason for humans and, for conflicts, the current version. */
export class StorageError extends Error {
  readonly status: number;
  readonly reason: string;
  /** CompareAndSet conflicts: the key's current version (0: it does not exist). */
  readonly current: number;
  /** For the service's own log, not for clients: the full host error behind an Unavailable. */
  readonly detail: string | undefined;

  constructor(status: number, reason: string, current = 0, detail?: string) {
    super(`${STATUS_NAMES[status] ?? `status ${status}`}: ${reason}`);
    this.name = 'StorageError';
    this.status = status;
    this.reason = reason;
    this.current = current;
    this.detail = detail;
  }
}

export interface StoreLimits {
  /** Largest value in bytes (at most the IDL bound MaxValue). */
  readonly maxValue: number;
  /** Most keys in one namespace. */
  readonly maxKeys: number;
  /** Most value bytes in one namespace. */
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: StoreLimits = Object.freeze({ maxValue: 16 * 1024, maxKeys: 1024, maxBytes: 4 * 1024 * 1024 });

export interface StoreOptions {
  readonly fs: StorageFs;
  readonly crypto: StorageCrypto;
  /** Cryptographic randomness (the entity asks the kernel). */
  readonly random: (count: number) => Uint8Array | Promise<Uint8Array>;
  /** The store's directory (created if missing, one level). */
  readonly dir: string;
  /** The sealing key file (default `<dir>/sealing.key`); created with mode 0600 on first start. */
  readonly keyFile?: string;
  readonly limits?: Partial<StoreLimits>;
}

export type Expectation = { readonly version: number } | { readonly value: Uint8Array };

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const NS_META = 'namespace.meta';
const TEMP_PREFIX = '.tmp-';
const FILE_MODE = 0o600;
const utf8 = new TextEncoder();

const join = (a: string, b: string) => (a.endsWith('/') ? a + b : `${a}/${b}`);
const parentOf = (p: string) => (p.lastIndexOf('/') > 0 ? p.slice(0, p.lastIndexOf('/')) : p.startsWith('/') ? '/' : '.');
const quote = (s: string) => JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}…` : s);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

interface Entry {
  readonly version: number;
  readonly size: number;
}

interface Namespace {
  readonly name: string;
  readonly dir: string;
  readonly key: Uint8Array;
  readonly entries: Map<string, Entry>;
  /** Files that failed authentication when the namespace was loaded: file name → why. */
  readonly corrupted: Map<string, string>;
  highWater: number;
  bytes: number;
  dirReady: boolean;
}

function checkLimit(name: string, v: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new RangeError(`limit ${name} must be an integer from 1 to ${max}, got ${v}`);
  return v;
}

export class SecureStore {
  readonly dir: string;
  readonly keyFile: string;
  readonly limits: StoreLimits;
  readonly #fs: StorageFs;
  readonly #crypto: StorageCrypto;
  readonly #random: StoreOptions['random'];
  readonly #sealingKey: Uint8Array;
  readonly #session: string;
  #tempCounter = 0;
  readonly #namespaces = new Map<string, Promise<Namespace>>();
  readonly #locks = new Map<string, Promise<void>>();

  private constructor(o: StoreOptions, keyFile: string, limits: StoreLimits, sealingKey: Uint8Array, session: string) {
    this.dir = o.dir;
    this.keyFile = keyFile;
    this.limits = limits;
    this.#fs = o.fs;
    this.#crypto = o.crypto;
    this.#random = o.random;
    this.#sealingKey = sealingKey;
    this.#session = session;
  }

  /**
   * Opens (or on first start creates) the store: loads the sealing key, creating it only when the
   * store is new, and checks it against store.meta. Throws a plain Error saying what is wrong when
   * the store cannot be used (missing or wrong key, foreign files).
   */
  static async open(o: StoreOptions): Promise<SecureStore> {
    const limits: StoreLimits = {
      maxValue: checkLimit('maxValue', o.limits?.maxValue ?? Math.min(DEFAULT_LIMITS.maxValue, Idl.MaxValue), Idl.MaxValue),
      maxKeys: checkLimit('maxKeys', o.limits?.maxKeys ?? DEFAULT_LIMITS.maxKeys, 2 ** 31),
      maxBytes: checkLimit('maxBytes', o.limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes, Number.MAX_SAFE_INTEGER),
    };
    const fs = o.fs;
    const keyFile = o.keyFile ?? join(o.dir, 'sealing.key');
    const random = async (n: number) => {
      const r = await o.random(n);
      if (!(r instanceof Uint8Array) || r.length !== n) throw new Error(`the random source returned ${r?.length} bytes instead of ${n}`);
      return r;
    };
    const session = hex(await random(6));
    let temp = 0;
    const atomicWrite = async (path: string, data: Uint8Array) => {
      const dir = parentOf(path);
      const tmp = join(dir, `${TEMP_PREFIX}${session}-k${temp++}`);
      await fs.writeFile(tmp, data, FILE_MODE);
      await fs.rename(tmp, path);
      await fs.syncDir(dir);
    };

    // A granted root already exists (the kernel creates it) and the permission model refuses
    // mkdir on the root itself: then there is nothing to create, and anything really missing fails
    // clearly below. A directory the store does create is made durable in its parent.
    const made = await fs.mkdir(o.dir).then(() => true, () => false);
    if (made) await fs.syncDir(parentOf(o.dir));
    const metaPath = join(o.dir, 'store.meta');
    const meta = await fs.readFile(metaPath);
    const keyBytes = await fs.readFile(keyFile);
    let sealingKey: Uint8Array;
    if (!keyBytes) {
      if (meta) {
        throw new Error(`the store in ${o.dir} exists (store.meta) but its sealing key file ${keyFile} is missing: refusing to create a new key, which would make every stored value unreadable`);
      }
      sealingKey = await random(KEY_BYTES);
      await atomicWrite(keyFile, encodeSealingKeyFile(sealingKey));
    } else {
      const parsed = readSealingKeyFile(keyBytes);
      if (typeof parsed === 'string') throw new Error(`${keyFile}: ${parsed}`);
      sealingKey = parsed;
    }
    const check = keyCheck(o.crypto, sealingKey);
    if (!meta) {
      await atomicWrite(metaPath, encodeStoreMeta(check));
    } else {
      const stored = readStoreMeta(meta);
      if (typeof stored === 'string') throw new Error(`${metaPath}: ${stored}`);
      if (!equalBytes(stored, check)) throw new Error(`the sealing key in ${keyFile} does not match the store in ${o.dir} (store.meta holds another key's check value): wrong key file?`);
    }
    await fs.mkdir(join(o.dir, 'ns'));
    await fs.syncDir(o.dir);
    // Temp files of key or meta writes a crash interrupted (namespaces clean up their own on load).
    // Best effort: they are harmless, and Node 26's permission model can refuse listing a granted
    // root itself (when another grant's path extends its name, e.g. "vault" and "vault-key").
    for (const d of new Set([o.dir, parentOf(keyFile)])) {
      const names = await fs.readdir(d).catch(() => [] as string[]);
      for (const name of names) if (name.startsWith(TEMP_PREFIX) && !name.startsWith(`${TEMP_PREFIX}${session}-`)) await fs.rm(join(d, name));
    }
    return new SecureStore(o, keyFile, limits, sealingKey, session);
  }

  // ---- operations ------------------------------------------------------------------------------

  async get(namespace: string, key: string): Promise<{ value: Uint8Array; version: number }> {
    this.#checkNames(namespace, key);
    return this.#exclusive(namespace, async (ns) => {
      const entry = ns.entries.get(key);
      const value = await this.#readValue(ns, key, entry);
      if (!value) throw new StorageError(Status.NotFound, `no key ${quote(key)} in namespace ${quote(namespace)}`);
      return { value, version: entry!.version };
    });
  }

  async put(namespace: string, key: string, value: Uint8Array): Promise<{ version: number }> {
    this.#checkNames(namespace, key);
    this.#checkValue(value);
    return this.#exclusive(namespace, async (ns) => ({ version: await this.#write(ns, key, value) }));
  }

  async compareAndSet(namespace: string, key: string, expect: Expectation, value: Uint8Array): Promise<{ version: number }> {
    this.#checkNames(namespace, key);
    this.#checkValue(value);
    return this.#exclusive(namespace, async (ns) => {
      const entry = ns.entries.get(key);
      this.#checkRecordUsable(ns, key);
      const current = entry?.version ?? 0;
      if ('version' in expect) {
        if (expect.version !== current) {
          throw new StorageError(Status.Conflict, current === 0
            ? `key ${quote(key)} does not exist (expected version ${expect.version})`
            : `key ${quote(key)} is at version ${current}, not ${expect.version}`, current);
        }
      } else {
        const now = await this.#readValue(ns, key, entry);
        if (!now) throw new StorageError(Status.Conflict, `key ${quote(key)} does not exist (expected a value)`, 0);
        if (!equalBytes(now, expect.value)) throw new StorageError(Status.Conflict, `the value of key ${quote(key)} (version ${current}) is not the expected one`, current);
      }
      return { version: await this.#write(ns, key, value) };
    });
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.#checkNames(namespace, key);
    return this.#exclusive(namespace, async (ns) => {
      const entry = ns.entries.get(key);
      this.#checkRecordUsable(ns, key);
      if (!entry) throw new StorageError(Status.NotFound, `no key ${quote(key)} in namespace ${quote(namespace)}`);
      this.#checkNamespaceUsable(ns);
      await this.#io(ns, async () => {
        // Remember the version first: a key re-created later continues above it (no ABA for CAS).
        if (entry.version > ns.highWater) {
          await this.#atomicWrite(ns, NS_META, encodeNamespaceMeta(this.#crypto, ns.key, ns.name, entry.version, await this.#nonce()));
          ns.highWater = entry.version;
        }
        await this.#fs.rm(join(ns.dir, recordFileName(this.#crypto, key)));
        await this.#fs.syncDir(ns.dir);
      });
      ns.entries.delete(key);
      ns.bytes -= entry.size;
    });
  }

  /** Keys in `namespace` after `after` (sorted; "" from the start), at most `max`, and whether more follow. */
  async list(namespace: string, after = '', max: number = Idl.MaxList): Promise<{ keys: string[]; more: boolean }> {
    this.#checkNamespace(namespace);
    return this.#exclusive(namespace, async (ns) => {
      if (ns.corrupted.size) {
        const [file, why] = ns.corrupted.entries().next().value!;
        throw new StorageError(Status.Corrupted, `${ns.corrupted.size} file(s) of namespace ${quote(namespace)} fail authentication; ${file}: ${why}`);
      }
      const keys = [...ns.entries.keys()].filter((k) => k > after).sort();
      return { keys: keys.slice(0, max), more: keys.length > max };
    });
  }

  /** Whether acknowledged writes survive a power failure too (false: only a process crash; see fs.ts). */
  get durableDirs(): boolean {
    return this.#fs.durableDirs;
  }

  /** Live keys and value bytes of a namespace (for quotas and tests). */
  async usage(namespace: string): Promise<{ keys: number; bytes: number }> {
    this.#checkNamespace(namespace);
    return this.#exclusive(namespace, async (ns) => ({ keys: ns.entries.size, bytes: ns.bytes }));
  }

  // ---- internals -------------------------------------------------------------------------------

  #checkNamespace(namespace: string): void {
    if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace) || namespace.length > Idl.MaxNamespace) {
      throw new StorageError(Status.InvalidArgument, `namespace ${quote(String(namespace))} is not 1 to ${Idl.MaxNamespace} letters, digits, ".", "_" or "-" starting with a letter or digit`);
    }
  }

  #checkNames(namespace: string, key: string): void {
    this.#checkNamespace(namespace);
    if (typeof key !== 'string' || key.length === 0) throw new StorageError(Status.InvalidArgument, 'a key must not be empty');
    if (!key.isWellFormed() || CONTROL.test(key)) throw new StorageError(Status.InvalidArgument, `key ${quote(key)} contains a control character or a lone surrogate`);
    const bytes = utf8.encode(key).length;
    if (bytes > Idl.MaxKey) throw new StorageError(Status.InvalidArgument, `key is ${bytes} UTF-8 bytes; at most ${Idl.MaxKey}`);
  }

  #checkValue(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new StorageError(Status.InvalidArgument, 'a value must be bytes');
    if (value.length > this.limits.maxValue) {
      throw new StorageError(Status.TooLarge, `value is ${value.length} bytes; this store takes at most ${this.limits.maxValue} (--max-value)`);
    }
  }

  #checkNamespaceUsable(ns: Namespace): void {
    const why = ns.corrupted.get(NS_META);
    if (why) throw new StorageError(Status.Corrupted, `${NS_META} of namespace ${quote(ns.name)} fails authentication (${why}); no writes until it is repaired`);
  }

  #checkRecordUsable(ns: Namespace, key: string): void {
    const why = ns.corrupted.get(recordFileName(this.#crypto, key));
    if (why) throw new StorageError(Status.Corrupted, `the record of key ${quote(key)} in namespace ${quote(ns.name)} fails authentication: ${why}`);
  }

  /** The current value of `key` read from disk and authenticated, or undefined when it does not exist. */
  async #readValue(ns: Namespace, key: string, entry: Entry | undefined): Promise<Uint8Array | undefined> {
    const file = await this.#io(undefined, () => this.#fs.readFile(join(ns.dir, recordFileName(this.#crypto, key))));
    const where = `the record of key ${quote(key)} in namespace ${quote(ns.name)}`;
    if (!file) {
      if (entry) throw new StorageError(Status.Corrupted, `${where} is missing (removed outside the service?)`);
      return undefined;
    }
    const opened = openRecord(this.#crypto, ns.key, ns.name, key, file);
    if (typeof opened === 'string') throw new StorageError(Status.Corrupted, `${where}: ${opened}`);
    if (!entry || opened.header.version !== entry.version) {
      // Authentic, but not what this service last wrote there: an old copy put back (rollback) or a
      // record from before a deletion.
      throw new StorageError(Status.Corrupted, `${where} is version ${opened.header.version}, but the service ${entry ? `wrote version ${entry.version}` : 'deleted it'} (replaced outside the service: rollback?)`);
    }
    return opened.value;
  }

  async #write(ns: Namespace, key: string, value: Uint8Array): Promise<number> {
    this.#checkRecordUsable(ns, key);
    this.#checkNamespaceUsable(ns);
    const entry = ns.entries.get(key);
    if (!entry && ns.entries.size >= this.limits.maxKeys) {
      throw new StorageError(Status.QuotaExceeded, `namespace ${quote(ns.name)} already holds ${ns.entries.size} keys; the limit is ${this.limits.maxKeys} (--max-keys)`);
    }
    const bytes = ns.bytes - (entry?.size ?? 0) + value.length;
    if (bytes > this.limits.maxBytes) {
      throw new StorageError(Status.QuotaExceeded, `namespace ${quote(ns.name)} would hold ${bytes} value bytes; the limit is ${this.limits.maxBytes} (--max-bytes)`);
    }
    const version = (entry?.version ?? ns.highWater) + 1;
    const record = encodeRecord(this.#crypto, ns.key, ns.name, key, version, await this.#nonce(), value);
    await this.#io(ns, async () => {
      if (!ns.dirReady) {
        await this.#fs.mkdir(ns.dir);
        await this.#fs.syncDir(parentOf(ns.dir));
        ns.dirReady = true;
      }
      await this.#atomicWrite(ns, recordFileName(this.#crypto, key), record);
    });
    ns.entries.set(key, { version, size: value.length });
    ns.bytes = bytes;
    return version;
  }

  async #atomicWrite(ns: Namespace, name: string, data: Uint8Array): Promise<void> {
    const tmp = join(ns.dir, `${TEMP_PREFIX}${this.#session}-${this.#tempCounter++}`);
    try {
      await this.#fs.writeFile(tmp, data, FILE_MODE);
      await this.#fs.rename(tmp, join(ns.dir, name));
    } catch (err) {
      await this.#fs.rm(tmp).catch(() => undefined);
      throw err;
    }
    await this.#fs.syncDir(ns.dir);
  }

  async #nonce(): Promise<Uint8Array> {
    const n = await this.#random(NONCE_BYTES);
    if (!(n instanceof Uint8Array) || n.length !== NONCE_BYTES) throw new StorageError(Status.Unavailable, 'the random source failed');
    return n;
  }

  /**
   * Runs host file operations; a failure becomes an Unavailable error, and for a mutation (ns
   * given) the namespace is reloaded from disk next time, since what reached the disk is unknown.
   */
  async #io<T>(ns: Namespace | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      if (ns) this.#namespaces.delete(ns.name);
      // Clients get the error code only: host messages name host paths.
      const code = (err as { code?: unknown } | null)?.code;
      const message = err instanceof Error ? err.message : String(err);
      throw new StorageError(Status.Unavailable, `host file system error${typeof code === 'string' ? ` ${code}` : ''}${ns ? '; the operation may or may not have taken effect' : ''}`, 0, message);
    }
  }

  /** Runs `fn` with the namespace loaded, one operation per namespace at a time. */
  async #exclusive<T>(name: string, fn: (ns: Namespace) => Promise<T>): Promise<T> {
    const previous = this.#locks.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.#locks.set(name, tail);
    await previous;
    try {
      return await fn(await this.#namespace(name));
    } finally {
      release();
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }

  #namespace(name: string): Promise<Namespace> {
    let loaded = this.#namespaces.get(name);
    if (!loaded) {
      loaded = this.#load(name);
      this.#namespaces.set(name, loaded);
      loaded.catch(() => { if (this.#namespaces.get(name) === loaded) this.#namespaces.delete(name); });
    }
    return loaded;
  }

  /** Reads and authenticates every file of a namespace; removes temp files an interrupted write left. */
  async #load(name: string): Promise<Namespace> {
    const ns: Namespace = {
      name,
      dir: join(join(this.dir, 'ns'), name),
      key: dataKey(this.#crypto, this.#sealingKey, name),
      entries: new Map(),
      corrupted: new Map(),
      highWater: 0,
      bytes: 0,
      dirReady: false,
    };
    await this.#io(undefined, async () => {
      for (const file of (await this.#fs.readdir(ns.dir)).sort()) {
        const path = join(ns.dir, file);
        if (file.startsWith(TEMP_PREFIX)) {
          await this.#fs.rm(path);
          continue;
        }
        if (file !== NS_META && !file.endsWith('.rec')) continue;
        const bytes = await this.#fs.readFile(path);
        if (!bytes) continue;
        if (file === NS_META) {
          const hw = openNamespaceMeta(this.#crypto, ns.key, name, bytes);
          if (typeof hw === 'string') ns.corrupted.set(file, hw);
          else ns.highWater = hw;
          continue;
        }
        const header = readRecordHeader(bytes);
        if (typeof header === 'string') { ns.corrupted.set(file, header); continue; }
        if (recordFileName(this.#crypto, header.key) !== file) { ns.corrupted.set(file, 'the file name does not match the key the record holds (moved or copied file?)'); continue; }
        const opened = openRecord(this.#crypto, ns.key, name, header.key, bytes);
        if (typeof opened === 'string') { ns.corrupted.set(file, opened); continue; }
        ns.entries.set(header.key, { version: header.version, size: opened.value.length });
        ns.bytes += opened.value.length;
      }
    });
    return ns;
  }
}
