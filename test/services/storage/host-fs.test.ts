// What the service needs from a process-tier entity's host file access (src/sandbox/host-fs.ts):
// files created with a given mode, and written through (O_SYNC) when asked, since Node's
// permission model disables fsync in the process tier.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { makeHostFs } from '../../../src/sandbox/host-fs.ts';
import { storageFsFromHost } from '../../../src/services/storage/fs.ts';
import { tempDir } from './helpers.ts';

test('host writeFile: mode applies on creation, sync writes through, bad modes are refused; the storage adapter uses both', async (t) => {
  const base = tempDir(t);
  const fs = makeHostFs({ base, read: [], write: [base] });
  await fs.writeFile('secret', new Uint8Array([1, 2, 3]), { mode: 0o600, sync: true });
  assert.equal(statSync(path.join(base, 'secret')).mode & 0o777, 0o600);
  assert.deepEqual([...readFileSync(path.join(base, 'secret'))], [1, 2, 3]);
  await fs.writeFile('secret', new Uint8Array([4]), { sync: true }); // replaces, truncating
  assert.deepEqual([...readFileSync(path.join(base, 'secret'))], [4]);
  await fs.writeFile('plain', new Uint8Array([5]));
  assert.deepEqual([...readFileSync(path.join(base, 'plain'))], [5]);
  for (const mode of [-1, 0o1000, 1.5, Number.NaN]) await assert.rejects(fs.writeFile('x', new Uint8Array(0), { mode }), /mode must be permission bits/);
  await assert.rejects(fs.writeFile('../outside', new Uint8Array(0), { mode: 0o600, sync: true }), /outside the paths this entity may use/);

  const storage = storageFsFromHost(fs);
  assert.equal(storage.durableDirs, false);
  await storage.writeFile('record', new Uint8Array([9]), 0o600);
  assert.equal(statSync(path.join(base, 'record')).mode & 0o777, 0o600);
  assert.equal(await storage.readFile('missing'), undefined);
  assert.deepEqual(await storage.readdir('no-such-dir'), []);
});
