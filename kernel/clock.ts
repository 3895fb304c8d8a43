/**
 * Clocks: realtime, monotonic, and process/thread CPU time, each with a
 * resolution; plus sleeping. {@link RealClock} reads the host;
 * {@link VirtualClock} advances only when a process sleeps, so runs are
 * reproducible.
 *
 * @module
 */

/** Clock ids, with WASI/POSIX numbering. */
export const ClockId = {
  Realtime: 0,
  Monotonic: 1,
  ProcessCpuTime: 2,
  ThreadCpuTime: 3,
} as const;
/** One of the {@link ClockId} values. */
export type ClockId = typeof ClockId[keyof typeof ClockId];

/** What the kernel needs from a clock. */
export interface Clock {
  /** Whether the clock is virtual (deterministic). */
  readonly deterministic: boolean;
  /** Current time of `id` in nanoseconds. */
  now(id: ClockId): bigint;
  /** Resolution of `id` in nanoseconds. */
  resolution(id: ClockId): bigint;
  /** Resolves after `ns` nanoseconds of this clock's time have passed. */
  sleep(ns: bigint): Promise<void>;
  /**
   * Blocks the thread for `ns` nanoseconds (for a WASI sleep without JSPI).
   * Returns false where the host cannot block the thread.
   */
  sleepSync(ns: bigint): boolean;
}

/**
 * Where monotonic time starts: one second, as if the kernel booted a second
 * before it was created. Go's runtime throws "nanotime returning zero" on 0.
 */
export const MONOTONIC_BASE_NS = 1_000_000_000n;

/** Whether `id` is one of the known clock ids. */
export function isClockId(id: number): id is ClockId {
  return id === 0 || id === 1 || id === 2 || id === 3;
}

let sleepCell: Int32Array | null | undefined;
function blockingSleep(ms: number): boolean {
  if (sleepCell === undefined) {
    try {
      sleepCell = new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(sleepCell, 0, 0, 0);
    } catch {
      sleepCell = null;
    }
  }
  if (sleepCell === null) return false;
  Atomics.wait(sleepCell, 0, 0, ms);
  return true;
}

/**
 * The host's clocks. Realtime has microsecond resolution where the host
 * offers it (`performance.timeOrigin + performance.now()`).
 *
 * @example
 * ```ts
 * import { ClockId, RealClock } from "./clock.ts";
 * const clock = new RealClock();
 * console.assert(clock.now(ClockId.Monotonic) >= 0n);
 * ```
 */
export class RealClock implements Clock {
  readonly deterministic = false;
  readonly #origin = performance.now();
  readonly #epochMs = performance.timeOrigin ?? Date.now() - performance.now();
  // The last realtime reading, by the performance.now() value it came from (the
  // result is a function of that value alone), and the whole milliseconds as
  // nanoseconds: file timestamps read the clock on every create, write and unlink.
  #lastP = Number.NaN;
  #lastRealtime = 0n;
  #lastWholeMs = Number.NaN;
  #lastWholeNs = 0n;

  now(id: ClockId): bigint {
    const p = performance.now();
    if (id === ClockId.Realtime) {
      if (p === this.#lastP) return this.#lastRealtime;
      const ms = this.#epochMs + p;
      const whole = Math.floor(ms);
      if (whole !== this.#lastWholeMs) {
        this.#lastWholeMs = whole;
        this.#lastWholeNs = BigInt(whole) * 1_000_000n;
      }
      const ns = this.#lastWholeNs + BigInt(Math.round((ms - whole) * 1e6));
      this.#lastP = p;
      this.#lastRealtime = ns;
      return ns;
    }
    // Monotonic and (approximated) CPU time: since this clock was created,
    // plus MONOTONIC_BASE_NS (guests such as Go's runtime refuse a zero clock).
    return BigInt(Math.round((p - this.#origin) * 1e6)) + MONOTONIC_BASE_NS;
  }

  resolution(_id: ClockId): bigint {
    return 1000n;
  }

  sleep(ns: bigint): Promise<void> {
    const ms = Number(ns) / 1e6;
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(ms))));
  }

  sleepSync(ns: bigint): boolean {
    return blockingSleep(Math.max(0, Number(ns) / 1e6));
  }
}

/**
 * A deterministic clock: time starts at `startNs` (realtime) / 0 (monotonic)
 * and advances only by sleeps, which complete at once.
 *
 * @example
 * ```ts
 * import { ClockId, VirtualClock } from "./clock.ts";
 * const clock = new VirtualClock();
 * const start = clock.now(ClockId.Monotonic);
 * await clock.sleep(5_000_000n);
 * console.assert(clock.now(ClockId.Monotonic) - start === 5_000_000n);
 * ```
 */
export class VirtualClock implements Clock {
  readonly deterministic = true;
  #elapsed = 0n;

  /** `startNs`: realtime at start; default 2000-01-01T00:00:00Z. */
  constructor(readonly startNs = 946_684_800_000_000_000n) {}

  now(id: ClockId): bigint {
    return id === ClockId.Realtime ? this.startNs + this.#elapsed : MONOTONIC_BASE_NS + this.#elapsed;
  }

  resolution(_id: ClockId): bigint {
    return 1n;
  }

  /** Advances time by `ns` (also what sleeping does). */
  advance(ns: bigint): void {
    if (ns > 0n) this.#elapsed += ns;
  }

  sleep(ns: bigint): Promise<void> {
    this.advance(ns);
    return Promise.resolve();
  }

  sleepSync(ns: bigint): boolean {
    this.advance(ns);
    return true;
  }
}
