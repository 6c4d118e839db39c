// IDL: the parser's syntax trees (golden), literal and expression forms, recovery, and what the
// resolver makes of a package: evaluated constants, resolved types, MIDs and wire sizes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseComponentFile } from '../../src/lang/component.ts';
import { DiagnosticBag, formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { parseIdl } from '../../src/lang/idl.ts';
import { makeSource } from '../../src/lang/source.ts';
import type { TypeRef, WireSize } from '../../src/model/model.ts';
import { checkFiles, diag, namedNodes, strip } from '../helpers/solution.ts';

function parse(text: string, path = 'demo/Shapes.idl') {
  const diags = new DiagnosticBag();
  const ast = parseIdl(makeSource(path, text), diags);
  return { ast, diagnostics: diags.items.map(formatDiagnostic) };
}

// Builders for expected (stripped) trees.
const name = (text: string) => ({ text });
const named = (text: string) => ({ kind: 'named', name: name(text) });
const int = (value: bigint) => ({ kind: 'int', value });
const ref = (text: string) => ({ kind: 'ref', name: name(text) });
const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });
const field = (type: unknown, n: string) => ({ type, name: name(n) });
const param = (direction: string, type: unknown, n: string) => ({ direction, type, name: name(n) });
const constDecl = (type: string, n: string, value: unknown) => ({ kind: 'const', type: named(type), name: name(n), value });

const TYPES_IDL = `package demo.Types

const UInt32 Base = 4;
`;

const SHAPES_IDL = `/* Shapes: a package exercising every IDL construct.
   Block comments may span lines. */
package demo.Shapes

import demo.Types // the base sizes
import kl.core.Types

const UInt8 Dec = 42;
const UInt16 Hex = 0x2f;
const UInt16 Oct = 0o17;
const UInt32 Pow = (2 << 3) ** 2;
const UInt32 Mix = (Base + 4) * demo.Types.Base;
const SInt64 Neg = -(1 << 40);
const UIntSize Q = demo.Types.Base * 2;

typedef sequence<sequence<UInt8, 2>, 3> Grid;
typedef array<UInt16, Base> Quad;

// Every integer type, in one record.
struct Point {
    SInt8 s8; SInt16 s16; SInt32 s32; SInt64 s64;
    UInt8 u8; UInt16 u16; UInt32 u32; UInt64 u64;
    UIntSize size; UIntPtr ptr;
}

union Value {
    UInt8 small;
    bytes<Dec> blob;
    string<Hex> text;
    Handle h;
}

interface {
    Draw(in Point p, in Grid g, out Value v, error Boolean failed);
    Pass(in handle<demo.Shapes> self, in Handle any, out Quad q);
    Names(in array<string<4>, 3> names, out sequence<Point, 2> points);
    Nothing();
}
`;

describe('IDL parser', () => {
  test('a package with imports, constants, typedefs, a struct, a union and an interface parses to the expected tree', () => {
    const { ast, diagnostics } = parse(SHAPES_IDL);
    assert.deepEqual(diagnostics, []);
    assert.equal(ast.kind, 'idl');
    assert.deepEqual(strip(ast.package), name('demo.Shapes'));
    assert.deepEqual(strip(ast.imports), [name('demo.Types'), name('kl.core.Types')]);
    assert.deepEqual(strip(ast.decls), [
      constDecl('UInt8', 'Dec', int(42n)),
      constDecl('UInt16', 'Hex', int(47n)),
      constDecl('UInt16', 'Oct', int(15n)),
      constDecl('UInt32', 'Pow', bin('**', bin('<<', int(2n), int(3n)), int(2n))),
      constDecl('UInt32', 'Mix', bin('*', bin('+', ref('Base'), int(4n)), ref('demo.Types.Base'))),
      constDecl('SInt64', 'Neg', { kind: 'unary', op: '-', operand: bin('<<', int(1n), int(40n)) }),
      constDecl('UIntSize', 'Q', bin('*', ref('demo.Types.Base'), int(2n))),
      {
        kind: 'typedef',
        type: { kind: 'sequence', element: { kind: 'sequence', element: named('UInt8'), size: int(2n) }, size: int(3n) },
        name: name('Grid'),
      },
      { kind: 'typedef', type: { kind: 'array', element: named('UInt16'), size: ref('Base') }, name: name('Quad') },
      {
        kind: 'struct',
        name: name('Point'),
        fields: [
          field(named('SInt8'), 's8'), field(named('SInt16'), 's16'), field(named('SInt32'), 's32'), field(named('SInt64'), 's64'),
          field(named('UInt8'), 'u8'), field(named('UInt16'), 'u16'), field(named('UInt32'), 'u32'), field(named('UInt64'), 'u64'),
          field(named('UIntSize'), 'size'), field(named('UIntPtr'), 'ptr'),
        ],
      },
      {
        kind: 'union',
        name: name('Value'),
        fields: [
          field(named('UInt8'), 'small'),
          field({ kind: 'bytes', size: ref('Dec') }, 'blob'),
          field({ kind: 'string', size: ref('Hex') }, 'text'),
          field({ kind: 'handle', iface: undefined }, 'h'),
        ],
      },
    ]);
    assert.deepEqual(strip(ast.methods), [
      { name: name('Draw'), params: [param('in', named('Point'), 'p'), param('in', named('Grid'), 'g'), param('out', named('Value'), 'v'), param('error', named('Boolean'), 'failed')] },
      { name: name('Pass'), params: [param('in', { kind: 'handle', iface: name('demo.Shapes') }, 'self'), param('in', { kind: 'handle', iface: undefined }, 'any'), param('out', named('Quad'), 'q')] },
      {
        name: name('Names'),
        params: [
          param('in', { kind: 'array', element: { kind: 'string', size: int(4n) }, size: int(3n) }, 'names'),
          param('out', { kind: 'sequence', element: named('Point'), size: int(2n) }, 'points'),
        ],
      },
      { name: name('Nothing'), params: [] },
    ]);
  });

  test('every name in the tree carries a span covering exactly its text', () => {
    const { ast } = parse(SHAPES_IDL);
    const nodes = namedNodes(ast);
    assert.ok(nodes.length > 40, `expected many named nodes, found ${nodes.length}`);
    for (const n of nodes) assert.equal(SHAPES_IDL.slice(n.start, n.end), n.text);
    assert.ok(ast.interfaceSpan);
    assert.equal(SHAPES_IDL.slice(ast.interfaceSpan.start, ast.interfaceSpan.end), 'interface');
  });

  test('type expressions and methods carry spans over their whole source text', () => {
    const { ast } = parse(SHAPES_IDL);
    const grid = ast.decls.find((d) => d.name.text === 'Grid');
    assert.ok(grid && grid.kind === 'typedef');
    assert.equal(SHAPES_IDL.slice(grid.type.span.start, grid.type.span.end), 'sequence<sequence<UInt8, 2>, 3>');
    const draw = ast.methods![0]!;
    assert.equal(SHAPES_IDL.slice(draw.span.start, draw.span.end), 'Draw(in Point p, in Grid g, out Value v, error Boolean failed);');
    assert.equal(SHAPES_IDL.slice(draw.params[3]!.span.start, draw.params[3]!.span.end), 'error Boolean failed');
  });

  test('integer literals: decimal, hex, octal (0o and C-style), binary', () => {
    const { ast, diagnostics } = parse(`package demo.Lits
const UInt32 A = 0;
const UInt32 B = 1234567;
const UInt32 C = 0x2f;
const UInt32 D = 0X2F;
const UInt32 E = 0o17;
const UInt32 F = 017;
const UInt32 G = 0b101;
const UInt64 H = 0xFFFFFFFFFFFFFFFF;
`);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ast.decls.map((d) => d.kind === 'const' ? strip(d.value) : undefined), [
      int(0n), int(1234567n), int(47n), int(47n), int(15n), int(15n), int(5n), int(18446744073709551615n),
    ]);
  });

  test('malformed integer literals are reported at the literal', () => {
    const { diagnostics } = parse('package a.B\nconst UInt32 A = 08;\nconst UInt32 C = 0x;\nconst UInt32 D = 12ab;\n', 'a/B.idl');
    assert.deepEqual(diagnostics, [
      diag('a/B.idl:2:18: error: malformed integer literal "08"', 'const UInt32 A = 08;', '                 ^~'),
      diag('a/B.idl:3:18: error: malformed integer literal "0x"', 'const UInt32 C = 0x;', '                 ^~'),
      diag('a/B.idl:4:18: error: malformed integer literal "12ab"', 'const UInt32 D = 12ab;', '                 ^~~~'),
    ]);
  });

  test('binary operators bind like C: * / % over + - over << >> over & over ^ over |', () => {
    const { ast, diagnostics } = parse('package a.B\nconst UInt32 P = 1 + 2 * 3 << 1 | 4 & 5 ^ 6;\nconst UInt32 L = 10 - 4 - 3;\n');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast.decls[0]!.kind === 'const' && ast.decls[0].value), bin('|',
      bin('<<', bin('+', int(1n), bin('*', int(2n), int(3n))), int(1n)),
      bin('^', bin('&', int(4n), int(5n)), int(6n))));
    assert.deepEqual(strip(ast.decls[1]!.kind === 'const' && ast.decls[1].value), bin('-', bin('-', int(10n), int(4n)), int(3n)));
  });

  test('** is right-associative and binds tighter than *', () => {
    const { ast } = parse('package a.B\nconst UInt32 P = 2 ** 3 ** 2;\nconst UInt32 Q = 3 * 2 ** 4;\n');
    assert.deepEqual(strip(ast.decls[0]!.kind === 'const' && ast.decls[0].value), bin('**', int(2n), bin('**', int(3n), int(2n))));
    assert.deepEqual(strip(ast.decls[1]!.kind === 'const' && ast.decls[1].value), bin('*', int(3n), bin('**', int(2n), int(4n))));
  });

  test('a shift inside a size argument: << always shifts, >> shifts inside parentheses', () => {
    const { ast, diagnostics } = parse('package a.B\ntypedef bytes<1 << 4> B16;\ntypedef bytes<(256 >> 4)> C16;\n');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast.decls.map((d) => d.kind === 'typedef' ? d.type : undefined)), [
      { kind: 'bytes', size: bin('<<', int(1n), int(4n)) },
      { kind: 'bytes', size: bin('>>', int(256n), int(4n)) },
    ]);
  });

  test('the legacy "interface Name {" form declares the package interface', () => {
    const { ast, diagnostics } = parse('package a.B\n\ninterface B {\n    M(in UInt8 x);\n}\n');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(strip(ast.methods), [{ name: name('M'), params: [param('in', named('UInt8'), 'x')] }]);
  });

  test('a package without an interface has no methods', () => {
    const { ast } = parse(TYPES_IDL, 'demo/Types.idl');
    assert.equal(ast.methods, undefined);
    assert.equal(ast.interfaceSpan, undefined);
  });

  test('comments are skipped; an unterminated block comment is reported at its opening', () => {
    const ok = parse('// leading\npackage a.B /* inline */ // trailing\n/* multi\nline */ const UInt8 X = 1; // end\n');
    assert.deepEqual(ok.diagnostics, []);
    assert.deepEqual(strip(ok.ast.decls), [constDecl('UInt8', 'X', int(1n))]);
    const bad = parse('package a.B\nconst UInt8 X = 1;\n/* never closed\n', 'a/B.idl');
    assert.deepEqual(bad.diagnostics, [
      diag('a/B.idl:3:1: error: unterminated comment: "/*" has no matching "*/"', '/* never closed', '^~'),
    ]);
  });

  test('a syntax error abandons one declaration and parsing goes on with the next', () => {
    const { ast, diagnostics } = parse(`package a.B

const UInt32 A = ;
const UInt32 B = 2;
interface {
    M(in UInt32 a out UInt32 b);
    N(inout UInt32 c);
    P(in UInt32 d);
}
`, 'a/B.idl');
    assert.deepEqual(diagnostics, [
      diag('a/B.idl:3:18: error: expected an integer expression, found ";"', 'const UInt32 A = ;', '                 ^'),
      diag('a/B.idl:6:19: error: expected ")" or "," in the parameter list, found "out"', '    M(in UInt32 a out UInt32 b);', '                  ^~~'),
      diag('a/B.idl:7:7: error: expected a parameter direction ("in", "out" or "error"), found "inout"', '    N(inout UInt32 c);', '      ^~~~~'),
    ]);
    assert.deepEqual(ast.decls.map((d) => d.name.text), ['B']);
    assert.deepEqual(ast.methods?.map((m) => m.name.text), ['P']);
  });

  test('"package" must come first', () => {
    const { diagnostics } = parse('import kl.core.Types\npackage a.B\n', 'a/B.idl');
    assert.deepEqual(diagnostics, [
      diag('a/B.idl:1:1: error: expected "package <name>" at the start of an IDL file, found "import"', 'import kl.core.Types', '^~~~~~'),
      diag('a/B.idl:2:1: error: "package" must be the first declaration of an IDL file', 'package a.B', '^~~~~~~'),
    ]);
  });

  test('a package declares at most one interface', () => {
    const { diagnostics } = parse('package a.B\ninterface {\n    A();\n}\ninterface {\n    B();\n}\n', 'a/B.idl');
    assert.deepEqual(diagnostics, [
      diag('a/B.idl:5:1: error: a package declares at most one interface', 'interface {', '^~~~~~~~~'),
    ]);
  });
});

describe('IDL resolution (model)', () => {
  const files = { 'init.yaml': 'entities: []\n', 'demo/Types.idl': TYPES_IDL, 'demo/Shapes.idl': SHAPES_IDL };

  test('constants are evaluated: hex, octal, shifts, powers, imported and qualified names', (t) => {
    const { model, formatted } = checkFiles(t, files);
    assert.deepEqual(formatted, []);
    assert.ok(model);
    const pkg = model.packages.get('demo.Shapes');
    assert.ok(pkg);
    assert.deepEqual(pkg.imports, ['demo.Types', 'kl.core.Types']);
    assert.equal(pkg.path, 'demo/Shapes.idl');
    assert.equal(pkg.interface, 'demo.Shapes');
    assert.deepEqual(Object.fromEntries(pkg.constants.map((c) => [c.name, c.value])), {
      Dec: 42n,
      Hex: 47n, // 0x2f
      Oct: 15n, // 0o17
      Pow: 256n, // (2 << 3) ** 2 = 16 ** 2
      Mix: 32n, // (4 + 4) * 4
      Neg: -1099511627776n, // -(2 ** 40)
      Q: 8n, // 4 * 2
    });
    const q = pkg.constants.find((c) => c.name === 'Q');
    assert.deepEqual(q?.type, { kind: 'int', name: 'UIntSize', bytes: 8, signed: false });
    assert.deepEqual(pkg.types, ['demo.Shapes.Grid', 'demo.Shapes.Quad', 'demo.Shapes.Point', 'demo.Shapes.Value']);
  });

  test('types resolve to integer types with their widths, handles, bounded containers and refs', (t) => {
    const { model } = checkFiles(t, files);
    assert.ok(model);
    const i = (n: string, bytes: number, signed: boolean): TypeRef => ({ kind: 'int', name: n, bytes, signed } as TypeRef);
    const point = model.types.get('demo.Shapes.Point');
    assert.ok(point && point.kind === 'struct');
    assert.deepEqual(point.fields.map((f) => [f.name, f.type]), [
      ['s8', i('SInt8', 1, true)], ['s16', i('SInt16', 2, true)], ['s32', i('SInt32', 4, true)], ['s64', i('SInt64', 8, true)],
      ['u8', i('UInt8', 1, false)], ['u16', i('UInt16', 2, false)], ['u32', i('UInt32', 4, false)], ['u64', i('UInt64', 8, false)],
      ['size', i('UIntSize', 8, false)], ['ptr', i('UIntPtr', 8, false)],
    ]);
    assert.deepEqual(model.types.get('demo.Shapes.Grid'), {
      kind: 'typedef', name: 'demo.Shapes.Grid', package: 'demo.Shapes',
      target: { kind: 'sequence', element: { kind: 'sequence', element: i('UInt8', 1, false), max: 2 }, max: 3 },
      span: model.types.get('demo.Shapes.Grid')!.span,
    });
    const quad = model.types.get('demo.Shapes.Quad');
    assert.ok(quad && quad.kind === 'typedef');
    assert.deepEqual(quad.target, { kind: 'array', element: i('UInt16', 2, false), length: 4 });
    const value = model.types.get('demo.Shapes.Value');
    assert.ok(value && value.kind === 'union');
    assert.deepEqual(value.fields.map((f) => [f.name, f.type]), [
      ['small', i('UInt8', 1, false)],
      ['blob', { kind: 'bytes', max: 42 }],
      ['text', { kind: 'string', max: 47 }],
      ['h', { kind: 'handle', iface: undefined }],
    ]);
  });

  test('methods get MIDs in declaration order and wire sizes per docs/wire-format.md', (t) => {
    const { model } = checkFiles(t, files);
    assert.ok(model);
    const iface = model.interfaces.get('demo.Shapes');
    assert.ok(iface);
    const size = (fixed: number, arenaMax: number, handles: number): WireSize => ({ fixed, arenaMax, handles });
    const none = size(0, 0, 0);
    // Point: 1+2+4+8 + 1+2+4+8 + 8 (UIntSize) + 8 (UIntPtr) = 46 bytes inline.
    // Grid = sequence<sequence<UInt8,2>,3>: 8-byte descriptor; arena 3 × (8 + 2 × 1) = 30.
    // Value (union): 4-byte tag + max(1, 8, 8, 8) = 12; arena max(0, 42, 47 + 1) = 48; at most 1 handle.
    // Boolean = typedef UInt8: 1 byte.
    // Pass: handle<…> and Handle are 8 bytes each (slot + rights); Quad = array<UInt16,4> = 8.
    // Names: array<string<4>,3> = 3 descriptors = 24, arena 3 × (4 + 1) = 15;
    //        sequence<Point,2> = descriptor 8, arena 2 × 46 = 92.
    assert.deepEqual(iface.methods.map((m) => ({ name: m.name, mid: m.mid, request: m.request.size, response: m.response.size, error: m.error.size })), [
      { name: 'Draw', mid: 0, request: size(54, 30, 0), response: size(12, 48, 1), error: size(1, 0, 0) },
      { name: 'Pass', mid: 1, request: size(16, 0, 2), response: size(8, 0, 0), error: none },
      { name: 'Names', mid: 2, request: size(24, 15, 0), response: size(8, 92, 0), error: none },
      { name: 'Nothing', mid: 3, request: none, response: none, error: none },
    ]);
    assert.deepEqual(iface.methods[0]!.request.params.map((p) => p.name), ['p', 'g']);
    assert.deepEqual(iface.methods[0]!.response.params.map((p) => p.name), ['v']);
    assert.deepEqual(iface.methods[0]!.error.params.map((p) => p.name), ['failed']);
  });

  test('shifts inside size arguments evaluate to bounds', (t) => {
    const { model, formatted } = checkFiles(t, {
      'init.yaml': 'entities: []\n',
      'a/B.idl': 'package a.B\ntypedef bytes<1 << 4> B16;\ntypedef bytes<(256 >> 4)> C16;\nconst SInt32 Div = -7 / 2;\nconst SInt32 Mod = -7 % 3;\nconst UInt32 Xor = 0xF0 ^ 0x3C;\n',
    });
    assert.deepEqual(formatted, []);
    assert.ok(model);
    const target = (n: string) => { const d = model.types.get(n); return d?.kind === 'typedef' ? d.target : undefined; };
    assert.deepEqual(target('a.B.B16'), { kind: 'bytes', max: 16 });
    assert.deepEqual(target('a.B.C16'), { kind: 'bytes', max: 16 });
    // Integer division truncates toward zero, as in C.
    assert.deepEqual(Object.fromEntries(model.packages.get('a.B')!.constants.map((c) => [c.name, c.value])), { Div: -3n, Mod: -1n, Xor: 0xCCn });
  });
});

// The shared compatibility corpus: real KasperskyOS specification files.
const CORPUS = new URL('../../../shared/reference/kos-corpus/', import.meta.url);

test('every IDL, CDL and EDL file of the KasperskyOS corpus parses without diagnostics', (t) => {
  const root = fileURLToPath(CORPUS);
  if (!existsSync(root)) {
    t.skip(`corpus not found at ${root}`);
    return;
  }
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => /\.(idl|cdl|edl)(\.in)?$/.test(f))
    .sort();
  assert.ok(files.length >= 100, `expected the corpus to hold 100+ spec files, found ${files.length}`);
  const problems: string[] = [];
  for (const rel of files) {
    const kind = /\.(idl|cdl|edl)(\.in)?$/.exec(rel)![1] as 'idl' | 'cdl' | 'edl';
    const source = makeSource(rel, readFileSync(path.join(root, rel), 'utf8'));
    const diags = new DiagnosticBag();
    if (kind === 'idl') parseIdl(source, diags);
    else parseComponentFile(source, kind, diags);
    problems.push(...diags.items.map(formatDiagnostic));
  }
  assert.deepEqual(problems, []);
});
