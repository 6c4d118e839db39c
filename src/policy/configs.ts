// Checks a policy object's `config` against what its security model needs.
import type { DiagnosticBag } from '../lang/diagnostics.ts';
import type { Span } from '../lang/source.ts';
import type { IrValue, ModelName } from '../security/ir.ts';
import { describeValue, dictGet, textList } from './values.ts';

export interface ObjectFacts {
  /** Flow: the declared states, for checking `enter`/`allow`/`choice` literals. */
  readonly states?: readonly string[];
}

function positiveInt(v: IrValue | undefined): boolean {
  return v?.t === 'int' && BigInt(v.v) > 0n && BigInt(v.v) <= 1_000_000n;
}

export function checkConfig(model: ModelName, config: IrValue | undefined, at: Span, diags: DiagnosticBag, object: string): ObjectFacts {
  const need = (what: string) => diags.error(at, `${model} object "${object}" needs config ${what}`);
  switch (model) {
    case 'Flow': {
      const states = textList(dictGet(config, 'states'));
      if (!states || states.length === 0) { need('{ states : ["a", …], initial : "a", transitions : { "a" : ["b"], … } }'); return {}; }
      const dup = states.find((s, i) => states.indexOf(s) !== i);
      if (dup !== undefined) diags.error(at, `Flow object "${object}": state "${dup}" is listed twice`);
      const initial = dictGet(config, 'initial');
      if (initial?.t !== 'text') diags.error(at, `Flow object "${object}" needs an "initial" state`);
      else if (!states.includes(initial.v)) diags.error(at, `Flow object "${object}": initial state "${initial.v}" is not one of its states [${states.join(', ')}]`);
      const transitions = dictGet(config, 'transitions');
      if (transitions !== undefined && transitions.t !== 'dict') diags.error(at, `Flow object "${object}": "transitions" must map each state to a list of states`);
      if (transitions?.t === 'dict') {
        for (const [from, to] of transitions.fields) {
          if (!states.includes(from)) diags.error(at, `Flow object "${object}": transition from unknown state "${from}" (states: [${states.join(', ')}])`);
          const targets = textList(to);
          if (!targets) { diags.error(at, `Flow object "${object}": transitions of "${from}" must be a list of states`); continue; }
          for (const t of targets) {
            if (!states.includes(t)) diags.error(at, `Flow object "${object}": transition "${from}" → "${t}" names an unknown state (states: [${states.join(', ')}])`);
          }
        }
      }
      return { states };
    }
    case 'HashSet':
      if (!positiveInt(dictGet(config, 'set_size')) || !positiveInt(dictGet(config, 'pool_size'))) need('{ set_size : <positive int>, pool_size : <positive int> }');
      return {};
    case 'StaticMap': {
      const keys = dictGet(config, 'keys');
      if (keys?.t !== 'dict' || keys.fields.length === 0 || !positiveInt(dictGet(config, 'pool_size'))) need('{ keys : { "k" : <default>, … }, pool_size : <positive int> }');
      return {};
    }
    case 'Mic': {
      const levels = textList(config);
      const degrees = textList(dictGet(config, 'degrees'));
      if (!(levels && levels.length > 0) && !(degrees && degrees.length > 0)) {
        need('["LOW", "MEDIUM", …] or { degrees : [ … ], categories : [ … ] }');
      }
      const categories = dictGet(config, 'categories');
      if (categories !== undefined && !textList(categories)) diags.error(at, `Mic object "${object}": "categories" must be a list of names`);
      return {};
    }
    default:
      if (config !== undefined && !(config.t === 'dict' && config.fields.length === 0)) {
        diags.error(at, `${model} object "${object}" takes no config, found ${describeValue(config)}`);
      }
      return {};
  }
}
