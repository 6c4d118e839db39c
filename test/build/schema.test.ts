// Build step: solution model → wire schema (class order, deduplication, dependency order, sizes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildWireSchema } from '../../src/build/schema.ts';
import type { WireSchema, WireType } from '../../src/kernel/schema.ts';
import { compileSchema } from '../../src/kernel/validate.ts';
import type { SolutionModel, TypeRef } from '../../src/model/model.ts';
import { buildModel, representativeModel, t, type TypeSpec } from '../codegen/helpers.ts';

/** Every `ref` id inside a wire type. */
function refs(type: WireType, out: number[] = []): number[] {
  switch (type.k) {
    case 'ref': out.push(type.id); break;
    case 'array': case 'sequence': refs(type.of, out); break;
    case 'struct': case 'union': for (const f of type.fields) refs(f.type, out); break;
    default: break;
  }
  return out;
}

/** Types are listed dependencies first, each once; the kernel accepts the schema. */
function wellFormed(schema: WireSchema): void {
  assert.equal(new Set(schema.types.map((x) => x.name)).size, schema.types.length, 'each named type once');
  assert.equal(new Set(schema.interfaces.map((x) => x.name)).size, schema.interfaces.length, 'each interface once');
  schema.types.forEach((entry, i) => {
    for (const id of refs(entry.type)) assert.ok(id < i, `${entry.name} refers to type ${id}, not before it`);
  });
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema, 'plain JSON data');
  compileSchema(JSON.parse(JSON.stringify(schema)) as WireSchema);
}

/** Each message's sizes are the model's, and its params its layout's names, in order. */
function sizesMatch(model: SolutionModel, schema: WireSchema): void {
  for (const wi of schema.interfaces) {
    const iface = model.interfaces.get(wi.name)!;
    assert.equal(wi.methods.length, iface.methods.length);
    for (const m of iface.methods) {
      const wm = wi.methods[m.mid]!;
      assert.equal(wm.name, m.name);
      for (const kind of ['request', 'response', 'error'] as const) {
        const { fixed, arenaMax, handles } = m[kind].size;
        assert.deepEqual({ fixed: wm[kind].fixed, arenaMax: wm[kind].arenaMax, handles: wm[kind].handles }, { fixed, arenaMax, handles });
        assert.deepEqual(wm[kind].params.map((p) => p.name), m[kind].params.map((p) => p.name));
      }
    }
  }
}

test('classes follow the policy IR\'s order; unknown names get no endpoints, unlisted classes are left out', () => {
  const model = representativeModel();
  const schema = buildWireSchema(model, ['kl.core.Core', 'app.Idle', 'app.Server']);
  assert.deepEqual(schema.classes.map((c) => c.name), ['kl.core.Core', 'app.Idle', 'app.Server']);
  assert.deepEqual(schema.classes[0], { name: 'kl.core.Core', endpoints: [] });
  assert.deepEqual(schema.classes[1], { name: 'app.Idle', endpoints: [] });
  const server = schema.classes[2]!;
  assert.deepEqual(server.endpoints.map((e) => [e.name, e.riid, schema.interfaces[e.iface]!.name]), [
    ['echo', 0, 'app.Echo'], ['inner.echo', 1, 'app.Echo'], ['inner.deep.nothing', 2, 'app.Nothing'], ['single', 3, 'single'],
  ]);
  assert.equal(server.endpoints[0]!.iface, server.endpoints[1]!.iface, 'one interface, one entry');
  assert.equal(schema.version, 1);
  wellFormed(schema);
  sizesMatch(model, schema);
  assert.deepEqual(buildWireSchema(model, []), { version: 1, types: [], interfaces: [], classes: [] });
});

test('named types: only those the interfaces reach, once each, dependencies first, typedefs as their targets', () => {
  const model = representativeModel();
  const schema = buildWireSchema(model, ['app.Server']);
  const names = schema.types.map((x) => x.name);
  // Unused declarations (geo.Types.Empty, Nothing, Linked, PingProxy, __proto__) are not needed by the kernel.
  assert.deepEqual(new Set(names), new Set([
    'app.Echo.Payload', 'geo.Types.Point', 'geo.Types.Name', 'geo.Types.Alias', 'geo.Types.Shape', 'app.Echo.Choice', 'geo.Types.Array', 'single.wire',
  ]));
  const byName = (n: string) => schema.types[names.indexOf(n)]!.type;
  assert.deepEqual(byName('geo.Types.Name'), { k: 'string', max: 16 });
  assert.deepEqual(byName('geo.Types.Alias'), { k: 'ref', id: names.indexOf('geo.Types.Name') });
  assert.deepEqual(byName('geo.Types.Shape'), {
    k: 'union',
    fields: [
      { name: 'point', type: { k: 'ref', id: names.indexOf('geo.Types.Point') } },
      { name: 'label', type: { k: 'ref', id: names.indexOf('geo.Types.Alias') } },
      { name: 'big', type: { k: 'int', bytes: 8, signed: false } },
      { name: 'tiny', type: { k: 'int', bytes: 1, signed: false } },
    ],
  });
  const payload = byName('app.Echo.Payload');
  assert.ok(payload.k === 'struct');
  assert.deepEqual(payload.fields.slice(8, 14).map((f) => f.type), [
    { k: 'int', bytes: 8, signed: false }, { k: 'int', bytes: 8, signed: false }, // UIntSize, UIntPtr
    { k: 'handle' }, { k: 'handle' }, { k: 'bytes', max: 8 }, { k: 'string', max: 12 },
  ]);
  assert.deepEqual(payload.fields.slice(14).map((f) => f.type), [
    { k: 'array', of: { k: 'int', bytes: 1, signed: true }, n: 4 },
    { k: 'sequence', of: { k: 'string', max: 4 }, max: 3 },
    { k: 'sequence', of: { k: 'int', bytes: 1, signed: false }, max: 0 },
    { k: 'array', of: { k: 'int', bytes: 4, signed: false }, n: 0 },
  ]);
});

test('security interfaces are included and indexed; methods are placed by MID', () => {
  const base = buildModel({
    packages: {
      'sec.Guard': { methods: { Check: { in: [['who', t.str(8)]] }, Stop: {} } },
      'sec.Work': { types: { Job: { struct: [['id', t.u32]] } }, methods: { Run: { in: [['job', t.ref('sec.Work.Job')]] } } },
    },
    classes: { 'sec.Worker': [['work', 'sec.Work']] },
  });
  const worker = base.classes.get('sec.Worker')!;
  const work = base.interfaces.get('sec.Work')!;
  const guard = base.interfaces.get('sec.Guard')!;
  const model: SolutionModel = {
    ...base,
    classes: new Map([['sec.Worker', { ...worker, component: { ...worker.component, security: 'sec.Guard' } }]]),
    // Methods out of MID order in the model: the schema must still index them by MID.
    interfaces: new Map([['sec.Work', work], ['sec.Guard', { ...guard, methods: [...guard.methods].reverse() }]]),
  };
  const schema = buildWireSchema(model, ['sec.Worker']);
  const cls = schema.classes[0]!;
  assert.equal(schema.interfaces[cls.security!]!.name, 'sec.Guard');
  assert.deepEqual(schema.interfaces[cls.security!]!.methods.map((m) => m.name), ['Check', 'Stop']);
  const compiled = compileSchema(schema);
  assert.equal(compiled.securityMethod(0, 0)?.name, 'Check');
  assert.equal(compiled.securityMethod(0, 0)?.request.validate(new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0]), 0), undefined);
  assert.equal(compiled.method(0, 0, 0)?.name, 'Run');
  wellFormed(schema);
  sizesMatch(model, schema);
});

test('a model the resolver should have rejected fails loudly', () => {
  const looped = buildModel({ packages: { 'bad.L': { types: { A: { struct: [['x', t.u8]] } }, methods: { M: { in: [['a', t.ref('bad.L.A')]] } } } }, classes: { 'bad.C': [['e', 'bad.L']] } });
  const types = new Map(looped.types);
  const a = types.get('bad.L.A')!;
  types.set('bad.L.A', { ...a, kind: 'struct', fields: [{ name: 'self', type: t.seq(t.ref('bad.L.A'), 1) }] } as typeof a);
  assert.throws(() => buildWireSchema({ ...looped, types }, ['bad.C']), /type bad\.L\.A contains itself/);
  assert.throws(() => buildWireSchema({ ...looped, interfaces: new Map() }, ['bad.C']), /internal: unresolved interface bad\.L/);
  assert.throws(() => buildWireSchema({ ...looped, types: new Map() }, ['bad.C']), /internal: unresolved type bad\.L\.A/);
});

// Random declarations T0…Tn, each using only earlier ones, declared in a shuffled order and across
// two packages: the schema must list them dependencies first whatever the declaration order.
const leafArb: fc.Arbitrary<TypeRef> = fc.oneof(
  fc.constantFrom(t.u8, t.s16, t.u32, t.s64, t.int('UIntSize'), t.handle(), t.handle('x.I')),
  fc.integer({ min: 0, max: 5 }).map((n) => t.str(n)),
  fc.integer({ min: 0, max: 5 }).map((n) => t.bytes(n)),
);

function typeArb(earlier: number): fc.Arbitrary<TypeRef> {
  const ref = earlier === 0 ? leafArb : fc.integer({ min: 0, max: earlier - 1 }).map((i) => t.ref(`${i % 2 ? 'r.B' : 'r.A'}.T${i}`));
  return fc.oneof(leafArb, ref, ref.map((r) => t.arr(r, 2)), ref.map((r) => t.seq(r, 3)));
}

const declsArb = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.tuple(
    fc.tuple(...Array.from({ length: n }, (_, i) => fc.tuple(
      fc.constantFrom('struct', 'union', 'typedef'),
      fc.array(typeArb(i), { minLength: 1, maxLength: 3 }),
    ))),
    fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    fc.array(typeArb(n), { minLength: 1, maxLength: 3 }),
  ));

test('property: random type graphs build well-formed schemas with the model\'s sizes', () => {
  fc.assert(
    fc.property(declsArb, ([decls, order, params]) => {
      const pkgs: [Record<string, TypeSpec>, Record<string, TypeSpec>] = [{}, {}];
      for (const i of order) {
        const [kind, types] = decls[i]!;
        const fields = types.map((ty, k) => [`f${k}`, ty] as const);
        pkgs[i % 2]![`T${i}`] = kind === 'typedef' ? { typedef: types[0]! } : kind === 'struct' ? { struct: fields } : { union: fields };
      }
      const model = buildModel({
        packages: {
          'r.A': { types: pkgs[0], methods: { M: { in: params.map((p, k) => [`p${k}`, p] as const), out: [['last', params.at(-1)!]] } } },
          'r.B': { types: pkgs[1] },
          'x.I': { methods: {} },
        },
        classes: { 'r.S': [['a', 'r.A'], ['b', 'r.A']] },
      });
      const schema = buildWireSchema(model, ['r.S', 'none']);
      wellFormed(schema);
      sizesMatch(model, schema);
      assert.deepEqual(schema.interfaces.map((i) => i.name), ['r.A'], 'only served interfaces');
    }),
    { numRuns: 300 },
  );
});
