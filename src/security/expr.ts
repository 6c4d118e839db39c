// Expression compiler: turns an IR expression tree into nested closures, once, at load time.
// Evaluation throws PolicyError on any error (the engine turns it into a denial).
import type { IrBinaryOp, IrExpr, Origin, SecurityEvent } from './ir.ts';
import type { ModelObject } from './models/index.ts';
import type { TraceEntry } from './audit.ts';
import { PolicyError, asBool, fromHost, fromIr, typeName, type Value } from './values.ts';
import { compare } from './models/pred.ts';
import { logic } from './models/bool.ts';
import { arith, bitNot, neg } from './models/math.ts';
import { field, index, messageField } from './models/struct.ts';

/** What an expression can see while a decision is being made. */
export interface EvalContext {
  readonly event: SecurityEvent;
  /** The event's raw message params, fetched at most once per decision. */
  message(): Readonly<Record<string, unknown>>;
  /** Rule and expression results for audit, when the active audit configuration wants them. */
  trace: TraceEntry[] | undefined;
  /** Audit profile in effect (index), switched by `audit` statements. */
  profile: number;
}

export type Evaluator = (cx: EvalContext) => Value;
export type Objects = ReadonlyMap<string, ModelObject>;

/** Calls a model method, prefixing its errors with `object.method: `. */
export function invoke<T>(fn: (a: Value) => T, arg: Value, object: string, method: string): T {
  try {
    return fn(arg);
  } catch (e) {
    throw e instanceof PolicyError ? new PolicyError(`${object}.${method}: ${e.message}`) : e;
  }
}

/** Finds a model method or fails the load with a message naming the source location. */
export function lookup<F>(objects: Objects, object: string, method: string, kind: 'rules' | 'exprs', origin: Origin): [ModelObject, F] {
  const o = objects.get(object);
  if (o === undefined) throw new Error(`${origin}: unknown policy object "${object}"`);
  const fn = o[kind].get(method);
  if (fn === undefined) {
    const what = kind === 'rules' ? 'rule' : 'expression';
    throw new Error(`${origin}: ${o.model} object "${object}" has no ${what} method "${method}" (has: ${[...o[kind].keys()].join(', ') || 'none'})`);
  }
  return [o, fn as F];
}

export function compileExpr(e: IrExpr, objects: Objects): Evaluator {
  const sub = (x: IrExpr): Evaluator => compileExpr(x, objects);
  switch (e.k) {
    case 'lit': {
      const v = fromIr(e.value);
      return () => v;
    }
    case 'list': {
      const items = e.items.map(sub);
      return cx => items.map(f => f(cx));
    }
    case 'dict': {
      const names = e.fields.map(f => f[0]), values = e.fields.map(f => sub(f[1]));
      return cx => {
        const d: Record<string, Value> = Object.create(null);
        for (let i = 0; i < names.length; i++) d[names[i]!] = values[i]!(cx);
        return d;
      };
    }
    case 'src_sid': return cx => BigInt(cx.event.srcSid);
    case 'dst_sid': return cx => BigInt(cx.event.dstSid);
    case 'message': return cx => fromHost(cx.message());
    case 'field': return e.of.k === 'message' ? messageField(e.name) : field(sub(e.of), e.name);
    case 'index': return index(sub(e.of), sub(e.index));
    case 'unary': return unary(e.op, sub(e.arg));
    case 'binary': return binary(e.op, sub(e.left), sub(e.right));
    case 'call': {
      const [, fn] = lookup<(a: Value) => Value>(objects, e.object, e.method, 'exprs', e.origin);
      const arg = sub(e.arg), { object, method, origin } = e;
      return cx => {
        const value = invoke(fn, arg(cx), object, method);
        if (cx.trace !== undefined) cx.trace.push({ profile: cx.profile, object, method, origin, value });
        return value;
      };
    }
    case 'builtin': {
      const arg = sub(e.arg);
      return cx => size(arg(cx));
    }
  }
}

function unary(op: '!' | '-' | '~', arg: Evaluator): Evaluator {
  switch (op) {
    case '!': return cx => !asBool(arg(cx), '!');
    case '-': return cx => neg(arg(cx));
    case '~': return cx => bitNot(arg(cx));
  }
}

function binary(op: IrBinaryOp, l: Evaluator, r: Evaluator): Evaluator {
  switch (op) {
    case '==': case '!=': case '<': case '<=': case '>': case '>=':
      return cx => compare(op, l(cx), r(cx));
    case '&&': case '||': case '==>':
      return logic(op, l, r);
    default:
      return cx => arith(op, l(cx), r(cx));
  }
}

/** `size(x)`: UTF-8 bytes of a Text, items of a List, fields of a Dict. */
function size(v: Value): bigint {
  if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
  if (Array.isArray(v)) return BigInt(v.length);
  if (typeof v === 'object' && v !== null) return BigInt(Object.keys(v).length);
  throw new PolicyError(`type mismatch: size expects Text, List or Dict, got ${typeName(v)}`);
}
