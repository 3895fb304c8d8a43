/**
 * Non-seekable file objects: pipe ends, terminals, stdio, sockets.
 *
 * A stream never blocks the thread. A read or write that would block returns a
 * Promise when the caller allows blocking, and throws `EAGAIN` when the caller
 * asked for non-blocking I/O.
 *
 * @module
 */

import type { FileType, Maybe } from "./types.ts";

/** What a stream's {@link Stream.poll} reports, as `POLL` bits. */
export type PollBits = number;

/**
 * A non-seekable file object.
 *
 * @example
 * ```ts
 * import type { Stream } from "./stream.ts";
 * function isReadable(s: Stream): boolean {
 *   return (s.poll() & 1) !== 0;
 * }
 * ```
 */
export interface Stream {
  /** Fifo for pipes, CharDevice for terminals and stdio, Socket for sockets. */
  readonly type: FileType;
  /** Whether the stream is a terminal (isatty). */
  readonly isTerminal: boolean;
  /**
   * Reads into `buffer`. Returns 0 at end of file. When nothing is available:
   * throws `EAGAIN` if `nonblocking`, else returns a Promise.
   */
  read(buffer: Uint8Array, nonblocking: boolean): Maybe<number>;
  /**
   * Writes `buffer`. A blocking write writes everything before it settles; a
   * non-blocking one writes what fits now (`EAGAIN` if nothing fits).
   */
  write(buffer: Uint8Array, nonblocking: boolean): Maybe<number>;
  /** Readiness now, as `POLL` bits (IN, OUT, ERR, HUP). */
  poll(): PollBits;
  /** Resolves when {@link poll} may have changed. */
  changed(): Promise<void>;
  /** Called when the last open file description on this stream closes. */
  close(): void;
  /** Half-close for sockets (`how`: 1 read, 2 write, 3 both); ENOTSOCK otherwise. */
  shutdown?(how: number): void;
}
