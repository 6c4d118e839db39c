// Liveness and memory watch over a sandbox: a ping the bootstrap answers only when the entity's
// event loop is free, and (for workers) a poll of memory outside the JS heap.

export interface Watched {
  ping(n: number): void;
  /** Bytes of ArrayBuffer/external memory, when the tier can tell; undefined otherwise. */
  externalBytes(): Promise<number | undefined>;
  kill(reason: string): void;
}

/**
 * Starting (loading SES, locking down, evaluating the bundle) may take far longer than a normal
 * event-loop turn when many entities boot on few cores, so it gets its own, larger budget.
 */
export const START_BUDGET_MS = 15_000;

export class Watchdog {
  readonly #target: Watched;
  readonly #blockMs: number;
  #started = false;
  readonly #externalLimit: number;
  #lastPong = Date.now();
  #n = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  #stopped = false;

  constructor(target: Watched, blockMs: number, externalLimitBytes: number) {
    this.#target = target;
    this.#blockMs = blockMs;
    this.#externalLimit = externalLimitBytes;
    const period = Math.max(10, Math.floor(blockMs / 4));
    this.#timer = setInterval(() => this.#tick(), period);
    this.#timer.unref();
  }

  pong(): void {
    this.#lastPong = Date.now();
  }

  /** The entity finished its top-level code: the event-loop budget applies from now on. */
  started(): void {
    this.#started = true;
    this.#lastPong = Date.now();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  #tick(): void {
    if (this.#stopped) return;
    const silent = Date.now() - this.#lastPong;
    if (!this.#started && silent > START_BUDGET_MS) {
      this.stop();
      this.#target.kill(`did not finish starting within ${START_BUDGET_MS} ms (its top-level code never returned)`);
      return;
    }
    if (this.#started && silent > this.#blockMs) {
      this.stop();
      this.#target.kill(`blocked its event loop for more than ${this.#blockMs} ms (limits.blockMs)`);
      return;
    }
    this.#target.ping(++this.#n);
    this.#target.externalBytes().then((bytes) => {
      if (!this.#stopped && bytes !== undefined && bytes > this.#externalLimit) {
        this.stop();
        this.#target.kill(`used ${(bytes / 2 ** 20).toFixed(1)} MiB of memory outside its heap, over its ${(this.#externalLimit / 2 ** 20).toFixed(0)} MiB limit (limits.memoryMiB)`);
      }
    }, () => undefined);
  }
}
