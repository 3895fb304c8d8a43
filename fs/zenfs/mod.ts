/**
 * The ZenFS adapter: mount any `@zenfs/core` backend file system (InMemory,
 * SingleBuffer, CopyOnWrite, Fetch, and IndexedDB from `@zenfs/dom` or zip
 * archives from `@zenfs/archives` where those packages are installed) as a
 * vkernel driver.
 *
 * **License.** ZenFS is LGPL-3.0-or-later. This entry point (`./zenfs` in
 * `deno.json`) is the only module that imports it; the root `mod.ts` never
 * does, so an application that does not import `vkernel/zenfs` does not load
 * or bundle ZenFS. An application that does keeps `@zenfs/core` a separate,
 * replaceable dependency, as the LGPL asks.
 *
 * ZenFS is also 30-130x slower than the in-memory driver for small files and
 * appends cost O(file size), so it is never the default filesystem.
 *
 * @example
 * ```ts
 * import { InMemory } from "@zenfs/core";
 * import { createZenFsFileSystem } from "./mod.ts";
 * const fs = await createZenFsFileSystem({ backend: InMemory });
 * const dir = fs.mkdir(fs.root(), "data", 0o755);
 * console.assert(fs.lookup(fs.root(), "data") === dir);
 * ```
 *
 * @module
 */

export {
  createZenFsFileSystem,
  type ZenFsBackend,
  type ZenFsConfiguration,
  ZenFsFileSystem,
  type ZenFsOptions,
} from "./zenfs_fs.ts";
