/**
 * Running overlay operations written once as generators over drivers that may
 * answer with a value or a Promise: synchronous while every driver call is,
 * asynchronous from the first Promise on.
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import type { DirEntry, Maybe } from "../../kernel/types.ts";
import type { FileSystem, VNode } from "../../kernel/vfs/driver.ts";

/** An operation: yields every {@link Maybe} a driver returns, returns `T`. */
export type Step<T> = Generator<unknown, T, unknown>;

/** Yields `value` to the runner and returns what it resolves to. */
export function* wait<T>(value: Maybe<T>): Step<T> {
  return (yield value) as T;
}

/** Whether `value` is a thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown; } | null)?.then === "function";
}

/**
 * Runs `op`, synchronously while every yielded value is plain; a rejected
 * Promise is thrown into the operation at its `yield`.
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

/** `fs.lookup`, with a thrown ENOENT as null. */
export function* lookupIn(fs: FileSystem, dir: VNode, name: string): Step<VNode | null> {
  try {
    return yield* wait(fs.lookup(dir, name));
  } catch (error) {
    if (error instanceof KernelError && error.code === "ENOENT") return null;
    throw error;
  }
}

/** Every entry of a directory, read through cookies. */
export function* listAll(fs: FileSystem, dir: VNode): Step<DirEntry[]> {
  const entries: DirEntry[] = [];
  let cookie = 0;
  for (;;) {
    const batch = yield* wait(fs.readdir(dir, cookie, 1024));
    if (batch.length === 0) return entries;
    entries.push(...batch);
    cookie = batch[batch.length - 1].next;
  }
}

/**
 * Runs operations one at a time in call order for an asynchronous driver
 * (check-then-act sequences must not interleave); a synchronous one runs them
 * directly.
 */
export class Serializer {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly synchronous: boolean) {}

  /** Runs `op` now (synchronous) or after every operation queued before it. */
  exec<T>(op: Step<T>): Maybe<T> {
    if (this.synchronous) return run(op);
    const result = this.tail.then(() => run(op));
    this.tail = result.then(ignore, ignore);
    return result;
  }
}

function ignore(): void {}
