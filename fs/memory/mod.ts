/**
 * The in-memory filesystem driver: {@link MemoryFileSystem} and its building
 * blocks.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "./mod.ts";
 * const fs = new MemoryFileSystem({ quotaBytes: 64 << 20 });
 * const dir = fs.mkdir(fs.root(), "tmp", 0o1777);
 * console.assert(fs.lookup(dir, "..") === fs.root());
 * ```
 *
 * @module
 */

export { Directory } from "./directory.ts";
export { CONTIGUOUS_LIMIT, FileData, PAGE_SIZE, SpaceAccount, type SpaceBudget } from "./file_data.ts";
export { MemoryFileSystem, type MemoryFileSystemOptions } from "./memory_fs.ts";
