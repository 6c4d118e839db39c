// Citadel's own generated code is committed; these tests fail when it no longer matches what the
// generator makes from include/ (run `node src/build/core-gen.ts` / `node src/build/service-gen.ts`).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CORE_GEN_DIR, generateCore } from '../../src/build/core-gen.ts';
import { generateService } from '../../src/build/service-gen.ts';
import { serviceIncludeDirs } from '../../src/model/loader.ts';

function assertMatches(dir: string, expected: ReadonlyMap<string, string>, regenerate: string): void {
  const committed = readdirSync(dir).sort();
  assert.deepEqual(committed, [...expected.keys()].sort(), `${dir} holds other files than the generator makes; run ${regenerate}`);
  for (const [name, text] of expected) {
    assert.equal(readFileSync(path.join(dir, name), 'utf8'), text, `${path.join(dir, name)} is stale; run ${regenerate}`);
  }
}

test('src/entity/gen is what the generator makes from include/kl/core', () => {
  assertMatches(CORE_GEN_DIR, generateCore(), 'node src/build/core-gen.ts');
});

test('every shipped service\'s gen/ is what the generator makes from its spec/', () => {
  for (const spec of serviceIncludeDirs()) assertMatches(path.join(spec, '..', 'gen'), generateService(spec), 'node src/build/service-gen.ts');
});
