// The security models' method signatures as the compiler checks them: which methods exist, whether
// each is a rule (grants or denies) or an expression (yields a value), and the argument it takes.
import type { ModelName } from '../security/ir.ts';

/** Static value kinds the checker tracks; `any` when it cannot know. */
export type ValueKind = 'int' | 'text' | 'bool' | 'sid' | 'list' | 'dict' | 'unit' | 'any';

/** Argument shapes: a single value of a kind, or a record with named fields. */
export type ArgShape =
  | { readonly kind: 'value'; readonly accepts: readonly ValueKind[] }
  | { readonly kind: 'record'; readonly required: Readonly<Record<string, ValueKind>>; readonly optional?: Readonly<Record<string, ValueKind>> };

export interface MethodSignature {
  readonly role: 'rule' | 'expr';
  readonly arg: ArgShape;
  /** Kind of value an expression method yields. */
  readonly yields?: ValueKind;
}

const unit: ArgShape = { kind: 'value', accepts: ['unit'] };
const bool: ArgShape = { kind: 'value', accepts: ['bool'] };
const int: ArgShape = { kind: 'value', accepts: ['int'] };
const list: ArgShape = { kind: 'value', accepts: ['list'] };
const anyValue: ArgShape = { kind: 'value', accepts: ['any'] };
const sid = (extra: Record<string, ValueKind> = {}, optional?: Record<string, ValueKind>): ArgShape =>
  ({ kind: 'record', required: { sid: 'sid', ...extra }, ...(optional ? { optional } : {}) });
const rule = (arg: ArgShape): MethodSignature => ({ role: 'rule', arg });
const expr = (arg: ArgShape, yields: ValueKind): MethodSignature => ({ role: 'expr', arg, yields });

const CASTS = ['uint8', 'uint16', 'uint32', 'uint64', 'sint8', 'sint16', 'sint32', 'sint64'];

export const MODEL_METHODS: Readonly<Record<ModelName, Readonly<Record<string, MethodSignature>>>> = {
  Base: {
    grant: rule(unit),
    deny: rule({ kind: 'value', accepts: ['unit', 'bool'] }),
    assert: rule(bool),
  },
  Pred: { empty: expr(anyValue, 'bool') },
  Bool: {
    all: expr(list, 'bool'),
    any: expr(list, 'bool'),
    cond: expr({ kind: 'record', required: { if: 'bool', then: 'any', else: 'any' } }, 'any'),
    assert: rule(bool),
  },
  Math: {
    neg: expr(int, 'int'),
    abs: expr(int, 'int'),
    sum: expr(list, 'int'),
    product: expr(list, 'int'),
    ...Object.fromEntries(CASTS.map((c) => [c, expr(int, 'int')])),
  },
  Struct: {},
  Regex: {
    match: expr({ kind: 'record', required: { text: 'text', pattern: 'text' } }, 'bool'),
    select: expr({ kind: 'record', required: { text: 'text' } }, 'text'),
  },
  HashSet: {
    init: rule(sid()),
    fini: rule(sid()),
    add: rule(sid({ entry: 'any' })),
    remove: rule(sid({ entry: 'any' })),
    contains: expr(sid({ entry: 'any' }), 'bool'),
  },
  StaticMap: {
    init: rule(sid()),
    fini: rule(sid()),
    set: rule(sid({ key: 'any', value: 'any' })),
    commit: rule(sid()),
    rollback: rule(sid()),
    get: expr(sid({ key: 'any' }), 'any'),
    get_uncommited: expr(sid({ key: 'any' }), 'any'),
  },
  Flow: {
    init: rule(sid()),
    fini: rule(sid()),
    enter: rule(sid({ state: 'text' })),
    allow: rule(sid({ states: 'list' })),
    query: expr(sid(), 'text'),
  },
  Mic: {
    execute: rule({ kind: 'record', required: { target: 'sid', level: 'any' }, optional: { image: 'sid' } }),
    create: rule({ kind: 'record', required: { source: 'sid', target: 'sid' }, optional: { level: 'any', container: 'any', driver: 'any' } }),
    call: rule({ kind: 'record', required: { source: 'sid', target: 'sid' } }),
    invoke: rule({ kind: 'record', required: { source: 'sid', target: 'sid' } }),
    read: rule({ kind: 'record', required: { source: 'sid', target: 'sid' } }),
    write: rule({ kind: 'record', required: { source: 'sid', target: 'sid' } }),
    level: expr({ kind: 'record', required: { sid: 'sid' } }, 'any'),
  },
};

export const MODEL_NAMES = Object.keys(MODEL_METHODS) as ModelName[];

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(MODEL_METHODS, name);
}
