// The image verifier is trusted computing base: no dynamic code, only node built-ins and its own files,
// and small enough to read in one sitting.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../../src/image');
const files = readdirSync(ROOT).filter(f => f.endsWith('.ts')).map(f => join(ROOT, f));

test('the image sources contain no eval, new Function, node:vm or dynamic import', () => {
  assert.ok(files.length >= 8, 'found the sources');
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const banned of [/\beval\s*\(/, /new\s+Function\b/, /\bFunction\s*\(/, /node:vm/, /\bimport\s*\(/, /\brequire\s*\(/]) {
      assert.doesNotMatch(src, banned, `${f} contains ${banned}`);
    }
  }
});

test('the image sources import only their own files and node built-ins', () => {
  for (const f of files) {
    for (const [, spec] of readFileSync(f, 'utf8').matchAll(/\bfrom\s+'([^']+)'/g)) {
      const ok = spec!.startsWith('node:') || (spec!.startsWith('.') && resolve(dirname(f), spec!).startsWith(`${ROOT}/`));
      assert.ok(ok, `${f} imports ${spec}`);
    }
  }
});

test('the image module stays small (under 1,000 lines)', () => {
  const lines = files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length, 0);
  assert.ok(lines < 1000, `${lines} lines`);
});
