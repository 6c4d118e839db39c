// The security module is trusted computing base: no dynamic code, no imports beyond node built-ins
// and its own files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../../src/security');
const files = readdirSync(ROOT, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.ts')).map(f => join(ROOT, f));

test('the security module sources contain no eval, new Function or node:vm', () => {
  assert.ok(files.length >= 10, 'found the sources');
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const banned of [/\beval\s*\(/, /new\s+Function\b/, /\bFunction\s*\(/, /node:vm/, /\bimport\s*\(/, /\brequire\s*\(/]) {
      assert.doesNotMatch(src, banned, `${f} contains ${banned}`);
    }
  }
});

test('the security module imports only its own files and node built-ins', () => {
  for (const f of files) {
    for (const [, spec] of readFileSync(f, 'utf8').matchAll(/\bfrom\s+'([^']+)'/g)) {
      const ok = spec!.startsWith('node:') || (spec!.startsWith('.') && resolve(dirname(f), spec!).startsWith(`${ROOT}/`));
      assert.ok(ok, `${f} imports ${spec}`);
    }
  }
});
