/**
 * Byte storage for the in-memory filesystem's regular files.
 *
 * A file starts with no buffer at all. Small files live in one contiguous
 * `Uint8Array` whose capacity doubles as it grows (up to {@link CONTIGUOUS_LIMIT}).
 * A write that reaches past that limit switches the file to fixed
 * {@link PAGE_SIZE} pages kept in a `Map<pageIndex, Uint8Array>`, so holes cost
 * nothing: one byte written at offset 5 GiB allocates a single page. Holes and
 * the region between the stored bytes and the logical size read as zeros.
 *
 * Space is charged to a {@link SpaceBudget} before anything changes, so a write
 * that does not fit throws `ENOSPC` and leaves the file exactly as it was.
 * The charge ("allocated bytes") is the stored prefix in contiguous mode and
 * `pages × PAGE_SIZE` in paged mode; spare capacity of the growable buffer is
 * not charged.
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";

/** Files whose written bytes stay within this many bytes use one contiguous buffer. */
export const CONTIGUOUS_LIMIT = 256 * 1024;

/** Page size of paged (large or sparse) files, in bytes. */
export const PAGE_SIZE = 64 * 1024;

/** Smallest buffer a contiguous file allocates on its first write. */
const MIN_CAPACITY = 64;

/**
 * Where a {@link FileData} charges the bytes it allocates.
 *
 * @example
 * ```ts
 * import type { SpaceBudget } from "./file_data.ts";
 * let used = 0;
 * const budget: SpaceBudget = {
 *   reserve(bytes) { used += bytes; },
 *   release(bytes) { used -= bytes; },
 * };
 * budget.reserve(10);
 * console.assert(used === 10);
 * ```
 */
export interface SpaceBudget {
  /** Charges `bytes` (> 0) or throws (`ENOSPC`) without charging anything. */
  reserve(bytes: number): void;
  /** Returns `bytes` (> 0) previously reserved. */
  release(bytes: number): void;
}

/**
 * A byte counter with an optional limit: the {@link SpaceBudget} of a whole
 * filesystem.
 *
 * @example
 * ```ts
 * import { SpaceAccount } from "./file_data.ts";
 * const account = new SpaceAccount(100);
 * account.reserve(60);
 * let failed = false;
 * try { account.reserve(50); } catch { failed = true; }
 * console.assert(failed && account.used === 60);
 * account.release(60);
 * console.assert(account.used === 0);
 * ```
 */
export class SpaceAccount implements SpaceBudget {
  /** Bytes currently reserved. */
  used = 0;
  /** The limit in bytes (`Infinity` for none). */
  readonly limit: number;

  /** Creates an account holding at most `limit` bytes (default: no limit). */
  constructor(limit: number = Infinity) {
    if (!(limit >= 0)) throw new RangeError(`space limit must be >= 0, got ${limit}`);
    this.limit = limit;
  }

  /** Charges `bytes`; throws `ENOSPC` (charging nothing) if the limit would be exceeded. */
  reserve(bytes: number): void {
    if (this.used + bytes > this.limit) throw new KernelError("ENOSPC");
    this.used += bytes;
  }

  /** Returns `bytes` to the account. */
  release(bytes: number): void {
    this.used -= bytes;
  }
}

/**
 * The contents of one regular file: a logical size and the bytes actually
 * stored (contiguous or paged, see the module documentation).
 *
 * Positions and sizes are non-negative safe integers; callers validate them
 * (this class does no range checks beyond what it needs to stay consistent).
 *
 * @example
 * ```ts
 * import { FileData, SpaceAccount } from "./file_data.ts";
 * const space = new SpaceAccount();
 * const data = new FileData();
 * data.write(new TextEncoder().encode("hello"), 0, space);
 * data.write(new Uint8Array([33]), 5 * 2 ** 30, space); // 5 GiB: sparse
 * const out = new Uint8Array(5);
 * data.read(out, 0);
 * console.assert(new TextDecoder().decode(out) === "hello");
 * console.assert(data.size === 5 * 2 ** 30 + 1);
 * console.assert(space.used === data.allocated && data.allocated < 2 ** 20);
 * ```
 */
export class FileData {
  /** Logical size in bytes. */
  size = 0;
  /** Bytes charged to the budget (see the module documentation). */
  private charged = 0;
  /** Contiguous mode: the buffer (null until the first write). */
  private bytes: Uint8Array | null = null;
  /** Contiguous mode: bytes of `bytes` that hold data; every byte after them is zero. */
  private stored = 0;
  /** Paged mode: the pages that exist; null in contiguous mode. */
  private pages: Map<number, Uint8Array> | null = null;

  /** Bytes allocated (charged) for this file. */
  get allocated(): number {
    return this.charged;
  }

  /** Whether the file uses pages rather than one contiguous buffer. */
  get paged(): boolean {
    return this.pages !== null;
  }

  /**
   * Copies bytes from `position` into `target`; returns how many (0 at or past
   * the end). Holes read as zeros.
   */
  read(target: Uint8Array, position: number): number {
    const size = this.size;
    if (position >= size || target.length === 0) return 0;
    const count = Math.min(target.length, size - position);
    const pages = this.pages;
    if (pages === null) {
      const stored = this.stored;
      let copied = 0;
      if (position < stored) {
        copied = Math.min(count, stored - position);
        target.set((this.bytes as Uint8Array).subarray(position, position + copied));
      }
      if (copied < count) target.fill(0, copied, count);
      return count;
    }
    let done = 0;
    let index = Math.floor(position / PAGE_SIZE);
    let offset = position - index * PAGE_SIZE;
    while (done < count) {
      const chunk = Math.min(PAGE_SIZE - offset, count - done);
      const page = pages.get(index);
      if (page === undefined) target.fill(0, done, done + chunk);
      else if (chunk === PAGE_SIZE) target.set(page, done);
      else target.set(page.subarray(offset, offset + chunk), done);
      done += chunk;
      index++;
      offset = 0;
    }
    return count;
  }

  /**
   * Writes all of `source` at `position`, growing the size if needed. The space
   * it needs is reserved from `budget` first: if that throws, nothing changed.
   */
  write(source: Uint8Array, position: number, budget: SpaceBudget): void {
    const length = source.length;
    if (length === 0) return;
    const end = position + length;
    if (this.pages === null) {
      if (end <= CONTIGUOUS_LIMIT) {
        this.writeContiguous(source, position, end, budget);
        return;
      }
      this.convertToPages(position, end, budget);
    } else {
      this.reservePages(position, end, budget);
    }
    this.writePages(source, position);
    if (end > this.size) this.size = end;
  }

  /**
   * Sets the logical size. Shrinking frees the bytes past the new end (pages
   * dropped, the tail of the last page zeroed); growing only moves the end: the
   * new range is a hole and costs nothing.
   */
  truncate(size: number, budget: SpaceBudget): void {
    const oldSize = this.size;
    if (size >= oldSize) {
      this.size = size;
      return;
    }
    if (size === 0) {
      this.clear(budget);
      return;
    }
    const pages = this.pages;
    if (pages === null) {
      const stored = this.stored;
      if (size < stored) {
        const bytes = this.bytes as Uint8Array;
        if (size < bytes.length >>> 2) {
          // Mostly empty now: give the memory back.
          const smaller = new Uint8Array(Math.max(size, MIN_CAPACITY));
          smaller.set(bytes.subarray(0, size));
          this.bytes = smaller;
        } else {
          bytes.fill(0, size, stored);
        }
        budget.release(stored - size);
        this.stored = this.charged = size;
      }
    } else {
      const keep = Math.ceil(size / PAGE_SIZE);
      const oldCount = Math.ceil(oldSize / PAGE_SIZE);
      let dropped = 0;
      if (oldCount - keep <= pages.size) {
        for (let index = keep; index < oldCount; index++) if (pages.delete(index)) dropped++;
      } else {
        for (const index of pages.keys()) {
          if (index >= keep) {
            pages.delete(index);
            dropped++;
          }
        }
      }
      if (dropped > 0) {
        budget.release(dropped * PAGE_SIZE);
        this.charged -= dropped * PAGE_SIZE;
      }
      const tail = size % PAGE_SIZE;
      if (tail !== 0) pages.get(keep - 1)?.fill(0, tail);
    }
    this.size = size;
  }

  /** Frees every byte (size 0), returning the charge to `budget`. */
  clear(budget: SpaceBudget): void {
    if (this.charged > 0) budget.release(this.charged);
    this.charged = 0;
    this.size = 0;
    this.bytes = null;
    this.stored = 0;
    this.pages = null;
  }

  private writeContiguous(source: Uint8Array, position: number, end: number, budget: SpaceBudget): void {
    const stored = this.stored;
    const growth = end > stored ? end - stored : 0;
    if (growth > 0) budget.reserve(growth);
    let bytes = this.bytes;
    if (bytes === null || bytes.length < end) {
      const doubled = bytes === null ? MIN_CAPACITY : bytes.length * 2;
      const grown = new Uint8Array(Math.min(CONTIGUOUS_LIMIT, Math.max(end, doubled)));
      if (bytes !== null && stored > 0) grown.set(bytes.subarray(0, stored));
      this.bytes = bytes = grown;
    }
    bytes.set(source, position);
    if (growth > 0) this.stored = this.charged = end;
    if (end > this.size) this.size = end;
  }

  /** Moves the contiguous bytes into pages, reserving those and the pages `[position, end)` needs. */
  private convertToPages(position: number, end: number, budget: SpaceBudget): void {
    const stored = this.stored;
    const kept = Math.ceil(stored / PAGE_SIZE);
    const first = Math.max(Math.floor(position / PAGE_SIZE), kept);
    const last = Math.floor((end - 1) / PAGE_SIZE);
    const fresh = last >= first ? last - first + 1 : 0;
    const charged = (kept + fresh) * PAGE_SIZE;
    budget.reserve(charged - this.charged);
    const pages = new Map<number, Uint8Array>();
    const bytes = this.bytes;
    for (let index = 0; index < kept; index++) {
      const page = new Uint8Array(PAGE_SIZE);
      const start = index * PAGE_SIZE;
      page.set((bytes as Uint8Array).subarray(start, Math.min(stored, start + PAGE_SIZE)));
      pages.set(index, page);
    }
    this.pages = pages;
    this.bytes = null;
    this.stored = 0;
    this.charged = charged;
  }

  /** Reserves the pages of `[position, end)` that do not exist yet. */
  private reservePages(position: number, end: number, budget: SpaceBudget): void {
    const pages = this.pages as Map<number, Uint8Array>;
    const last = Math.floor((end - 1) / PAGE_SIZE);
    let missing = 0;
    for (let index = Math.floor(position / PAGE_SIZE); index <= last; index++) {
      if (!pages.has(index)) missing++;
    }
    if (missing === 0) return;
    budget.reserve(missing * PAGE_SIZE);
    this.charged += missing * PAGE_SIZE;
  }

  /** Copies `source` into pages (already reserved), creating the missing ones. */
  private writePages(source: Uint8Array, position: number): void {
    const pages = this.pages as Map<number, Uint8Array>;
    const length = source.length;
    // A plain Uint8Array's slice() is a fresh copy; subclasses (Node's Buffer) may return views.
    const canSlice = source.constructor === Uint8Array;
    let done = 0;
    let index = Math.floor(position / PAGE_SIZE);
    let offset = position - index * PAGE_SIZE;
    while (done < length) {
      const chunk = Math.min(PAGE_SIZE - offset, length - done);
      const page = pages.get(index);
      if (page !== undefined) {
        page.set(source.subarray(done, done + chunk), offset);
      } else if (chunk === PAGE_SIZE && canSlice) {
        pages.set(index, source.slice(done, done + PAGE_SIZE));
      } else {
        const fresh = new Uint8Array(PAGE_SIZE);
        fresh.set(source.subarray(done, done + chunk), offset);
        pages.set(index, fresh);
      }
      done += chunk;
      index++;
      offset = 0;
    }
  }
}
