// Model state: per-SID contexts, staged during a decision and committed only if it is granted.
// Contexts are immutable values (copy-on-write), so a snapshot is a shallow copy of each map.

/** The decision in progress: which stores have staged changes. One per security module. */
export class Transaction {
  readonly stores: Store<unknown>[] = [];
  readonly dirty: Store<unknown>[] = [];

  // Most decisions touch no state: return before writing `length`, which is measurably costly.
  commit(): void {
    if (this.dirty.length === 0) return;
    for (const s of this.dirty) s.commit();
    this.dirty.length = 0;
  }
  abort(): void {
    if (this.dirty.length === 0) return;
    for (const s of this.dirty) s.abort();
    this.dirty.length = 0;
  }
  snapshot(): ReadonlyMap<bigint, unknown>[] {
    return this.stores.map(s => new Map(s.committed));
  }
  restore(maps: readonly ReadonlyMap<bigint, unknown>[]): void {
    this.abort();
    this.stores.forEach((s, i) => { s.committed = new Map(maps[i]); });
  }
}

/** One model object's contexts by SID. `undefined` staged = context removed (`fini`). */
export class Store<C> {
  committed = new Map<bigint, C>();
  private readonly staged = new Map<bigint, C | undefined>();
  private readonly tx: Transaction;

  constructor(tx: Transaction) {
    this.tx = tx;
    tx.stores.push(this as Store<unknown>);
  }

  get(sid: bigint): C | undefined {
    if (this.staged.size !== 0 && this.staged.has(sid)) return this.staged.get(sid);
    return this.committed.get(sid);
  }
  set(sid: bigint, c: C | undefined): void {
    if (this.staged.size === 0) this.tx.dirty.push(this as Store<unknown>);
    this.staged.set(sid, c);
  }
  /** Number of SIDs with a context, staged changes included (for `pool_size` limits). */
  size(): number {
    let n = this.committed.size;
    for (const [sid, c] of this.staged) {
      const had = this.committed.has(sid);
      if (had && c === undefined) n--;
      else if (!had && c !== undefined) n++;
    }
    return n;
  }
  commit(): void {
    for (const [sid, c] of this.staged) {
      if (c === undefined) this.committed.delete(sid);
      else this.committed.set(sid, c);
    }
    this.staged.clear();
  }
  abort(): void {
    this.staged.clear();
  }
}
