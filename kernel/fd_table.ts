/**
 * A process's file descriptor table: lowest-free allocation, dup, dup2
 * (renumber), close, and a limit (EMFILE).
 *
 * @module
 */

import { KernelError } from "./errno.ts";
import type { OpenFile } from "./open_file.ts";

/** Default maximum number of open fds per process (RLIMIT_NOFILE). */
export const DEFAULT_MAX_FDS = 1024;

/**
 * Maps fd numbers to open file descriptions.
 *
 * @example
 * ```ts
 * import { FdTable } from "./fd_table.ts";
 * const table = new FdTable(16);
 * console.assert(table.size === 0);
 * ```
 */
export class FdTable {
  readonly #slots: Array<OpenFile | undefined> = [];
  #lowestFree = 0;
  #count = 0;

  /** The highest fd number plus one (RLIMIT_NOFILE). */
  readonly limit: number;

  constructor(limit: number = DEFAULT_MAX_FDS) {
    this.limit = limit;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("fd limit must be a positive integer");
  }

  /** Number of open fds. */
  get size(): number {
    return this.#count;
  }

  /** The open file at `fd`; EBADF if none. */
  get(fd: number): OpenFile {
    const file = this.#slots[fd];
    if (file === undefined || !Number.isInteger(fd)) throw new KernelError("EBADF");
    return file;
  }

  /** The open file at `fd`, or undefined. */
  peek(fd: number): OpenFile | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.#slots[fd] : undefined;
  }

  /** Installs `file` at the lowest free fd ≥ `min`; EMFILE when full. Takes over one reference. */
  allocate(file: OpenFile, min = 0): number {
    let fd = Math.max(min, this.#lowestFree);
    while (this.#slots[fd] !== undefined) fd++;
    if (fd >= this.limit) throw new KernelError(min > 0 && min >= this.limit ? "EINVAL" : "EMFILE");
    this.#slots[fd] = file;
    this.#count++;
    if (min <= this.#lowestFree) this.#lowestFree = fd + 1;
    return fd;
  }

  /** Installs `file` at exactly `fd`, returning what was there (the caller closes it). */
  install(fd: number, file: OpenFile): OpenFile | undefined {
    if (!Number.isInteger(fd) || fd < 0 || fd >= this.limit) throw new KernelError("EBADF");
    const old = this.#slots[fd];
    this.#slots[fd] = file;
    if (old === undefined) this.#count++;
    if (fd === this.#lowestFree) {
      while (this.#slots[this.#lowestFree] !== undefined) this.#lowestFree++;
    }
    return old;
  }

  /** Removes `fd` from the table and returns its open file (the caller drops the reference). */
  remove(fd: number): OpenFile {
    const file = this.get(fd);
    this.#slots[fd] = undefined;
    this.#count--;
    if (fd < this.#lowestFree) this.#lowestFree = fd;
    while (this.#slots.length > 0 && this.#slots[this.#slots.length - 1] === undefined) this.#slots.pop();
    return file;
  }

  /** Every open fd with its file, in fd order. */
  *entries(): Iterable<[number, OpenFile]> {
    for (let fd = 0; fd < this.#slots.length; fd++) {
      const file = this.#slots[fd];
      if (file !== undefined) yield [fd, file];
    }
  }
}
