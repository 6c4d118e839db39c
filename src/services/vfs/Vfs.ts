// The VFS driver entity (class kl.Vfs, process tier): serves the host directories its `--mount`
// args name, each client channel in the namespace of the client it attached as.
import { args, hostFs, serve } from 'citadel';
import type { ServerDispatch } from '../../entity/wire.ts';
import { VfsDriver } from './driver.ts';
import { createVfsDispatcher } from './gen/kl.Vfs.edl.ts';
import { parseMountArgs } from './namespace.ts';

/** Refusals logged before the driver goes quiet (a client must not be able to flood the log). */
const MAX_LOGGED_REFUSALS = 100;

const fs = hostFs();
if (!fs) throw new Error('kl.Vfs runs in the process tier: give it `isolation: process` and `resources.fs` covering its mounts');
const specs = parseMountArgs(args());
if (specs.length === 0) throw new Error('kl.Vfs has no mounts: add `args: [--mount, CLIENT:HOSTDIR:rw, ...]` in init.yaml');

let logged = 0;
const driver = await VfsDriver.start(fs, specs, {
  onRefusal: (client, what, reason) => {
    if (++logged <= MAX_LOGGED_REFUSALS) console.warn(`refused ${client}: ${what}: ${reason}`);
    else if (logged === MAX_LOGGED_REFUSALS + 1) console.warn(`more than ${MAX_LOGGED_REFUSALS} refusals: no longer logging them`);
  },
});
console.log(`serving ${specs.map((s) => `${s.client}:${s.at} -> ${s.hostDir} (${s.readOnly ? 'ro' : 'rw'})`).join(', ')}`);

// Each client channel has its own slot; its session (and dispatcher) is made on its first call.
const dispatchers = new Map<number, ServerDispatch>();
serve((riid, mid, payload, { slot }) => {
  let dispatch = dispatchers.get(slot);
  if (!dispatch) {
    dispatch = createVfsDispatcher({ fs: driver.session(slot) });
    dispatchers.set(slot, dispatch);
  }
  return dispatch(riid, mid, payload);
});
