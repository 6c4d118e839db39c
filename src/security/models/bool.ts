// Bool model (basic.psl, object `bool`): logical operators (short-circuit), all, any, cond, assert.
import { asBool, asList, getField, type Value } from '../values.ts';
import type { Evaluator } from '../expr.ts';
import type { ModelMethods } from './index.ts';

export type LogicOp = '&&' | '||' | '==>';

export function logic(op: LogicOp, l: Evaluator, r: Evaluator): Evaluator {
  switch (op) {
    case '&&': return cx => asBool(l(cx), op) && asBool(r(cx), op);
    case '||': return cx => asBool(l(cx), op) || asBool(r(cx), op);
    case '==>': return cx => !asBool(l(cx), op) || asBool(r(cx), op);
  }
}

export function boolModel(): ModelMethods {
  return {
    rules: { assert: (a: Value) => (asBool(a, 'bool.assert') ? undefined : 'assertion failed') },
    exprs: {
      all: (a: Value) => asList(a, 'bool.all').every(b => asBool(b, 'bool.all')),
      any: (a: Value) => asList(a, 'bool.any').some(b => asBool(b, 'bool.any')),
      cond: (a: Value) => (asBool(getField(a, 'if'), 'bool.cond') ? getField(a, 'then') : getField(a, 'else')),
    },
  };
}
