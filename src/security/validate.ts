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
type Obj = Readonly<Record<string, unknown>>;

function found(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
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
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, found ${found(v)}`);
  return v;
}
function int(v: unknown, path: string, max = MAX_ID, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `expected an integer in ${min}..${max}, found ${found(v)}`);
  return v;
}
function strs(v: unknown, path: string): readonly string[] {
  return arr(v, path).map((s, i) => str(s, `${path}[${i}]`));
}
function oneOf(v: unknown, options: readonly string[], path: string): void {
  if (typeof v !== 'string' || !options.includes(v)) fail(path, `expected one of ${options.join(' ')}, found ${found(v)}`);
}
function unique(seen: Set<unknown>, v: unknown, path: string): void {
  if (seen.has(v)) fail(path, `duplicate ${typeof v === 'number' ? v : found(v)}`);
  seen.add(v);
}
function fields(v: unknown, path: string, check: (x: unknown, path: string) => void): void {
  const names = new Set<string>();
  arr(v, path).forEach((f, i) => {
    const at = `${path}[${i}]`, pair = arr(f, at);
    if (pair.length !== 2) fail(at, 'expected a [name, value] pair');
    unique(names, str(pair[0], `${at}[0]`), `${at}[0]`);
    check(pair[1], `${at}[1]`);
  });
}

function value(v: unknown, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) fail(path, 'nested too deeply');
  const x = obj(v, path), sub = (y: unknown, p: string) => value(y, p, depth + 1);
  switch (x.t) {
    case 'int': {
      if (typeof x.v !== 'string' || !/^-?(0|[1-9][0-9]{0,19})$/.test(x.v)) fail(`${path}.v`, `expected a decimal integer string, found ${found(x.v)}`);
      const n = BigInt(x.v);
      if (n < INT_MIN || n > INT_MAX) fail(`${path}.v`, 'integer outside the 64-bit range');
      return;
    }
    case 'text': str(x.v, `${path}.v`); return;
    case 'bool': if (typeof x.v !== 'boolean') fail(`${path}.v`, `expected a boolean, found ${found(x.v)}`); return;
    case 'unit': return;
    case 'list': arr(x.items, `${path}.items`).forEach((y, i) => sub(y, `${path}.items[${i}]`)); return;
    case 'dict': fields(x.fields, `${path}.fields`, sub); return;
  }
  fail(`${path}.t`, `unknown value tag ${found(x.t)}`);
}

function expr(v: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(path, 'nested too deeply');
  const e = obj(v, path), sub = (y: unknown, p: string) => expr(y, p, depth + 1);
  switch (e.k) {
    case 'lit': value(e.value, `${path}.value`); return;
    case 'list': arr(e.items, `${path}.items`).forEach((y, i) => sub(y, `${path}.items[${i}]`)); return;
    case 'dict': fields(e.fields, `${path}.fields`, sub); return;
    case 'src_sid': case 'dst_sid': case 'message': return;
    case 'field': sub(e.of, `${path}.of`); str(e.name, `${path}.name`); return;
    case 'index': sub(e.of, `${path}.of`); sub(e.index, `${path}.index`); return;
    case 'unary': oneOf(e.op, UNARY, `${path}.op`); sub(e.arg, `${path}.arg`); return;
    case 'binary': oneOf(e.op, BINARY, `${path}.op`); sub(e.left, `${path}.left`); sub(e.right, `${path}.right`); return;
    case 'call':
      str(e.object, `${path}.object`); str(e.method, `${path}.method`); str(e.origin, `${path}.origin`);
      sub(e.arg, `${path}.arg`);
      return;
    case 'builtin': oneOf(e.name, ['size'], `${path}.name`); sub(e.arg, `${path}.arg`); return;
  }
  fail(`${path}.k`, `unknown expression kind ${found(e.k)}`);
}

function selectors(v: unknown, path: string, nClasses: number): void {
  const s = obj(v, path);
  for (const k of ['src', 'dst'] as const) if (s[k] !== undefined) int(s[k], `${path}.${k}`, nClasses - 1);
  for (const k of ['interface', 'component', 'endpoint', 'method'] as const) if (s[k] !== undefined) str(s[k], `${path}.${k}`);
}

function stmts(v: unknown, path: string, nClasses: number, depth: number): void {
  if (depth > MAX_DEPTH) fail(path, 'nested too deeply');
  arr(v, path).forEach((x, i) => {
    const at = `${path}[${i}]`, s = obj(x, at);
    switch (s.k) {
      case 'rule':
        str(s.object, `${at}.object`); str(s.method, `${at}.method`); str(s.origin, `${at}.origin`);
        expr(s.arg, `${at}.arg`, depth + 1);
        return;
      case 'match':
        selectors(s.selectors, `${at}.selectors`, nClasses); str(s.origin, `${at}.origin`);
        stmts(s.body, `${at}.body`, nClasses, depth + 1);
        return;
      case 'choice':
        expr(s.on, `${at}.on`, depth + 1); str(s.origin, `${at}.origin`);
        arr(s.arms, `${at}.arms`).forEach((a, j) => {
          const arm = obj(a, `${at}.arms[${j}]`);
          if (arm.pattern !== undefined) value(arm.pattern, `${at}.arms[${j}].pattern`);
          stmts(arm.body, `${at}.arms[${j}].body`, nClasses, depth + 1);
        });
        return;
      case 'audit': str(s.profile, `${at}.profile`); return;
    }
    fail(`${at}.k`, `unknown statement kind ${found(s.k)}`);
  });
}

export function validatePolicy(ir: unknown): asserts ir is PolicyIR {
  const p = obj(ir, 'policy');
  if (p.version !== POLICY_IR_VERSION) fail('version', `expected ${POLICY_IR_VERSION}, found ${found(p.version)}`);
  const classes = arr(p.classes, 'classes'), classNames = new Set<unknown>();
  if (classes.length > MAX_ID) fail('classes', 'too many classes');
  classes.forEach((c, i) => {
    const at = `classes[${i}]`, o = obj(c, at), riids = new Set<unknown>();
    unique(classNames, str(o.name, `${at}.name`), `${at}.name`);
    arr(o.endpoints, `${at}.endpoints`).forEach((e, j) => {
      const ep = `${at}.endpoints[${j}]`, x = obj(e, ep);
      str(x.name, `${ep}.name`); str(x.interface, `${ep}.interface`);
      unique(riids, int(x.riid, `${ep}.riid`), `${ep}.riid`);
      if (strs(x.methods, `${ep}.methods`).length > MAX_ID) fail(`${ep}.methods`, 'too many methods');
    });
    if (o.securityInterface !== undefined) str(o.securityInterface, `${at}.securityInterface`);
    if (o.securityMethods !== undefined && strs(o.securityMethods, `${at}.securityMethods`).length > MAX_ID) fail(at, 'too many methods');
  });
  const objectNames = new Set<unknown>();
  arr(p.objects, 'objects').forEach((x, i) => {
    const at = `objects[${i}]`, o = obj(x, at);
    unique(objectNames, str(o.name, `${at}.name`), `${at}.name`);
    oneOf(o.model, MODEL_NAMES, `${at}.model`);
    if (o.config !== undefined) value(o.config, `${at}.config`);
    str(o.origin, `${at}.origin`);
  });
  arr(p.bindings, 'bindings').forEach((x, i) => {
    const at = `bindings[${i}]`, b = obj(x, at);
    oneOf(b.event, EVENT_KINDS, `${at}.event`);
    selectors(b.selectors, `${at}.selectors`, classes.length);
    stmts(b.body, `${at}.body`, classes.length, 0);
    str(b.origin, `${at}.origin`);
  });
  const profiles = new Set<unknown>();
  arr(p.auditProfiles, 'auditProfiles').forEach((x, i) => {
    const at = `auditProfiles[${i}]`, a = obj(x, at), levels = new Set<unknown>();
    unique(profiles, str(a.name, `${at}.name`), `${at}.name`);
    arr(a.levels, `${at}.levels`).forEach((l, j) => {
      const lat = `${at}.levels[${j}]`, lv = obj(l, lat);
      unique(levels, int(lv.level, `${lat}.level`, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER), `${lat}.level`);
      arr(lv.objects, `${lat}.objects`).forEach((y, k) => {
        const oat = `${lat}.objects[${k}]`, o = obj(y, oat);
        str(o.object, `${oat}.object`);
        arr(o.kss, `${oat}.kss`).forEach((s, m) => oneOf(s, ['granted', 'denied'], `${oat}.kss[${m}]`));
        strs(o.omit, `${oat}.omit`); strs(o.emit, `${oat}.emit`);
      });
    });
  });
  if (p.auditDefault !== undefined) {
    const d = obj(p.auditDefault, 'auditDefault');
    str(d.profile, 'auditDefault.profile');
    int(d.level, 'auditDefault.level', Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
  }
}
