// Handle transfer through real entities: a client hands its channel to a broker, which then calls
// the channel's server; rights can only shrink, and only owned handles can be passed on.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileCleanup, kernelLines, linesOf, runSolution, type RunResult } from '../helpers/run-solution.ts';

const files = {
  'init.yaml': `entities:
- name: demo.Client
  connections:
  - target: demo.Broker
    id: broker
  - target: demo.Echo
    id: echo
- name: demo.Broker
- name: demo.Echo
`,
  'demo/Echo.idl': `package demo.Echo
interface {
    Echo(in UInt32 value, out UInt32 result);
}
`,
  'demo/Broker.idl': `package demo.Broker
interface {
    Share(in Handle channel, in UInt32 riid, out UInt32 result);
    Lend(in UInt32 rights, out Handle channel);
}
`,
  'demo/Echo.edl': 'task class demo.Echo\nendpoints {\n    echo : demo.Echo\n}\n',
  'demo/Broker.edl': 'task class demo.Broker\nendpoints {\n    broker : demo.Broker\n}\n',
  'demo/Client.edl': 'task class demo.Client\n',
  'security.psl': `execute: kl.core.Execute
use nk.base._
use EDL Einit
use EDL kl.core.Core
use EDL demo.Client
use EDL demo.Broker
use EDL demo.Echo
execute { grant () }
request { grant () }
response { grant () }
error { grant () }
`,
  'src/Echo.ts': `import { serve } from 'citadel';
import { createEchoDispatcher } from '../gen/demo.Echo.edl.ts';
serve(createEchoDispatcher({ echo: { Echo: ({ value }) => ({ result: value * 2 }) } }));
`,
  'src/Broker.ts': `import { channelFromHandle, serve } from 'citadel';
import { createBrokerDispatcher } from '../gen/demo.Broker.edl.ts';
import { EchoProxy } from '../gen/demo.Echo.idl.ts';
let kept = 0;
serve(createBrokerDispatcher({
  broker: {
    Share: async ({ channel, riid }) => {
      console.log('got handle ' + channel.handle + ' with rights ' + channel.rights);
      kept = channel.handle;
      const echo = new EchoProxy(channelFromHandle(channel), riid);
      return { result: (await echo.Echo({ value: 21 })).result };
    },
    // In a response, a Handle field names a handle of the server's own table.
    Lend: ({ rights }) => ({ channel: { handle: kept, rights } }),
  },
}));
`,
  'src/Client.ts': `import { CallFailed, channelFromHandle, connect, Rights } from 'citadel';
import { EchoProxy } from '../gen/demo.Echo.idl.ts';
import { BrokerProxy } from '../gen/demo.Broker.idl.ts';
const broker = connect('broker');
const echo = connect('echo');
const proxy = new BrokerProxy(broker, broker.riid('broker'));
const riid = echo.riid('echo');
const shared = await proxy.Share({ channel: { handle: 0, rights: Rights.call }, riid }, { handles: [[echo.handle, Rights.call]] });
console.log('broker called echo through my handle: ' + shared.result);
async function refused(label, handles) {
  try {
    await proxy.Share({ channel: { handle: 0, rights: 0 }, riid }, { handles });
    console.log(label + ': allowed');
  } catch (err) {
    console.log(label + ': ' + (err instanceof CallFailed ? err.status + ' ' + err.explanation : String(err)));
  }
}
await refused('not my handle', [[99, Rights.call]]);
await refused('more rights than held', [[echo.handle, 4]]);
// Handles in responses: the broker may pass on what it holds with the transfer right, no more.
await proxy.Share({ channel: { handle: 0, rights: Rights.call | Rights.transfer }, riid }, { handles: [[echo.handle, Rights.call | Rights.transfer]] });
const lent = await proxy.Lend({ rights: Rights.call });
console.log('lent back as handle ' + lent.channel.handle + ': ' + (await new EchoProxy(channelFromHandle(lent.channel), riid).Echo({ value: 5 })).result);
try {
  await proxy.Lend({ rights: Rights.call | Rights.transfer | 4 });
  console.log('lend with more rights: allowed');
} catch (err) {
  console.log('lend with more rights: ' + (err instanceof CallFailed ? err.status + ' ' + err.explanation : String(err)));
}
`,
};

describe('handle transfer', () => {
  const t = fileCleanup();
  let run: RunResult;
  before(async () => { run = await runSolution(t, files); });

  test('a handle passed in a request lands in the receiver\'s table, and the receiver can call through it', () => {
    assert.deepEqual(linesOf(run, 'demo.Broker')[0], 'got handle 1 with rights 1');
    assert.ok(linesOf(run, 'demo.Client').includes('broker called echo through my handle: 42'));
  });

  test('a handle the sender does not own is refused before delivery', () => {
    assert.ok(linesOf(run, 'demo.Client').includes("not my handle: InvalidMessage handle 99 is not in demo.Client's handle table"));
    assert.deepEqual(linesOf(run, 'demo.Broker').filter((l) => l.startsWith('got handle')).length, 2, 'the broker saw only the two legitimate Share calls');
  });

  test('a handle cannot gain rights when passed on', () => {
    assert.ok(linesOf(run, 'demo.Client').includes('more rights than held: InvalidMessage handle 2 holds rights 3; it cannot grant 4'));
  });

  test('a handle passed back in a response lands in the client\'s table and works', () => {
    const client = linesOf(run, 'demo.Client');
    assert.ok(client.some((l) => /^lent back as handle \d+: 10$/.test(l)), client.join('\n'));
  });

  test('a response cannot hand over more rights than the server holds', () => {
    assert.ok(linesOf(run, 'demo.Client').includes('lend with more rights: InvalidMessage demo.Broker\'s response hands over handle 2 with rights 7, more than the 3 it holds'), linesOf(run, 'demo.Client').join('\n'));
  });

  test('the run ends cleanly: the client exits, the servers are stopped', () => {
    assert.deepEqual(run.exits.filter((e) => !e.stopped && e.code !== 0), [], kernelLines(run).join('\n'));
  });
});
