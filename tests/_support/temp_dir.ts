/**
 * Temporary directories for tests, on the host filesystem, through `node:fs`
 * and `node:os` so the same code runs under Deno and Bun.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Creates a new, empty, uniquely named directory under the host's temporary
 * directory and returns its absolute path. The name is `prefix` followed by
 * six random characters.
 *
 * @param prefix the start of the directory's name, e.g. `"vkernel-memfs-"`;
 *   it must not contain `/` or `\`.
 * @throws {TypeError} when `prefix` is not a string or contains a path separator.
 *
 * @example
 * ```ts
 * import { existsSync } from "node:fs";
 * import { makeTempDir, removeDir } from "./temp_dir.ts";
 * const dir = makeTempDir("vkernel-example-");
 * console.assert(existsSync(dir));
 * removeDir(dir);
 * console.assert(!existsSync(dir));
 * ```
 */
export function makeTempDir(prefix: string): string {
  if (typeof prefix !== "string") throw new TypeError("prefix must be a string");
  if (/[/\\]/.test(prefix)) throw new TypeError(`prefix must not contain a path separator: ${prefix}`);
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Removes `path` and everything under it. A path that does not exist is not an
 * error, so it is safe in `finally` blocks and `after` hooks.
 *
 * As a guard against a wrong variable, it refuses `/` and the temporary
 * directory itself.
 *
 * @throws {TypeError} when `path` is not a non-empty string.
 * @throws {RangeError} when `path` is `/` or the host's temporary directory.
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { makeTempDir, removeDir } from "./temp_dir.ts";
 * const dir = makeTempDir("vkernel-example-");
 * writeFileSync(`${dir}/file`, "data");
 * removeDir(dir);
 * removeDir(dir); // already gone: no error
 * ```
 */
export function removeDir(path: string): void {
  if (typeof path !== "string" || path.length === 0) throw new TypeError("path must be a non-empty string");
  const absolute = resolve(path);
  if (absolute === resolve("/") || absolute === resolve(tmpdir())) {
    throw new RangeError(`refusing to remove ${absolute}`);
  }
  rmSync(absolute, { recursive: true, force: true });
}
