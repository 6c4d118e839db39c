// Mic model (nk/mic.psl): mandatory integrity control. Every SID (subject or resource) gets a level
// = degree + category set; a level dominates another if both parts are ≥. Flows upward are denied.
import { PolicyError, asList, asText, getField, isDict, show, type Value } from '../values.ts';
import { Store, type Transaction } from '../state.ts';
import { sidOf } from './common.ts';
import type { ModelMethods } from './index.ts';

/** Levels are packed as degree * CAT + category bit mask (at most 30 categories). */
const CAT = 2 ** 30;

function names(v: Value, what: string, max: number): string[] {
  const list = asList(v, what).map(s => asText(s, what));
  if (new Set(list).size !== list.length || list.length > max) throw new PolicyError(`${what} must be distinct (at most ${max})`);
  return list;
}

export function micModel(config: Value, tx: Transaction): ModelMethods {
  const structured = isDict(config);
  const degrees = names(structured ? getField(config, 'degrees') : config, 'degrees', 1000);
  const categories = structured && Object.hasOwn(config, 'categories') ? names(getField(config, 'categories'), 'categories', 30) : [];
  if (degrees.length === 0) throw new PolicyError('at least one level is required');
  const indexIn = (list: string[], v: Value, what: string): number => {
    const i = list.indexOf(asText(v, what));
    if (i < 0) throw new PolicyError(`unknown ${what} ${show(v)}; known: [${list.join(', ')}]`);
    return i;
  };
  const parse = (v: Value): number => {
    if (!isDict(v)) return indexIn(degrees, v, 'level') * CAT;
    let mask = 0;
    if (Object.hasOwn(v, 'categories')) for (const c of asList(v.categories!, 'categories')) mask |= 1 << indexIn(categories, c, 'category');
    return indexIn(degrees, getField(v, 'degree'), 'degree') * CAT + mask;
  };
  const dominates = (a: number, b: number): boolean =>
    Math.floor(a / CAT) >= Math.floor(b / CAT) && ((b % CAT) & ~(a % CAT)) === 0;
  const cats = (l: number): string[] => categories.filter((_, i) => (l % CAT) & (1 << i));
  const levelName = (l: number): string => {
    const d = degrees[Math.floor(l / CAT)]!;
    return categories.length === 0 ? d : `${d} [${cats(l).join(', ')}]`;
  };

  const store = new Store<number>(tx);
  const levelOf = (a: Value, role: string): number => {
    const sid = sidOf(a, role), l = store.get(sid);
    if (l === undefined) throw new PolicyError(`no integrity level for ${role} sid ${sid}`);
    return l;
  };
  const label = (a: Value, level: number): string | undefined => {
    const sid = sidOf(a, 'target'), old = store.get(sid);
    if (old !== undefined) return `target sid ${sid} already has integrity level ${levelName(old)}`;
    store.set(sid, level);
  };
  /** A check that information may flow from the `from` participant to the `to` one. */
  const flow = (from: string, to: string) => (a: Value): string | undefined => {
    const f = levelOf(a, from), t = levelOf(a, to);
    if (!dominates(f, t)) return `flow from ${from} (${levelName(f)}) to ${to} (${levelName(t)}) would raise integrity`;
  };
  return {
    rules: {
      execute: a => {
        const level = parse(getField(a, 'level'));
        if (isDict(a) && Object.hasOwn(a, 'image')) {
          const image = levelOf(a, 'image');
          if (!dominates(image, level)) return `level ${levelName(level)} exceeds the image's level ${levelName(image)}`;
        }
        return label(a, level);
      },
      create: a => {
        const source = levelOf(a, 'source');
        const level = isDict(a) && Object.hasOwn(a, 'level') ? parse(getField(a, 'level')) : source;
        if (!dominates(source, level)) return `source (${levelName(source)}) cannot create a resource at ${levelName(level)}`;
        return label(a, level);
      },
      call: flow('target', 'source'),
      read: flow('target', 'source'),
      write: flow('source', 'target'),
      invoke: flow('source', 'target'),
    },
    exprs: {
      level: a => {
        const l = levelOf(a, 'sid'), degree = degrees[Math.floor(l / CAT)]!;
        if (!structured) return degree;
        return Object.assign(Object.create(null), { degree, categories: cats(l) }) as Value;
      },
    },
  };
}
