// Argument and config helpers shared by the stateful models.
import { PolicyError, asInt, getField, type Value } from '../values.ts';

/** `arg.sid` (or another SID-valued field) as a context key. */
export function sidOf(arg: Value, name = 'sid'): bigint {
  return asInt(getField(arg, name), name);
}

/** A positive integer config field such as `pool_size`. */
export function positive(config: Value, name: string): number {
  const n = asInt(getField(config, name), name);
  if (n < 1n || n > 1_000_000n) throw new PolicyError(`${name} must be in 1..1000000, got ${n}`);
  return Number(n);
}
