// A readers-writer lock: path checks and the operation they guard run under the shared side; a
// rename, the one operation that can change where an already checked path leads, takes it alone.

export class RwLock {
  #readers = 0;
  #writer = false;
  readonly #waiting: { readonly exclusive: boolean; readonly go: () => void }[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    // Readers queue behind a waiting writer, so a stream of reads cannot starve a rename.
    if (this.#writer || this.#waiting.length > 0) await new Promise<void>((go) => this.#waiting.push({ exclusive: false, go }));
    else this.#readers++;
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#readers > 0 || this.#waiting.length > 0) await new Promise<void>((go) => this.#waiting.push({ exclusive: true, go }));
    else this.#writer = true;
    try {
      return await fn();
    } finally {
      this.#writer = false;
      this.#wake();
    }
  }

  /** Lets the next waiters in: one writer, or every reader up to the next writer. */
  #wake(): void {
    if (this.#writer) return;
    const first = this.#waiting[0];
    if (!first) return;
    if (first.exclusive) {
      if (this.#readers > 0) return;
      this.#waiting.shift();
      this.#writer = true;
      first.go();
      return;
    }
    while (this.#waiting[0] && !this.#waiting[0].exclusive) {
      this.#readers++;
      this.#waiting.shift()!.go();
    }
  }
}
