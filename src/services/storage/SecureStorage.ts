// The kl.SecureStorage entity: serves the kl.SecureStorage IDL over the storage core (store.ts),
// with the host files its init.yaml `resources.fs` grants (process tier) and randomness from the
// kernel. Which client may use which namespace is decided by the policy, which sees
// `message.namespace` and the kernel-established source class of every request (README.md).
import { args, hostCrypto, hostFs, randomBytes, serve } from 'citadel';
import { parseStorageArgs } from './args.ts';
import { fromHostCrypto } from './crypto.ts';
import { storageFsFromHost } from './fs.ts';
import { createSecureStorageDispatcher } from './gen/kl.SecureStorage.edl.ts';
import {
  ByValue, ByVersion, InvalidArgument, MaxList, MaxReason,
  SecureStorage_CompareAndSet_Error, SecureStorage_Delete_Error, SecureStorage_Get_Error, SecureStorage_List_Error, SecureStorage_Put_Error,
} from './gen/kl.SecureStorage.idl.ts';
import { SecureStore, Status, StorageError, type Expectation } from './store.ts';

const host = hostFs();
if (!host) throw new Error('kl.SecureStorage needs host files: run it in the process tier (init.yaml "isolation: process" and "resources: fs: write: [<its data dir>]")');
const crypto = hostCrypto();
if (!crypto) throw new Error('kl.SecureStorage needs the host crypto primitives of the process tier');
const options = parseStorageArgs(args());

/** Kernel randomness, fetched in batches (one IPC call per 64 nonces); no byte is handed out twice. */
let pool: Uint8Array = new Uint8Array(0);
async function random(count: number): Promise<Uint8Array> {
  if (pool.length < count) pool = await randomBytes(Math.max(count, 768));
  const out = pool.slice(0, count);
  pool = pool.subarray(count);
  return out;
}

const store = await SecureStore.open({ fs: storageFsFromHost(host), crypto: fromHostCrypto(crypto), random, dir: options.dir, keyFile: options.keyFile, limits: options.limits });
const { maxValue, maxKeys, maxBytes } = store.limits;
console.log(`kl.SecureStorage: serving ${store.dir} (sealing key ${store.keyFile}; limits: value ${maxValue} B, ${maxKeys} keys and ${maxBytes} B per namespace)`);
// Said once at start, so nobody assumes more than is true (README "Limitations").
if (!store.durableDirs) console.log('kl.SecureStorage: records are written through (O_SYNC), but directories cannot be fsynced in the process tier: an acknowledged write survives a crash of this entity, and a power failure only once the file system commits');

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** `text` cut to the IDL bound of a reason string (UTF-8 bytes). */
function fit(text: string): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= MaxReason) return text;
  return `${decoder.decode(bytes.subarray(0, MaxReason - 4)).replace(/\uFFFD$/, '')}…`;
}

/** The error params of a StorageError; anything else is a bug and becomes a server fault. */
function params(err: unknown): { status: number; reason: string; current: bigint } {
  if (!(err instanceof StorageError)) throw err;
  // Integrity failures are security events: the kernel log gets them (never any value).
  if (err.status === Status.Corrupted) console.warn(`integrity: ${err.reason}`);
  if (err.detail) console.warn(`storage: ${err.detail}`);
  return { status: err.status, reason: fit(err.reason), current: BigInt(err.current) };
}

serve(createSecureStorageDispatcher({
  storage: {
    async Get({ namespace, key }) {
      try {
        const { value, version } = await store.get(namespace, key);
        return { value, version: BigInt(version) };
      } catch (err) {
        const { status, reason } = params(err);
        throw new SecureStorage_Get_Error({ status, reason });
      }
    },
    async Put({ namespace, key, value }) {
      try {
        return { version: BigInt((await store.put(namespace, key, value)).version) };
      } catch (err) {
        const { status, reason } = params(err);
        throw new SecureStorage_Put_Error({ status, reason });
      }
    },
    async Delete({ namespace, key }) {
      try {
        await store.delete(namespace, key);
        return {};
      } catch (err) {
        const { status, reason } = params(err);
        throw new SecureStorage_Delete_Error({ status, reason });
      }
    },
    async List({ namespace, after }) {
      try {
        const { keys, more } = await store.list(namespace, after, MaxList);
        return { keys, more: more ? 1 : 0 };
      } catch (err) {
        const { status, reason } = params(err);
        throw new SecureStorage_List_Error({ status, reason });
      }
    },
    async CompareAndSet({ namespace, key, mode, expectedVersion, expectedValue, value }) {
      try {
        let expect: Expectation;
        if (mode === ByVersion) {
          // A version beyond 2^53 was never written here: it can only conflict.
          expect = { version: expectedVersion <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(expectedVersion) : -1 };
        } else if (mode === ByValue) {
          expect = { value: expectedValue };
        } else {
          throw new StorageError(InvalidArgument, `unknown CompareAndSet mode ${mode} (ByVersion = ${ByVersion}, ByValue = ${ByValue})`);
        }
        return { version: BigInt((await store.compareAndSet(namespace, key, expect, value)).version) };
      } catch (err) {
        throw new SecureStorage_CompareAndSet_Error(params(err));
      }
    },
  },
}));
