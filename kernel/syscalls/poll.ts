/**
 * Readiness: which fds can be read or written without blocking, and waiting
 * until one can. Regular files and directories are always ready, as in POSIX.
 *
 * @module
 */

import type { Process } from "../process.ts";
import { POLL } from "../types.ts";

/** One fd of interest and the `POLL` events wanted. */
export interface PollRequest {
  fd: number;
  events: number;
}

/** Readiness bits of `fd` now (POLL.IN/OUT/ERR/HUP); `POLL_NVAL` (32) for a bad fd. */
export function pollFd(proc: Process, fd: number): number {
  const file = proc.fds.peek(fd);
  if (!file) return POLL_NVAL;
  if (file.stream) return file.stream.poll();
  return POLL.IN | POLL.OUT;
}

/** Reported for an fd that is not open. */
export const POLL_NVAL = 32;

/**
 * Readiness of each request, masked by its events (ERR, HUP and NVAL are
 * always reported).
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { pipe, poll } from "./mod.ts";
 * const proc = createKernel().createProcess();
 * const [r, w] = pipe(proc);
 * console.assert(poll(proc, [{ fd: r, events: 1 }])[0] === 0);
 * console.assert(poll(proc, [{ fd: w, events: 4 }])[0] === 4);
 * ```
 */
export function poll(proc: Process, requests: readonly PollRequest[]): number[] {
  return requests.map(({ fd, events }) => pollFd(proc, fd) & (events | POLL.ERR | POLL.HUP | POLL_NVAL));
}

/**
 * Resolves when any of the fds may have changed readiness, or after `timeoutNs`
 * (null: no timeout). Callers re-check with {@link poll}.
 */
export function waitForChange(
  proc: Process,
  fds: readonly number[],
  timeoutNs: bigint | null,
): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const fd of fds) {
    const stream = proc.fds.peek(fd)?.stream;
    if (stream) waits.push(stream.changed());
  }
  if (timeoutNs !== null) waits.push(proc.kernel.clock.sleep(timeoutNs));
  if (waits.length === 0) return new Promise(() => {});
  return Promise.race(waits);
}
