/**
 * Running overlay operations written once as generators (see
 * `fs/_shared/step.ts`): directory helpers and a serial queue for
 * asynchronous drivers.
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import type { DirEntry, Maybe } from "../../kernel/types.ts";
import type { FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { run, type Step, wait } from "../_shared/step.ts";

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
