// Flow model (nk/flow.psl): a finite-state machine per SID. Transitions are a pre-built n×n table;
// a context is just the current state's index.
import { PolicyError, asList, asText, getField, isDict, show, type Value } from '../values.ts';
import { Store, type Transaction } from '../state.ts';
import { sidOf } from './common.ts';
import type { ModelMethods } from './index.ts';

export function flowModel(config: Value, tx: Transaction): ModelMethods {
  const states = asList(getField(config, 'states'), 'states').map(s => asText(s, 'states'));
  const index = new Map(states.map((s, i) => [s, i]));
  if (states.length === 0 || index.size !== states.length) throw new PolicyError('states must be distinct and non-empty');
  const stateIndex = (v: Value): number => {
    const i = index.get(asText(v, 'state'));
    if (i === undefined) throw new PolicyError(`unknown state ${show(v)}; states: [${states.join(', ')}]`);
    return i;
  };
  const initial = stateIndex(getField(config, 'initial'));
  const n = states.length, allowed = new Uint8Array(n * n);
  const targets: string[][] = states.map(() => []);
  const table = getField(config, 'transitions');
  if (!isDict(table)) throw new PolicyError('transitions must be a dict');
  for (const from of Object.keys(table)) {
    const f = stateIndex(from);
    for (const to of asList(table[from]!, 'transitions')) {
      const t = stateIndex(to);
      if (allowed[f * n + t] === 0) targets[f]!.push(states[t]!);
      allowed[f * n + t] = 1;
    }
  }

  const store = new Store<number>(tx);
  const current = (sid: bigint): number => {
    const s = store.get(sid);
    if (s === undefined) throw new PolicyError(`FSM not initialised for sid ${sid}`);
    return s;
  };
  return {
    rules: {
      init: a => {
        const sid = sidOf(a), s = store.get(sid);
        if (s !== undefined) return `FSM already attached to sid ${sid} (state ${states[s]})`;
        store.set(sid, initial);
      },
      fini: a => {
        const sid = sidOf(a);
        current(sid);
        store.set(sid, undefined);
      },
      enter: a => {
        const sid = sidOf(a), from = current(sid), to = stateIndex(getField(a, 'state'));
        if (allowed[from * n + to] === 0) {
          return `transition ${states[from]} → ${states[to]} not allowed; allowed from ${states[from]}: [${targets[from]!.join(', ')}]`;
        }
        if (from !== to) store.set(sid, to);
      },
      allow: a => {
        const sid = sidOf(a), s = current(sid);
        const ok = asList(getField(a, 'states'), 'states').map(stateIndex);
        if (!ok.includes(s)) return `state ${states[s]} not in [${ok.map(i => states[i]).join(', ')}]`;
      },
    },
    exprs: { query: a => states[current(sidOf(a))]! },
    stateOf: a => {
      const s = isDict(a) && typeof a.sid === 'bigint' ? store.get(a.sid) : undefined;
      return s === undefined ? undefined : states[s];
    },
  };
}
