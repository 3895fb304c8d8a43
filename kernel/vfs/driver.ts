/**
 * The interface every filesystem driver implements.
 *
 * Drivers are inode/handle based: the kernel's path walker resolves paths and
 * hands drivers one component at a time, so `name` arguments are always a single
 * non-empty component other than `.` (and other than `..`, except in
 * {@link FileSystem.lookup}). Drivers keep no file offsets: the kernel's open file
 * description does, and drivers only do positional I/O.
 *
 * Errors are thrown as {@link KernelError}. An operation a driver cannot do throws
 * `ENOSYS`; a read-only driver throws `EROFS` for every mutation. Never succeed
 * silently.
 *
 * Every method may return a value or a Promise ({@link Maybe}); a driver whose
 * {@link FileSystem.synchronous} is `true` promises never to return a Promise,
 * which lets the kernel keep a path with no Promise at all.
 *
 * @module
 */

import type { DirEntry, FileType, Maybe, SetAttr, Stat, StatFs } from "../types.ts";

/** A driver's node (inode). Drivers may extend it with their own fields. */
export interface VNode {
  /** Inode number: stable for the node's lifetime, unique within the filesystem, never 0. */
  readonly ino: number;
  /** The node's type; never changes. */
  readonly type: FileType;
}

/** An open handle a driver returned from {@link FileSystem.open}. */
export interface FileHandle {
  /** The node this handle is open on. */
  readonly node: VNode;
}

/** What the kernel offers a driver when it is mounted. */
export interface MountContext {
  /** Current realtime in nanoseconds (virtual in deterministic kernels). */
  nowNs(): bigint;
}

/**
 * A filesystem driver.
 *
 * @example
 * ```ts
 * import type { FileSystem } from "./driver.ts";
 * function describe(fs: FileSystem): string {
 *   return `${fs.name}${fs.readOnly ? " (read-only)" : ""}`;
 * }
 * ```
 */
export interface FileSystem {
  /** A short name for messages and traces, e.g. `"memory"`. */
  readonly name: string;
  /** True when no method ever returns a Promise. */
  readonly synchronous: boolean;
  /** True when every mutation throws `EROFS`. */
  readonly readOnly: boolean;

  /** Called once when mounted; optional. */
  attach?(context: MountContext): void;
  /** The root directory. Available synchronously once constructed. */
  root(): VNode;

  /**
   * Looks up `name` in directory `dir`. `".."` returns the physical parent; the
   * root's parent is the root itself. Returns null if absent (throwing ENOENT
   * is accepted too, but an exception per missing name is slow: creating a file
   * always looks its name up first). Throws ENOTDIR if `dir` is not a directory.
   */
  lookup(dir: VNode, name: string): Maybe<VNode | null>;
  /** The node's metadata (`dev` is filled in by the kernel). */
  stat(node: VNode): Maybe<Stat>;
  /** Changes metadata. `size` truncates or extends a regular file (EISDIR on a directory). */
  setattr(node: VNode, attr: SetAttr): Maybe<void>;

  /** Creates a regular file; EEXIST if the name exists. */
  create(dir: VNode, name: string, mode: number): Maybe<VNode>;
  /** Creates a directory; EEXIST if the name exists. */
  mkdir(dir: VNode, name: string, mode: number): Maybe<VNode>;
  /** Creates a symbolic link holding `target`; EEXIST if the name exists. */
  symlink(dir: VNode, name: string, target: string): Maybe<VNode>;
  /** Adds a hard link to `node` (never a directory: EPERM); EEXIST if the name exists. */
  link(dir: VNode, name: string, node: VNode): Maybe<void>;
  /** Removes a non-directory name (EISDIR for a directory). */
  unlink(dir: VNode, name: string): Maybe<void>;
  /** Removes an empty directory (ENOTDIR, ENOTEMPTY). */
  rmdir(dir: VNode, name: string): Maybe<void>;
  /**
   * Renames with POSIX semantics: replaces a file, or an empty directory by a
   * directory; ENOTDIR / EISDIR on a type mismatch; ENOTEMPTY for a non-empty
   * target; EINVAL for a directory moved into its own subtree; a no-op when both
   * names are links to the same node.
   */
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): Maybe<void>;
  /** The target of a symbolic link (EINVAL if not a symlink). */
  readlink(node: VNode): Maybe<string>;
  /**
   * Up to `limit` entries of `dir` after `cookie` (0 = from the start), without
   * `.` and `..`. Each entry's `next` resumes just after it. A listing resumed
   * from a cookie never repeats a name and never skips a name that was present
   * for the whole listing.
   */
  readdir(dir: VNode, cookie: number, limit: number): Maybe<DirEntry[]>;

  /** Opens a node for I/O. `flags` carries the access mode (kernel `O` values). */
  open(node: VNode, flags: number): Maybe<FileHandle>;
  /** Reads at `position`; returns bytes read (0 at or past the end). */
  read(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number>;
  /** Writes at `position` (holes read as zeros); returns bytes written. */
  write(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number>;
  /** Sets the size of an open regular file. */
  truncate(handle: FileHandle, size: number): Maybe<void>;
  /** Makes written data durable (a no-op where there is nothing to flush). */
  sync(handle: FileHandle): Maybe<void>;
  /** Releases the handle. */
  close(handle: FileHandle): Maybe<void>;
  /** Filesystem-wide figures. */
  statfs(): Maybe<StatFs>;
}
