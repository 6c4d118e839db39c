// Struct model (object `struct`): dict field access (also HandleDesc `.handle`/`.rights` and
// `message.<param>`) and 0-based list indexing; a missing field or out-of-range index is an error.
import { PolicyError, asInt, asList, fromHost, getField, type Value } from '../values.ts';
import type { Evaluator } from '../expr.ts';
import type { ModelMethods } from './index.ts';

export function structModel(): ModelMethods {
  return {};
}

export function field(of: Evaluator, name: string): Evaluator {
  return cx => getField(of(cx), name);
}

/** `message.<name>`: normalizes only the field read, not the whole message. */
export function messageField(name: string): Evaluator {
  return cx => {
    const m = cx.message();
    if (!Object.hasOwn(m, name)) throw new PolicyError(`message has no field "${name}"`);
    return fromHost(m[name]);
  };
}

export function index(of: Evaluator, at: Evaluator): Evaluator {
  return cx => {
    const v = asList(of(cx), '[index]'), i = asInt(at(cx), '[index]');
    if (i < 0n || i >= BigInt(v.length)) throw new PolicyError(`index ${i} out of range (length ${v.length})`);
    return v[Number(i)]!;
  };
}
