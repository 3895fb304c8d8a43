/**
 * A least-recently-used set of open `FileSystemSyncAccessHandle`s.
 *
 * OPFS allows one sync access handle per file at a time, and each holds an
 * exclusive lock on its file, so the driver shares one handle among all the
 * kernel's open handles of a file and keeps at most `capacity` of them open:
 * opening one more closes the least recently used (which is reopened when its
 * file is next read or written).
 *
 * @module
 */

import type { OpfsSyncAccessHandle } from "./_opfs_api.ts";

/** Something that owns at most one sync access handle (the driver's file node). */
export interface HandleOwner {
  sah: OpfsSyncAccessHandle | null;
}

/**
 * The open sync access handles, least recently used first.
 *
 * @example
 * ```ts
 * import { HandleLru } from "./_handle_lru.ts";
 * const closed: string[] = [];
 * const fake = (name: string) => ({
 *   read: () => 0, write: () => 0, truncate() {}, getSize: () => 0, flush() {},
 *   close() { closed.push(name); },
 * });
 * const lru = new HandleLru(2);
 * const a = { sah: null }, b = { sah: null }, c = { sah: null };
 * lru.add(a, fake("a"));
 * lru.add(b, fake("b"));
 * lru.touch(a);
 * lru.add(c, fake("c")); // closes b, the least recently used
 * console.assert(closed.join() === "b" && b.sah === null && lru.size === 2);
 * ```
 */
export class HandleLru<O extends HandleOwner> {
  /** Owners in use order, least recent first (a Map keeps insertion order). */
  private readonly order = new Map<O, true>();
  /** The most recently used owner, so touching it again costs nothing. */
  private last: O | null = null;

  /** @throws {RangeError} unless `capacity` is an integer >= 1. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`maxOpenHandles must be an integer >= 1, got ${capacity}`);
    }
  }

  /** How many handles are open. */
  get size(): number {
    return this.order.size;
  }

  /** Marks `owner`'s handle as just used. */
  touch(owner: O): void {
    if (owner === this.last) return;
    if (this.order.delete(owner)) this.order.set(owner, true);
    this.last = owner;
  }

  /** Gives `owner` the open handle `sah`, closing the least recently used handles past the capacity. */
  add(owner: O, sah: OpfsSyncAccessHandle): void {
    if (owner.sah !== null) this.close(owner);
    while (this.order.size >= this.capacity) {
      const oldest = this.order.keys().next().value as O;
      this.close(oldest);
    }
    owner.sah = sah;
    this.order.set(owner, true);
    this.last = owner;
  }

  /** Closes `owner`'s handle, if it has one open (which flushes it). */
  close(owner: O): void {
    const sah = owner.sah;
    if (sah === null) return;
    owner.sah = null;
    this.order.delete(owner);
    if (this.last === owner) this.last = null;
    sah.close();
  }

  /** Closes every handle, or those whose owner `filter` accepts. */
  closeAll(filter?: (owner: O) => boolean): void {
    for (const owner of [...this.order.keys()]) {
      if (filter === undefined || filter(owner)) this.close(owner);
    }
  }

  /** Every owner with an open handle, least recently used first. */
  owners(): O[] {
    return [...this.order.keys()];
  }
}
