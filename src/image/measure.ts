// Measured boot: a hash chain over the blobs in load order, h0 = SHA-256("citadel-measured-boot-v1"),
// h_i = SHA-256(h_{i-1} ‖ blob_sha256_i ‖ utf8(name_i)); fixed-size fields first keep each step unambiguous.
import { createHash } from 'node:crypto';
import type { BlobEntry } from './manifest.ts';
import { quote } from './quote.ts';

export const MEASURE_SEED = 'citadel-measured-boot-v1';

export interface MeasuredBoot {
  /** One line per blob (index, kind, name, size, blob hash, chain value), then the chain head. */
  readonly bootLog: readonly string[];
  /** Final chain value, hex. */
  readonly measurement: string;
}

export function measureBoot(blobs: readonly Pick<BlobEntry, 'name' | 'kind' | 'size' | 'sha256'>[]): MeasuredBoot {
  let chain = createHash('sha256').update(MEASURE_SEED, 'utf8').digest();
  const bootLog: string[] = [];
  blobs.forEach((b, i) => {
    chain = createHash('sha256').update(chain).update(Buffer.from(b.sha256, 'hex')).update(b.name, 'utf8').digest();
    bootLog.push(
      `measure ${i + 1}/${blobs.length} ${b.kind} ${quote(b.name, 256)} size=${b.size} sha256=${b.sha256} chain=${chain.toString('hex')}`,
    );
  });
  const measurement = chain.toString('hex');
  bootLog.push(`measured-boot head=${measurement} blobs=${blobs.length}`);
  return { bootLog, measurement };
}
