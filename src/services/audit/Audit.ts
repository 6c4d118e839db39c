// Secure Audit (task class kl.Audit, process tier): receives the kernel's audit records and the
// applications' events and keeps them in a hash-chained, Merkle-checkpointed, signed log. See README.md.
import { args, current, hostCrypto, hostFs, now, randomBytes, serve, taskName } from 'citadel';
import { Audit_RIID, createAuditDispatcher } from './gen/kl.Audit.edl.ts';
import { AuditProxy } from '../../entity/gen/kl.core.Audit.idl.ts';
import { Core_RIID } from '../../entity/gen/kl.core.Core.edl.ts';
import { hex } from './log.ts';
import { auditHandlers } from './service.ts';
import { AuditWriter, loadOrCreateKey, parseServiceArgs } from './writer.ts';

const fs = hostFs(), crypto = hostCrypto();
if (!fs || !crypto) throw new Error('kl.Audit runs in the process tier only (isolation: process), with resources.fs.write granting its --dir');
const options = parseServiceArgs(args(), taskName());
const clock = async () => Number((await now()).unixNanos / 1_000_000n);

await fs.mkdir(options.dir);
const key = await loadOrCreateKey(fs, options.dir, { publicKey: (seed) => crypto.ed25519PublicKey(seed) }, () => randomBytes(32));
if (key.created) {
  console.warn(`created the audit signing key ${options.dir}/audit.key (mode 0600) and its public key ${options.dir}/audit.pub; ` +
    'the private key sits beside the log: keep a copy of audit.pub elsewhere to verify against');
}
const logId = hex(await randomBytes(16));
const writer = await AuditWriter.open({
  fs,
  crypto: { sha256: (data) => crypto.sha256(data), verify: (k, data, sig) => crypto.ed25519Verify(k, data, sig) },
  signer: { publicKey: key.publicKey, sign: (data) => crypto.ed25519Sign(key.seed, data) },
  say: (line) => console.warn(line),
  newLogId: () => logId,
}, options, await clock());

const dispatch = createAuditDispatcher(auditHandlers(writer, { now: clock, kernel: new AuditProxy(current().kernel, Core_RIID.audit) }));
// The kernel's calls arrive on slot 0; a sink call on any channel from an application is refused
// here too, whatever the policy says.
serve((riid: number, mid: number, payload: Uint8Array, context?: { readonly slot: number }) =>
  riid === Audit_RIID.sink && context !== undefined && context.slot !== 0
    ? Promise.reject(new Error('the sink endpoint takes records from the kernel only'))
    : dispatch(riid, mid, payload));
