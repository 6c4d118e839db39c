// Template rendering for KasperskyOS spec files: CMake `@NAME@` placeholders (with -D values and the
// SDK's own defaults) and Jinja `{% if %}`/`{{ }}`/`{# #}`, and diagnostics of the rendered text
// mapped back to the template's own line and column.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiagnosticBag, formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { parseInitYaml } from '../../src/lang/init-yaml.ts';
import { parsePsl } from '../../src/lang/psl.ts';
import { makeSource } from '../../src/lang/source.ts';
import { isTemplate, renderTemplate, sdkPlaceholderDefault, type SdkDefaults } from '../../src/lang/template.ts';
import { pslPlaceholderDefault, SDK_PROGRAMS } from '../../src/model/sdk.ts';
import { at } from '../helpers/policy.ts';

interface Rendered { readonly text: string; readonly diagnostics: readonly string[] }

function render(text: string, defines: Readonly<Record<string, string>> = {}, sdk?: SdkDefaults, path = 't.psl.in'): Rendered {
  const diags = new DiagnosticBag();
  const out = renderTemplate(makeSource(path, text), new Map(Object.entries(defines)), diags, sdk);
  return { text: out.text, diagnostics: diags.items.map(formatDiagnostic) };
}

/** Renders, then parses the result with `parse`; diagnostics of both passes, as printed. */
function renderAndParse(parse: 'psl' | 'yaml', path: string, text: string, defines: Readonly<Record<string, string>> = {}, sdk?: SdkDefaults): Rendered {
  const diags = new DiagnosticBag();
  const out = renderTemplate(makeSource(path, text), new Map(Object.entries(defines)), diags, sdk);
  if (parse === 'psl') parsePsl(out, diags);
  else parseInitYaml(out, diags);
  return { text: out.text, diagnostics: diags.items.map(formatDiagnostic) };
}

const warnEmpty = (line: number, source: string, name: string) =>
  at('warning', 't.psl.in', line, source, `@${name}@`, `template placeholder @${name}@ has no value and is rendered empty (define it with -D ${name}=VALUE)`);

describe('CMake placeholders', () => {
  test('a -D value replaces @NAME@', () => {
    assert.deepEqual(render('use EDL app.@NAME@\n', { NAME: 'Server' }), { text: 'use EDL app.Server\n', diagnostics: [] });
  });

  test('a file without template syntax is returned unchanged', () => {
    const file = makeSource('plain.psl', 'use nk.base._\n');
    assert.equal(renderTemplate(file, new Map(), new DiagnosticBag()), file);
    assert.equal(isTemplate('a @ b'), false);
    assert.equal(isTemplate('a @B@'), true);
    assert.equal(isTemplate('{% if X %}{% endif %}'), true);
  });

  test('SDK defaults: entity connections, env and args render empty, _PATH renders the program, ROOTFS_ENTITY is kl.VfsRamFs', () => {
    const text = '[@INIT_Client_ENTITY_CONNECTIONS@][@INIT_Client_ENTITY_CONNECTIONS+@][@INIT_Client_ENTITY_ENV@][@INIT_Client_ENTITY_ARGS@]\n' +
      'path: @INIT_Client_PATH@\nfs: @ROOTFS_ENTITY@\nexternal: [@INIT_EXTERNAL_ENTITIES@]\n';
    assert.deepEqual(render(text), { text: '[][][][]\npath: Client\nfs: kl.VfsRamFs\nexternal: []\n', diagnostics: [] });
    assert.equal(sdkPlaceholderDefault('INIT_Client_PATH'), 'Client');
    assert.equal(sdkPlaceholderDefault('MAIN_TASK'), undefined);
  });

  test('a -D value wins over the SDK default; "@X+@" takes the value of X', () => {
    assert.deepEqual(render('@ROOTFS_ENTITY@ @LIST+@', { ROOTFS_ENTITY: 'kl.VfsSdCardFs', LIST: 'a' }), { text: 'kl.VfsSdCardFs a', diagnostics: [] });
  });

  test('in a policy, @INIT_EXTERNAL_ENTITIES@ includes the EDL of every SDK stand-in', () => {
    const r = render('use nk.base._\n@INIT_EXTERNAL_ENTITIES@\n', {}, pslPlaceholderDefault);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.text, `use nk.base._\n${SDK_PROGRAMS.map((p) => `use EDL ${p}`).join('\n')}\n`);
    assert.ok(SDK_PROGRAMS.includes('kl.VfsRamFs'));
  });

  test('an unknown placeholder renders empty, with one warning naming it', () => {
    const r = render('a @UNKNOWN@ b\n@UNKNOWN@\n');
    assert.deepEqual(r, { text: 'a  b\n\n', diagnostics: [warnEmpty(1, 'a @UNKNOWN@ b', 'UNKNOWN')] });
  });

  test('inside a dotted name an unknown placeholder stands for its own name, with a warning', () => {
    const source = 'use EDL helloworld.@MAIN_TASK@';
    assert.deepEqual(render(source + '\n'), {
      text: 'use EDL helloworld.MAIN_TASK\n',
      diagnostics: [at('warning', 't.psl.in', 1, source, '@MAIN_TASK@', 'template placeholder @MAIN_TASK@ has no value and is rendered as "MAIN_TASK" (define it with -D MAIN_TASK=VALUE)')],
    });
  });

  test('a placeholder in a branch that is not rendered is not warned about', () => {
    assert.deepEqual(render('{% if DEBUG %}@GONE@{% endif %}ok'), { text: 'ok', diagnostics: [] });
  });
});

describe('Jinja conditionals', () => {
  const chain = '{% if A %}a{% elif B %}b{% else %}none{% endif %}';

  test('if / elif / else take -D values; undefined is false', () => {
    assert.equal(render(chain, { A: 'ON' }).text, 'a');
    assert.equal(render(chain, { B: '1' }).text, 'b');
    assert.equal(render(chain, { A: 'ON', B: '1' }).text, 'a');
    assert.equal(render(chain).text, 'none');
  });

  test('false-looking values are false: 0, OFF, no, false and the empty string', () => {
    for (const v of ['0', 'OFF', 'no', 'false', '']) assert.equal(render('{% if A %}on{% else %}off{% endif %}', { A: v }).text, 'off', v);
  });

  test('== and != compare with string and integer literals', () => {
    const text = '{% if A == "x" %}eq{% endif %}{% if A != "x" %}ne{% endif %}{% if N == 3 %}three{% endif %}';
    assert.equal(render(text, { A: 'x', N: '3' }).text, 'eqthree');
    assert.equal(render(text, { A: 'y' }).text, 'ne');
  });

  test('not, and, or and parentheses', () => {
    const text = '{% if not A %}!A {% endif %}{% if A and B %}A&B {% endif %}{% if A or B %}A|B {% endif %}{% if (A or B) and not C %}(A|B)&!C{% endif %}';
    assert.equal(render(text, { A: '1' }).text, 'A|B (A|B)&!C');
    assert.equal(render(text, { A: '1', B: '1', C: '1' }).text, 'A&B A|B ');
    assert.equal(render(text).text, '!A ');
  });

  test('nested conditionals only render inside a taken branch', () => {
    const text = '{% if A %}[{% if B %}AB{% else %}A{% endif %}]{% else %}{% if B %}B{% endif %}-{% endif %}';
    assert.equal(render(text, { A: '1', B: '1' }).text, '[AB]');
    assert.equal(render(text, { A: '1' }).text, '[A]');
    assert.equal(render(text, { B: '1' }).text, 'B-');
    assert.equal(render(text).text, '-');
  });

  test('conditionals inside a binding body choose its rules', () => {
    const text = 'use nk.base._\nrequest {\n{% if STRICT %}\n    deny ()\n{% else %}\n    grant ()\n{% endif %}\n}\n';
    const rules = (defines: Record<string, string>) => {
      const diags = new DiagnosticBag();
      const file = parsePsl(renderTemplate(makeSource('t.psl.in', text), new Map(Object.entries(defines)), diags), diags);
      assert.deepEqual(diags.items.map(formatDiagnostic), []);
      return file.decls.flatMap((d) => d.kind === 'binding' ? d.body.map((b) => b.kind === 'rule' ? b.callee.text : b.kind) : []);
    };
    assert.deepEqual(rules({}), ['grant']);
    assert.deepEqual(rules({ STRICT: 'ON' }), ['deny']);
  });

  test('{{ NAME }} substitutes a value and {# … #} is dropped', () => {
    assert.deepEqual(render('{{ NAME }} and {# a\ncomment #}end', { NAME: 'val' }), { text: 'val and end', diagnostics: [] });
    assert.deepEqual(render('[{{ MISSING }}]'), { text: '[]', diagnostics: [] });
  });
});

describe('template errors', () => {
  const error = (source: string, needle: string, message: string, occurrence = 1) => at('error', 't.psl.in', 1, source, needle, message, occurrence);

  test('an if without endif', () => {
    const source = '{% if A %}x';
    assert.deepEqual(render(source).diagnostics, [error(source, '{%', '"{% if %}" has no matching "{% endif %}"')]);
  });

  test('endif, else and elif without if', () => {
    for (const [source, message] of [
      ['x{% endif %}', '"{% endif %}" without "{% if %}"'],
      ['{% else %}', '"{% else %}" without "{% if %}"'],
      ['{% elif A %}', '"{% elif %}" without "{% if %}"'],
    ] as const) {
      const tag = source.slice(source.indexOf('{%'));
      assert.deepEqual(render(source).diagnostics, [error(source, tag, message)], source);
    }
  });

  test('a second else, and elif after else', () => {
    const a = '{% if A %}{% else %}{% else %}{% endif %}';
    const b = '{% if A %}{% else %}{% elif B %}{% endif %}';
    assert.deepEqual(render(a).diagnostics, [error(a, '{% else %}', 'a second "{% else %}" in one "{% if %}"', 2)]);
    assert.deepEqual(render(b).diagnostics, [error(b, '{% elif B %}', '"{% elif %}" after "{% else %}"')]);
  });

  test('an unterminated tag', () => {
    assert.deepEqual(render('{% if A %').diagnostics, [error('{% if A %', '{%', 'unterminated template tag "{%": no closing "%}"')]);
    assert.deepEqual(render('{{ NAME').diagnostics, [error('{{ NAME', '{{', 'unterminated template tag "{{": no closing "}}"')]);
  });

  test('an unsupported directive and an unreadable expression', () => {
    const a = '{% for x in y %}';
    const b = '{% if A == %}{% endif %}';
    assert.deepEqual(render(a).diagnostics, [error(a, a, 'unsupported template directive "for" (Citadel renders if/elif/else/endif)')]);
    assert.deepEqual(render(b).diagnostics, [error(b, '{% if A == %}', 'cannot read template expression "A =="')]);
  });

  test('an if without a condition is reported once', () => {
    // renderTemplate reports both `cannot read template expression ""` and `"{% if %}" needs a
    // condition` at the same place; only the second says what is wrong.
    const source = '{% if %}{% endif %}';
    assert.deepEqual(render(source).diagnostics, [error(source, '{% if %}', '"{% if %}" needs a condition')]);
  });
});

describe('diagnostics point into the template', () => {
  test('a syntax error after a multi-line substitution and a removed if block keeps its template line and column', () => {
    const template = [
      'use nk.base._', //                         1
      '@EXTRA@', //                               2: three lines when rendered
      '{% if DEBUG %}', //                        3
      'use EDL a.B', //                           4: removed
      'use EDL a.C', //                           5: removed
      '{% endif %}', //                           6
      'request dst=X { grant ( }', //             7
      '',
    ].join('\n');
    const r = renderAndParse('psl', 't.psl.in', template, { EXTRA: 'use EDL a.One\nuse EDL a.Two\nuse EDL a.Three' });
    assert.equal(r.text.split('\n').indexOf('request dst=X { grant ( }') + 1, 6, 'the rendered line number differs from the template one');
    assert.deepEqual(r.diagnostics, [at('error', 't.psl.in', 7, 'request dst=X { grant ( }', '}', 'expected an expression, found "}"')]);
  });

  test('after @INIT_EXTERNAL_ENTITIES@ (many lines) in a policy', () => {
    const source = '  request dst=X { grant ( }';
    const r = renderAndParse('psl', 't.psl.in', `use nk.base._\n@INIT_EXTERNAL_ENTITIES@\n{% if DEBUG %}\nuse EDL a.B\n{% endif %}\n${source}\n`, {}, pslPlaceholderDefault);
    assert.deepEqual(r.diagnostics, [at('error', 't.psl.in', 6, source, '}', 'expected an expression, found "}"')]);
  });

  test('in an init description, after empty SDK placeholders and a kept if block', () => {
    const source = '  - target a.D';
    const template = `entities:\n@INIT_EXTERNAL_ENTITIES@\n{% if X %}\n- name: a.B\n  path: @INIT_B_PATH@\n{% endif %}\n- name: a.C\n  connections:\n${source}\n`;
    const r = renderAndParse('yaml', 'init.yaml.in', template, { X: '1' });
    assert.deepEqual(r.diagnostics, [at('error', 'init.yaml.in', 9, source, 'target a.D', 'a connection must be a mapping with "target:" and "id:"')]);
  });

  test('on the same line after a substitution longer than its placeholder, the column is the template one', () => {
    const source = 'request dst=@SERVER@ { grant ( }';
    const r = renderAndParse('psl', 't.psl.in', source + '\n', { SERVER: 'app.AVeryLongServerName' });
    assert.deepEqual(r.diagnostics, [at('error', 't.psl.in', 1, source, '}', 'expected an expression, found "}"')]);
  });

  test('an error inside substituted text underlines its whole placeholder', () => {
    const source = 'request dst=@T@ { grant () }';
    const r = renderAndParse('psl', 't.psl.in', source + '\n', { T: 'a.b c' });
    assert.deepEqual(r.diagnostics, [
      `t.psl.in:1:13: error: expected "{" to open the binding body, found "c"\n${source}\n            ^~~`,
    ]);
  });

  test('a span that ends inside a substitution covers the whole placeholder', () => {
    // `use demo.@X@` renders `use demo.Module`; the error spans `demo.Module`, which in the template
    // is `demo.@X@`. The caret stops after the "@" instead: `^~~~~~` under `demo.@`.
    const source = 'use demo.@X@';
    const r = renderAndParse('psl', 't.psl.in', source + '\n', { X: 'Module' });
    assert.deepEqual(r.diagnostics, [
      at('error', 't.psl.in', 1, source, 'demo.@X@', 'expected a module path ending in "._" (use demo.Module._), found "demo.Module"'),
    ]);
  });
});
