// Audit: profiles pick which rule outcomes are recorded per level; the level and profile switch at
// run time; bindings override the profile; invalid and unbound events are always recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPolicy, type AuditRecord } from '../../src/security/index.ts';
import type { IrAuditProfile } from '../../src/security/ir.ts';
import { CORE, FLOW_CONFIG, SERVER, audit, bind, call, choice, deny, dict, event, grant, msg, object, ping, pingPolicy, policy, pong } from './helpers.ts';

const cond = (object: string, kss: ('granted' | 'denied')[], more: { omit?: string[]; emit?: string[] } = {}) =>
  ({ object, kss, omit: more.omit ?? [], emit: more.emit ?? [] });
const TRACE: IrAuditProfile = {
  name: 'trace',
  levels: [
    { level: 0, objects: [] },
    { level: 1, objects: [cond('base', ['denied']), cond('request_state', ['denied'])] },
    { level: 2, objects: [cond('base', ['granted', 'denied']), cond('request_state', ['granted', 'denied'], { omit: ['pong_next'] })] },
  ],
};
const CHILD: IrAuditProfile = { name: 'child', levels: [{ level: 0, objects: [cond('base', ['granted'])] }, { level: 1, objects: [] }] };

function setup(level: number) {
  const records: AuditRecord[] = [];
  let t = 1000;
  const ir = pingPolicy({ auditProfiles: [TRACE, CHILD], auditDefault: { profile: 'trace', level } });
  const m = loadPolicy({ ...ir, bindings: [...ir.bindings, bind('response', {}, [grant('r.psl:1:1')], 'r.psl:1:1'), bind('error', {}, [deny('e.psl:1:1')], 'e.psl:1:1')] },
    { audit: r => records.push(r), now: () => t++ });
  return { m, records, start: () => m.decide(event('execute', CORE, SERVER, { dstSid: 103 })) };
}
const reply = () => event('response', SERVER, 2, { riid: 0, mid: 0 });
const fault = () => event('error', SERVER, 2, { riid: 0, mid: 0 });

test('level 0 of a silent profile records nothing for rule outcomes', () => {
  const { m, records, start } = setup(0);
  start();
  m.decide(ping());
  m.decide(ping());
  m.decide(fault());
  assert.equal(records.length, 0);
});

test('unbound and invalid events are always recorded, whatever the level', () => {
  const { m, records } = setup(0);
  const d = m.decide(event('security', 4, 4, { mid: 0 }));
  m.decide(event('request', 2, 77, { riid: 0, mid: 0 }));
  assert.equal(records.length, 2);
  assert.equal(d.audit, records[0]);
  assert.deepEqual(records[0], {
    event: 'security', src: { class: 'Verifier', sid: 104 }, dst: { class: 'Verifier', sid: 104 }, interface: 'Approve', method: 'Check',
    bindings: [], time: 1000, decision: 'denied', reason: 'no binding matches', results: [],
  });
  assert.match(records[1]!.reason!, /^invalid event: unknown destination class 77/);
});

test('level 1 records denials only; the record lists the denying rule and its reason', () => {
  const { m, records, start } = setup(1);
  start();
  m.decide(ping());
  m.decide(reply());
  assert.equal(records.length, 0);
  const d = m.decide(ping());
  assert.equal(records.length, 1);
  assert.equal(d.audit, records[0]);
  assert.equal(records[0]!.decision, 'denied');
  assert.deepEqual(records[0]!.results, [{
    object: 'request_state', method: 'enter', origin: 'security.psl:23:5', outcome: 'denied',
    reason: 'transition pong_next → pong_next not allowed; allowed from pong_next: [ping_next]',
  }]);
  m.decide(fault());
  assert.deepEqual(records[1]!.results.map(r => `${r.object}.${r.method} ${r.outcome}`), ['base.deny denied']);
});

test('switching the level at run time changes what is recorded; omit silences Flow states', () => {
  const { m, records, start } = setup(0);
  start();
  m.setAuditLevel(2);
  m.decide(ping()); // now pong_next: omitted
  m.decide(pong()); // now ping_next: recorded
  m.decide(reply());
  assert.deepEqual(records.map(r => `${r.decision} ${r.results.map(x => `${x.object}.${x.method}`).join()}`), [
    'granted request_state.enter',
    'granted base.grant',
  ]);
  m.setAuditLevel(0);
  m.decide(ping());
  assert.equal(records.length, 2);
  assert.throws(() => m.setAuditLevel(1.5), /audit level must be an integer/);
});

test('an audit statement in a binding overrides the global profile for that body only', () => {
  const records: AuditRecord[] = [];
  const m = loadPolicy(policy({
    objects: [object('request_state', 'Flow', FLOW_CONFIG)],
    auditProfiles: [TRACE, CHILD], auditDefault: { profile: 'trace', level: 0 },
    bindings: [
      bind('request', { method: 'Ping' }, [audit('child'), grant('p.psl:1:1')]),
      bind('request', { method: 'Pong' }, [grant('q.psl:1:1')]),
    ],
  }), { audit: r => records.push(r) });
  m.decide(ping());
  m.decide(pong());
  assert.deepEqual(records.map(r => r.results.map(x => x.origin)), [['p.psl:1:1']]);
  m.setAuditLevel(1);
  m.decide(ping());
  assert.equal(records.length, 1, 'child level 1 is silent');
  m.setAuditProfile('child', 0);
  m.decide(pong());
  assert.deepEqual(records[1]?.results.map(x => x.origin), ['q.psl:1:1'], 'child is now the global profile');
  assert.throws(() => m.setAuditProfile('nope'), /unknown audit profile "nope"/);
});

test('Regex emit records the listed expression methods with their values', () => {
  const records: AuditRecord[] = [];
  const m = loadPolicy(policy({
    auditProfiles: [{ name: 'p', levels: [{ level: 0, objects: [cond('re', [], { emit: ['select'] })] }] }],
    auditDefault: { profile: 'p', level: 0 },
    bindings: [bind('request', {}, [choice(call('re', 'select', dict({ text: msg('path') }), 'x.psl:2:9'), [['^/tmp/', [grant()]], ['_', [deny()]]])])],
  }), { audit: r => records.push(r) });
  m.decide(ping({ path: '/tmp/a' }));
  m.decide(ping({ path: '/etc/passwd' }));
  assert.deepEqual(records.map(r => [r.decision, r.results]), [
    ['granted', [{ object: 're', method: 'select', origin: 'x.psl:2:9', outcome: 'value', value: '"/tmp/a"' }]],
    ['denied', [{ object: 're', method: 'select', origin: 'x.psl:2:9', outcome: 'value', value: '"/etc/passwd"' }]],
  ]);
});

test('a grant that the audit sink fails to record is denied and its state is not committed', () => {
  let fail = true;
  const ir = pingPolicy({ auditProfiles: [TRACE], auditDefault: { profile: 'trace', level: 2 } });
  const m = loadPolicy(ir, { audit: () => { if (fail) throw new Error('disk full'); } });
  fail = false;
  m.decide(event('execute', CORE, SERVER, { dstSid: 103 }));
  assert.equal(m.decide(ping()).granted, true);
  fail = true;
  assert.equal(m.decide(pong()).explanation?.reason, 'the audit sink failed to record a grant');
  fail = false;
  assert.equal(m.decide(pong()).granted, true, 'Pong is still the next allowed call');
});
