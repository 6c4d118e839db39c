// StaticMap model (nk/staticmap.psl): per-SID table over a fixed key set, with a base and a working
// copy; `set` writes the working copy, `commit`/`rollback` copy one over the other.
import { PolicyError, asList, getField, isDict, keyOf, show, type Value } from '../values.ts';
import { Store, type Transaction } from '../state.ts';
import { positive, sidOf } from './common.ts';
import type { ModelMethods } from './index.ts';

interface Table {
  readonly base: readonly Value[];
  readonly work: readonly Value[];
}

export function staticMapModel(config: Value, tx: Transaction): ModelMethods {
  const poolSize = positive(config, 'pool_size');
  const keys = getField(config, 'keys');
  const pairs: (readonly [Value, Value])[] = isDict(keys)
    ? Object.keys(keys).map(k => [k, keys[k]!] as const)
    : asList(keys, 'keys').map(p => { const [k, v] = asList(p, 'keys entry'); return [k!, v!] as const; });
  const slot = new Map(pairs.map(([k], i) => [keyOf(k), i]));
  if (slot.size !== pairs.length || pairs.some(p => p[1] === undefined)) throw new PolicyError('keys must be distinct [key, default] pairs');
  const defaults = pairs.map(p => p[1]);
  const store = new Store<Table>(tx);

  const need = (a: Value): [bigint, Table] => {
    const sid = sidOf(a), t = store.get(sid);
    if (t === undefined) throw new PolicyError(`no map attached to sid ${sid} (init not called)`);
    return [sid, t];
  };
  const slotOf = (a: Value): number => {
    const key = getField(a, 'key'), i = slot.get(keyOf(key));
    if (i === undefined) throw new PolicyError(`unknown key ${show(key)}`);
    return i;
  };
  return {
    rules: {
      init: a => {
        const sid = sidOf(a);
        if (store.get(sid) !== undefined) return `a map is already attached to sid ${sid}`;
        if (store.size() >= poolSize) return `pool full (pool_size ${poolSize})`;
        store.set(sid, { base: defaults, work: defaults });
      },
      fini: a => { store.set(need(a)[0], undefined); },
      set: a => {
        const [sid, t] = need(a), i = slotOf(a), work = t.work.slice();
        work[i] = getField(a, 'value');
        store.set(sid, { base: t.base, work });
      },
      commit: a => { const [sid, t] = need(a); store.set(sid, { base: t.work, work: t.work }); },
      rollback: a => { const [sid, t] = need(a); store.set(sid, { base: t.base, work: t.base }); },
    },
    exprs: {
      get: a => need(a)[1].base[slotOf(a)]!,
      get_uncommited: a => need(a)[1].work[slotOf(a)]!,
    },
  };
}
