/**
 * Directory entries of the in-memory filesystem, with resumable listing.
 *
 * Names map to slots in a `Map` (O(1) lookup, insert and remove). Each slot
 * gets a sequence number when it is inserted; numbers only ever grow, and a
 * listing cookie is the sequence number of the last entry returned. Slots are
 * also kept in an append-only array ordered by sequence number, so resuming a
 * listing is a binary search for the first slot after the cookie.
 *
 * Removing a name leaves a tombstone (the slot with no node) in the array and
 * the map; tombstones are compacted away, sequence numbers unchanged, once they
 * outnumber the live entries. Re-adding a name whose tombstone is still there
 * revives the slot with its old sequence number, so a listing that already
 * passed the name does not return it a second time.
 *
 * Guarantees for a listing resumed from cookies while the directory changes: a
 * name present for the whole listing is returned exactly once; a name is never
 * returned after its removal; replacing a name's node (rename over it) keeps its
 * slot, so it is not returned twice. The one case that can repeat a name is a
 * name removed, then forgotten by a compaction, then created again while a
 * listing is in progress; it is then returned at its new position too (POSIX
 * leaves entries created or removed during a listing unspecified).
 *
 * @module
 */

import type { DirEntry } from "../../kernel/types.ts";
import type { VNode } from "../../kernel/vfs/driver.ts";

/** Tombstones are never compacted below this many, so small directories do not churn. */
const MIN_TOMBSTONES_TO_COMPACT = 16;

/** One name of a {@link Directory}; `node` is null once the name is removed (a tombstone). */
class Slot<N> {
  constructor(readonly name: string, public node: N | null, readonly seq: number) {}
}

/**
 * The entries of one directory: name → node, listable with resumable cookies.
 * `.` and `..` are not entries.
 *
 * @example
 * ```ts
 * import { Directory } from "./directory.ts";
 * const dir = new Directory<{ ino: number; type: 0o100000 }>();
 * dir.add("a", { ino: 2, type: 0o100000 });
 * dir.add("b", { ino: 3, type: 0o100000 });
 * const first = dir.list(0, 1);
 * console.assert(first.length === 1 && first[0].name === "a");
 * dir.remove("a");
 * const rest = dir.list(first[0].next, 10);
 * console.assert(rest.length === 1 && rest[0].name === "b");
 * ```
 */
export class Directory<N extends VNode> {
  private readonly slots = new Map<string, Slot<N>>();
  /** Every slot (live or tombstone) in increasing `seq` order. */
  private order: Slot<N>[] = [];
  private nextSeq = 1;
  private live = 0;
  private tombstones = 0;

  /** Number of names (tombstones excluded). */
  get size(): number {
    return this.live;
  }

  /** The node named `name`, or undefined. */
  get(name: string): N | undefined {
    const slot = this.slots.get(name);
    return slot === undefined || slot.node === null ? undefined : slot.node;
  }

  /** Whether `name` exists. */
  has(name: string): boolean {
    const slot = this.slots.get(name);
    return slot !== undefined && slot.node !== null;
  }

  /** Adds `name` → `node`; returns false (changing nothing) if `name` exists. */
  add(name: string, node: N): boolean {
    const slot = this.slots.get(name);
    if (slot !== undefined) {
      if (slot.node !== null) return false;
      slot.node = node;
      this.tombstones--;
    } else {
      const fresh = new Slot(name, node, this.nextSeq++);
      this.slots.set(name, fresh);
      this.order.push(fresh);
    }
    this.live++;
    return true;
  }

  /** Points the existing name `name` at `node`, keeping its place; returns the previous node. */
  replace(name: string, node: N): N {
    const slot = this.slots.get(name);
    if (slot === undefined || slot.node === null) throw new RangeError(`no entry ${JSON.stringify(name)}`);
    const previous = slot.node;
    slot.node = node;
    return previous;
  }

  /** Removes `name`; returns its node, or undefined if it did not exist. */
  remove(name: string): N | undefined {
    const slot = this.slots.get(name);
    if (slot === undefined || slot.node === null) return undefined;
    const node = slot.node;
    slot.node = null;
    this.live--;
    this.tombstones++;
    if (this.tombstones >= MIN_TOMBSTONES_TO_COMPACT && this.tombstones > this.live) this.compact();
    return node;
  }

  /** Removes every name and forgets every tombstone. */
  clear(): void {
    this.slots.clear();
    this.order = [];
    this.live = 0;
    this.tombstones = 0;
  }

  /**
   * Up to `limit` entries after `cookie` (0 = from the start), in insertion
   * order; each entry's `next` is the cookie that resumes just after it.
   */
  list(cookie: number, limit: number): DirEntry[] {
    const result: DirEntry[] = [];
    if (limit <= 0) return result;
    const order = this.order;
    // Binary search: the first slot with seq > cookie.
    let low = 0;
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (order[middle].seq <= cookie) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < order.length; i++) {
      const slot = order[i];
      const node = slot.node;
      if (node === null) continue;
      result.push({ name: slot.name, ino: node.ino, type: node.type, next: slot.seq });
      if (result.length >= limit) break;
    }
    return result;
  }

  /** Every `[name, node]` pair, in listing order. */
  *entries(): IterableIterator<[string, N]> {
    for (const slot of this.order) if (slot.node !== null) yield [slot.name, slot.node];
  }

  /** Drops the tombstones from the array and the map; sequence numbers are unchanged. */
  private compact(): void {
    const kept: Slot<N>[] = [];
    for (const slot of this.order) {
      if (slot.node !== null) kept.push(slot);
      else this.slots.delete(slot.name);
    }
    this.order = kept;
    this.tombstones = 0;
  }
}
