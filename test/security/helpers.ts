// Hand-built policy IR for the security module tests: a small solution (the ping example plus a
// class with a security interface) and terse builders for values, expressions and statements.
import type { EventKind, IrBinding, IrClass, IrExpr, IrObject, IrSelectors, IrStmt, IrValue, PolicyIR, SecurityEvent } from '../../src/security/ir.ts';

export const CORE = 0, EINIT = 1, CLIENT = 2, SERVER = 3, VERIFIER = 4;

export const CLASSES: readonly IrClass[] = [
  { name: 'kl.core.Core', endpoints: [] },
  { name: 'Einit', endpoints: [] },
  { name: 'Client', endpoints: [] },
  { name: 'Server', endpoints: [{ name: 'pingComp.pingImpl', riid: 0, interface: 'Ping', methods: ['Ping', 'Pong'], components: ['Ping'] }] },
  {
    name: 'Verifier',
    endpoints: [
      { name: 'store', riid: 0, interface: 'Store', methods: ['Get', 'Put'] },
      { name: 'admin.ctl', riid: 1, interface: 'Ctl', methods: ['Reset'], components: ['Admin'] },
    ],
    securityInterface: 'Approve',
    securityMethods: ['Check', 'Login'],
  },
];

/** A JS value as an IR value: numbers/bigints → int, strings → text, null → unit. */
export function val(v: unknown): IrValue {
  if (typeof v === 'number' || typeof v === 'bigint') return { t: 'int', v: String(v) };
  if (typeof v === 'string') return { t: 'text', v };
  if (typeof v === 'boolean') return { t: 'bool', v };
  if (v === null) return { t: 'unit' };
  if (Array.isArray(v)) return { t: 'list', items: v.map(val) };
  return { t: 'dict', fields: Object.entries(v as object).map(([k, x]) => [k, val(x)] as const) };
}

export const lit = (v: unknown): IrExpr => ({ k: 'lit', value: val(v) });
export const UNIT = lit(null);
export const srcSid: IrExpr = { k: 'src_sid' };
export const dstSid: IrExpr = { k: 'dst_sid' };
export const message: IrExpr = { k: 'message' };
export const msg = (name: string): IrExpr => ({ k: 'field', of: message, name });
export const field = (of: IrExpr, name: string): IrExpr => ({ k: 'field', of, name });
export const at = (of: IrExpr, index: IrExpr): IrExpr => ({ k: 'index', of, index });
export const list = (...items: IrExpr[]): IrExpr => ({ k: 'list', items });
export const dict = (fields: Record<string, IrExpr>): IrExpr => ({ k: 'dict', fields: Object.entries(fields) });
export const bin = (op: Extract<IrExpr, { k: 'binary' }>['op'], left: IrExpr, right: IrExpr): IrExpr => ({ k: 'binary', op, left, right });
export const un = (op: '!' | '-' | '~', arg: IrExpr): IrExpr => ({ k: 'unary', op, arg });
export const call = (object: string, method: string, arg: IrExpr, origin = 'test.psl:0:0'): IrExpr => ({ k: 'call', object, method, arg, origin });
export const size = (arg: IrExpr): IrExpr => ({ k: 'builtin', name: 'size', arg });

export const rule = (object: string, method: string, arg: IrExpr = UNIT, origin = 'test.psl:0:0'): IrStmt => ({ k: 'rule', object, method, arg, origin });
export const grant = (origin?: string): IrStmt => rule('base', 'grant', UNIT, origin);
export const deny = (origin?: string): IrStmt => rule('base', 'deny', UNIT, origin);
export const assert_ = (e: IrExpr, origin?: string): IrStmt => rule('base', 'assert', e, origin);
export const match = (selectors: IrSelectors, body: IrStmt[], origin = 'test.psl:0:0'): IrStmt => ({ k: 'match', selectors, body, origin });
export const choice = (on: IrExpr, arms: [unknown, IrStmt[]][], origin = 'test.psl:0:0'): IrStmt =>
  ({ k: 'choice', on, arms: arms.map(([p, body]) => ({ pattern: p === '_' ? undefined : val(p), body })), origin });
export const audit = (profile: string): IrStmt => ({ k: 'audit', profile });

export const bind = (event: EventKind, selectors: IrSelectors, body: IrStmt[], origin = 'test.psl:0:0'): IrBinding => ({ event, selectors, body, origin });
export const object = (name: string, model: IrObject['model'], config?: unknown): IrObject =>
  ({ name, model, config: config === undefined ? undefined : val(config), origin: `test.psl:${name}` });

export function policy(p: Partial<PolicyIR>): PolicyIR {
  return { version: 1, classes: CLASSES, objects: [], bindings: [], auditProfiles: [], auditDefault: undefined, ...p };
}

/** An event; `params` becomes the message thunk. SIDs default to class index + 100. */
export function event(kind: EventKind, src: number, dst: number, more: {
  srcSid?: number; dstSid?: number; riid?: number; mid?: number; params?: Record<string, unknown>; srcTask?: string; dstTask?: string;
} = {}): SecurityEvent {
  const { params, ...rest } = more;
  return {
    kind, srcClass: src, dstClass: dst, srcSid: src + 100, dstSid: dst + 100, ...rest,
    ...(params === undefined ? {} : { message: () => params }),
  };
}

export const ping = (params: Record<string, unknown> = { value: 1 }, dstSid = 103) =>
  event('request', CLIENT, SERVER, { riid: 0, mid: 0, params, dstSid });
export const pong = (params: Record<string, unknown> = { value: 1 }, dstSid = 103) =>
  event('request', CLIENT, SERVER, { riid: 0, mid: 1, params, dstSid });

/** The KasperskyOS ping example: Ping and Pong must alternate, tracked per server SID. */
export const FLOW_CONFIG = { states: ['ping_next', 'pong_next'], initial: 'ping_next', transitions: { ping_next: ['pong_next'], pong_next: ['ping_next'] } };
export function pingPolicy(extra: Partial<PolicyIR> = {}): PolicyIR {
  const enter = (state: string, origin: string) => rule('request_state', 'enter', dict({ sid: dstSid, state: lit(state) }), origin);
  return policy({
    objects: [object('request_state', 'Flow', FLOW_CONFIG)],
    bindings: [
      bind('execute', {}, [grant('security.psl:20:1')], 'security.psl:20:1'),
      bind('execute', { dst: SERVER }, [rule('request_state', 'init', dict({ sid: dstSid }), 'security.psl:21:5')], 'security.psl:21:1'),
      bind('request', { dst: SERVER, endpoint: 'pingComp.pingImpl', method: 'Ping' }, [enter('pong_next', 'security.psl:23:5')], 'security.psl:22:1'),
      bind('request', { dst: SERVER, endpoint: 'pingComp.pingImpl', method: 'Pong' }, [enter('ping_next', 'security.psl:25:5')], 'security.psl:24:1'),
    ],
    ...extra,
  });
}
