// The ping client: alternates Ping and Pong, then shows what the policy and the server refuse.
import { args, CallFailed, connect, env } from 'citadel';
import { PingProxy, Ping_Describe_Error } from '../gen/echo.Ping.idl.ts';

const channel = connect('server_connection');
const ping = new PingProxy(channel, channel.riid('pingComp.pingImpl'));
const rounds = Number(args()[args().indexOf('--rounds') + 1] ?? 3);

async function main(): Promise<void> {
  console.log(`${env()['GREETING'] ?? 'hi'}: ${rounds} rounds of Ping/Pong`);
  let value = 0;
  for (let i = 0; i < rounds; i++) {
    value = (await ping.Ping({ value })).result;
    value = (await ping.Pong({ value })).result;
  }
  console.log(`after ${rounds} rounds the value is ${value}`);

  const peer = await ping.Describe({ peer: { name: 'alice', id: 7, tags: ['admin', 'ops'] } });
  console.log(`Describe(alice):`, peer.reply);
  try {
    await ping.Describe({ peer: { name: 'mallory', id: 9, tags: [] } });
  } catch (err) {
    if (err instanceof Ping_Describe_Error) console.log(`Describe(mallory) → error reply, status ${err.params.status}`);
    else throw err;
  }

  // Two Pings in a row break the alternation the policy enforces: the kernel refuses the second.
  await ping.Ping({ value });
  try {
    await ping.Ping({ value });
    console.error('the second Ping was allowed: the policy is not enforced!');
  } catch (err) {
    if (!(err instanceof CallFailed)) throw err;
    console.log(`second Ping refused (${err.status}):\n${err.explanation}`);
  }
}

main().catch((err) => {
  console.error(`client failed: ${err}`);
  throw err;
});
