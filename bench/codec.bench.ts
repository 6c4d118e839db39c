// Generated wire codec (encode + decode of one request) against structuredClone and a JSON round
// trip of the same value, and the kernel's payload validator (validate; validate + decode) on its bytes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkAll } from '../src/build/check.ts';
import { buildWireSchema } from '../src/build/schema.ts';
import { generate } from '../src/codegen/generate.ts';
import { compileSchema } from '../src/kernel/validate.ts';
import { measure, report, row, sink, type Case } from './harness.ts';

// A representative request: nested struct, strings, a sequence of strings, a sequence of structs,
// a union and integers of several widths. JSON-safe on purpose (no 64-bit ints, no bytes), so the
// JSON round trip copies the same value.
const IDL = `// Benchmark interface: one representative request.
package bench.Records

const UInt32 MaxName = 32;

typedef string<MaxName> Name;

struct Point {
    SInt32 x;
    SInt32 y;
}

union Shape {
    Point point;
    Name label;
    UInt32 radius;
}

struct Entry {
    UInt32 id;
    UInt8 flags;
    UInt16 port;
    Name owner;
    sequence<Name, 4> tags;
    sequence<Point, 4> path;
    Shape shape;
}

interface {
    Put(in Entry entry, in UInt32 version, out UInt32 status);
}
`;
const FILES: Readonly<Record<string, string>> = {
  'init.yaml': 'entities:\n- name: bench.Server\n',
  'bench/Records.idl': IDL,
  'bench/Server.edl': 'task class bench.Server\n\nendpoints {\n    records : bench.Records\n}\n',
};
const VALUE = {
  entry: {
    id: 4_000_001, flags: 5, port: 8080, owner: 'alice@example',
    tags: ['admin', 'ops', 'night-shift'],
    path: [{ x: 1, y: -2 }, { x: 300, y: 40_000 }, { x: -7, y: 0 }],
    shape: { tag: 'label', value: 'north gate' },
  },
  version: 3,
};

interface Generated {
  encode_Records_Put_Request(v: typeof VALUE): Uint8Array;
  decode_Records_Put_Request(payload: Uint8Array): typeof VALUE;
}

const root = mkdtempSync(path.join(tmpdir(), 'citadel-bench-codec-'));
let gen: Generated;
let schema: ReturnType<typeof buildWireSchema>;
try {
  const solution = path.join(root, 'solution'), out = path.join(root, 'gen');
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(solution, name)), { recursive: true });
    writeFileSync(path.join(solution, name), text);
  }
  const checked = checkAll(solution);
  const bad = checked.diagnostics.filter((d) => d.severity === 'error');
  if (!checked.model || bad.length > 0) throw new Error(`benchmark solution does not check: ${bad.map((d) => d.message).join('; ')}`);
  mkdirSync(out);
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of generate(checked.model)) writeFileSync(path.join(out, name), text);
  gen = (await import(pathToFileURL(path.join(out, 'bench.Records.idl.ts')).href)) as Generated;
  schema = buildWireSchema(checked.model, ['bench.Server']);
} finally {
  rmSync(root, { recursive: true, force: true });
}

const plan = compileSchema(schema).method(0, 0, 0)?.request;
if (!plan) throw new Error('no request plan for bench.Server records.Put');
const payload = gen.encode_Records_Put_Request(VALUE);
// The round trips must reproduce the value, and the validator must accept the encoder's bytes.
const same = (a: unknown) => JSON.stringify(a) === JSON.stringify(VALUE);
if (!same(gen.decode_Records_Put_Request(payload))) throw new Error('codec round trip changed the value');
if (!same(structuredClone(VALUE)) || !same(JSON.parse(JSON.stringify(VALUE)))) throw new Error('clone changed the value');
const invalid = plan.validate(payload, 0);
if (invalid !== undefined) throw new Error(`kernel validator rejects the encoder's payload: ${invalid}`);
// The kernel decodes a union as `{ member: value }` (docs/wire-format.md), not as `{ tag, value }`.
const kernelForm = { ...VALUE, entry: { ...VALUE.entry, shape: { label: VALUE.entry.shape.value } } };
if (JSON.stringify(plan.decode(payload)) !== JSON.stringify(kernelForm)) throw new Error('the kernel decodes another value than the generated decoder');

const OPS = 64;
const CLONE = 'structuredClone', JSON_RT = 'JSON.parse(JSON.stringify())';
const CODEC = 'generated encode + decode', ENCODE = 'generated encode', DECODE = 'generated decode';
const VALIDATE = 'kernel validate', VALIDATE_DECODE = 'kernel validate + decode';
const loop = (name: string, op: () => unknown): Case => ({
  name, ops: OPS,
  fn: () => {
    let n = 0;
    for (let i = 0; i < OPS; i++) if (op() !== undefined) n++;
    sink.value += n;
  },
});
const cases: Case[] = [
  loop(CLONE, () => structuredClone(VALUE)),
  loop(JSON_RT, () => JSON.parse(JSON.stringify(VALUE))),
  loop(CODEC, () => gen.decode_Records_Put_Request(gen.encode_Records_Put_Request(VALUE))),
  loop(ENCODE, () => gen.encode_Records_Put_Request(VALUE)),
  loop(DECODE, () => gen.decode_Records_Put_Request(payload)),
  // validate returns undefined when valid: count the valid ones instead.
  loop(VALIDATE, () => (plan.validate(payload, 0) === undefined ? 1 : undefined)),
  loop(VALIDATE_DECODE, () => plan.decode(payload)),
];

const results = measure(cases, { runs: 5, time: 300, warmupTime: 100 });
const baselines = [CLONE, JSON_RT];
report({
  title: `Wire codec vs structuredClone and JSON (one ${payload.length}-byte request)`,
  runs: 5,
  rows: [
    row(results, CLONE, 'µs/op'),
    row(results, JSON_RT, 'µs/op', [CLONE]),
    row(results, CODEC, 'µs/op', baselines),
    row(results, ENCODE, 'µs/op', baselines),
    row(results, DECODE, 'µs/op', baselines),
    row(results, VALIDATE, 'µs/op', baselines, 'checks the bytes only, allocates nothing'),
    row(results, VALIDATE_DECODE, 'µs/op', baselines, 'what the kernel does before a policy reads message.*'),
  ],
  checks: [],
  notes: [
    `message: bench.Records.Put request (struct with strings, sequence<string>, sequence<struct>, a union, 8–32-bit ints), ${payload.length} bytes on the wire`,
    `each sample is ${OPS} operations; figures are per operation`,
  ],
});
