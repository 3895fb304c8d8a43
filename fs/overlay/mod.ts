/**
 * Overlay filesystems: {@link ReadOnlyFileSystem} (any driver, every mutation
 * EROFS) and {@link CopyOnWriteFileSystem} (a writable upper layer over a
 * read-only lower one).
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * import { CopyOnWriteFileSystem, ReadOnlyFileSystem } from "./mod.ts";
 * const image = new MemoryFileSystem();
 * image.mkdir(image.root(), "etc", 0o755);
 * const fs = new CopyOnWriteFileSystem({ lower: new ReadOnlyFileSystem(image) });
 * fs.create(fs.root(), "scratch", 0o644);
 * console.assert(image.lookup(image.root(), "etc") !== null);
 * ```
 *
 * @module
 */

export {
  CopyOnWriteFileSystem,
  type CopyOnWriteOptions,
  OPAQUE_MARKER,
  WHITEOUT_PREFIX,
} from "./copy_on_write.ts";
export { ReadOnlyFileSystem } from "./readonly.ts";
