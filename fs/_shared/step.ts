/**
 * Driver operations written once as generators over calls that may answer with
 * a value or a Promise: {@link run} drives one synchronously while every
 * yielded value is plain, and asynchronously from the first Promise on.
 *
 * @example
 * ```ts
 * import { run, type Step, wait } from "./step.ts";
 * function* double(value: number | Promise<number>): Step<number> {
 *   return 2 * (yield* wait(value));
 * }
 * console.assert(run(double(2)) === 4);
 * console.assert(await run(double(Promise.resolve(3))) === 6);
 * ```
 *
 * @module
 */

import type { Maybe } from "../../kernel/types.ts";

/** An operation: yields every {@link Maybe} a call returns, returns `T`. */
export type Step<T> = Generator<unknown, T, unknown>;

/** Yields `value` to the runner and returns what it resolves to (a typed `yield`). */
export function* wait<T>(value: Maybe<T>): Step<T> {
  return (yield value) as T;
}

/** Whether `value` is a thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown; } | null)?.then === "function";
}

/**
 * Runs `op`: synchronously while every yielded value is plain, switching to a
 * Promise at the first Promise. A rejection is thrown into the operation at its
 * `yield`, so `try`/`catch` inside operations works in both modes.
 */
export function run<T>(op: Step<T>): Maybe<T> {
  let input: unknown = undefined;
  for (;;) {
    const step = op.next(input);
    if (step.done) return step.value;
    if (isThenable(step.value)) return continueAsync(op, step.value);
    input = step.value;
  }
}

async function continueAsync<T>(op: Step<T>, first: PromiseLike<unknown>): Promise<T> {
  let pending: unknown = first;
  for (;;) {
    let step: IteratorResult<unknown, T>;
    try {
      step = op.next(await pending);
    } catch (error) {
      step = op.throw(error);
    }
    if (step.done) return step.value;
    pending = step.value;
  }
}
