/**
 * Running kernel operations that may meet an asynchronous driver.
 *
 * A kernel operation is written once, as a generator that `yield`s every
 * {@link Maybe} a driver returns. {@link drive} runs it: while drivers answer
 * synchronously it never creates a Promise and returns the plain result; the
 * first Promise switches it to asynchronous mode and it returns a Promise.
 *
 * @module
 */

import type { Maybe } from "./types.ts";

/** A kernel operation: yields driver results, returns `T`. */
export type Op<T> = Generator<unknown, T, unknown>;

/** Whether `value` is a thenable (a Promise or Promise-like). */
export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  // Primitives first (most results are numbers or undefined), then real Promises,
  // then any other thenable: cheaper than a generic `value?.then` lookup.
  const type = typeof value;
  if (type !== "object" && type !== "function") return false;
  if (value instanceof Promise) return true;
  return value !== null && typeof (value as { then?: unknown; }).then === "function";
}

/**
 * Runs `op` to completion, synchronously if every yielded value is a plain value.
 *
 * @example
 * ```ts
 * import { drive } from "./_maybe.ts";
 * function* add(): Generator<unknown, number, unknown> {
 *   const a = (yield 1) as number;
 *   const b = (yield 2) as number;
 *   return a + b;
 * }
 * console.assert(drive(add()) === 3);
 * ```
 */
export function drive<T>(op: Op<T>): Maybe<T> {
  let input: unknown = undefined;
  let step: IteratorResult<unknown, T>;
  for (;;) {
    step = op.next(input);
    if (step.done) return step.value;
    if (isPromise(step.value)) return continueAsync(op, step.value);
    input = step.value;
  }
}

async function continueAsync<T>(op: Op<T>, pending: Promise<unknown>): Promise<T> {
  let waiting: unknown = pending;
  for (;;) {
    let step: IteratorResult<unknown, T>;
    try {
      const value = await waiting;
      step = op.next(value);
    } catch (error) {
      // Either the awaited driver value rejected (fed back into the operation,
      // which may catch it) or the operation itself threw (then it is finished,
      // and op.throw rethrows the same error).
      step = op.throw(error);
    }
    if (step.done) return step.value;
    waiting = step.value;
  }
}

/**
 * Applies `fn` to a value that may be a Promise, staying synchronous when it is not.
 *
 * @example
 * ```ts
 * import { then } from "./_maybe.ts";
 * console.assert(then(2, (n) => n * 2) === 4);
 * ```
 */
export function then<T, U>(value: Maybe<T>, fn: (value: T) => Maybe<U>): Maybe<U> {
  return isPromise(value) ? value.then(fn) : fn(value);
}
