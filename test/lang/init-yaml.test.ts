// init.yaml: the KasperskyOS `entities:` list and Citadel's extensions (isolation, limits,
// resources, restart), as parsed values with spans, and the shape errors the parser reports.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiagnosticBag, formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { parseInitYaml, type InitEntity } from '../../src/lang/init-yaml.ts';
import { makeSource } from '../../src/lang/source.ts';
import { diag } from '../helpers/solution.ts';

function parse(text: string) {
  const diags = new DiagnosticBag();
  const init = parseInitYaml(makeSource('init.yaml', text), diags);
  return { init, items: diags.items, diagnostics: diags.items.map(formatDiagnostic) };
}

/** An entity as plain values (no spans). */
function plain(e: InitEntity) {
  return {
    name: e.name.value,
    task: e.task?.value,
    path: e.path?.value,
    connections: e.connections.map((c) => ({ target: c.target.value, id: c.id.value })),
    args: e.args.map((a) => a.value),
    env: e.env.map((v) => [v.key.value, v.value.value]),
    isolation: e.isolation?.value,
    limits: e.limits.map((l) => [l.key.value, l.value.value]),
    resources: e.resources && { fsRead: e.resources.fsRead.map((p) => p.value), fsWrite: e.resources.fsWrite.map((p) => p.value), net: e.resources.net?.value },
    restart: e.restart?.value,
  };
}

const bare = { task: undefined, path: undefined, connections: [], args: [], env: [], isolation: undefined, limits: [], resources: undefined, restart: undefined };

const FULL = `# Every key an entity may have.
entities:
- name: shop.Frontend
  task: front
  path: dist/front.js
  connections:
  - target: back
    id: backend
  - target: kl.core.Core
    id: {var: _KL_CORE_CONNECTION_ID, include: kl/core/Core.idl.h}
  args:
    - --port
    - 8080
  env:
    MODE: production
    RETRIES: 3
  isolation: process
  limits:
    memoryMiB: 64
    blockMs: 250
    queueKiB: 16
    inFlight: 4
  resources:
    fs:
      read: [/srv/static, /etc/shop]
      write: [/var/shop]
    net: true
  restart: {mode: on-failure, max: 5}
- task: back
  name: shop.Backend
  isolation: wasm
  restart: on-failure
- name: shop.Batch
  restart: never
  dynamic_connection_manager: true
`;

describe('init.yaml parser', () => {
  test('every KasperskyOS key and Citadel extension is read with its value', () => {
    const { init, diagnostics } = parse(FULL);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(init.entities.map(plain), [
      {
        name: 'shop.Frontend',
        task: 'front',
        path: 'dist/front.js',
        connections: [{ target: 'back', id: 'backend' }, { target: 'kl.core.Core', id: '_KL_CORE_CONNECTION_ID' }],
        args: ['--port', '8080'],
        env: [['MODE', 'production'], ['RETRIES', '3']],
        isolation: 'process',
        limits: [['memoryMiB', 64], ['blockMs', 250], ['queueKiB', 16], ['inFlight', 4]],
        resources: { fsRead: ['/srv/static', '/etc/shop'], fsWrite: ['/var/shop'], net: true },
        restart: { mode: 'on-failure', max: 5 },
      },
      { ...bare, name: 'shop.Backend', task: 'back', isolation: 'wasm', restart: { mode: 'on-failure', max: 3 } },
      { ...bare, name: 'shop.Batch', restart: { mode: 'never', max: 0 } },
    ]);
  });

  test('values keep spans pointing at their text in the file', () => {
    const { init } = parse(FULL);
    const [front] = init.entities;
    assert.ok(front);
    const at = (s: { start: number; end: number }) => FULL.slice(s.start, s.end);
    assert.equal(at(front.name.span), 'shop.Frontend');
    assert.equal(at(front.task!.span), 'front');
    assert.equal(at(front.connections[0]!.target.span), 'back');
    assert.equal(at(front.connections[0]!.id.span), 'backend');
    assert.equal(at(front.connections[1]!.id.span), '_KL_CORE_CONNECTION_ID');
    assert.equal(at(front.limits[1]!.key.span), 'blockMs');
    assert.equal(at(front.limits[1]!.value.span), '250');
    assert.equal(at(front.isolation!.span), 'process');
  });

  test('a connection id given as {var, include} takes the macro name', () => {
    const { init, diagnostics } = parse('entities:\n- name: a.B\n  connections:\n  - target: a.C\n    id: {var: CHANNEL, include: a/C.idl.h}\n');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(init.entities[0]?.connections.map((c) => c.id.value), ['CHANNEL']);
  });

  test('an empty entities list, written [] or left empty, has no entities and no errors', () => {
    for (const text of ['entities: []\n', 'entities:\n']) {
      const { init, diagnostics } = parse(text);
      assert.deepEqual(diagnostics, [], text);
      assert.deepEqual(init.entities, []);
    }
  });

  test('an unknown top-level key is a warning, not an error', () => {
    const { items, diagnostics } = parse('version: 2\nentities: []\n');
    assert.deepEqual(diagnostics, [diag('init.yaml:1:1: warning: unknown top-level key "version" is ignored (expected "entities")', 'version: 2', '^~~~~~~')]);
    assert.equal(items[0]?.severity, 'warning');
  });

  test('a document that is not a mapping, or lacks "entities:", is rejected', () => {
    assert.deepEqual(parse('- a\n- b\n').diagnostics, [diag('init.yaml:1:1: error: expected a mapping with an "entities:" list at the top of init.yaml', '- a', '^')]);
    assert.deepEqual(parse('entities: 5\n').diagnostics, [diag('init.yaml:1:11: error: "entities" must be a list of process descriptions', 'entities: 5', '          ^')]);
    assert.deepEqual(parse('').diagnostics, ['init.yaml:1:1: error: expected a mapping with an "entities:" list at the top of init.yaml']);
  });

  test('malformed entries and connections are each reported where they are', () => {
    const text = `entities:
- just-a-string
- {task: x}
- name: [a]
- name: ok
  connections: nope
  args: {a: 1}
  env: [a]
- name: ok2
  connections:
  - target: x
  - id: y
  - just
  - target: a
    id: {include: h}
`;
    const { init, diagnostics } = parse(text);
    assert.deepEqual(diagnostics, [
      diag('init.yaml:2:3: error: each entry of "entities" must be a mapping with at least "name:"', '- just-a-string', '  ^~~~~~~~~~~~~'),
      diag('init.yaml:3:3: error: entity has no "name:" (its process class)', '- {task: x}', '  ^~~~~~~~~'),
      diag('init.yaml:4:9: error: "name" must be a string', '- name: [a]', '        ^~~'),
      diag('init.yaml:6:16: error: "connections" must be a list of {target, id} mappings', '  connections: nope', '               ^~~~'),
      diag('init.yaml:7:9: error: "args" must be a list of strings', '  args: {a: 1}', '        ^~~~~~'),
      diag('init.yaml:8:8: error: "env" must be a mapping of variable names to values', '  env: [a]', '       ^~~'),
      diag('init.yaml:11:5: error: connection has no "id:" (the channel name)', '  - target: x', '    ^~~~~~~~~~'),
      diag('init.yaml:12:5: error: connection has no "target:" (the server task)', '  - id: y', '    ^~~~~~'),
      diag('init.yaml:13:5: error: a connection must be a mapping with "target:" and "id:"', '  - just', '    ^~~~'),
      diag('init.yaml:15:9: error: a connection id given as a mapping needs "var:" (the macro holding the channel name)', '    id: {include: h}', '        ^~~~~~~~~~~~'),
    ]);
    assert.deepEqual(init.entities.map((e) => e.name.value), ['ok', 'ok2']);
  });

  test('"limits" and "resources" must be mappings', () => {
    const { diagnostics } = parse('entities:\n- name: a.B\n  limits: 5\n  resources: [a]\n');
    assert.deepEqual(diagnostics, [
      diag('init.yaml:3:11: error: "limits" must be a mapping (keys: memoryMiB, blockMs, queueKiB, inFlight)', '  limits: 5', '          ^'),
      diag('init.yaml:4:14: error: "resources" must be a mapping with "fs" and/or "net"', '  resources: [a]', '             ^~~'),
    ]);
  });

  test('an unterminated quoted string is reported with a span inside the file', () => {
    const text = 'entities:\n- name: "app.Client\n';
    const { items, diagnostics } = parse(text);
    assert.equal(items.length, 1);
    assert.match(diagnostics[0]!, /^init\.yaml:\d+:\d+: error: invalid YAML: Missing closing "quote/);
    const { start, end } = items[0]!.span;
    assert.ok(start >= 0 && start <= end && end <= text.length, `span ${start}..${end} must lie within the file (length ${text.length})`);
  });

  test('a key left without a value at the very end of the file is reported with a span inside the file', () => {
    const text = 'entities:\n- name: a.B\n  limits:\n    blockMs:'; // no final newline
    const { items, diagnostics } = parse(text);
    assert.deepEqual(diagnostics.map((d) => d.split('\n')[0]), ['init.yaml:4:13: error: limit "blockMs" must be a positive integer']);
    const { start, end } = items[0]!.span;
    assert.ok(start >= 0 && start <= end && end <= text.length, `span ${start}..${end} must lie within the file (length ${text.length})`);
  });
});
