// Regex model (nk/regex.psl, object `re`): match {text, pattern} and select {text}, whose value a
// `choice` tests against its arms' patterns. Patterns are JavaScript regular expressions, no flags.
import { PolicyError, asText, getField, type Value } from '../values.ts';
import type { ModelMethods } from './index.ts';

const CACHE_LIMIT = 256;

/** Compiles a pattern or throws PolicyError. */
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new PolicyError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

export function regexModel(): ModelMethods {
  const cache = new Map<string, RegExp>();
  const regex = (pattern: string): RegExp => {
    let re = cache.get(pattern);
    if (re === undefined) {
      re = compilePattern(pattern);
      if (cache.size < CACHE_LIMIT) cache.set(pattern, re);
    }
    return re;
  };
  return {
    exprs: {
      match: (a: Value) => regex(asText(getField(a, 'pattern'), 're.match')).test(asText(getField(a, 'text'), 're.match')),
      select: (a: Value) => asText(getField(a, 'text'), 're.select'),
    },
  };
}
