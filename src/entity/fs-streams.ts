// File streams for citadel/fs without Node's stream module: a ReadStream is an async iterable of
// chunks that also emits Node's events ('open', 'ready', 'data', 'end', 'close', 'error') once a
// 'data' listener is attached; a WriteStream takes write()/end() and emits 'finish' and 'close'.
import { decodeText, FileData, toBytes } from './fs-encoding.ts';

type Listener = (...args: any[]) => void;

/** The part of EventEmitter the streams need. */
export class Emitter {
  readonly #listeners = new Map<string | symbol, { fn: Listener; once: boolean }[]>();

  on(event: string | symbol, fn: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), { fn, once: false }]);
    return this;
  }
  addListener(event: string | symbol, fn: Listener): this { return this.on(event, fn); }
  once(event: string | symbol, fn: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), { fn, once: true }]);
    return this;
  }
  off(event: string | symbol, fn: Listener): this {
    this.#listeners.set(event, (this.#listeners.get(event) ?? []).filter((l) => l.fn !== fn));
    return this;
  }
  removeListener(event: string | symbol, fn: Listener): this { return this.off(event, fn); }
  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }
  listenerCount(event: string | symbol): number { return this.#listeners.get(event)?.length ?? 0; }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const listeners = this.#listeners.get(event) ?? [];
    if (event === 'error' && listeners.length === 0) throw args[0];
    this.#listeners.set(event, listeners.filter((l) => !l.once));
    for (const l of listeners) l.fn.apply(this, args);
    return listeners.length > 0;
  }
}

/** The file operations a stream uses: an open file handle (citadel/fs FileHandle). */
export interface StreamFile {
  readonly fd: number;
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

export interface ReadStreamOptions {
  readonly encoding?: string | null;
  readonly start?: number;
  /** Inclusive, as Node's. */
  readonly end?: number;
  readonly highWaterMark?: number;
  readonly autoClose?: boolean;
}

const DEFAULT_READ_CHUNK = 64 * 1024;

export class ReadStream extends Emitter implements AsyncIterable<Uint8Array | string> {
  readonly path: string | undefined;
  bytesRead = 0;
  pending = true;
  destroyed = false;
  readonly #open: () => Promise<StreamFile>;
  readonly #options: ReadStreamOptions;
  #file: StreamFile | undefined;
  #started = false;
  #paused = false;
  /** Driven by 'data' listeners (which then see 'end' before 'close'), not by a for-await. */
  #flowing = false;
  #resume: (() => void) | undefined;

  constructor(path: string | undefined, open: () => Promise<StreamFile>, options: ReadStreamOptions = {}) {
    super();
    this.path = path;
    this.#open = open;
    this.#options = options;
  }

  override on(event: string | symbol, fn: Listener): this {
    super.on(event, fn);
    // As in Node, a 'data' listener switches the stream to flowing mode.
    if (event === 'data' && !this.#started) queueMicrotask(() => this.#flow());
    return this;
  }

  pause(): this { this.#paused = true; return this; }
  resume(): this {
    this.#paused = false;
    const go = this.#resume;
    this.#resume = undefined;
    go?.();
    if (!this.#started) queueMicrotask(() => this.#flow());
    return this;
  }

  setEncoding(encoding: string): this {
    (this.#options as { encoding?: string | null }).encoding = encoding;
    return this;
  }

  async #flow(): Promise<void> {
    if (this.#started) return;
    this.#flowing = true;
    try {
      for await (const chunk of this) {
        this.emit('data', chunk);
        if (this.#paused) await new Promise<void>((go) => { this.#resume = go; });
      }
      this.emit('end');
    } catch (err) {
      this.emit('error', err);
    }
    this.emit('close');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array | string> {
    if (this.#started) throw new Error('a ReadStream can be consumed once');
    this.#started = true;
    const { start = 0, end = Infinity, highWaterMark = DEFAULT_READ_CHUNK, encoding } = this.#options;
    let failed = false;
    try {
      this.#file = await this.#open();
      this.pending = false;
      this.emit('open', this.#file.fd);
      this.emit('ready');
      let position = start;
      while (!this.destroyed && position <= end) {
        const want = Math.min(highWaterMark, end - position + 1);
        const buffer = new Uint8Array(want);
        const { bytesRead } = await this.#file.read(buffer, 0, want, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        this.bytesRead += bytesRead;
        const chunk = FileData.wrap(buffer.subarray(0, bytesRead));
        yield encoding ? decodeText(chunk, encoding) : chunk;
      }
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      await this.#finish(failed);
    }
  }

  async #finish(failed: boolean): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file && this.#options.autoClose !== false) await file.close().catch(() => undefined);
    this.destroyed = true;
    // Flowing, #flow emits 'end' (or 'error') and then 'close'; after a failure the iterator's
    // consumer sees the error first.
    if (!failed && !this.#flowing) this.emit('close');
  }

  /** Stops reading; the file is closed at the next chunk boundary. */
  destroy(error?: Error): this {
    this.destroyed = true;
    if (error) queueMicrotask(() => this.emit('error', error));
    if (!this.#started) void this.#finish(false);
    return this;
  }

  close(callback?: (err?: Error | null) => void): void {
    this.destroy();
    if (callback) this.once('close', () => callback(null));
  }

  /** Copies every chunk into `dest` (a WriteStream or anything with write/end), then ends it. */
  pipe<T extends { write(chunk: Uint8Array | string): boolean; end(): unknown; once?(event: string, fn: Listener): unknown }>(dest: T, options?: { end?: boolean }): T {
    void (async () => {
      try {
        for await (const chunk of this) {
          if (!dest.write(chunk) && dest.once) await new Promise<void>((go) => dest.once!('drain', go));
        }
        if (options?.end !== false) dest.end();
      } catch (err) {
        this.emit('error', err);
      }
    })();
    return dest;
  }
}

export interface WriteStreamOptions {
  readonly encoding?: string | null;
  readonly start?: number;
  readonly highWaterMark?: number;
  readonly autoClose?: boolean;
}

const DEFAULT_WRITE_WATERMARK = 16 * 1024;

export class WriteStream extends Emitter {
  readonly path: string | undefined;
  bytesWritten = 0;
  pending = true;
  writable = true;
  destroyed = false;
  readonly #options: WriteStreamOptions;
  readonly #file: Promise<StreamFile>;
  #chain: Promise<void>;
  #queued = 0;
  #needDrain = false;
  #position: number | null;
  #error: unknown;

  constructor(path: string | undefined, open: () => Promise<StreamFile>, options: WriteStreamOptions = {}) {
    super();
    this.path = path;
    this.#options = options;
    this.#position = options.start ?? null;
    this.#file = open();
    this.#chain = this.#file.then((f) => {
      this.pending = false;
      this.emit('open', f.fd);
      this.emit('ready');
    });
    this.#chain.catch((err) => this.#fail(err));
  }

  get writableLength(): number { return this.#queued; }

  /** Queues `chunk`; false when the queue is over highWaterMark (wait for 'drain'). */
  write(chunk: Uint8Array | string, encoding?: string | ((err?: Error | null) => void), callback?: (err?: Error | null) => void): boolean {
    if (typeof encoding === 'function') { callback = encoding; encoding = undefined; }
    if (!this.writable) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      queueMicrotask(() => { callback?.(err); this.emit('error', err); });
      return false;
    }
    const bytes = toBytes(chunk, encoding ?? this.#options.encoding);
    this.#queued += bytes.length;
    this.#chain = this.#chain.then(async () => {
      if (this.#error) throw this.#error;
      const file = await this.#file;
      let at = 0;
      while (at < bytes.length) {
        const { bytesWritten } = await file.write(bytes, at, bytes.length - at, this.#position);
        at += bytesWritten;
        if (this.#position !== null) this.#position += bytesWritten;
      }
      this.bytesWritten += bytes.length;
      this.#queued -= bytes.length;
      callback?.(null);
      if (this.#needDrain && this.#queued < (this.#options.highWaterMark ?? DEFAULT_WRITE_WATERMARK)) {
        this.#needDrain = false;
        this.emit('drain');
      }
    });
    this.#chain.catch((err) => { callback?.(err as Error); this.#fail(err); });
    const ok = this.#queued < (this.#options.highWaterMark ?? DEFAULT_WRITE_WATERMARK);
    if (!ok) this.#needDrain = true;
    return ok;
  }

  /** Writes `chunk` if given, then closes the file; 'finish' then 'close' follow. */
  end(chunk?: Uint8Array | string | (() => void), encoding?: string | (() => void), callback?: () => void): this {
    if (typeof chunk === 'function') { callback = chunk; chunk = undefined; }
    if (typeof encoding === 'function') { callback = encoding; encoding = undefined; }
    if (chunk !== undefined) this.write(chunk, encoding);
    if (!this.writable) return this;
    this.writable = false;
    if (callback) this.once('finish', callback);
    this.#chain = this.#chain.then(async () => {
      if (this.#error) return;
      this.emit('finish');
      await this.#close();
    });
    this.#chain.catch((err) => this.#fail(err));
    return this;
  }

  /** Resolves once everything written so far has reached the driver (a Citadel addition). */
  async flushed(): Promise<void> {
    await this.#chain;
    if (this.#error) throw this.#error;
  }

  async #close(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.#options.autoClose !== false) await (await this.#file).close();
    this.emit('close');
  }

  #fail(err: unknown): void {
    if (this.#error) return;
    this.#error = err;
    this.writable = false;
    this.emit('error', err);
    void this.#file.then((f) => f.close(), () => undefined).catch(() => undefined).then(() => {
      this.destroyed = true;
      this.emit('close');
    });
  }

  destroy(error?: Error): this {
    this.writable = false;
    if (error) this.#fail(error);
    else this.#chain = this.#chain.then(() => this.#close());
    return this;
  }

  close(callback?: (err?: Error | null) => void): void {
    if (callback) this.once('close', () => callback(null));
    if (this.writable) this.end();
  }
}
