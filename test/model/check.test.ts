// The static checks of `checkSolution`: each rule with the exact diagnostic it produces (message,
// location, source line and caret), the example solution's model, and robustness under mutation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSolution } from '../../src/model/resolve.ts';
import { formatDiagnostic } from '../../src/lang/diagnostics.ts';
import { runJob } from '../helpers/robustness.ts';
import { checkFiles, diag, PING_EXAMPLE, withFiles, type Cleanup, type SolutionFiles } from '../helpers/solution.ts';

/** A valid two-task solution; each test changes one or two files of it. */
const BASE: SolutionFiles = {
  'init.yaml': `entities:
- name: app.Client
  connections:
  - target: app.Server
    id: server
- name: app.Server
`,
  'app/Calc.idl': `package app.Calc

interface {
    Add(in UInt32 a, in UInt32 b, out UInt32 sum);
}
`,
  'app/Server.edl': `task class app.Server

endpoints {
    calc : app.Calc
}
`,
  'app/Client.edl': 'task class app.Client\n',
};

/** An error diagnostic as formatDiagnostic prints it, for a source line without tabs. */
function err(path: string, line: number, col: number, message: string, source: string, width: number): string {
  return diag(`${path}:${line}:${col}: error: ${message}`, source, `${' '.repeat(col - 1)}^${'~'.repeat(width - 1)}`);
}

/** Formatted diagnostics of BASE with `changes` applied. */
function check(t: Cleanup, changes: Readonly<Record<string, string | null>>): readonly string[] {
  return checkFiles(t, withFiles(BASE, changes)).formatted;
}

/** Same, asserting that the result has no model (there are errors). */
function errors(t: Cleanup, changes: Readonly<Record<string, string | null>>): readonly string[] {
  const r = checkFiles(t, withFiles(BASE, changes));
  assert.ok(r.model === undefined, `expected errors, but the solution checked clean (diagnostics: ${JSON.stringify(r.formatted)})`);
  return r.formatted;
}

/** Adds app/Types.idl: `package app.Types`, a blank line, then `body` (so `body` starts on line 3). */
const types = (body: string) => ({ 'app/Types.idl': `package app.Types\n\n${body}` });

describe('the base solution', () => {
  test('checks clean and yields a model', (t) => {
    const r = checkFiles(t, BASE);
    assert.deepEqual(r.formatted, []);
    assert.ok(r.model);
    assert.deepEqual(r.model.tasks.map((x) => x.name), ['app.Client', 'app.Server']);
    assert.deepEqual(r.model.channels, [{ id: 'server', client: 'app.Client', server: 'app.Server', handle: 1 }]);
  });
});

describe('IDL names', () => {
  test('a field of an undeclared type is an unknown type', (t) => {
    assert.deepEqual(errors(t, types('struct S {\n    Foo f;\n}\n')), [
      err('app/Types.idl', 4, 5, 'unknown type "Foo"', '    Foo f;', 3),
    ]);
  });

  test('the caret line keeps the tabs of a tab-indented source line', (t) => {
    assert.deepEqual(errors(t, types('struct S {\n\tFoo f;\n}\n')), [
      diag('app/Types.idl:4:2: error: unknown type "Foo"', '\tFoo f;', '\t^~~'),
    ]);
  });

  test('Boolean without "import kl.core.Types" is an unknown type, with a hint', (t) => {
    assert.deepEqual(errors(t, types('struct S {\n    Boolean b;\n}\n')), [
      err('app/Types.idl', 4, 5, 'unknown type "Boolean" (Boolean comes from "import kl.core.Types")', '    Boolean b;', 7),
    ]);
  });

  test('an unknown type in a method parameter is reported at the type', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    Get(in Missing m);\n}\n')), [
      err('app/Types.idl', 4, 12, 'unknown type "Missing"', '    Get(in Missing m);', 7),
    ]);
  });

  test('a name that is neither declared nor imported is an undefined constant, in values and in sizes', (t) => {
    assert.deepEqual(errors(t, types('const UInt32 U = Nope + 1;\ntypedef bytes<Gone> B;\nconst UInt32 Q = other.Pkg.Max;\n')), [
      err('app/Types.idl', 3, 18, 'undefined constant "Nope"', 'const UInt32 U = Nope + 1;', 4),
      err('app/Types.idl', 4, 15, 'undefined constant "Gone"', 'typedef bytes<Gone> B;', 4),
      err('app/Types.idl', 5, 18, 'undefined constant "other.Pkg.Max"', 'const UInt32 Q = other.Pkg.Max;', 13),
    ]);
  });

  test('a second declaration of a name in a package is a duplicate, whatever its kind', (t) => {
    assert.deepEqual(errors(t, types('const UInt32 Max = 8;\nconst UInt16 Max = 9;\ntypedef UInt8 Max;\nstruct S {\n    UInt8 a;\n}\nunion S {\n    UInt8 b;\n}\n')), [
      err('app/Types.idl', 4, 14, 'duplicate declaration of "Max" in package app.Types', 'const UInt16 Max = 9;', 3),
      err('app/Types.idl', 5, 15, 'duplicate declaration of "Max" in package app.Types', 'typedef UInt8 Max;', 3),
      err('app/Types.idl', 9, 7, 'duplicate declaration of "S" in package app.Types', 'union S {', 1),
    ]);
  });

  test('a field name used twice in a struct or union is a duplicate field', (t) => {
    assert.deepEqual(errors(t, types('struct P {\n    UInt8 id;\n    UInt16 id;\n}\nunion U {\n    UInt8 x;\n    UInt8 x;\n}\n')), [
      err('app/Types.idl', 5, 12, 'duplicate field "id" in struct P', '    UInt16 id;', 2),
      err('app/Types.idl', 9, 11, 'duplicate field "x" in union U', '    UInt8 x;', 1),
    ]);
  });

  test('a method name used twice in an interface is a duplicate method', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    Add(in UInt32 a);\n    Add(in UInt32 b);\n}\n')), [
      err('app/Types.idl', 5, 5, 'duplicate method "Add" in interface app.Types', '    Add(in UInt32 b);', 3),
    ]);
  });

  test('a parameter name used twice in a method is a duplicate parameter, whatever the directions', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    Add(in UInt32 a, out UInt32 a);\n}\n')), [
      err('app/Types.idl', 4, 33, 'duplicate parameter "a" in method Add', '    Add(in UInt32 a, out UInt32 a);', 1),
    ]);
  });

  test('a struct or union without fields is rejected', (t) => {
    assert.deepEqual(errors(t, types('struct E {\n}\nunion U {\n}\n')), [
      err('app/Types.idl', 3, 8, 'struct "E" has no fields', 'struct E {', 1),
      err('app/Types.idl', 5, 7, 'union "U" has no fields', 'union U {', 1),
    ]);
  });

  test('a constant used where a type is expected is rejected', (t) => {
    assert.deepEqual(errors(t, types('const UInt32 Max = 8;\nstruct S {\n    Max m;\n}\n')), [
      err('app/Types.idl', 5, 5, '"Max" is a constant, not a type', '    Max m;', 3),
    ]);
  });

  test('an import of a package that does not exist is reported at the import', (t) => {
    assert.deepEqual(errors(t, types('import app.Missing\n\ninterface {\n    Add(in UInt32 a);\n}\n')), [
      err('app/Types.idl', 3, 8, 'unknown package "app.Missing": no app/Missing.idl in the solution or Citadel\'s include tree', 'import app.Missing', 11),
    ]);
  });

  test('an import of a missing package is reported even when another file named that package first', (t) => {
    assert.deepEqual(errors(t, {
      'app/A.idl': 'package app.A\n\nconst UInt32 X = app.Missing.Y;\n',
      'app/B.idl': 'package app.B\n\nimport app.Missing\n',
    }), [
      err('app/A.idl', 3, 18, 'undefined constant "app.Missing.Y"', 'const UInt32 X = app.Missing.Y;', 13),
      err('app/B.idl', 3, 8, 'unknown package "app.Missing": no app/Missing.idl in the solution or Citadel\'s include tree', 'import app.Missing', 11),
    ]);
  });
});

describe('IDL parameter order', () => {
  test('an "in" parameter after an "out" parameter is rejected', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    Add(out UInt32 x, in UInt32 y);\n}\n')), [
      err('app/Types.idl', 4, 23, '"in" parameter "y" comes after "out" parameter "x": parameters must be all "in", then "out", then "error"', '    Add(out UInt32 x, in UInt32 y);', 11),
    ]);
  });

  test('an "in" parameter after an "error" parameter is rejected', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    Sub(error UInt32 e, in UInt32 y);\n}\n')), [
      err('app/Types.idl', 4, 25, '"in" parameter "y" comes after "error" parameter "e": parameters must be all "in", then "out", then "error"', '    Sub(error UInt32 e, in UInt32 y);', 11),
    ]);
  });

  test('an "out" parameter after an "error" parameter is rejected', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    Mul(in UInt32 a, error UInt16 e, out UInt32 r);\n}\n')), [
      err('app/Types.idl', 4, 38, '"out" parameter "r" comes after "error" parameter "e": parameters must be all "in", then "out", then "error"', '    Mul(in UInt32 a, error UInt16 e, out UInt32 r);', 12),
    ]);
  });

  test('in, then out, then error is accepted, with each group in its own message', (t) => {
    const r = checkFiles(t, withFiles(BASE, types('interface {\n    Add(in UInt32 a, in UInt8 b, out UInt32 sum, out UInt16 carry, error SInt32 code);\n}\n')));
    assert.deepEqual(r.formatted, []);
    const add = r.model?.interfaces.get('app.Types')?.methods[0];
    assert.deepEqual(add?.request.params.map((p) => p.name), ['a', 'b']);
    assert.deepEqual(add?.response.params.map((p) => p.name), ['sum', 'carry']);
    assert.deepEqual(add?.error.params.map((p) => p.name), ['code']);
    assert.deepEqual([add?.request.size.fixed, add?.response.size.fixed, add?.error.size.fixed], [5, 6, 4]);
  });
});

describe('IDL constants', () => {
  test('a constant of a struct type, or of a typedef for a string, is not an integer constant', (t) => {
    assert.deepEqual(errors(t, types('struct Peer {\n    UInt8 id;\n}\ntypedef string<8> Name;\nconst Peer P = 1;\nconst Name N = 1;\nconst string<4> S = 1;\n')), [
      err('app/Types.idl', 7, 7, 'constant "P" must have an integer type', 'const Peer P = 1;', 4),
      err('app/Types.idl', 8, 7, 'constant "N" must have an integer type', 'const Name N = 1;', 4),
      err('app/Types.idl', 9, 17, 'constant "S" must have an integer type', 'const string<4> S = 1;', 1),
    ]);
  });

  test('a type name used as a value is not an integer constant', (t) => {
    assert.deepEqual(errors(t, types('struct Peer {\n    UInt8 id;\n}\nconst UInt32 T = Peer;\ntypedef bytes<Peer> B;\n')), [
      err('app/Types.idl', 6, 18, '"Peer" is a type, not an integer constant', 'const UInt32 T = Peer;', 4),
      err('app/Types.idl', 7, 15, '"Peer" is a type, not an integer constant', 'typedef bytes<Peer> B;', 4),
    ]);
  });

  test('a value outside the range of the constant\'s type is rejected, with the range', (t) => {
    assert.deepEqual(errors(t, types('const UInt8 Big = 256;\nconst SInt8 Neg = -129;\nconst UInt64 Huge = 2 ** 64;\nconst UInt32 Minus = -1;\ntypedef UInt16 Port;\nconst Port P = 70000;\n')), [
      err('app/Types.idl', 3, 19, 'value 256 of constant "Big" does not fit UInt8 (0..255)', 'const UInt8 Big = 256;', 3),
      err('app/Types.idl', 4, 19, 'value -129 of constant "Neg" does not fit SInt8 (-128..127)', 'const SInt8 Neg = -129;', 4),
      err('app/Types.idl', 5, 21, 'value 18446744073709551616 of constant "Huge" does not fit UInt64 (0..18446744073709551615)', 'const UInt64 Huge = 2 ** 64;', 7),
      err('app/Types.idl', 6, 22, 'value -1 of constant "Minus" does not fit UInt32 (0..4294967295)', 'const UInt32 Minus = -1;', 2),
      err('app/Types.idl', 8, 16, 'value 70000 of constant "P" does not fit UInt16 (0..65535)', 'const Port P = 70000;', 5),
    ]);
  });

  test('the extreme values of each type fit', (t) => {
    const r = checkFiles(t, withFiles(BASE, types('const UInt8 A = 255;\nconst SInt8 B = -128;\nconst SInt64 C = -(2 ** 63);\nconst UInt64 D = 2 ** 64 - 1;\nconst UIntSize E = 0xFFFFFFFFFFFFFFFF;\nconst UIntPtr F = 0;\n')));
    assert.deepEqual(r.formatted, []);
    assert.deepEqual(r.model?.packages.get('app.Types')?.constants.map((c) => c.value), [255n, -128n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n - 1n, 0n]);
  });

  test('a parenthesised constant expression is underlined from its first to its last character', (t) => {
    assert.deepEqual(errors(t, types('const UInt8 Big = (1 + 2) * 100;\nconst SInt8 N = -(1 << 40);\n')), [
      err('app/Types.idl', 3, 19, 'value 300 of constant "Big" does not fit UInt8 (0..255)', 'const UInt8 Big = (1 + 2) * 100;', 13),
      err('app/Types.idl', 4, 17, 'value -1099511627776 of constant "N" does not fit SInt8 (-128..127)', 'const SInt8 N = -(1 << 40);', 10),
    ]);
  });

  test('a constant defined in terms of itself is rejected', (t) => {
    assert.deepEqual(errors(t, types('const UInt32 A = B + 1;\nconst UInt32 B = A;\nconst UInt32 C = C;\n')), [
      err('app/Types.idl', 4, 18, 'constant "A" is defined in terms of itself', 'const UInt32 B = A;', 1),
      err('app/Types.idl', 5, 18, 'constant "C" is defined in terms of itself', 'const UInt32 C = C;', 1),
    ]);
  });

  test('sizes must be between 1 and 2^31-1; division by zero and oversized shifts are rejected', (t) => {
    assert.deepEqual(errors(t, types('typedef string<0> S;\ntypedef sequence<UInt8, -1> U;\ntypedef array<UInt8, 2147483648> V;\nconst UInt32 D = 1 / 0;\nconst UInt32 E = 1 << 300;\n')), [
      err('app/Types.idl', 3, 16, 'string size must be between 1 and 2147483647, found 0', 'typedef string<0> S;', 1),
      err('app/Types.idl', 4, 25, 'sequence size must be between 1 and 2147483647, found -1', 'typedef sequence<UInt8, -1> U;', 2),
      err('app/Types.idl', 5, 22, 'array size must be between 1 and 2147483647, found 2147483648', 'typedef array<UInt8, 2147483648> V;', 10),
      err('app/Types.idl', 6, 22, 'division by zero in a constant expression', 'const UInt32 D = 1 / 0;', 1),
      err('app/Types.idl', 7, 23, 'the right operand of "<<" must be between 0 and 256, found 300', 'const UInt32 E = 1 << 300;', 3),
    ]);
  });
});

describe('IDL types', () => {
  test('a struct containing itself is a recursive type', (t) => {
    assert.deepEqual(errors(t, types('struct Self {\n    Self next;\n}\n')), [
      err('app/Types.idl', 3, 8, 'recursive type: app.Types.Self → app.Types.Self (IDL types must have a finite layout)', 'struct Self {', 4),
    ]);
  });

  test('a struct containing itself through a sequence is a recursive type', (t) => {
    assert.deepEqual(errors(t, types('struct Tree {\n    UInt32 value;\n    sequence<Tree, 2> kids;\n}\n')), [
      err('app/Types.idl', 3, 8, 'recursive type: app.Types.Tree → app.Types.Tree (IDL types must have a finite layout)', 'struct Tree {', 4),
    ]);
  });

  test('two structs containing each other form one recursive cycle, reported once', (t) => {
    assert.deepEqual(errors(t, types('struct A {\n    UInt8 x;\n    B b;\n}\nstruct B {\n    array<A, 4> as;\n}\nstruct User {\n    A a;\n}\ninterface {\n    Get(in User u);\n}\n')), [
      err('app/Types.idl', 3, 8, 'recursive type: app.Types.A → app.Types.B → app.Types.A (IDL types must have a finite layout)', 'struct A {', 1),
    ]);
  });

  test('a recursive typedef chain is a recursive type', (t) => {
    assert.deepEqual(errors(t, types('typedef sequence<L, 4> L;\n')), [
      err('app/Types.idl', 3, 24, 'recursive type: app.Types.L → app.Types.L (IDL types must have a finite layout)', 'typedef sequence<L, 4> L;', 1),
    ]);
  });

  test('handle<X> must name a package that declares an interface', (t) => {
    assert.deepEqual(errors(t, types('interface {\n    H(in handle<kl.core.Types> a, in handle<app.Nope> b, in handle<app.Calc> c);\n}\n')), [
      err('app/Types.idl', 4, 17, 'handle<kl.core.Types> names no interface: package kl.core.Types declares none', '    H(in handle<kl.core.Types> a, in handle<app.Nope> b, in handle<app.Calc> c);', 13),
      err('app/Types.idl', 4, 45, 'handle<app.Nope> names no interface: no package app.Nope', '    H(in handle<kl.core.Types> a, in handle<app.Nope> b, in handle<app.Calc> c);', 8),
    ]);
  });

  test('a message that can exceed 16 MiB is rejected; exactly 16 MiB is accepted', (t) => {
    // bytes<N> takes an 8-byte descriptor plus N arena bytes: 8 + 16777208 = 16 MiB.
    assert.deepEqual(errors(t, types('interface {\n    Ok(in bytes<16777208> a);\n    Big(in bytes<16777209> a);\n}\n')), [
      err('app/Types.idl', 5, 5, 'the request of Big can reach 16777217 bytes, over the 16777216-byte message limit; lower its bounds', '    Big(in bytes<16777209> a);', 3),
    ]);
  });

  test('a package name must match its file path', (t) => {
    assert.deepEqual(errors(t, { 'app/Calc.idl': 'package app.Calculator\n\ninterface {\n    Add(in UInt32 a);\n}\n' }), [
      err('app/Calc.idl', 1, 9, 'package name "app.Calculator" does not match its file path: app/Calc.idl must declare "package app.Calc"', 'package app.Calculator', 14),
    ]);
  });
});

describe('components and process classes', () => {
  test('a process class name must match its file path ("task class" form)', (t) => {
    assert.deepEqual(errors(t, { 'app/Server.edl': 'task class app.Srv\n\nendpoints {\n    calc : app.Calc\n}\n' }), [
      err('app/Server.edl', 1, 12, 'process class name "app.Srv" does not match its file path: app/Server.edl must declare "app.Server"', 'task class app.Srv', 7),
    ]);
  });

  test('a process class name must match its file path ("entity" form)', (t) => {
    assert.deepEqual(errors(t, { 'app/Client.edl': 'entity Client\n' }), [
      err('app/Client.edl', 1, 8, 'process class name "Client" does not match its file path: app/Client.edl must declare "app.Client"', 'entity Client', 6),
    ]);
  });

  test('a component name must match its file path', (t) => {
    assert.deepEqual(errors(t, { 'app/Comp.cdl': 'component app.Cmp\n\nendpoints {\n    calc : app.Calc\n}\n' }), [
      err('app/Comp.cdl', 1, 11, 'component name "app.Cmp" does not match its file path: app/Comp.cdl must declare "app.Comp"', 'component app.Cmp', 7),
    ]);
  });

  test('an endpoint naming an unknown interface is rejected', (t) => {
    assert.deepEqual(errors(t, { 'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n    other : app.Nope\n}\n' }), [
      err('app/Server.edl', 5, 13, 'unknown interface "app.Nope": no package app.Nope (app/Nope.idl) in the solution or Citadel\'s include tree', '    other : app.Nope', 8),
    ]);
  });

  test('an endpoint naming a package without an interface is rejected', (t) => {
    assert.deepEqual(errors(t, { 'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n    types : kl.core.Types\n}\n' }), [
      err('app/Server.edl', 5, 13, 'package "kl.core.Types" declares no interface', '    types : kl.core.Types', 13),
    ]);
  });

  test('an endpoint name used twice is a duplicate endpoint (also in the legacy interfaces section)', (t) => {
    assert.deepEqual(errors(t, { 'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n}\ninterfaces {\n    calc : app.Calc\n}\n' }), [
      err('app/Server.edl', 7, 5, 'duplicate endpoint "calc" in process class app.Server', '    calc : app.Calc', 4),
    ]);
  });

  test('a component instance may not reuse a name, and must name an existing component', (t) => {
    assert.deepEqual(errors(t, {
      'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n}\ncomponents {\n    calc : app.Impl\n    sub : app.Missing\n    sub : app.Impl\n}\n',
      'app/Impl.cdl': 'component app.Impl\n',
    }), [
      err('app/Server.edl', 7, 5, 'duplicate component instance "calc" in process class app.Server', '    calc : app.Impl', 4),
      err('app/Server.edl', 8, 11, 'unknown component "app.Missing": no app/Missing.cdl in the solution or Citadel\'s include tree', '    sub : app.Missing', 11),
      err('app/Server.edl', 9, 5, 'duplicate component instance "sub" in process class app.Server', '    sub : app.Impl', 3),
    ]);
  });

  test('a duplicate endpoint inside a CDL component is reported in that component', (t) => {
    assert.deepEqual(errors(t, { 'app/Impl.cdl': 'component app.Impl\n\nendpoints {\n    a : app.Calc\n    a : app.Calc\n}\n' }), [
      err('app/Impl.cdl', 5, 5, 'duplicate endpoint "a" in component app.Impl', '    a : app.Calc', 1),
    ]);
  });

  test('a component that contains itself is rejected', (t) => {
    assert.deepEqual(errors(t, { 'app/Loop.cdl': 'component app.Loop\n\ncomponents {\n    again : app.Loop\n}\n' }), [
      err('app/Loop.cdl', 4, 13, 'component "app.Loop" contains itself', '    again : app.Loop', 8),
    ]);
  });

  test('a component instance must name a CDL component, not a process class', (t) => {
    assert.deepEqual(errors(t, { 'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n}\ncomponents {\n    c : app.Client\n}\n' }), [
      err('app/Server.edl', 7, 9, 'unknown component "app.Client": no app/Client.cdl in the solution or Citadel\'s include tree', '    c : app.Client', 10),
    ]);
  });

  test('a security interface naming an unknown package is rejected', (t) => {
    assert.deepEqual(errors(t, { 'app/Server.edl': 'task class app.Server\n\nsecurity app.Nope\n\nendpoints {\n    calc : app.Calc\n}\n' }), [
      err('app/Server.edl', 3, 10, 'unknown interface "app.Nope": no package app.Nope (app/Nope.idl) in the solution or Citadel\'s include tree', 'security app.Nope', 8),
    ]);
  });

  test('a security interface whose methods take only "in" parameters is accepted', (t) => {
    const r = checkFiles(t, withFiles(BASE, {
      'app/Guard.idl': 'package app.Guard\n\ninterface {\n    Check(in UInt32 a);\n}\n',
      'app/Server.edl': 'task class app.Server\n\nsecurity app.Guard\n\nendpoints {\n    calc : app.Calc\n}\n',
    }));
    assert.deepEqual(r.formatted, []);
    assert.equal(r.model?.components.get('app.Server')?.security, 'app.Guard');
  });

  test('a security interface with an "out" parameter is rejected', (t) => {
    assert.deepEqual(errors(t, {
      'app/Guard.idl': 'package app.Guard\n\ninterface {\n    Check(in UInt32 a, out UInt32 verdict);\n    Note(in UInt32 b);\n}\n',
      'app/Server.edl': 'task class app.Server\n\nsecurity app.Guard\n\nendpoints {\n    calc : app.Calc\n}\n',
    }), [
      err('app/Server.edl', 3, 10, 'security interface app.Guard is invalid: its method Check has "out" or "error" parameters (security interface methods take only "in" parameters)', 'security app.Guard', 9),
    ]);
  });
});

describe('init.yaml', () => {
  test('a solution without init.yaml is rejected', (t) => {
    const r = checkFiles(t, withFiles(BASE, { 'init.yaml': null }));
    assert.equal(r.model, undefined);
    assert.deepEqual(r.formatted, [`init.yaml:1:1: error: no init.yaml in ${r.dir}: a solution is described by its init.yaml`]);
  });

  test('an entity naming an unknown process class is rejected', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Server\n- name: app.Gone\n' }), [
      err('init.yaml', 3, 9, 'unknown process class "app.Gone": no app/Gone.edl in the solution or Citadel\'s include tree', '- name: app.Gone', 8),
    ]);
  });

  test('an entity naming a CDL component, not a process class, is rejected', (t) => {
    assert.deepEqual(errors(t, {
      'app/Util.cdl': 'component app.Util\n\nendpoints {\n    calc : app.Calc\n}\n',
      'init.yaml': 'entities:\n- name: app.Server\n- name: app.Util\n',
    }), [
      err('init.yaml', 3, 9, 'unknown process class "app.Util": no app/Util.edl in the solution or Citadel\'s include tree', '- name: app.Util', 8),
    ]);
  });

  test('a connection to an unknown task is rejected at the target', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Nowhere\n    id: a\n- name: app.Server\n' }), [
      err('init.yaml', 4, 13, 'connection target "app.Nowhere" is not a task in init.yaml', '  - target: app.Nowhere', 11),
    ]);
  });

  test('a connection target is a task name, not a class name', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Server\n    id: a\n- name: app.Server\n  task: server\n' }), [
      err('init.yaml', 4, 13, 'connection target "app.Server" is not a task in init.yaml', '  - target: app.Server', 10),
    ]);
  });

  test('a connection to a task whose class has no endpoints is rejected', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Client\n    id: self\n- name: app.Server\n' }), [
      err('init.yaml', 4, 13, 'connection target "app.Client" (class app.Client) has no endpoints to serve', '  - target: app.Client', 10),
    ]);
  });

  test('a connection may name a task declared later in the file', (t) => {
    const r = checkFiles(t, withFiles(BASE, { 'init.yaml': 'entities:\n- name: app.Server\n- name: app.Client\n  connections:\n  - target: app.Server\n    id: server\n' }));
    assert.deepEqual(r.formatted, []);
  });

  test('two processes of one class need distinct task names', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Server\n- name: app.Server\n' }), [
      err('init.yaml', 3, 9, 'duplicate task name "app.Server"; give each process of class app.Server its own "task:" name', '- name: app.Server', 10),
    ]);
  });

  test('an explicit task name may not repeat another task\'s name', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Server\n  task: main\n- name: app.Client\n  task: main\n' }), [
      err('init.yaml', 5, 9, 'duplicate task name "main"; give each process of class app.Client its own "task:" name', '  task: main', 4),
    ]);
  });

  test('a client may not use one channel id twice', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Client\n  connections:\n  - target: app.Server\n    id: b\n  - target: app.Server\n    id: b\n- name: app.Server\n' }), [
      err('init.yaml', 7, 9, 'duplicate channel id "b" for task app.Client: each connection of a client needs its own id', '    id: b', 1),
    ]);
  });

  test('malformed YAML is reported at the line of the error: tab indentation', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Client\n\t- name: app.Server\n' }), [
      diag('init.yaml:3:1: error: invalid YAML: Tabs are not allowed as indentation', '\t- name: app.Server', '^'),
    ]);
  });

  test('malformed YAML is reported at the line of the error: a repeated key', (t) => {
    assert.deepEqual(errors(t, { 'init.yaml': 'entities:\n- name: app.Client\n  name: again\n- name: app.Server\n' }), [
      err('init.yaml', 3, 3, 'invalid YAML: Map keys must be unique', '  name: again', 1),
    ]);
  });

  test('unknown keys in an entity, a connection, limits, resources and resources.fs are rejected', (t) => {
    assert.deepEqual(errors(t, {
      'init.yaml': `entities:
- name: app.Client
  colour: blue
  connections:
  - target: app.Server
    id: server
    via: pipe
- name: app.Server
  limits:
    cpu: 2
  resources:
    fs:
      exec: [/bin]
    gpu: true
`,
    }), [
      err('init.yaml', 3, 3, 'unknown key "colour" in an entity (expected one of: name, task, path, connections, args, env, isolation, limits, resources, restart, dynamic_connection_manager)', '  colour: blue', 6),
      err('init.yaml', 7, 5, 'unknown key "via" in a connection (expected "target" and "id")', '    via: pipe', 3),
      err('init.yaml', 10, 5, 'unknown limit "cpu" (expected one of: memoryMiB, blockMs, queueKiB, inFlight)', '    cpu: 2', 3),
      err('init.yaml', 13, 7, 'unknown key "exec" in "resources.fs" (expected "read" or "write")', '      exec: [/bin]', 4),
      err('init.yaml', 14, 5, 'unknown resource "gpu" (expected "fs" or "net")', '    gpu: true', 3),
    ]);
  });

  test('an unknown top-level key is only a warning: the solution is still valid', (t) => {
    const r = checkFiles(t, withFiles(BASE, { 'init.yaml': `version: 2\n${BASE['init.yaml']}` }));
    assert.ok(r.model);
    assert.deepEqual(r.formatted, [diag('init.yaml:1:1: warning: unknown top-level key "version" is ignored (expected "entities")', 'version: 2', '^~~~~~~')]);
  });

  test('bad isolation, limits, restart and net values are rejected', (t) => {
    assert.deepEqual(errors(t, {
      'init.yaml': `entities:
- name: app.Client
  isolation: thread
  limits:
    memoryMiB: 0
    blockMs: 1.5
    queueKiB: many
    inFlight: -3
  restart: always
- name: app.Server
  restart: {mode: on-failure, max: -1}
  resources:
    net: yes
`,
    }), [
      err('init.yaml', 3, 14, 'unknown isolation "thread" (expected worker, process or wasm)', '  isolation: thread', 6),
      err('init.yaml', 5, 16, 'limit "memoryMiB" must be a positive integer', '    memoryMiB: 0', 1),
      err('init.yaml', 6, 14, 'limit "blockMs" must be a positive integer', '    blockMs: 1.5', 3),
      err('init.yaml', 7, 15, 'limit "queueKiB" must be a positive integer', '    queueKiB: many', 4),
      err('init.yaml', 8, 15, 'limit "inFlight" must be a positive integer', '    inFlight: -3', 2),
      err('init.yaml', 9, 12, '"restart" must be "never", "on-failure", or {mode: on-failure, max: <count>}', '  restart: always', 6),
      err('init.yaml', 11, 12, '"restart" must be "never", "on-failure", or {mode: on-failure, max: <count>}', '  restart: {mode: on-failure, max: -1}', 27),
      err('init.yaml', 13, 10, '"resources.net" must be true or false', '    net: yes', 3),
    ]);
  });

  test('tasks carry their class, path, args, env, isolation, limits, resources and restart policy', (t) => {
    const r = checkFiles(t, withFiles(BASE, {
      'init.yaml': `entities:
- name: app.Client
  task: client1
  connections:
  - target: server
    id: calc
  - target: logger
    id: {var: LOG_ID, include: app/Log.h}
  isolation: process
  restart: on-failure
- name: app.Client
  task: client2
  connections:
  - target: server
    id: calc
- name: app.Server
  task: server
  path: dist/server.js
  args: [--verbose, 2]
  env: {LEVEL: debug, PORT: 8080}
  limits: {memoryMiB: 64, inFlight: 8}
  resources:
    fs: {read: [/data, /etc/app], write: [/tmp/out]}
    net: true
  restart: {mode: on-failure, max: 7}
- name: app.Server
  task: logger
  isolation: wasm
`,
    }));
    assert.deepEqual(r.formatted, []);
    assert.ok(r.model);
    const tasks = r.model.tasks.map(({ span: _span, connections, ...rest }) => ({ ...rest, connections: connections.map((c) => `${c.id} → ${c.target}`) }));
    const noLimits = { memoryMiB: undefined, blockMs: undefined, queueKiB: undefined, inFlight: undefined };
    const noResources = { fsRead: [], fsWrite: [], net: false };
    assert.deepEqual(tasks, [
      {
        name: 'client1', className: 'app.Client', path: 'src/Client.ts', args: [], env: {},
        connections: ['calc → server', 'LOG_ID → logger'],
        isolation: 'process', limits: noLimits, resources: noResources, restart: { mode: 'on-failure', maxRestarts: 3 },
      },
      {
        name: 'client2', className: 'app.Client', path: 'src/Client.ts', args: [], env: {},
        connections: ['calc → server'],
        isolation: 'worker', limits: noLimits, resources: noResources, restart: { mode: 'never', maxRestarts: 0 },
      },
      {
        name: 'server', className: 'app.Server', path: 'dist/server.js', args: ['--verbose', '2'], env: { LEVEL: 'debug', PORT: '8080' },
        connections: [],
        isolation: 'worker',
        limits: { memoryMiB: 64, blockMs: undefined, queueKiB: undefined, inFlight: 8 },
        resources: { fsRead: ['/data', '/etc/app'], fsWrite: ['/tmp/out'], net: true },
        restart: { mode: 'on-failure', maxRestarts: 7 },
      },
      {
        name: 'logger', className: 'app.Server', path: 'src/Server.ts', args: [], env: {},
        connections: [],
        isolation: 'wasm', limits: noLimits, resources: noResources, restart: { mode: 'never', maxRestarts: 0 },
      },
    ]);
    // Handles are numbered per client from 1, in declaration order; the same id may recur across clients.
    assert.deepEqual(r.model.channels, [
      { id: 'calc', client: 'client1', server: 'server', handle: 1 },
      { id: 'LOG_ID', client: 'client1', server: 'logger', handle: 2 },
      { id: 'calc', client: 'client2', server: 'server', handle: 1 },
    ]);
  });
});

describe('reporting', () => {
  test('errors in several files are all reported in one run, sorted by file then position', (t) => {
    const r = checkFiles(t, withFiles(BASE, {
      // The method error is found after the constant error (methods are laid out last) but comes first in the file.
      'app/Calc.idl': 'package app.Calc\n\ninterface {\n    Add(in UInt32 a, in UInt32 a);\n}\n\nconst UInt8 Big = 300;\n',
      'app/Client.edl': 'task class app.Klient\n',
      'app/Server.edl': 'task class app.Server\n\nendpoints {\n    calc : app.Calc\n    more : app.Nope\n}\n',
      'init.yaml': 'entities:\n- name: app.Client\n  colour: blue\n  connections:\n  - target: app.Server\n    id: server\n- name: app.Server\n',
    }));
    assert.equal(r.model, undefined);
    assert.deepEqual(r.formatted, [
      err('app/Calc.idl', 4, 32, 'duplicate parameter "a" in method Add', '    Add(in UInt32 a, in UInt32 a);', 1),
      err('app/Calc.idl', 7, 19, 'value 300 of constant "Big" does not fit UInt8 (0..255)', 'const UInt8 Big = 300;', 3),
      err('app/Client.edl', 1, 12, 'process class name "app.Klient" does not match its file path: app/Client.edl must declare "app.Client"', 'task class app.Klient', 10),
      err('app/Server.edl', 5, 12, 'unknown interface "app.Nope": no package app.Nope (app/Nope.idl) in the solution or Citadel\'s include tree', '    more : app.Nope', 8),
      err('init.yaml', 3, 3, 'unknown key "colour" in an entity (expected one of: name, task, path, connections, args, env, isolation, limits, resources, restart, dynamic_connection_manager)', '  colour: blue', 6),
    ]);
  });

  test('syntax errors in files nothing refers to are reported too', (t) => {
    assert.deepEqual(errors(t, { 'app/Unused.idl': 'package app.Unused\nconst UInt32 = 4;\n' }), [
      err('app/Unused.idl', 2, 14, 'expected a constant name, found "="', 'const UInt32 = 4;', 1),
    ]);
  });
});

describe('the ping example', () => {
  const result = checkSolution(PING_EXAMPLE);

  test('checks clean', () => {
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
    assert.ok(result.model);
  });

  test('has two tasks, echo.Client calling echo.Server over one channel', () => {
    const model = result.model!;
    assert.deepEqual(model.tasks.map((x) => ({ name: x.name, className: x.className, path: x.path, args: x.args, env: x.env, limits: x.limits, isolation: x.isolation, restart: x.restart })), [
      {
        name: 'echo.Client', className: 'echo.Client', path: 'src/Client.ts', args: ['--rounds', '3'], env: { GREETING: 'hello' },
        limits: { memoryMiB: undefined, blockMs: undefined, queueKiB: undefined, inFlight: undefined }, isolation: 'worker', restart: { mode: 'never', maxRestarts: 0 },
      },
      {
        name: 'echo.Server', className: 'echo.Server', path: 'src/Server.ts', args: [], env: {},
        limits: { memoryMiB: 32, blockMs: 500, queueKiB: undefined, inFlight: undefined }, isolation: 'worker', restart: { mode: 'never', maxRestarts: 0 },
      },
    ]);
    assert.deepEqual(model.channels, [{ id: 'server_connection', client: 'echo.Client', server: 'echo.Server', handle: 1 }]);
  });

  test('has the process classes echo.Client, echo.Server, Einit and kl.core.Core with their endpoints', () => {
    const model = result.model!;
    const classes = Object.fromEntries([...model.classes].map(([n, c]) => [n, c.endpoints]));
    assert.deepEqual(classes, {
      'echo.Client': [],
      'echo.Server': [{ qualifiedName: 'pingComp.pingImpl', riid: 0, iface: 'echo.Ping', components: ['echo.Ping'] }],
      'Einit': [],
      'kl.core.Core': [
        { qualifiedName: 'log', riid: 0, iface: 'kl.core.Log', components: [] },
        { qualifiedName: 'time', riid: 1, iface: 'kl.core.Time', components: [] },
        { qualifiedName: 'random', riid: 2, iface: 'kl.core.Random', components: [] },
        { qualifiedName: 'handle', riid: 3, iface: 'kl.core.Handle', components: [] },
        { qualifiedName: 'task', riid: 4, iface: 'kl.core.Task', components: [] },
        { qualifiedName: 'audit', riid: 5, iface: 'kl.core.Audit', components: [] },
      ],
    });
    assert.equal(model.classes.get('echo.Server')?.component.form, 'entity');
    assert.equal(model.classes.get('echo.Client')?.component.form, 'task class');
    const ping = model.components.get('echo.Ping');
    assert.equal(ping?.isClass, false);
    assert.deepEqual(ping?.endpoints, [{ name: 'pingImpl', iface: 'echo.Ping' }]);
  });

  test('has the echo.Ping interface with its constants, MIDs and message sizes', () => {
    const model = result.model!;
    const pkg = model.packages.get('echo.Ping');
    assert.deepEqual(pkg?.constants.map((c) => [c.name, c.value]), [['MaxName', 64n], ['MaxTags', 8n], ['NotFound', 0x194n]]);
    const iface = model.interfaces.get('echo.Ping');
    assert.ok(iface);
    // Name = string<64>: descriptor 8, arena 64 + 1.
    // Peer: Name (8 | 65) + UInt8 (1) + sequence<Name, 8> (8 | 8 × (8 + 65) = 584) → fixed 17, arena 649.
    // Reply (union): tag 4 + max(4, 8) = 12, arena max(0, 65) = 65; Boolean = UInt8 → response 13 | 65.
    const s = (fixed: number, arenaMax: number) => ({ fixed, arenaMax, handles: 0 });
    assert.deepEqual(iface.methods.map((m) => [m.name, m.mid, m.request.size, m.response.size, m.error.size]), [
      ['Ping', 0, s(4, 0), s(4, 0), s(0, 0)],
      ['Pong', 1, s(4, 0), s(4, 0), s(0, 0)],
      ['Describe', 2, s(17, 649), s(13, 65), s(2, 0)],
    ]);
  });
});

describe('robustness', () => {
  // The property runs in a worker (see test/helpers/robustness.ts) so that a parser that never
  // returns fails this test with the offending input instead of hanging the suite.
  test('mutated example sources never make a parser or the checker throw, and every diagnostic lies within its file', async () => {
    const r = await runJob({ kind: 'fuzz', seed: 42, numRuns: 300 }, 3000);
    assert.ok(r.ok, r.ok ? '' : `${r.reason}; last input (mutated files):\n${r.lastInput}`);
    assert.equal(r.value.failed, false, r.value.report);
    assert.equal(r.value.numRuns, 300);
  });
});
