// Generated output as a whole: it type-checks under strict tsc, and generation is deterministic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generate } from '../../src/codegen/generate.ts';
import type { SolutionModel } from '../../src/model/model.ts';
import { buildModel, loadGenerated, removeDir, representativeModel, t, type MethodSpec, writeGenerated } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('generated code type-checks under tsc --strict (and stricter flags)', () => {
  const files = generate(representativeModel());
  assert.deepEqual([...files.keys()], [
    'app.Echo.idl.ts', 'app.Idle.edl.ts', 'app.Nothing.idl.ts', 'app.Server.edl.ts', 'geo.Types.idl.ts', 'index.ts', 'single.idl.ts', 'wire.ts',
  ]);
  const dir = writeGenerated(files);
  try {
    // A consumer's view: the index imports every module, so all of them are checked.
    fs.writeFileSync(path.join(dir, 'consumer.ts'), [
      "import * as gen from './index.ts';",
      'const transport: gen.wire.ClientTransport = { call: async () => ({ kind: "reply", payload: new Uint8Array(4) }) };',
      'export const proxy = new gen.app$Echo.EchoProxy(transport, gen.app$Server$class.Server_RIID["inner.echo"]);',
      'export const reply: Promise<gen.app$Echo.Echo_Sum_Response> = proxy.Sum({ values: [1n, -2n] }, { timeoutMs: 5 });',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'esnext', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true,
        allowImportingTsExtensions: true, erasableSyntaxOnly: true, verbatimModuleSyntax: true, strict: true,
        // Stricter than asked, so generated code also fits projects that enable these.
        noUnusedLocals: true, noUnusedParameters: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true,
        noImplicitReturns: true, noFallthroughCasesInSwitch: true, noPropertyAccessFromIndexSignature: true,
        skipLibCheck: true, types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')],
      },
      include: ['*.ts'],
    }));
    const tsc = spawnSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(tsc.error, undefined);
    assert.equal(`${tsc.stdout}${tsc.stderr}`, '', 'tsc reported errors');
    assert.equal(tsc.status, 0);
  } finally {
    removeDir(dir);
  }
});

test('generated modules import their siblings and only them', () => {
  const files = generate(representativeModel());
  for (const [name, text] of files) {
    for (const m of text.matchAll(/from "([^"]+)"/g)) {
      const target = m[1]!;
      assert.ok(target.startsWith('./') && files.has(target.slice(2)), `${name} imports ${target}`);
    }
  }
  assert.equal(files.get('wire.ts'), fs.readFileSync(path.join(root, 'src/entity/wire.ts'), 'utf8'));
  assert.doesNotMatch(files.get('wire.ts')!, /^import /m, 'the runtime must stay dependency-free');
});

/** The same model with every map and list in reverse insertion order. */
function reversed(model: SolutionModel): SolutionModel {
  const rev = <K, V>(m: ReadonlyMap<K, V>) => new Map([...m].reverse());
  return {
    ...model,
    packages: rev(model.packages),
    types: rev(model.types),
    interfaces: new Map([...model.interfaces].reverse().map(([k, i]) => [k, { ...i, methods: [...i.methods].reverse() }])),
    components: rev(model.components),
    classes: new Map([...model.classes].reverse().map(([k, c]) => [k, { ...c, endpoints: [...c.endpoints].reverse() }])),
  };
}

test('generation is deterministic and independent of map order', () => {
  const model = representativeModel();
  const first = generate(model);
  const second = generate(model);
  assert.deepEqual([...second], [...first]);
  assert.deepEqual([...generate(representativeModel())], [...first]);
  assert.deepEqual([...generate(reversed(model))], [...first]);
});

test('IDL names clashing with TS keywords, globals or generated names get a trailing _', async () => {
  const model = buildModel({
    packages: {
      'x.Echo': {
        constants: [['Promise', t.u8, 1n], ['default', t.u64, 2n]],
        types: {
          EchoProxy: { struct: [['a', t.u8]] },
          string: { typedef: t.u8 },
          Uint8Array: { struct: [] },
          Echo_Get_Request: { typedef: t.u16 },
        },
        methods: { Get: { in: [['v', t.ref('x.Echo.EchoProxy')]] }, then: {}, ['constructor']: {} as MethodSpec },
      },
    },
  });
  const { dir, mod } = await loadGenerated<Record<string, any>>(model, 'x.Echo.idl.ts');
  try {
    const source = generate(model).get('x.Echo.idl.ts')!;
    // IDL names claim first and keep their spelling unless reserved; generated names yield.
    assert.match(source, /^export interface EchoProxy \{/m);
    assert.match(source, /^export class EchoProxy_ \{/m);
    assert.match(source, /^export type string_ = number;/m);
    assert.match(source, /^export type Uint8Array_ = Record<string, never>;/m);
    assert.match(source, /^export type Echo_Get_Request = number;/m);
    assert.match(source, /^export interface Echo_Get_Request_ \{/m);
    assert.equal(mod.Promise_, 1);
    assert.equal(mod.default_, 2n);
    assert.equal(typeof mod.encode_Echo_Get_Request_, 'function');
    const proxy = new mod.EchoProxy_({ call: async () => ({ kind: 'reply', payload: new Uint8Array() }) }, 0);
    assert.equal(typeof proxy.then, 'undefined');
    assert.deepEqual(await proxy.then_(), {});
    assert.deepEqual(await proxy.constructor_(), {});
  } finally {
    removeDir(dir);
  }
});
