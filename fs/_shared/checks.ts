/**
 * Argument checks the in-tree drivers share: inode and uid/gid numbers, file
 * positions and file sizes.
 *
 * @example
 * ```ts
 * import { checkSize, isId } from "./checks.ts";
 * console.assert(isId(0) && !isId(-1));
 * checkSize(4096);
 * ```
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";

/** Whether `value` can be an id (uid, gid): a safe integer, not negative. */
export function isId(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Throws EINVAL unless `position` is a safe integer, not negative. */
export function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new KernelError("EINVAL");
}

/** Throws EINVAL unless `size` is a non-negative integer, EFBIG past the safe integers. */
export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 0) throw new KernelError("EINVAL");
  if (size > Number.MAX_SAFE_INTEGER) throw new KernelError("EFBIG");
}
