// Shape check of a policy IR before anything is built from it. The IR comes from a signed image,
// but a malformed one must fail the load with a message naming the bad path, never a decision.
import { POLICY_IR_VERSION, type PolicyIR } from './ir.ts';
import { MODEL_NAMES } from './models/index.ts';
import { EVENT_KINDS } from './selectors.ts';
import { INT_MAX, INT_MIN } from './values.ts';

const MAX_DEPTH = 100;
const MAX_ID = 0xffff;
const UNARY = ['!', '-', '~'];
const BINARY = ['==', '!=', '<', '<=', '>', '>=', '&&', '||', '==>', '+', '-', '*', '/', '%', '|', '&', '^', '<<', '>>'];

/** Checks one value at `path`; `depth` bounds the nesting of expressions and statements. */
type Check = (v: unknown, path: string, depth: number) => void;
type Obj = Readonly<Record<string, unknown>>;

function found(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
function fail(path: string, msg: string): never {
  throw new Error(`invalid policy IR at ${path}: ${msg}`);
}
function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, found ${found(v)}`);
  return v as Obj;
}
function arr(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, found ${found(v)}`);
  for (let i = 0; i < v.length; i++) if (!Object.hasOwn(v, i)) fail(path, `hole at index ${i}`);
  return v;
}
const str: Check = (v, path) => { if (typeof v !== 'string') fail(path, `expected a string, found ${found(v)}`); };
const optional = (check: Check): Check => (v, path, depth) => { if (v !== undefined) check(v, path, depth); };
const int = (min: number, max: number): Check => (v, path) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `expected an integer in ${min}..${max}, found ${found(v)}`);
};
const oneOf = (options: readonly string[]): Check => (v, path) => {
  if (typeof v !== 'string' || !options.includes(v)) fail(path, `expected one of ${options.join(' ')}, found ${found(v)}`);
};
const listOf = (check: Check, max = Infinity): Check => (v, path, depth) => {
  if (depth > MAX_DEPTH) fail(path, 'nested too deeply');
  const a = arr(v, path);
  if (a.length > max) fail(path, `more than ${max} items`);
  a.forEach((x, i) => check(x, `${path}[${i}]`, depth + 1));
};
/** Names in `key` must be unique across the list. */
const uniqueBy = (key: string, check: Check): Check => (v, path, depth) => {
  listOf(check)(v, path, depth);
  const seen = new Set<unknown>();
  (v as Obj[]).forEach((x, i) => {
    if (seen.has(x[key])) fail(`${path}[${i}].${key}`, `duplicate ${found(x[key])}`);
    seen.add(x[key]);
  });
};
/** `[name, value]` pairs with distinct names, as in IR dicts. */
const pairsOf = (check: Check): Check => uniqueBy('0', (v, path, depth) => {
  const pair = arr(v, path);
  if (pair.length !== 2) fail(path, 'expected a [name, value] pair');
  str(pair[0], `${path}[0]`, depth);
  check(pair[1], `${path}[1]`, depth);
});
/** An object whose fields are checked by `fields`, or a tagged union picked by its `tag` field. */
const record = (fields: Readonly<Record<string, Check>>): Check => (v, path, depth) => {
  const o = obj(v, path);
  for (const k of Object.keys(fields)) fields[k]!(o[k], path === '' ? k : `${path}.${k}`, depth);
};
const tagged = (tag: string, what: string, kinds: () => Readonly<Record<string, Readonly<Record<string, Check>>>>): Check => (v, path, depth) => {
  if (depth > MAX_DEPTH) fail(path, 'nested too deeply');
  const o = obj(v, path), table = kinds(), k = o[tag];
  if (typeof k !== 'string' || !Object.hasOwn(table, k)) fail(`${path}.${tag}`, `unknown ${what} ${found(k)}`);
  record(table[k]!)(o, path, depth + 1);
};

const intText: Check = (v, path) => {
  if (typeof v !== 'string' || !/^-?(0|[1-9][0-9]{0,19})$/.test(v)) fail(path, `expected a decimal integer string, found ${found(v)}`);
  if (BigInt(v) < INT_MIN || BigInt(v) > INT_MAX) fail(path, 'integer outside the 64-bit range');
};
const value: Check = tagged('t', 'value tag', () => ({
  int: { v: intText }, text: { v: str }, unit: {}, list: { items: listOf(value) }, dict: { fields: pairsOf(value) },
  bool: { v: (x, p) => { if (typeof x !== 'boolean') fail(p, `expected a boolean, found ${found(x)}`); } },
}));
const expr: Check = tagged('k', 'expression kind', () => ({
  lit: { value }, list: { items: listOf(expr) }, dict: { fields: pairsOf(expr) }, src_sid: {}, dst_sid: {}, message: {},
  field: { of: expr, name: str }, index: { of: expr, index: expr },
  unary: { op: oneOf(UNARY), arg: expr }, binary: { op: oneOf(BINARY), left: expr, right: expr },
  call: { object: str, method: str, origin: str, arg: expr }, builtin: { name: oneOf(['size']), arg: expr },
}));

export function validatePolicy(ir: unknown): asserts ir is PolicyIR {
  const p = obj(ir, 'policy');
  if (p.version !== POLICY_IR_VERSION) fail('version', `expected ${POLICY_IR_VERSION}, found ${found(p.version)}`);
  const classes = arr(p.classes, 'classes');
  const names = listOf(str, MAX_ID), level = int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const selectors = record({
    src: optional(int(0, classes.length - 1)), dst: optional(int(0, classes.length - 1)),
    interface: optional(str), component: optional(str), endpoint: optional(str), method: optional(str),
  });
  const stmt: Check = tagged('k', 'statement kind', () => ({
    rule: { object: str, method: str, origin: str, arg: expr },
    match: { selectors, body: listOf(stmt), origin: str },
    choice: { on: expr, origin: str, arms: listOf(record({ pattern: optional(value), body: listOf(stmt) })) },
    audit: { profile: str },
  }));
  const policy = record({
    classes: uniqueBy('name', record({
      name: str, securityInterface: optional(str), securityMethods: optional(names),
      endpoints: uniqueBy('riid', record({ name: str, interface: str, riid: int(0, MAX_ID), methods: names, components: optional(names) })),
    })),
    objects: uniqueBy('name', record({ name: str, model: oneOf(MODEL_NAMES), config: optional(value), origin: str })),
    bindings: listOf(record({ event: oneOf(EVENT_KINDS), selectors, body: listOf(stmt), origin: str })),
    auditProfiles: uniqueBy('name', record({
      name: str,
      levels: uniqueBy('level', record({
        level,
        objects: listOf(record({ object: str, kss: listOf(oneOf(['granted', 'denied'])), omit: listOf(str), emit: listOf(str) })),
      })),
    })),
    auditDefault: optional(record({ profile: str, level })),
  });
  if (classes.length > MAX_ID) fail('classes', 'too many classes');
  policy(p, '', 0);
}
