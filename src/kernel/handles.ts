// Per-entity handle tables: small integers that name channels (and the kernel) in one entity's
// view only. An entity can use only the handles in its own table; identity comes from the table.

export { ALL_RIGHTS, Rights } from '../entity/host.ts';

/** A static channel from init.yaml (or a copy of one handed over in a message). */
export interface ChannelRecord {
  readonly id: string;
  /** Server task name. */
  readonly server: string;
  /** Client task name the channel was declared for. */
  readonly client: string;
  /** Calls in flight through this channel (flow control). */
  inFlight: number;
}

export interface HandleEntry {
  readonly channel: ChannelRecord;
  readonly rights: number;
}

export class HandleTable {
  readonly #entries = new Map<number, HandleEntry>();
  #next = 1;

  /** Installs `entry` at `handle` (static channels keep their init.yaml numbers). */
  install(handle: number, entry: HandleEntry): void {
    this.#entries.set(handle, entry);
    this.#next = Math.max(this.#next, handle + 1);
  }

  /** Adds `entry` under a fresh number and returns it. */
  add(entry: HandleEntry): number {
    const handle = this.#next++;
    this.#entries.set(handle, entry);
    return handle;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(handle: number): HandleEntry | undefined {
    return this.#entries.get(handle);
  }

  close(handle: number): boolean {
    return this.#entries.delete(handle);
  }

  /** Whether any handle here names a channel to `server`. */
  reaches(server: string): boolean {
    for (const e of this.#entries.values()) if (e.channel.server === server) return true;
    return false;
  }
}
