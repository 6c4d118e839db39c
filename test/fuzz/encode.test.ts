// The fuzzer's schema-driven encoder and arbitraries against the generated codecs, over a model
// that uses every wire feature: every generated valid value encodes to a payload the kernel's
// validator accepts and that the generated decoder reads and the generated encoder writes back
// byte for byte (the same layout); every mutation applies to every message; case-file messages
// round-trip; shrink candidates are smaller.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { buildWireSchema } from '../../src/build/schema.ts';
import { buildNames, packageFile } from '../../src/codegen/names.ts';
import { compileSchema, type CompiledSchema } from '../../src/kernel/validate.ts';
import type { WireSchema } from '../../src/kernel/schema.ts';
import { ValueArbitraries } from '../../src/fuzz/arbitraries.ts';
import { encodeMessage, Layout } from '../../src/fuzz/encode.ts';
import { messageFromJson, messageToJson, type FuzzMessage } from '../../src/fuzz/message.ts';
import { shrinkCandidates } from '../../src/fuzz/minimise.ts';
import { MessageSource } from '../../src/fuzz/generator.ts';
import type { FuzzSetup, FuzzTarget } from '../../src/fuzz/target.ts';
import { applyMutation, mutationArb, type MethodInfo, type MutationContext } from '../../src/fuzz/mutations.ts';
import { generate } from '../../src/codegen/generate.ts';
import { importFrom, removeDir, representativeModel, writeGenerated } from '../codegen/helpers.ts';

const model = representativeModel();
const classNames = ['kl.core.Core', 'app.Server', 'app.Idle'];
const wire: WireSchema = buildWireSchema(model, classNames);
const schema: CompiledSchema = compileSchema(wire);
const layout = new Layout(wire);
const values = new ValueArbitraries(layout);

/** Every method of app.Server, with its interface package (for the generated module). */
const methods: (MethodInfo & { pkg: string; method: string })[] = [];
wire.classes[1]!.endpoints.forEach((e) => {
  const iface = wire.interfaces[e.iface]!;
  iface.methods.forEach((m, mid) => methods.push({ riid: e.riid, mid, name: `${e.name}.${m.name}`, request: m.request, pkg: iface.name, method: m.name }));
});
const ctx: MutationContext = { methodCounts: wire.classes[1]!.endpoints.map((e) => wire.interfaces[e.iface]!.methods.length), channelHandle: 1, ownHandles: [1] };

type Codec = (v: unknown) => Uint8Array;
let dir = '';
const codecs = new Map<string, { encode: Codec; decode: (p: Uint8Array) => unknown }>();

before(async () => {
  dir = writeGenerated(generate(model), 'citadel-fuzz-codegen-');
  const names = buildNames(model);
  for (const m of methods) {
    const mod = await importFrom<Record<string, unknown>>(dir, packageFile(m.pkg));
    const n = names.packages.get(m.pkg)!.iface!.methods.get(m.method)!;
    codecs.set(m.name, { encode: mod[n.encodeRequest] as Codec, decode: mod[n.decodeRequest] as (p: Uint8Array) => unknown });
  }
});
after(() => removeDir(dir));

describe('fuzz encoder and arbitraries', () => {
  test('the model has methods with every kind of parameter', () => {
    assert.ok(methods.length >= 8, methods.map((m) => m.name).join(', '));
  });

  for (const m of methods) {
    test(`valid values of ${m.name} validate and match the generated codec byte for byte`, () => {
      const plan = schema.method(1, m.riid, m.mid)!.request;
      const codec = codecs.get(m.name)!;
      fc.assert(fc.property(values.message(m.request), (value) => {
        const { payload } = encodeMessage(layout, m.request, value);
        assert.equal(plan.validate(payload, 0), undefined);
        const again = codec.encode(codec.decode(payload));
        assert.deepEqual([...again], [...payload]);
      }), { numRuns: 150, seed: 11 });
    });
  }

  test('every mutation applies to every method, and integer boundaries keep a payload valid', () => {
    fc.assert(fc.property(fc.nat(methods.length - 1).chain((i) => fc.tuple(fc.constant(methods[i]!), values.message(methods[i]!.request), mutationArb)), ([m, value, mutation]) => {
      const base = encodeMessage(layout, m.request, value);
      const out = applyMutation(base, m, mutation, ctx);
      assert.ok(out.origin.length > 0);
      assert.deepEqual(out.method, { riid: m.riid, mid: m.mid });
      if (mutation.op === 'int' && base.marks.some((k) => k.k === 'int')) {
        assert.equal(schema.method(1, m.riid, m.mid)!.request.validate(out.payload, 0), undefined, out.origin);
      }
      const back = messageFromJson(JSON.parse(JSON.stringify(messageToJson(out))));
      assert.deepEqual({ ...back, payload: [...back.payload], origin: out.origin }, { ...out, payload: [...out.payload] });
    }), { numRuns: 2000, seed: 5 });
  });

  test('the message stream is a function of the seed', () => {
    const setup = { wire, plan: { channels: [{ id: 'c', client: 'cl', server: 'sv', handle: 1 }] } } as unknown as FuzzSetup;
    const target = { routes: [{ client: 'cl', channel: 'c', handle: 1 }], methods, methodCounts: ctx.methodCounts } as unknown as FuzzTarget;
    const stream = (seed: number) => {
      const source = new MessageSource(setup, target, seed);
      return Array.from({ length: 300 }, () => JSON.stringify(messageToJson(source.next().message)));
    };
    const a = stream(42);
    assert.deepEqual(stream(42), a);
    assert.notDeepEqual(stream(43), a);
    assert.ok(a.some((m) => m.includes('"origin":"valid"')) && a.some((m) => !m.includes('"origin":"valid"')), 'valid and mutated messages both');
  });

  test('shrink candidates are smaller', () => {
    const size = (m: FuzzMessage) => Object.keys(m.header).length + m.handles.length + (m.riid !== m.method.riid || m.mid !== m.method.mid ? 1 : 0);
    const m: FuzzMessage = { riid: 3, mid: 0, payload: Uint8Array.of(9, 0, 200, 1), handles: [[1, 3]], header: { version: 2 }, origin: 't', method: { riid: 0, mid: 0 } };
    const all = [...shrinkCandidates(m)];
    assert.ok(all.length > 6);
    for (const c of all) {
      const smaller = size(c) < size(m) || c.payload.length < m.payload.length
        || (c.payload.length === m.payload.length && Buffer.compare(Buffer.from(c.payload), Buffer.from(m.payload)) < 0);
      assert.ok(smaller, JSON.stringify(messageToJson(c)));
    }
  });
});
