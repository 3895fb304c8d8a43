/**
 * A cheap nanosecond wall clock for driver timestamps.
 *
 * @example
 * ```ts
 * import { wallClock } from "./wall_clock.ts";
 * const now = wallClock();
 * console.assert(now() % 1_000_000n === 0n);
 * ```
 *
 * @module
 */

/**
 * A wall clock in nanoseconds (millisecond resolution) that converts to bigint
 * only when the millisecond changes, so a burst of operations shares one value.
 */
export function wallClock(): () => bigint {
  let lastMs = -1;
  let lastNs = 0n;
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastNs = BigInt(ms) * 1_000_000n;
    }
    return lastNs;
  };
}
