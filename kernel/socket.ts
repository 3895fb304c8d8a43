/**
 * Stream sockets as kernel {@link Stream}s: a connected socket
 * ({@link SocketStream}) and a listening one ({@link ListenerStream}).
 *
 * They know nothing of the host: an adapter (Deno.Conn, node:net Socket, a
 * test double) feeds received bytes in with `receive`/`receiveEnd`/`fail` and
 * carries sends out through a {@link SocketTransport}. Reads and writes follow
 * the Stream rules: a Promise when blocking and not ready, EAGAIN when
 * non-blocking; readiness through `poll()` and `changed()`.
 *
 * @module
 */

import { type ErrnoName, KernelError } from "./errno.ts";
import { Notifier } from "./notifier.ts";
import type { Stream } from "./stream.ts";
import { FileType, type Maybe, POLL } from "./types.ts";

/** What a host connection offers a {@link SocketStream}. */
export interface SocketTransport {
  /** Sends bytes (owned by the transport); may resolve when the host has taken them. */
  send(bytes: Uint8Array): void | Promise<void>;
  /** Half-closes the sending side (FIN) once earlier sends are done. */
  endSend(): void | Promise<void>;
  /** Closes the connection once earlier sends are done. */
  close(): void;
  /** Pauses (false) or resumes (true) delivery of received data; optional back-pressure. */
  setFlowing?(flowing: boolean): void;
}

/** Bytes buffered in each direction before back-pressure applies. */
export const SOCKET_HIGH_WATER = 64 * 1024;

/**
 * A connected stream socket.
 *
 * @example
 * ```ts
 * import { SocketStream } from "./socket.ts";
 * const sent: Uint8Array[] = [];
 * const s = new SocketStream({ send: (b) => void sent.push(b), endSend() {}, close() {} });
 * s.receive(new TextEncoder().encode("ping"));
 * const buf = new Uint8Array(8);
 * console.assert(s.read(buf, true) === 4);
 * s.write(new TextEncoder().encode("pong"), true);
 * console.assert(sent.length === 1);
 * ```
 */
export class SocketStream implements Stream {
  readonly type = FileType.Socket;
  readonly isTerminal = false;
  readonly #transport: SocketTransport;
  readonly #changes = new Notifier();
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: ErrnoName | null = null;
  #readShut = false;
  #writeShut = false;
  #closed = false;
  #paused = false;
  #unsent = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(transport: SocketTransport) {
    this.#transport = transport;
  }

  // ---- host side

  /** Bytes arrived from the peer. */
  receive(chunk: Uint8Array): void {
    if (this.#closed || this.#readShut || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#buffered >= SOCKET_HIGH_WATER && !this.#paused && this.#transport.setFlowing) {
      this.#paused = true;
      this.#transport.setFlowing(false);
    }
    this.#changes.notify();
  }

  /** The peer finished sending (FIN). */
  receiveEnd(): void {
    this.#ended = true;
    this.#changes.notify();
  }

  /** The connection broke. */
  fail(code: ErrnoName = "ECONNRESET"): void {
    if (this.#error === null) this.#error = code;
    this.#changes.notify();
  }

  // ---- Stream

  #take(buffer: Uint8Array, consume: boolean): number {
    let n = 0;
    let i = 0;
    while (n < buffer.length && i < this.#chunks.length) {
      const chunk = this.#chunks[i];
      const k = Math.min(chunk.length, buffer.length - n);
      buffer.set(chunk.subarray(0, k), n);
      n += k;
      if (!consume) {
        i++;
      } else if (k === chunk.length) {
        this.#chunks.shift();
      } else {
        this.#chunks[0] = chunk.subarray(k);
      }
    }
    if (consume) {
      this.#buffered -= n;
      if (this.#paused && this.#buffered < SOCKET_HIGH_WATER / 2) {
        this.#paused = false;
        this.#transport.setFlowing?.(true);
      }
      if (n > 0) this.#changes.notify();
    }
    return n;
  }

  #receiveInto(buffer: Uint8Array, nonblocking: boolean, consume: boolean): Maybe<number> {
    if (this.#closed) throw new KernelError("EBADF");
    if (buffer.length === 0 || this.#readShut) return 0;
    if (this.#chunks.length > 0) return this.#take(buffer, consume);
    if (this.#error) throw new KernelError(this.#error);
    if (this.#ended) return 0;
    if (nonblocking) throw new KernelError("EAGAIN");
    return this.#changes.wait().then(() => this.#receiveInto(buffer, false, consume));
  }

  read(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    return this.#receiveInto(buffer, nonblocking, true);
  }

  /** Like {@link read} but leaves the bytes queued (MSG_PEEK). */
  peek(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    return this.#receiveInto(buffer, nonblocking, false);
  }

  write(buffer: Uint8Array, nonblocking: boolean): Maybe<number> {
    if (this.#closed) throw new KernelError("EBADF");
    if (this.#writeShut) throw new KernelError("EPIPE");
    if (this.#error) throw new KernelError(this.#error === "ECONNRESET" ? "EPIPE" : this.#error);
    if (buffer.length === 0) return 0;
    if (this.#unsent >= SOCKET_HIGH_WATER) {
      if (nonblocking) throw new KernelError("EAGAIN");
      return this.#changes.wait().then(() => this.write(buffer, false));
    }
    const copy = buffer.slice();
    this.#unsent += copy.length;
    this.#tail = this.#tail.then(() => this.#transport.send(copy)).then(
      () => {
        this.#unsent -= copy.length;
        this.#changes.notify();
      },
      () => {
        this.#unsent -= copy.length;
        this.fail("EPIPE");
      },
    );
    return copy.length;
  }

  poll(): number {
    let bits = 0;
    if (this.#chunks.length > 0 || this.#ended || this.#error || this.#readShut) bits |= POLL.IN;
    if (this.#ended || this.#error) bits |= POLL.HUP;
    if (this.#error) bits |= POLL.ERR;
    if (!this.#writeShut && !this.#error && this.#unsent < SOCKET_HIGH_WATER) bits |= POLL.OUT;
    return bits;
  }

  changed(): Promise<void> {
    return this.#changes.wait();
  }

  /** Half-closes: 1 the reading side, 2 the writing side, 3 both. EINVAL for anything else. */
  shutdown(how: number): void {
    if (how < 1 || how > 3) throw new KernelError("EINVAL");
    if (this.#closed) throw new KernelError("EBADF");
    if (how & 1 && !this.#readShut) {
      this.#readShut = true;
      this.#chunks.length = 0;
      this.#buffered = 0;
    }
    if (how & 2 && !this.#writeShut) {
      this.#writeShut = true;
      this.#tail = this.#tail.then(() => this.#transport.endSend()).catch(() => {});
    }
    this.#changes.notify();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks.length = 0;
    this.#tail.then(() => this.#transport.close()).catch(() => {});
    this.#changes.notify();
  }
}

/** Whether a stream is a {@link SocketStream}-like connected socket with `peek`. */
export function canPeek(
  stream: Stream,
): stream is Stream & { peek(b: Uint8Array, nonblocking: boolean): Maybe<number>; } {
  return typeof (stream as { peek?: unknown; }).peek === "function";
}

/**
 * A listening stream socket: the host adapter {@link enqueue}s accepted
 * connections; the program takes them with {@link accept}. Readable (POLL.IN)
 * while a connection waits.
 *
 * @example
 * ```ts
 * import { ListenerStream, SocketStream } from "./socket.ts";
 * const listener = new ListenerStream(() => {});
 * listener.enqueue(new SocketStream({ send() {}, endSend() {}, close() {} }));
 * console.assert(listener.poll() === 1);
 * console.assert(listener.accept(true) instanceof SocketStream);
 * ```
 */
export class ListenerStream implements Stream {
  readonly type = FileType.Socket;
  readonly isTerminal = false;
  readonly #queue: Stream[] = [];
  readonly #changes = new Notifier();
  #closed = false;
  #ended = false;

  constructor(
    private readonly onClose: () => void,
    /** Where it listens, when known (for embedders and messages). */
    readonly address?: { hostname: string; port: number; },
  ) {}

  /** A connection arrived (host side). Closed listeners close it at once. */
  enqueue(connection: Stream): void {
    if (this.#closed) {
      connection.close();
      return;
    }
    this.#queue.push(connection);
    this.#changes.notify();
  }

  /** The host listener stopped (host side): accept then fails with EINVAL. */
  end(): void {
    this.#ended = true;
    this.#changes.notify();
  }

  /** The next connection; EAGAIN when none waits and `nonblocking`, else a Promise. */
  accept(nonblocking: boolean): Maybe<Stream> {
    if (this.#closed) throw new KernelError("EBADF");
    const next = this.#queue.shift();
    if (next) return next;
    if (this.#ended) throw new KernelError("EINVAL");
    if (nonblocking) throw new KernelError("EAGAIN");
    return this.#changes.wait().then(() => this.accept(false));
  }

  read(): never {
    throw new KernelError("ENOTCONN");
  }

  write(): never {
    throw new KernelError("ENOTCONN");
  }

  poll(): number {
    return this.#queue.length > 0 || this.#ended ? POLL.IN : 0;
  }

  changed(): Promise<void> {
    return this.#changes.wait();
  }

  /** A listening socket has no connection to shut down: ENOTCONN. */
  shutdown(_how: number): void {
    throw new KernelError("ENOTCONN");
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const connection of this.#queue.splice(0)) connection.close();
    this.#changes.notify();
    this.onClose();
  }
}
