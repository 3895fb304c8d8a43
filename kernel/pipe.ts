/**
 * Pipes: a bounded byte buffer with a read end and a write end.
 *
 * Reading an empty pipe blocks while a writer exists and returns 0 (EOF) once
 * every writer has closed; writing when every reader has closed is `EPIPE`.
 * The two ends may belong to different processes.
 *
 * @module
 */

import { KernelError } from "./errno.ts";
import { Notifier } from "./notifier.ts";
import type { Stream } from "./stream.ts";
import { FileType, type Maybe, POLL } from "./types.ts";

/** Default capacity of a pipe's buffer, as on Linux. */
export const PIPE_CAPACITY = 65536;

class PipeBuffer {
  readonly data: Uint8Array;
  start = 0;
  length = 0;
  readers = 1;
  writers = 1;
  readonly changes = new Notifier();

  constructor(capacity: number) {
    this.data = new Uint8Array(capacity);
  }

  get free(): number {
    return this.data.length - this.length;
  }

  take(into: Uint8Array): number {
    const n = Math.min(into.length, this.length);
    const cap = this.data.length;
    const first = Math.min(n, cap - this.start);
    into.set(this.data.subarray(this.start, this.start + first), 0);
    if (n > first) into.set(this.data.subarray(0, n - first), first);
    this.start = (this.start + n) % cap;
    this.length -= n;
    if (this.length === 0) this.start = 0;
    if (n > 0) this.changes.notify();
    return n;
  }

  put(from: Uint8Array): number {
    const n = Math.min(from.length, this.free);
    const cap = this.data.length;
    const end = (this.start + this.length) % cap;
    const first = Math.min(n, cap - end);
    this.data.set(from.subarray(0, first), end);
    if (n > first) this.data.set(from.subarray(first, n), 0);
    this.length += n;
    if (n > 0) this.changes.notify();
    return n;
  }
}

class PipeReadEnd implements Stream {
  readonly type = FileType.Fifo;
  readonly isTerminal = false;
  constructor(private readonly buf: PipeBuffer) {}

  read(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    if (buffer.length === 0) return 0;
    if (this.buf.length > 0) return this.buf.take(buffer);
    if (this.buf.writers === 0) return 0;
    if (nonblocking) throw new KernelError("EAGAIN");
    return this.buf.changes.wait().then(() => this.read(buffer, false));
  }

  write(): never {
    throw new KernelError("EBADF");
  }

  poll(): number {
    let bits = 0;
    if (this.buf.length > 0) bits |= POLL.IN;
    if (this.buf.writers === 0) bits |= POLL.HUP | POLL.IN;
    return bits;
  }

  changed(): Promise<void> {
    return this.buf.changes.wait();
  }

  close(): void {
    this.buf.readers--;
    this.buf.changes.notify();
  }
}

class PipeWriteEnd implements Stream {
  readonly type = FileType.Fifo;
  readonly isTerminal = false;
  constructor(private readonly buf: PipeBuffer) {}

  read(): never {
    throw new KernelError("EBADF");
  }

  write(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    if (this.buf.readers === 0) throw new KernelError("EPIPE");
    if (buffer.length === 0) return 0;
    const n = this.buf.put(buffer);
    if (n === buffer.length) return n;
    if (nonblocking) {
      if (n === 0) throw new KernelError("EAGAIN");
      return n;
    }
    return this.#writeRest(buffer, n);
  }

  async #writeRest(buffer: Uint8Array, done: number): Promise<number> {
    while (done < buffer.length) {
      await this.buf.changes.wait();
      if (this.buf.readers === 0) {
        if (done > 0) return done;
        throw new KernelError("EPIPE");
      }
      done += this.buf.put(buffer.subarray(done));
    }
    return done;
  }

  poll(): number {
    if (this.buf.readers === 0) return POLL.ERR | POLL.OUT;
    return this.buf.free > 0 ? POLL.OUT : 0;
  }

  changed(): Promise<void> {
    return this.buf.changes.wait();
  }

  close(): void {
    this.buf.writers--;
    this.buf.changes.notify();
  }
}

/**
 * Creates a pipe and returns its `[readEnd, writeEnd]`.
 *
 * @example
 * ```ts
 * import { createPipe } from "./pipe.ts";
 * const [r, w] = createPipe();
 * w.write(new TextEncoder().encode("hi"), false);
 * const buf = new Uint8Array(8);
 * console.assert(r.read(buf, true) === 2);
 * ```
 */
export function createPipe(capacity = PIPE_CAPACITY): [Stream, Stream] {
  if (!Number.isInteger(capacity) || capacity <= 0) {
    throw new RangeError("pipe capacity must be a positive integer");
  }
  const buf = new PipeBuffer(capacity);
  return [new PipeReadEnd(buf), new PipeWriteEnd(buf)];
}
