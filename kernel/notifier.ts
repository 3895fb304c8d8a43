/**
 * A one-shot broadcast: waiters get a Promise that settles at the next
 * {@link Notifier.notify}. Streams use it to wake blocked readers and writers.
 *
 * @module
 */

/**
 * Wakes everyone waiting when something changed.
 *
 * @example
 * ```ts
 * import { Notifier } from "./notifier.ts";
 * const n = new Notifier();
 * const woke = n.wait();
 * n.notify();
 * await woke;
 * ```
 */
export class Notifier {
  #waiters: Array<() => void> = [];

  /** A Promise that resolves at the next {@link notify}. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Whether anyone is waiting. */
  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** Resolves every pending {@link wait}. */
  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
