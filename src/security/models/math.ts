// Math model (basic.psl, object `math`): arithmetic and bitwise operators, neg, abs, sum, product,
// and range-checked casts. Results must stay within SInt64 ∪ UInt64; division by zero is an error.
import { PolicyError, asInt, asList, checkRange, type Value } from '../values.ts';
import type { ModelMethods } from './index.ts';

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '|' | '&' | '^' | '<<' | '>>';

export function arith(op: ArithOp, a: Value, b: Value): bigint {
  const x = asInt(a, op), y = asInt(b, op);
  switch (op) {
    case '+': return checkRange(x + y);
    case '-': return checkRange(x - y);
    case '*': return checkRange(x * y);
    case '/': case '%':
      if (y === 0n) throw new PolicyError(`division by zero: ${x} ${op} 0`);
      return op === '/' ? x / y : x % y;
    case '|': return x | y;
    case '&': return x & y;
    case '^': return x ^ y;
    case '<<': case '>>':
      if (y < 0n || y > 63n) throw new PolicyError(`shift count ${y} outside 0..63`);
      return op === '<<' ? checkRange(x << y) : x >> y;
  }
}

export const neg = (v: Value): bigint => checkRange(-asInt(v, 'neg'));
/** Two's-complement NOT (bigint semantics), so `rights & ~mask` clears exactly `mask`. */
export const bitNot = (v: Value): bigint => ~asInt(v, '~');

function cast(name: string, min: bigint, max: bigint) {
  return (v: Value): bigint => {
    const n = asInt(v, name);
    if (n < min || n > max) throw new PolicyError(`${n} out of range ${min}..${max}`);
    return n;
  };
}

export function mathModel(): ModelMethods {
  const exprs: Record<string, (a: Value) => Value> = {
    neg,
    abs: v => { const n = asInt(v, 'math.abs'); return n < 0n ? checkRange(-n) : n; },
    sum: v => asList(v, 'math.sum').reduce<bigint>((s, x) => checkRange(s + asInt(x, 'math.sum')), 0n),
    product: v => asList(v, 'math.product').reduce<bigint>((p, x) => checkRange(p * asInt(x, 'math.product')), 1n),
  };
  for (const bits of [8n, 16n, 32n, 64n]) {
    exprs[`uint${bits}`] = cast(`uint${bits}`, 0n, (1n << bits) - 1n);
    exprs[`sint${bits}`] = cast(`sint${bits}`, -(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n);
  }
  return { exprs };
}
