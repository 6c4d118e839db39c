// The stream of messages one fuzz run sends: round-robin over the target's methods (and the channels
// into it), each a valid request drawn from the IDL, mutated seven times in ten. Deterministic for
// a seed: the same seed sends the same messages in the same order.
import fc from 'fast-check';
import { ValueArbitraries } from './arbitraries.ts';
import { encodeMessage, Layout, type Encoded, type WireValue } from './encode.ts';
import type { FuzzMessage } from './message.ts';
import { applyMutation, mutationArb, type MethodInfo, type Mutation, type MutationContext } from './mutations.ts';
import type { FuzzSetup, FuzzTarget, Route } from './target.ts';

/** Draws per fast-check sample call. */
const BATCH = 64;

interface MethodSource {
  readonly method: MethodInfo;
  readonly arb: fc.Arbitrary<readonly [readonly WireValue[] | null, Mutation | null]>;
  batch: number;
  queue: (readonly [readonly WireValue[] | null, Mutation | null])[];
}

export class MessageSource {
  readonly #target: FuzzTarget;
  readonly #layout: Layout;
  readonly #seed: number;
  readonly #sources: MethodSource[];
  readonly #contexts: Map<string, MutationContext>;
  #step = 0;

  constructor(setup: FuzzSetup, target: FuzzTarget, seed: number) {
    this.#target = target;
    this.#seed = seed | 0;
    this.#layout = new Layout(setup.wire);
    const values = new ValueArbitraries(this.#layout);
    const step = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 7, arbitrary: mutationArb });
    this.#sources = target.methods.map((method) => {
      let value: fc.Arbitrary<readonly WireValue[] | null>;
      try {
        value = values.message(method.request);
      } catch {
        value = fc.constant(null); // no valid value exists (an empty union): mutate zeros
      }
      return { method, arb: fc.tuple(value, step), batch: 0, queue: [] };
    });
    this.#contexts = new Map(target.routes.map((r) => {
      const own = setup.plan.channels.filter((c) => c.client === r.client).map((c) => c.handle);
      return [r.client, { methodCounts: target.methodCounts, channelHandle: r.handle, ownHandles: own }];
    }));
  }

  /** Encodes a valid value of `method` (the layout map included). */
  encode(method: MethodInfo, value: readonly WireValue[] | null): Encoded {
    if (value === null) return { payload: new Uint8Array(method.request.fixed), marks: [] };
    return encodeMessage(this.#layout, method.request, value);
  }

  /** The next message; `validOnly`: its valid form, whatever mutation was drawn for it. */
  next(validOnly = false): { route: Route; message: FuzzMessage } {
    const n = this.#step++;
    const index = n % this.#sources.length;
    const source = this.#sources[index]!;
    const route = this.#target.routes[Math.floor(n / this.#sources.length) % this.#target.routes.length]!;
    if (source.queue.length === 0) {
      const seed = (Math.imul(this.#seed ^ 0x5bd1e995, 31) + Math.imul(index + 1, 1000003) + Math.imul(source.batch++, 7919)) | 0;
      source.queue = fc.sample(source.arb, { seed, numRuns: BATCH }).reverse();
    }
    const [value, mutation] = source.queue.pop()!;
    const base = this.encode(source.method, value);
    const { method } = source;
    const message: FuzzMessage = mutation === null || validOnly
      ? { riid: method.riid, mid: method.mid, payload: base.payload, handles: [], header: {}, origin: value === null ? 'zeros' : 'valid', method: { riid: method.riid, mid: method.mid } }
      : applyMutation(base, method, mutation, this.#contexts.get(route.client)!);
    return { route, message };
  }
}
