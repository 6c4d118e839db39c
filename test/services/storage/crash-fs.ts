// An in-memory StorageFs that models power loss. File data is durable when writeFile returns (the
// StorageFs contract: fsync or O_SYNC); directory entries (create, rename, unlink, mkdir) are
// volatile until syncDir of their directory. `crashAt` makes the n-th operation the last one: a
// writeFile then leaves a partial file, anything else has no effect, and every later call throws.
// `reboot` gives the disk as it would be found after the crash: the durable entries plus a chosen
// prefix of the unsynced entry changes (a journal commits in order; how far it got is the choice).

export class Crash extends Error {
  constructor() {
    super('simulated power loss');
    this.name = 'Crash';
  }
}

interface Inode {
  data: Uint8Array;
}
type Entry = { readonly kind: 'file'; readonly inode: Inode } | { readonly kind: 'dir'; readonly dir: Dir };
interface Dir {
  readonly current: Map<string, Entry>;
  readonly durable: Map<string, Entry>;
}
/** One atomic change of a directory's entries, not yet durable. */
interface Pending {
  readonly dir: Dir;
  readonly changes: readonly (readonly [string, Entry | undefined])[];
}

const newDir = (): Dir => ({ current: new Map(), durable: new Map() });

export class CrashFs {
  readonly durableDirs: boolean;
  ops = 0;
  crashed = false;
  readonly #crashAt: number;
  readonly #partial: number;
  readonly #root: Dir;
  readonly #pending: Pending[] = [];
  readonly #syncDirs: boolean;

  /**
   * `crashAt`: the operation number (1-based) that is cut short (0: never). `partial`: the fraction
   * of a cut-short writeFile's data that reaches the disk. `syncDirs: false` makes syncDir a no-op.
   */
  constructor(options: { crashAt?: number; partial?: number; syncDirs?: boolean; durableDirs?: boolean; root?: Dir } = {}) {
    this.#crashAt = options.crashAt ?? 0;
    this.#partial = options.partial ?? 0.5;
    this.#syncDirs = options.syncDirs ?? true;
    this.durableDirs = options.durableDirs ?? this.#syncDirs;
    this.#root = options.root ?? newDir();
  }

  /** The disk after the crash, with the first `keep` of the unsynced entry changes (Infinity: all). */
  reboot(keep: number, options: { crashAt?: number; syncDirs?: boolean; durableDirs?: boolean } = {}): CrashFs {
    const pending = this.#pending.slice(0, keep);
    for (const p of pending) for (const [name, entry] of p.changes) entry ? p.dir.durable.set(name, entry) : p.dir.durable.delete(name);
    const copy = (d: Dir): Dir => {
      const out = newDir();
      for (const [name, e] of d.durable) {
        const c: Entry = e.kind === 'file' ? { kind: 'file', inode: { data: e.inode.data.slice() } } : { kind: 'dir', dir: copy(e.dir) };
        out.current.set(name, c);
        out.durable.set(name, c);
      }
      return out;
    };
    return new CrashFs({ ...options, root: copy(this.#root) });
  }

  /** How many entry changes were unsynced at the crash. */
  get unsynced(): number {
    return this.#pending.length;
  }

  #step(): boolean {
    if (this.crashed) throw new Crash();
    this.ops++;
    if (this.ops === this.#crashAt) {
      this.crashed = true;
      return true;
    }
    return false;
  }

  #lookup(path: string): { parent: Dir | undefined; name: string; entry: Entry | undefined } {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    let dir: Dir | undefined = this.#root;
    for (const part of parts.slice(0, -1)) {
      const e: Entry | undefined = dir?.current.get(part);
      dir = e?.kind === 'dir' ? e.dir : undefined;
    }
    const name = parts.at(-1) ?? '';
    return { parent: dir, name, entry: name === '' ? { kind: 'dir', dir: this.#root } : dir?.current.get(name) };
  }

  #change(dir: Dir, changes: [string, Entry | undefined][]): void {
    for (const [name, entry] of changes) entry ? dir.current.set(name, entry) : dir.current.delete(name);
    this.#pending.push({ dir, changes });
  }

  readonly readFile = async (path: string): Promise<Uint8Array | undefined> => {
    if (this.#step()) throw new Crash();
    const { entry } = this.#lookup(path);
    if (entry?.kind === 'dir') throw Object.assign(new Error(`EISDIR: ${path}`), { code: 'EISDIR' });
    return entry?.inode.data.slice();
  };

  readonly writeFile = async (path: string, data: Uint8Array, _mode: number): Promise<void> => {
    const cut = this.#step();
    const { parent, name, entry } = this.#lookup(path);
    if (!parent) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    const bytes = cut ? data.slice(0, Math.floor(data.length * this.#partial)) : data.slice();
    if (entry?.kind === 'file') entry.inode.data = bytes;
    else this.#change(parent, [[name, { kind: 'file', inode: { data: bytes } }]]);
    if (cut) throw new Crash();
  };

  readonly readdir = async (path: string): Promise<string[]> => {
    if (this.#step()) throw new Crash();
    const { entry } = this.#lookup(path);
    return entry?.kind === 'dir' ? [...entry.dir.current.keys()] : [];
  };

  readonly mkdir = async (path: string): Promise<void> => {
    if (this.#step()) throw new Crash();
    const { parent, name, entry } = this.#lookup(path);
    if (entry) return;
    if (!parent) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    this.#change(parent, [[name, { kind: 'dir', dir: newDir() }]]);
  };

  readonly rm = async (path: string): Promise<void> => {
    if (this.#step()) throw new Crash();
    const { parent, name, entry } = this.#lookup(path);
    if (parent && entry) this.#change(parent, [[name, undefined]]);
  };

  readonly rename = async (from: string, to: string): Promise<void> => {
    if (this.#step()) throw new Crash();
    const a = this.#lookup(from), b = this.#lookup(to);
    if (!a.parent || !a.entry) throw Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' });
    if (a.parent !== b.parent) throw new Error('this model renames within one directory only');
    this.#change(a.parent, [[b.name, a.entry], [a.name, undefined]]);
  };

  readonly syncDir = async (path: string): Promise<void> => {
    if (this.#step()) throw new Crash();
    if (!this.#syncDirs) return;
    const { entry } = this.#lookup(path);
    if (entry?.kind !== 'dir') throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    const dir = entry.dir;
    for (let i = 0; i < this.#pending.length;) {
      const p = this.#pending[i]!;
      if (p.dir !== dir) { i++; continue; }
      for (const [name, e] of p.changes) e ? dir.durable.set(name, e) : dir.durable.delete(name);
      this.#pending.splice(i, 1);
    }
  };
}
