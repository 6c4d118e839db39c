// The ping server: answers Ping/Pong (the policy makes them alternate) and Describe.
import { serve } from 'citadel';
import { createServerDispatcher } from '../gen/echo.Server.edl.ts';
import { NotFound, Ping_Describe_Error } from '../gen/echo.Ping.idl.ts';

const known = new Set(['alice', 'bob']);

serve(createServerDispatcher({
  'pingComp.pingImpl': {
    Ping: ({ value }) => ({ result: value + 1 }),
    Pong: ({ value }) => ({ result: value + 1 }),
    Describe: ({ peer }) => {
      if (!known.has(peer.name)) throw new Ping_Describe_Error({ status: NotFound });
      return { reply: { tag: 'text', value: `${peer.name} has ${peer.tags.length} tags` }, known: 1 };
    },
  },
}));
console.log('server ready');
