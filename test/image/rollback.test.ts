// Rollback protection attacks: an older image after a newer one, a tampered or unreadable state file, and
// the atomic update (no temp files left, nothing stored unless verification fully succeeded).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { packImage, ROLLBACK_FILE, verifyImage } from '../../src/image/index.ts';
import { INPUT, refused, tempDir, TRUSTED } from './fixtures.ts';

const at = (rollbackIndex: number, solution = INPUT.solution) => packImage({ ...INPUT, solution, rollbackIndex }, TRUSTED.privateKeyPem);
const boot = (image: Uint8Array, stateDir: string, commitRollback?: boolean) =>
  verifyImage(image, [TRUSTED.publicKeyPem], commitRollback === undefined ? { stateDir } : { stateDir, commitRollback });
const stored = (dir: string): unknown => JSON.parse(readFileSync(path.join(dir, ROLLBACK_FILE), 'utf8'));

test('first boot stores the index; below is refused, equal is allowed, higher is allowed and stored', () => {
  const dir = tempDir();
  boot(at(5), dir);
  assert.deepEqual(stored(dir), { echo: 5 });
  refused(() => boot(at(3), dir), 'Rollback', /^rollback index 3 is below the stored index 5 for solution "echo"$/);
  refused(() => boot(at(4), dir), 'Rollback');
  boot(at(5), dir);
  assert.deepEqual(stored(dir), { echo: 5 });
  boot(at(7), dir);
  assert.deepEqual(stored(dir), { echo: 7 });
  refused(() => boot(at(5), dir), 'Rollback', /below the stored index 7/);
});

test('indices are kept per solution, including hostile solution names', () => {
  const dir = tempDir();
  boot(at(9, 'a'), dir);
  boot(at(1, 'b'), dir);
  boot(at(4, '__proto__'), dir);
  boot(at(2, 'constructor'), dir);
  refused(() => boot(at(3, '__proto__'), dir), 'Rollback', /solution "__proto__"/);
  refused(() => boot(at(1, 'constructor'), dir), 'Rollback');
  assert.equal(readFileSync(path.join(dir, ROLLBACK_FILE), 'utf8'), '{"__proto__":4,"a":9,"b":1,"constructor":2}\n');
});

test('commitRollback: false checks but does not store', () => {
  const dir = tempDir();
  boot(at(5), dir);
  boot(at(8), dir, false);
  assert.deepEqual(stored(dir), { echo: 5 });
  refused(() => boot(at(4), dir, false), 'Rollback');
});

test('checkRollback: false (inspect) neither checks nor stores', () => {
  const dir = tempDir();
  boot(at(5), dir);
  verifyImage(at(1), [TRUSTED.publicKeyPem], { stateDir: dir, checkRollback: false });
  verifyImage(at(9), [TRUSTED.publicKeyPem], { stateDir: dir, checkRollback: false });
  assert.deepEqual(stored(dir), { echo: 5 });
});

test('a refused image stores nothing', () => {
  const dir = tempDir();
  const image = at(6);
  image[image.length - 1]! ^= 1;
  refused(() => boot(image, dir), 'BlobHash');
  assert.equal(existsSync(path.join(dir, ROLLBACK_FILE)), false);
});

test('the update is atomic: only rollback.json is left, and a missing state directory is created', () => {
  const dir = path.join(tempDir(), 'nested', 'state');
  for (let i = 0; i < 20; i++) boot(at(i), dir);
  assert.deepEqual(readdirSync(dir), [ROLLBACK_FILE]);
  assert.deepEqual(stored(dir), { echo: 19 });
});

describe('a corrupt state file fails closed', () => {
  const corrupt: Record<string, string> = {
    empty: '',
    'not JSON': '{"echo": 5',
    'an array': '[5]',
    null: 'null',
    'a string index': '{"echo":"9"}',
    'a negative index': '{"echo":-1}',
    'a fractional index': '{"echo":1.5}',
    'an index beyond 2^53': '{"echo":1e300}',
    'another solution corrupt': '{"echo":1,"other":true}',
  };
  for (const [what, text] of Object.entries(corrupt)) {
    test(what, () => {
      const dir = tempDir();
      writeFileSync(path.join(dir, ROLLBACK_FILE), text);
      refused(() => boot(at(5), dir), 'StateCorrupt', /rollback state .*rollback\.json/);
      assert.equal(readFileSync(path.join(dir, ROLLBACK_FILE), 'utf8'), text, 'left untouched for inspection');
    });
  }
  test('state that is a directory, or cannot be written', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, ROLLBACK_FILE));
    refused(() => boot(at(5), dir), 'StateCorrupt', /cannot read rollback state/);
    // /proc/self exists but refuses new files even to root, so the write failure is testable by anyone.
    // (Not a path below it: Node's recursive mkdir loops forever there.)
    if (existsSync('/proc/self')) refused(() => boot(at(5), '/proc/self'), 'StateCorrupt', /cannot store rollback index 5 for solution "echo"/);
    if (process.getuid?.() !== 0) {
      const ro = tempDir();
      chmodSync(ro, 0o500);
      refused(() => boot(at(5), ro), 'StateCorrupt', /cannot store rollback index 5 for solution "echo"/);
      chmodSync(ro, 0o700);
      assert.deepEqual(readdirSync(ro), []);
    }
  });
});
