// Child process of kill.test.ts: opens the store in <dir> and writes forever (three concurrent
// workers on disjoint keys), printing "B <key> <op> <id>" before each operation and
// "A <key> <op> <id> <version>" once it is acknowledged (the store's promise resolved, i.e. the
// write is durable). The parent SIGKILLs it at a random moment. stdout on a pipe is synchronous on
// Linux, so an "A" line is in the pipe before the next operation starts.
//   node kill-child.ts <dir> <seed> <iteration>
import { randomBytes } from 'node:crypto';
import { fromHostCrypto } from '../../../src/services/storage/crypto.ts';
import { makeHostCrypto } from '../../../src/sandbox/host-crypto.ts';

/** The crypto the entity uses: the sandbox's node:crypto primitives through the storage adapter. */
const entityCrypto = fromHostCrypto(makeHostCrypto());
import { nodeStorageFs } from '../../../src/services/storage/node-fs.ts';
import { SecureStore, StorageError } from '../../../src/services/storage/store.ts';
import { makeValue, rng } from './workload.ts';

const [dir, seedText, iterationText] = process.argv.slice(2);
const seed = Number(seedText), iteration = Number(iterationText);
const random = rng(seed * 1000 + iteration);
const store = await SecureStore.open({ fs: nodeStorageFs, crypto: entityCrypto, random: (n) => new Uint8Array(randomBytes(n)), dir: dir!, limits: { maxValue: 8192 } });
const say = (line: string) => process.stdout.write(line + '\n');
say('READY');

let nextId = iteration * 1_000_000;
async function worker(w: number): Promise<void> {
  const keys = Array.from({ length: 4 }, (_, i) => `w${w}-k${i}`);
  for (;;) {
    const key = keys[Math.floor(random() * keys.length)]!;
    const id = nextId++;
    const op = random() < 0.15 ? 'del' : 'put';
    say(`B ${key} ${op} ${id}`);
    try {
      if (op === 'del') {
        await store.delete('ns', key);
        say(`A ${key} del ${id} 0`);
      } else {
        const { version } = await store.put('ns', key, makeValue(key, id, Math.floor(random() * 6000)));
        say(`A ${key} put ${id} ${version}`);
      }
    } catch (err) {
      // Deleting a key that is not there is a normal outcome: acknowledged as "nothing there".
      if (err instanceof StorageError && err.reason.startsWith('no key')) say(`A ${key} del ${id} 0`);
      else throw err;
    }
  }
}
await Promise.all([worker(0), worker(1), worker(2)]);
