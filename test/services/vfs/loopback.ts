// citadel/fs against an in-process driver: a transport that hands each request to the driver's
// dispatcher for one channel slot, as the kernel would deliver it (no sandboxes, no policy).
import type { ClientTransport } from '../../../src/entity/wire.ts';
import type { VfsDriver } from '../../../src/services/vfs/driver.ts';
import { createVfsDispatcher } from '../../../src/services/vfs/gen/kl.Vfs.edl.ts';

export function loopback(driver: VfsDriver, slot: number): ClientTransport {
  const dispatch = createVfsDispatcher({ fs: driver.session(slot) });
  return { call: (riid, mid, payload) => dispatch(riid, mid, payload.slice()) };
}
