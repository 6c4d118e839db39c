// The Secure Storage entity's init.yaml `args`.
import { MaxValue } from './gen/kl.SecureStorage.idl.ts';
import { DEFAULT_LIMITS, type StoreLimits } from './store.ts';

export interface StorageArgs {
  readonly dir: string;
  readonly keyFile: string | undefined;
  readonly limits: StoreLimits;
}

export const DEFAULT_DIR = 'secure-storage';

export const USAGE = 'args: [--dir <data dir>] [--key <sealing key file>] [--max-value <bytes>] [--max-keys <n>] [--max-bytes <bytes>]';

const LIMIT_FLAGS: Readonly<Record<string, keyof StoreLimits>> = { '--max-value': 'maxValue', '--max-keys': 'maxKeys', '--max-bytes': 'maxBytes' };

/** Parses `args`; throws an Error naming the bad argument and the usage. */
export function parseStorageArgs(argv: readonly string[]): StorageArgs {
  let dir = DEFAULT_DIR;
  let keyFile: string | undefined;
  const limits: { -readonly [K in keyof StoreLimits]: number } = { ...DEFAULT_LIMITS, maxValue: Math.min(DEFAULT_LIMITS.maxValue, MaxValue) };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined || value === '') throw new Error(`kl.SecureStorage: ${flag} needs a value; ${USAGE}`);
    if (flag === '--dir') dir = value;
    else if (flag === '--key') keyFile = value;
    else if (Object.hasOwn(LIMIT_FLAGS, flag)) {
      const n = Number(value);
      const max = flag === '--max-value' ? MaxValue : Number.MAX_SAFE_INTEGER;
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
        throw new Error(`kl.SecureStorage: ${flag} ${value}: expected an integer from 1 to ${max}${flag === '--max-value' ? ' (the IDL bound MaxValue)' : ''}`);
      }
      limits[LIMIT_FLAGS[flag]!] = n;
    } else throw new Error(`kl.SecureStorage: unknown argument ${JSON.stringify(flag)}; ${USAGE}`);
  }
  return { dir, keyFile, limits };
}
