// Denials explain themselves: event, participants, endpoint/method, bindings, rule and reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatExplanation, loadPolicy } from '../../src/security/index.ts';
import { CORE, SERVER, VERIFIER, assert_, bin, bind, choice, event, grant, lit, msg, pingPolicy, policy, pong } from './helpers.ts';

test('a Flow denial names the transition, the allowed targets, the binding and the rule', () => {
  const m = loadPolicy(pingPolicy());
  assert.equal(m.decide(event('execute', CORE, SERVER, { dstSid: 103 })).granted, true);
  const d = m.decide({ ...pong(), srcTask: 'client', dstTask: 'server' });
  assert.equal(d.granted, false);
  assert.deepEqual(d.explanation, {
    event: 'request',
    src: { class: 'Client', sid: 102, task: 'client' },
    dst: { class: 'Server', sid: 103, task: 'server' },
    interface: 'Ping',
    endpoint: 'pingComp.pingImpl',
    method: 'Pong',
    bindings: ['security.psl:24:1'],
    rule: 'security.psl:25:5',
    reason: 'request_state.enter: transition ping_next → ping_next not allowed; allowed from ping_next: [pong_next]',
    error: false,
  });
  assert.equal(formatExplanation(d.explanation!), [
    'denied request: Client (client, sid 102) → Server (server, sid 103)',
    '  target:   endpoint pingComp.pingImpl, interface Ping, method Pong',
    '  bindings: security.psl:24:1',
    '  rule:     security.psl:25:5',
    '  reason:   request_state.enter: transition ping_next → ping_next not allowed; allowed from ping_next: [pong_next]',
  ].join('\n'));
});

test('an unbound event says no binding matches', () => {
  const d = loadPolicy(policy({ bindings: [bind('request', { dst: VERIFIER }, [grant()])] })).decide(event('execute', CORE, SERVER));
  assert.equal(formatExplanation(d.explanation!), [
    'denied execute: kl.core.Core (sid 100) → Server (sid 103)',
    '  bindings: none',
    '  reason:   no binding matches',
  ].join('\n'));
});

test('an evaluation error is labelled as an error, with the rule that failed', () => {
  const m = loadPolicy(policy({ bindings: [bind('security', {}, [assert_(bin('>', msg('port'), lit(80)), 'v.psl:3:5')], 'v.psl:3:1')] }));
  const d = m.decide(event('security', VERIFIER, VERIFIER, { mid: 1, params: {} }));
  assert.equal(formatExplanation(d.explanation!), [
    'denied security: Verifier (sid 104)',
    '  target:   interface Approve, method Login',
    '  bindings: v.psl:3:1',
    '  rule:     v.psl:3:5',
    '  error:    message has no field "port"',
  ].join('\n'));
});

test('untrusted message text in an explanation is escaped and truncated', () => {
  const m = loadPolicy(policy({ bindings: [bind('request', {}, [choice(msg('name'), [['a', [grant()]]])])] }));
  const reason = m.decide(pong({ name: `\u001b[31m\n${'x'.repeat(500)}` })).explanation!.reason;
  assert.match(reason, /^choice: no arm matches "\\u001b\[31m\\nxxx/);
  assert.ok(!reason.includes('\u001b') && !reason.includes('\n'));
  assert.ok(reason.length < 120, reason);
});
