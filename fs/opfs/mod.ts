/**
 * The Origin Private File System driver ({@link OpfsFileSystem}) for browsers'
 * dedicated workers, and an in-memory imitation of OPFS
 * ({@link createFakeOpfs}) to run the same code under Deno, Bun or a test.
 *
 * @example
 * ```ts
 * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
 * // In a dedicated worker: const fs = await OpfsFileSystem.open({ root: "vkernel" });
 * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
 * const dir = await fs.mkdir(fs.root(), "data", 0o755);
 * console.assert(fs.lookup(fs.root(), "data") === dir);
 * await fs.unmount();
 * ```
 *
 * @module
 */

export type { Durability } from "./_meta_log.ts";
export type {
  OpfsDirectoryHandle,
  OpfsFileHandle,
  OpfsFileSnapshot,
  OpfsStorageManager,
  OpfsSyncAccessHandle,
} from "./_opfs_api.ts";
export { createFakeOpfs, type FakeOpfs, type FakeOpfsOptions, type FakeOpfsStats } from "./fake_opfs.ts";
export { META_DIR_NAME, OpfsFileSystem, type OpfsFileSystemOptions } from "./opfs_fs.ts";
