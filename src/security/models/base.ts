// Base model (nk/base.psl, object `base`): grant (), deny (), deny (b), assert (b).
import { asBool, type Value } from '../values.ts';
import type { ModelMethods } from './index.ts';

export function baseModel(): ModelMethods {
  return {
    rules: {
      grant: () => undefined,
      deny: (a: Value) => (a === null || asBool(a, 'deny') ? 'denied by policy' : undefined),
      assert: (a: Value) => (asBool(a, 'assert') ? undefined : 'assertion failed'),
    },
  };
}
