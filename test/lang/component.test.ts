// CDL and EDL: the shared component grammar (golden trees, header forms, recovery) and how
// nested components flatten into a process class's qualified endpoints and RIIDs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseComponentFile } from '../../src/lang/component.ts';
import { DiagnosticBag, formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { makeSource } from '../../src/lang/source.ts';
import { runJob } from '../helpers/robustness.ts';
import { checkFiles, diag, namedNodes, strip } from '../helpers/solution.ts';

function parse(text: string, kind: 'cdl' | 'edl', path = kind === 'cdl' ? 'a/Comp.cdl' : 'a/Proc.edl') {
  const diags = new DiagnosticBag();
  const ast = parseComponentFile(makeSource(path, text), kind, diags);
  return { ast, diagnostics: diags.items.map(formatDiagnostic) };
}

const name = (text: string) => ({ text });
const ep = (n: string, iface: string) => ({ name: name(n), iface: name(iface) });
const inst = (n: string, component: string) => ({ name: name(n), component: name(component) });

const CDL = `// A component with every section.
component a.Comp

security a.Guard

/* KCE 0.0/1.0 name of the endpoints section */
interfaces {
    legacy : a.Legacy;
    other  : a.Other,
}

endpoints {
    main : a.Main   // trailing comment
}

components {
    first  : a.Inner
    second : a.Inner
}
`;

describe('CDL/EDL parser', () => {
  test('a CDL component with security, interfaces, endpoints and components parses to the expected tree', () => {
    const { ast, diagnostics } = parse(CDL, 'cdl');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast), {
      kind: 'cdl',
      form: 'component',
      name: name('a.Comp'),
      security: name('a.Guard'),
      endpoints: [ep('legacy', 'a.Legacy'), ep('other', 'a.Other'), ep('main', 'a.Main')],
      components: [inst('first', 'a.Inner'), inst('second', 'a.Inner')],
    });
    for (const n of namedNodes(ast)) assert.equal(CDL.slice(n.start, n.end), n.text);
  });

  test('an EDL with the KCE 1.0–1.2 header "entity X"', () => {
    const text = 'entity a.Proc\n\ncomponents {\n    impl : a.Comp\n}\n';
    const { ast, diagnostics } = parse(text, 'edl');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast), {
      kind: 'edl', form: 'entity', name: name('a.Proc'), security: undefined, endpoints: [], components: [inst('impl', 'a.Comp')],
    });
  });

  test('an EDL with the KCE 1.3+ header "task class X"', () => {
    const text = 'task class a.Proc\n\nendpoints {\n    svc : a.Service\n}\n';
    const { ast, diagnostics } = parse(text, 'edl');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast), {
      kind: 'edl', form: 'task class', name: name('a.Proc'), security: undefined, endpoints: [ep('svc', 'a.Service')], components: [],
    });
  });

  test('an EDL that is only a header declares a class with nothing to serve', () => {
    const { ast, diagnostics } = parse('// a client\ntask class a.Proc\n', 'edl');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast), { kind: 'edl', form: 'task class', name: name('a.Proc'), security: undefined, endpoints: [], components: [] });
  });

  test('education-kit EDL: bare "instance : component" lines after the header are component instances', () => {
    const { ast, diagnostics } = parse('entity a.Proc\nimpl : a.Comp\nlog : a.Logger\n', 'edl');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast.components), [inst('impl', 'a.Comp'), inst('log', 'a.Logger')]);
  });

  test('a CDL must start with "component"', () => {
    const { diagnostics } = parse('entity a.Comp\n', 'cdl');
    assert.equal(diagnostics[0], diag('a/Comp.cdl:1:1: error: expected "component", found "entity"', 'entity a.Comp', '^~~~~~'));
  });

  test('"task" must be followed by "class"', () => {
    const { ast, diagnostics } = parse('task a.Proc\n', 'edl');
    assert.deepEqual(diagnostics, [diag('a/Proc.edl:1:6: error: expected "class", found "a"', 'task a.Proc', '     ^')]);
    assert.equal(ast.name, undefined);
  });

  test('an unclosed section is reported at the end of the file, keeping the entries read so far', () => {
    const { ast, diagnostics } = parse('task class a.Proc\nendpoints {\n    x : a.X\n', 'edl');
    assert.deepEqual(diagnostics, [diag('a/Proc.edl:4:1: error: expected "}" to close "endpoints", found end of file', '', '^')]);
    assert.deepEqual(strip(ast.endpoints), [ep('x', 'a.X')]);
  });

  test('a broken entry is skipped and the next line is read', () => {
    const { ast, diagnostics } = parse('component a.Comp\nendpoints {\n    a\n    b : a.B\n}\n', 'cdl');
    assert.deepEqual(diagnostics, [diag('a/Comp.cdl:4:5: error: expected ":" after "a", found "b"', '    b : a.B', '    ^')]);
    assert.deepEqual(strip(ast.endpoints), [ep('b', 'a.B')]);
  });

  test('an unknown section keyword is reported', () => {
    const { diagnostics } = parse('task class a.Proc\nservices {\n}\n', 'edl');
    assert.deepEqual(diagnostics, [diag('a/Proc.edl:2:1: error: expected "endpoints", "components" or "security", found "services"', 'services {', '^~~~~~~~')]);
  });

  test('a second "security" declaration is reported', () => {
    const { diagnostics } = parse('component a.Comp\nsecurity a.G\nsecurity a.H\n', 'cdl');
    assert.deepEqual(diagnostics, [diag('a/Comp.cdl:3:1: error: duplicate "security" declaration', 'security a.H', '^~~~~~~~')]);
  });

  // Runs in a worker with a deadline: the parser must terminate on this input.
  test('an entry that starts with something other than a name is reported, and parsing terminates', async () => {
    const text = 'component a.Comp\nendpoints {\n    123 : a.X\n    ok : a.Y\n}\n';
    const r = await runJob({ kind: 'parse', lang: 'cdl', path: 'a/Comp.cdl', text }, 2000);
    assert.ok(r.ok, r.ok ? '' : `${r.reason}; input:\n${r.lastInput}`);
    assert.deepEqual(r.value.diagnostics, [diag('a/Comp.cdl:3:5: error: expected a name, found "123"', '    123 : a.X', '    ^~~')]);
    assert.deepEqual(r.value.entries, ['ok : a.Y']);
  });
});

describe('component nesting (model)', () => {
  const files = {
    'init.yaml': 'entities:\n- name: a.Proc\n',
    'a/Log.idl': 'package a.Log\ninterface {\n    Write(in string<80> line);\n}\n',
    'a/Store.idl': 'package a.Store\ninterface {\n    Get(in UInt32 key, out UInt32 value);\n    Put(in UInt32 key, in UInt32 value);\n}\n',
    'a/Inner.cdl': 'component a.Inner\n\nendpoints {\n    store : a.Store\n}\n',
    'a/Outer.cdl': 'component a.Outer\n\ninterfaces {\n    log : a.Log\n}\n\ncomponents {\n    left  : a.Inner\n    right : a.Inner\n}\n',
    'a/Proc.edl': 'entity a.Proc\n\nendpoints {\n    direct : a.Log\n}\n\ncomponents {\n    outer : a.Outer\n}\n',
  };

  test('endpoints of nested components get qualified names and RIIDs depth first, own endpoints first', (t) => {
    const { model, formatted } = checkFiles(t, files);
    assert.deepEqual(formatted, []);
    assert.ok(model);
    const proc = model.classes.get('a.Proc');
    assert.ok(proc);
    assert.deepEqual(proc.endpoints, [
      { qualifiedName: 'direct', riid: 0, iface: 'a.Log', components: [] },
      { qualifiedName: 'outer.log', riid: 1, iface: 'a.Log', components: ['a.Outer'] },
      { qualifiedName: 'outer.left.store', riid: 2, iface: 'a.Store', components: ['a.Outer', 'a.Inner'] },
      { qualifiedName: 'outer.right.store', riid: 3, iface: 'a.Store', components: ['a.Outer', 'a.Inner'] },
    ]);
    assert.equal(proc.component.form, 'entity');
  });

  test('components are in the model, process classes are only the EDL ones', (t) => {
    const { model } = checkFiles(t, files);
    assert.ok(model);
    const outer = model.components.get('a.Outer');
    assert.deepEqual(outer && { ...outer, span: undefined }, {
      name: 'a.Outer',
      isClass: false,
      form: 'component',
      security: undefined,
      endpoints: [{ name: 'log', iface: 'a.Log' }],
      instances: [{ name: 'left', component: 'a.Inner' }, { name: 'right', component: 'a.Inner' }],
      path: 'a/Outer.cdl',
      span: undefined,
    });
    assert.deepEqual([...model.classes.keys()].sort(), ['Einit', 'a.Proc', 'kl.core.Core']);
    assert.equal(model.components.get('a.Inner')?.isClass, false);
    assert.equal(model.components.get('a.Proc')?.isClass, true);
  });
});
