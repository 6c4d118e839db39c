// Pred model (basic.psl, object `pred`): comparisons (the binary operators) and `empty`.
import { PolicyError, asInt, equals, isDict, typeName, type Value } from '../values.ts';
import type { ModelMethods } from './index.ts';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export function compare(op: CompareOp, a: Value, b: Value): boolean {
  switch (op) {
    case '==': return equals(a, b);
    case '!=': return !equals(a, b);
  }
  const x = asInt(a, op), y = asInt(b, op);
  switch (op) {
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
  }
}

export function predModel(): ModelMethods {
  return {
    exprs: {
      empty: (a: Value) => {
        if (a === null) return true;
        if (typeof a === 'string' || Array.isArray(a)) return a.length === 0;
        if (isDict(a)) return Object.keys(a).length === 0;
        throw new PolicyError(`type mismatch: pred.empty expects Text, List or Dict, got ${typeName(a)}`);
      },
    },
  };
}
