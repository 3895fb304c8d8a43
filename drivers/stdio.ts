/**
 * Streams for a process's standard input and output, fed by the embedder.
 * Library code never writes to `console`: output goes to the sink you inject.
 *
 * @module
 */

import { KernelError } from "../kernel/errno.ts";
import { Notifier } from "../kernel/notifier.ts";
import type { Stream } from "../kernel/stream.ts";
import { FileType, type Maybe, POLL } from "../kernel/types.ts";

/** Where output goes: called with a copy of each write. May return a Promise for back-pressure. */
export type Sink = (bytes: Uint8Array) => void | Promise<void>;

/** What input comes from. */
export type Source =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** Options for stdio streams. */
export interface StdioStreamOptions {
  /** Report the stream as a terminal (isatty). Default false. */
  isTerminal?: boolean;
}

class SinkStream implements Stream {
  readonly type = FileType.CharDevice;
  readonly isTerminal: boolean;
  readonly #changes = new Notifier();
  #pending: Promise<void> | null = null;

  constructor(private readonly sink: Sink, options: StdioStreamOptions) {
    this.isTerminal = options.isTerminal ?? false;
  }

  read(): never {
    throw new KernelError("EBADF");
  }

  write(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    if (this.#pending) {
      if (nonblocking) throw new KernelError("EAGAIN");
      return this.#pending.then(() => this.write(buffer, false));
    }
    const n = buffer.length;
    let result: void | Promise<void>;
    try {
      result = this.sink(buffer.slice());
    } catch {
      throw new KernelError("EIO");
    }
    if (result && typeof (result as Promise<void>).then === "function") {
      const pending = (result as Promise<void>).then(
        () => this.#settle(),
        () => this.#settle(),
      );
      this.#pending = pending;
    }
    return n;
  }

  #settle(): void {
    this.#pending = null;
    this.#changes.notify();
  }

  poll(): number {
    return this.#pending ? 0 : POLL.OUT;
  }

  changed(): Promise<void> {
    return this.#changes.wait();
  }

  close(): void {}
}

class SourceStream implements Stream {
  readonly type = FileType.CharDevice;
  readonly isTerminal: boolean;
  readonly #chunks: Uint8Array[] = [];
  readonly #changes = new Notifier();
  #ended = false;
  #failed = false;
  #pull: (() => Promise<IteratorResult<Uint8Array> | ReadableStreamReadResult<Uint8Array>>) | null = null;
  #pulling = false;

  constructor(source: Source, options: StdioStreamOptions) {
    this.isTerminal = options.isTerminal ?? false;
    if (typeof source === "string") {
      this.#push(new TextEncoder().encode(source));
      this.#ended = true;
    } else if (source instanceof Uint8Array) {
      this.#push(source.slice());
      this.#ended = true;
    } else if (typeof (source as ReadableStream<Uint8Array>).getReader === "function") {
      const reader = (source as ReadableStream<Uint8Array>).getReader();
      this.#pull = () => reader.read();
    } else if (Symbol.asyncIterator in (source as object)) {
      const it = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      this.#pull = () => it.next();
    } else if (Symbol.iterator in (source as object)) {
      for (const chunk of source as Iterable<Uint8Array>) this.#push(chunk.slice());
      this.#ended = true;
    } else {
      throw new TypeError(
        "stdin must be a string, Uint8Array, ReadableStream or (async) iterable of Uint8Array",
      );
    }
  }

  #received(value: Uint8Array | undefined, done: boolean | undefined): void {
    this.#pulling = false;
    if (value && value.length > 0) this.#push(value.slice());
    if (done) this.#ended = true;
    this.#changes.notify();
  }

  #fail(): void {
    this.#pulling = false;
    this.#failed = true;
    this.#ended = true;
    this.#changes.notify();
  }

  #push(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#chunks.push(chunk);
  }

  // Pulls one chunk at a time, only when a reader is waiting (back-pressure).
  #request(): void {
    if (this.#ended || this.#pulling || !this.#pull) return;
    this.#pulling = true;
    this.#pull().then(
      (r) => this.#received(r.value, r.done),
      () => this.#fail(),
    );
  }

  read(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    if (buffer.length === 0) return 0;
    if (this.#chunks.length > 0) return this.#take(buffer);
    if (this.#failed) throw new KernelError("EIO");
    if (this.#ended) return 0;
    this.#request();
    if (nonblocking) throw new KernelError("EAGAIN");
    return this.#changes.wait().then(() => this.read(buffer, false));
  }

  #take(buffer: Uint8Array): number {
    let n = 0;
    while (n < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const k = Math.min(chunk.length, buffer.length - n);
      buffer.set(chunk.subarray(0, k), n);
      n += k;
      if (k === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(k);
    }
    return n;
  }

  write(): never {
    throw new KernelError("EBADF");
  }

  poll(): number {
    if (this.#chunks.length > 0 || this.#ended) return POLL.IN | (this.#ended ? POLL.HUP : 0);
    this.#request();
    return 0;
  }

  changed(): Promise<void> {
    this.#request();
    return this.#changes.wait();
  }

  close(): void {}
}

/**
 * An output stream that hands every write to `sink`.
 *
 * @example
 * ```ts
 * import { sinkStream } from "./stdio.ts";
 * const chunks: Uint8Array[] = [];
 * const out = sinkStream((bytes) => { chunks.push(bytes); });
 * out.write(new TextEncoder().encode("hi\n"), false);
 * console.assert(chunks.length === 1);
 * ```
 */
export function sinkStream(sink: Sink, options: StdioStreamOptions = {}): Stream {
  if (typeof sink !== "function") throw new TypeError("sink must be a function");
  return new SinkStream(sink, options);
}

/**
 * An input stream reading from `source`: a string or bytes (then EOF), or a
 * ReadableStream / async iterable read lazily as the program asks.
 *
 * @example
 * ```ts
 * import { sourceStream } from "./stdio.ts";
 * const input = sourceStream("line\n");
 * const buf = new Uint8Array(16);
 * console.assert(input.read(buf, true) === 5);
 * console.assert(input.read(buf, true) === 0);
 * ```
 */
export function sourceStream(source: Source, options: StdioStreamOptions = {}): Stream {
  return new SourceStream(source, options);
}

/** A stream that is always at EOF for reads and discards writes (like /dev/null as stdio). */
export function nullStream(): Stream {
  const input = new SourceStream(new Uint8Array(0), {});
  return {
    type: FileType.CharDevice,
    isTerminal: false,
    read: (buffer, nonblocking) => input.read(buffer, nonblocking),
    write: (buffer) => buffer.length,
    poll: () => POLL.IN | POLL.OUT,
    changed: () => new Promise<void>(() => {}),
    close: () => {},
  };
}

/**
 * A sink that collects output, for reading back after a run.
 *
 * @example
 * ```ts
 * import { collector } from "./stdio.ts";
 * const out = collector();
 * out.sink(new TextEncoder().encode("ok"));
 * console.assert(out.text() === "ok");
 * ```
 */
export function collector(): { sink: Sink; bytes(): Uint8Array; text(): string; } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  return {
    sink(bytes) {
      chunks.push(bytes);
      total += bytes.length;
    },
    bytes() {
      const all = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return all;
    },
    text() {
      return new TextDecoder().decode(this.bytes());
    },
  };
}
