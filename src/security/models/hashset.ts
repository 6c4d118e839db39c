// HashSet model (nk/hashmap.psl): a pool of at most `pool_size` sets, one per SID, each holding at
// most `set_size` entries. Sets are immutable maps (canonical key → entry), replaced on change.
import { PolicyError, getField, keyOf, type Value } from '../values.ts';
import { Store, type Transaction } from '../state.ts';
import { positive, sidOf } from './common.ts';
import type { ModelMethods } from './index.ts';

type Entries = ReadonlyMap<string, Value>;

export function hashSetModel(config: Value, tx: Transaction): ModelMethods {
  const setSize = positive(config, 'set_size'), poolSize = positive(config, 'pool_size');
  const store = new Store<Entries>(tx);
  const need = (sid: bigint): Entries => {
    const s = store.get(sid);
    if (s === undefined) throw new PolicyError(`no set attached to sid ${sid} (init not called)`);
    return s;
  };
  return {
    rules: {
      init: a => {
        const sid = sidOf(a);
        if (store.get(sid) !== undefined) return `a set is already attached to sid ${sid}`;
        if (store.size() >= poolSize) return `pool full (pool_size ${poolSize})`;
        store.set(sid, new Map());
      },
      fini: a => {
        const sid = sidOf(a);
        need(sid);
        store.set(sid, undefined);
      },
      add: a => {
        const sid = sidOf(a), set = need(sid), entry = getField(a, 'entry'), key = keyOf(entry);
        if (set.has(key)) return undefined;
        if (set.size >= setSize) return `set of sid ${sid} is full (set_size ${setSize})`;
        store.set(sid, new Map(set).set(key, entry));
      },
      remove: a => {
        const sid = sidOf(a), set = need(sid), key = keyOf(getField(a, 'entry'));
        if (!set.has(key)) return undefined;
        const next = new Map(set);
        next.delete(key);
        store.set(sid, next);
      },
    },
    exprs: { contains: a => need(sidOf(a)).has(keyOf(getField(a, 'entry'))) },
  };
}
