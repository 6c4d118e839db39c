// Security model objects: the shape every model factory returns and the registry by model name.
// A factory runs once at load time; the closures it returns are the run-time methods.
import type { IrObject, ModelName } from '../ir.ts';
import type { Transaction } from '../state.ts';
import { fromIr, type Value } from '../values.ts';
import { baseModel } from './base.ts';
import { predModel } from './pred.ts';
import { boolModel } from './bool.ts';
import { mathModel } from './math.ts';
import { structModel } from './struct.ts';
import { regexModel } from './regex.ts';
import { hashSetModel } from './hashset.ts';
import { staticMapModel } from './staticmap.ts';
import { flowModel } from './flow.ts';
import { micModel } from './mic.ts';

/** A rule: `undefined` = granted, a string = denied, saying why. Throws PolicyError on errors. */
export type RuleFn = (arg: Value) => string | undefined;
/** An expression method: returns a value or throws PolicyError. */
export type ExprFn = (arg: Value) => Value;

export interface ModelMethods {
  readonly rules?: Readonly<Record<string, RuleFn>>;
  readonly exprs?: Readonly<Record<string, ExprFn>>;
  /** The context's current state name, for audit `omit` (Flow). Never throws. */
  readonly stateOf?: (arg: Value) => string | undefined;
}

export interface ModelObject {
  readonly name: string;
  readonly model: ModelName;
  readonly rules: ReadonlyMap<string, RuleFn>;
  readonly exprs: ReadonlyMap<string, ExprFn>;
  readonly stateOf: ((arg: Value) => string | undefined) | undefined;
}

const FACTORIES: Readonly<Record<ModelName, (config: Value, tx: Transaction) => ModelMethods>> = {
  Base: baseModel, Pred: predModel, Bool: boolModel, Math: mathModel, Struct: structModel,
  Regex: regexModel, HashSet: hashSetModel, StaticMap: staticMapModel, Flow: flowModel, Mic: micModel,
};
export const MODEL_NAMES = Object.keys(FACTORIES) as readonly ModelName[];

/** Objects every policy gets unless the IR declares an object of the same name. */
export const DEFAULT_OBJECTS: readonly (readonly [string, ModelName])[] = [
  ['base', 'Base'], ['pred', 'Pred'], ['bool', 'Bool'], ['math', 'Math'], ['struct', 'Struct'], ['re', 'Regex'],
];

export function createObject(o: IrObject, tx: Transaction): ModelObject {
  let m: ModelMethods;
  try {
    m = FACTORIES[o.model](o.config === undefined ? null : fromIr(o.config), tx);
  } catch (e) {
    throw new Error(`policy object ${o.name} (${o.origin}): bad config: ${(e as Error).message}`);
  }
  return {
    name: o.name, model: o.model, stateOf: m.stateOf,
    rules: new Map(Object.entries(m.rules ?? {})), exprs: new Map(Object.entries(m.exprs ?? {})),
  };
}
