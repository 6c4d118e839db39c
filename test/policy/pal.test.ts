// PAL semantics through runPalSuites: expectations, sequences, setup/finally, state rollback, SIDs
// bound with `<-`, IDL checks before rules, and what a failure says. The example solution passes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAll } from '../../src/build/check.ts';
import { runPalSuites, type PalOutcome } from '../../src/policy/pal-run.ts';
import { clean, HEAD, SESSION } from '../helpers/policy.ts';
import { PING_EXAMPLE, type Cleanup } from '../helpers/solution.ts';

/** Bindings on lines 15–20 (after HEAD and SESSION); the assert block follows on line ASSERT. */
const BINDINGS = [
  'execute { grant () }',
  'execute dst=app.Server { session.init {sid : dst_sid} }',
  'request dst=app.Server, endpoint=calc, method=Add { session.enter {sid : dst_sid, state : "busy"} }',
  'request dst=app.Server, endpoint=calc, method=Greet { session.enter {sid : dst_sid, state : "idle"} }',
  'response src=app.Server, endpoint=calc, method=Add { assert (message.sum < 10) }',
  'security src=app.Server, method=Reset { assert (message.level < 3) }',
  '',
].join('\n');
/** The line the assert block starts on. */
const ASSERT = 15 + 6;

const SETUP = '    setup {\n        s <- execute dst=app.Server\n        c <- execute dst=app.Client\n    }\n';

/** Compiles HEAD + SESSION + BINDINGS + `asserts` and runs its PAL tests. */
function runPal(t: Cleanup, asserts: string, bindings = BINDINGS): PalOutcome[] {
  const r = clean(t, HEAD + SESSION + bindings + asserts);
  return runPalSuites(r.policy.ir, r.policy.suites);
}

/** A single assert "t" with SETUP and the given sequences (name → steps). */
function suite(sequences: Readonly<Record<string, readonly string[]>>, extra = ''): string {
  const body = Object.entries(sequences).map(([name, steps]) => `    sequence "${name}" {\n${steps.map((s) => `        ${s}\n`).join('')}    }\n`).join('');
  return `assert "t" {\n${SETUP}${body}${extra}}\n`;
}

/** Line of step `i` (0-based) of the first sequence of `suite(…)`. */
const step = (i: number) => ASSERT + 6 + i;

const verdicts = (outcomes: readonly PalOutcome[]) => outcomes.map((o) => `${o.sequence}: ${o.passed ? 'pass' : 'FAIL'}`);

describe('expectations', () => {
  test('a case without a verdict expects grant', (t) => {
    const out = runPal(t, suite({ granted: ['c ~> s:calc.Add {}'], denied: ['c ~> s:calc.Add {}', 'c ~> s:calc.Add {}'] }));
    assert.deepEqual(verdicts(out), ['granted: pass', 'denied: FAIL']);
    assert.match(out[1]!.failure!, /^security\.psl:\d+:9: request case: expected grant, got denied\n/);
  });

  test('deny passes on a denial and fails on a grant', (t) => {
    const out = runPal(t, suite({ ok: ['c ~> s:calc.Add {}', 'deny c ~> s:calc.Add {}'], wrong: ['deny c ~> s:calc.Add {}'] }));
    assert.deepEqual(verdicts(out), ['ok: pass', 'wrong: FAIL']);
    assert.equal(out[1]!.failure, `security.psl:${step(4)}:9: request case: expected deny, got granted`);
  });

  test('any passes on grant and on deny, and fails on an evaluation error', (t) => {
    const out = runPal(t, suite({
      'granted or denied': ['any c ~> s:calc.Add {}', 'any c ~> s:calc.Add {}'],
      // The class named directly is a process that was never started: its FSM was never initialised.
      'evaluation error': ['any request src=app.Client dst=app.Server endpoint=calc method=Add {}'],
    }));
    assert.deepEqual(verdicts(out), ['granted or denied: pass', 'evaluation error: FAIL']);
    const lines = out[1]!.failure!.split('\n');
    assert.equal(lines[0], `security.psl:${step(4)}:9: request case: expected no evaluation error, got an evaluation error`);
    assert.match(lines.at(-1)!, /^ {6}error: {4}session\.enter: FSM not initialised for sid \d+$/);
  });

  test('a named case is called by its name in the failure', (t) => {
    const out = runPal(t, suite({ named: ['deny "Add is refused" c ~> s:calc.Add {}'] }));
    assert.equal(out[0]!.failure, `security.psl:${step(0)}:9: "Add is refused": expected deny, got granted`);
  });
});

describe('sequences, setup and finally', () => {
  test('a sequence stops at its first failing case', (t) => {
    const out = runPal(t, suite({ two: ['deny c ~> s:calc.Add {}', 'deny c ~> s:calc.Greet {}'] }));
    // Both cases would fail; only the first is reported.
    assert.equal(out[0]!.failure, `security.psl:${step(0)}:9: request case: expected deny, got granted`);
  });

  test('model state rolls back between sequences', (t) => {
    // Each sequence moves its server idle → busy; a second Add in the same state would be denied.
    const out = runPal(t, suite({ first: ['c ~> s:calc.Add {}', 'deny c ~> s:calc.Add {}'], second: ['c ~> s:calc.Add {}'], third: ['c ~> s:calc.Add {}'] }));
    assert.deepEqual(verdicts(out), ['first: pass', 'second: pass', 'third: pass']);
  });

  test('setup runs before every sequence', (t) => {
    // setup starts the server (Flow init); without it Add would be an evaluation error.
    const out = runPal(t, suite({ one: ['c ~> s:calc.Add {}'], two: ['c ~> s:calc.Add {}'] }));
    assert.deepEqual(verdicts(out), ['one: pass', 'two: pass']);
  });

  test('a failing setup fails the sequence, marked "in setup"', (t) => {
    const asserts = 'assert "t" {\n    setup { deny execute dst=app.Server }\n    sequence "q" { }\n}\n';
    const out = runPal(t, asserts);
    assert.equal(out[0]!.failure, `in setup: security.psl:${ASSERT + 1}:13: execute case: expected deny, got granted`);
  });

  test('finally runs after each sequence, and its failure is reported "in finally"', (t) => {
    // After "busy" the finally's Greet (busy → idle) is granted; after "idle" it is denied.
    const out = runPal(t, suite({ busy: ['c ~> s:calc.Add {}'], idle: [] }, '    finally {\n        deny c ~> s:calc.Greet {}\n    }\n'));
    assert.deepEqual(verdicts(out), ['busy: FAIL', 'idle: pass']);
    assert.equal(out[0]!.failure, `in finally: security.psl:${ASSERT + 11}:9: request case: expected deny, got granted`);
  });

  test('the first failure wins over a failure in finally', (t) => {
    const out = runPal(t, suite({ q: ['deny c ~> s:calc.Add {}'] }, '    finally {\n        deny c ~> s:calc.Greet {}\n    }\n'));
    assert.equal(out[0]!.failure, `security.psl:${step(0)}:9: request case: expected deny, got granted`);
  });

  test('outcomes name the suite, the sequence and its origin; unnamed ones stay undefined', (t) => {
    const out = runPal(t, 'assert { sequence { } }\n' + suite({ q: [] }));
    assert.deepEqual(out, [
      { suite: undefined, sequence: undefined, origin: `security.psl:${ASSERT}:10`, passed: true },
      { suite: 't', sequence: 'q', origin: `security.psl:${ASSERT + 6}:5`, passed: true },
    ]);
  });
});

describe('processes', () => {
  test('x <- execute binds a fresh SID: two servers have separate Flow state', (t) => {
    const asserts = 'assert {\n    sequence {\n        a <- execute dst=app.Server\n        b <- execute dst=app.Server\n        c <- execute dst=app.Client\n' +
      '        c ~> a:calc.Add {}\n        deny c ~> a:calc.Add {}\n        c ~> b:calc.Add {}\n    }\n}\n';
    assert.deepEqual(verdicts(runPal(t, asserts)), ['undefined: pass']);
  });

  test('a denied execute fails the sequence, naming the binding step', (t) => {
    const bindings = BINDINGS.replace('execute { grant () }', 'execute dst=app.Client { grant () }\nexecute dst=app.Client { deny () }');
    const asserts = 'assert {\n    sequence {\n        c <- execute dst=app.Client\n        deny execute dst=app.Server\n    }\n}\n';
    const out = runPal(t, asserts, bindings);
    const lines = out[0]!.failure!.split('\n');
    assert.equal(lines[0], `security.psl:${ASSERT + 3}:9: c <- execute dst=app.Client: expected grant, got denied`);
    assert.match(lines[1]!, /^ {4}denied execute: kl\.core\.Core \(sid 1\) → app\.Client \(sid 100\)$/);
  });

  test('the ~> shorthand is a request with src, dst, endpoint and method', (t) => {
    const r = clean(t, HEAD + SESSION + BINDINGS + suite({ q: ['c ~> s:calc.Greet { name : "ab" }', 'request src=c dst=s endpoint=calc method=Greet { name : "ab" }'] }));
    const [a, b] = r.policy.suites[0]!.sequences[0]!.steps;
    assert.deepEqual({ ...a, origin: '' }, { ...b, origin: '' });
    assert.deepEqual(a, {
      k: 'case', expect: 'grant', name: undefined, event: 'request',
      src: { variable: 'c', class: 1 }, dst: { variable: 's', class: 2 }, riid: 0, mid: 1,
      message: { t: 'dict', fields: [['name', { t: 'text', v: 'ab' }]] },
      origin: `security.psl:${step(0)}:9`,
    });
  });

  test('responses carry out parameters to the policy', (t) => {
    const out = runPal(t, suite({
      small: ['response src=s dst=c endpoint=calc method=Add { sum : 5 }'],
      large: ['response src=s dst=c endpoint=calc method=Add { sum : 50 }'],
      'large, expected': ['deny response src=s dst=c endpoint=calc method=Add { sum : 50 }'],
    }));
    assert.deepEqual(verdicts(out), ['small: pass', 'large: FAIL', 'large, expected: pass']);
  });

  test('security events are checked against the security interface', (t) => {
    const out = runPal(t, suite({ q: ['security src=s method=Reset { level : 1 }', 'deny security src=s method=Reset { level : 3 }'] }));
    assert.deepEqual(verdicts(out), ['q: pass']);
  });
});

describe('messages that break the IDL', () => {
  test('are denied before any rule: a string over its bound, an integer out of range', (t) => {
    const out = runPal(t, suite({
      'string over its bound': ['deny c ~> s:calc.Greet { name : "123456789" }'],
      'multi-byte characters count as bytes': ['deny c ~> s:calc.Greet { name : "ééééé" }'],
      'integer out of range': ['deny c ~> s:calc.Add { a : 4294967296 }'],
      'negative unsigned': ['deny c ~> s:calc.Add { a : -1 }'],
      'in range': ['c ~> s:calc.Add { a : 4294967295 }', 'c ~> s:calc.Greet { name : "12345678" }'],
      'any accepts the denial': ['any c ~> s:calc.Add { a : 4294967296 }'],
    }));
    assert.deepEqual(out.filter((o) => !o.passed), []);
  });

  test('expecting grant for one fails with the violation', (t) => {
    const out = runPal(t, suite({ str: ['c ~> s:calc.Greet { name : "123456789" }'], int: ['c ~> s:calc.Add { b : 4294967296 }'] }));
    assert.equal(out[0]!.failure, `security.psl:${step(0)}:9: request case: expected grant, got denied: the message does not match its IDL (name: string of 9 bytes exceeds string<8>)`);
    assert.equal(out[1]!.failure, `security.psl:${step(0) + 3}:9: request case: expected grant, got denied: the message does not match its IDL (b: 4294967296 does not fit UInt32)`);
  });

  test('the rule would have granted: the IDL check comes first', (t) => {
    // Under a grant-everything policy a bad message is still denied.
    const bindings = 'execute { grant () }\nrequest { grant () }\n';
    const out = runPal(t, suite({ q: ['deny c ~> s:calc.Add { a : 4294967296 }', 'c ~> s:calc.Add { a : 1 }'] }), bindings);
    assert.deepEqual(verdicts(out), ['q: pass']);
  });
});

describe('failure text', () => {
  test('names the case origin, expected vs actual, and the explanation of the decision', (t) => {
    const out = runPal(t, suite({ q: ['response src=s dst=c endpoint=calc method=Add { sum : 50 }'] }));
    assert.equal(out[0]!.failure, [
      `security.psl:${step(0)}:9: response case: expected grant, got denied`,
      '    denied response: app.Server (sid 100) → app.Client (sid 101)',
      '      target:   endpoint calc, interface app.Calc, method Add',
      '      bindings: security.psl:19:1',
      '      rule:     security.psl:19:54',
      '      reason:   base.assert: assertion failed',
    ].join('\n'));
  });

  test('an event no binding selects is explained as such', (t) => {
    const out = runPal(t, suite({ q: ['c ~> s:calc.Add {}', 'response src=s dst=c endpoint=calc method=Greet {}'] }));
    const lines = out[0]!.failure!.split('\n');
    assert.equal(lines[0], `security.psl:${step(1)}:9: response case: expected grant, got denied`);
    assert.ok(lines.some((l) => l === '      bindings: none'), out[0]!.failure!);
  });
});

describe('the example solution', () => {
  test('examples/ping: every PAL sequence passes', () => {
    const r = checkAll(PING_EXAMPLE);
    assert.ok(r.policy);
    const out = runPalSuites(r.policy.ir, r.policy.suites);
    assert.equal(out.length, 9);
    assert.deepEqual(out.filter((o) => !o.passed), []);
  });
});
