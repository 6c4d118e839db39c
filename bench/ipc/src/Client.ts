// Benchmark client: a warm-up, then "start", N calls with `concurrency` in flight, then "done".
import { args, connect } from 'citadel';
import { EchoProxy } from '../gen/echo.Echo.idl.ts';

const argv = args();
const option = (name: string, fallback: number) => Number(argv[argv.indexOf(name) + 1] ?? fallback) || fallback;
const calls = option('--calls', 2000);
const concurrency = option('--concurrency', 1);
const channel = connect('echo');
const echo = new EchoProxy(channel, channel.riid('echo'));
const data = new Uint8Array(128).fill(7);

for (let i = 0; i < 200; i++) await echo.Echo({ data });
console.log('start');
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < calls) {
    next++;
    await echo.Echo({ data });
  }
}));
console.log('done');
