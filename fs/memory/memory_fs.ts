/**
 * The in-memory filesystem driver, the kernel's default filesystem.
 *
 * Every inode is a node object with a stable, never reused number (the root is
 * 1). Directories hold a {@link Directory} (a `Map` of names with resumable
 * listing cookies) and a pointer to their parent; regular files hold a
 * {@link FileData} (contiguous for small files, sparse pages for large ones);
 * symbolic links hold their target. Every method is synchronous.
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import {
  type DirEntry,
  FileType,
  O,
  PERMISSION_BITS,
  type SetAttr,
  type Stat,
  type StatFs,
} from "../../kernel/types.ts";
import { UTIME } from "../../kernel/types.ts";
import type { FileHandle, FileSystem, MountContext, VNode } from "../../kernel/vfs/driver.ts";
import { checkPosition, checkSize, isId } from "../_shared/checks.ts";
import { wallClock } from "../_shared/wall_clock.ts";
import { Directory } from "./directory.ts";
import { FileData, SpaceAccount } from "./file_data.ts";

/** `stat.blksize` and the `statfs` block size. */
const BLOCK_SIZE = 4096;
/** Longest name the filesystem reports it accepts (the kernel enforces it). */
const NAME_MAX = 255;
/** `UTIME_NOW` / `UTIME_OMIT` from kernel/types.ts, accepted in {@link SetAttr} times. */
const UTIME_NOW = UTIME.NOW;
const UTIME_OMIT = UTIME.OMIT;

/**
 * Options of {@link MemoryFileSystem}.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem, type MemoryFileSystemOptions } from "./memory_fs.ts";
 * let tick = 0n;
 * const options: MemoryFileSystemOptions = {
 *   clock: () => ++tick,
 *   quotaBytes: 1 << 20,
 *   uid: 1000,
 *   gid: 1000,
 *   rootMode: 0o700,
 * };
 * const fs = new MemoryFileSystem(options);
 * console.assert(fs.stat(fs.root()).uid === 1000);
 * ```
 */
export interface MemoryFileSystemOptions {
  /**
   * Time source in nanoseconds since the Unix epoch, used until {@link
   * MemoryFileSystem.attach} provides the kernel's clock. Default: `Date.now()`.
   */
  clock?: () => bigint;
  /**
   * Most bytes of file data the filesystem may hold; a write that would go past
   * it throws `ENOSPC` and changes nothing. Default: no limit. File data is
   * charged by its stored bytes (small files) or its 64 KiB pages (large
   * files); metadata, names and symlink targets are not charged.
   */
  quotaBytes?: number;
  /** Owner of new nodes (and of the root). Default 0. */
  uid?: number;
  /** Group of new nodes (and of the root). Default 0. */
  gid?: number;
  /** Permission bits of the root directory. Default `0o755`. */
  rootMode?: number;
}

/** Base of the filesystem's nodes. */
abstract class MemoryNode implements VNode {
  abstract readonly type: FileType;
  nlink = 1;
  /** Open handles on this node. */
  openCount = 0;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  readonly birthtimeNs: bigint;

  constructor(
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
    now: bigint,
  ) {
    this.atimeNs =
      this.mtimeNs =
      this.ctimeNs =
      this.birthtimeNs =
        now;
  }
}

class FileNode extends MemoryNode {
  /** Null until the file first holds bytes, so empty files cost no storage object. */
  data: FileData | null = null;
  get type(): FileType {
    return FileType.RegularFile;
  }
}

class DirectoryNode extends MemoryNode {
  readonly entries: Directory<MemoryNode> = new Directory();
  /** The physical parent; the root's parent is itself. */
  parent: DirectoryNode;
  constructor(
    ino: number,
    mode: number,
    uid: number,
    gid: number,
    now: bigint,
    parent: DirectoryNode | null,
  ) {
    super(ino, mode, uid, gid, now);
    this.nlink = 2;
    this.parent = parent ?? this;
  }
  get type(): FileType {
    return FileType.Directory;
  }
}

class SymlinkNode extends MemoryNode {
  readonly byteLength: number;
  constructor(ino: number, uid: number, gid: number, now: bigint, readonly target: string) {
    super(ino, 0o777, uid, gid, now);
    this.byteLength = utf8Length(target);
  }
  get type(): FileType {
    return FileType.Symlink;
  }
}

/** An open handle of {@link MemoryFileSystem}. */
class MemoryHandle implements FileHandle {
  closed = false;
  constructor(readonly node: MemoryNode, readonly readable: boolean, readonly writable: boolean) {}
}

/**
 * An in-memory filesystem: the {@link FileSystem} the kernel mounts by default.
 *
 * Synchronous (no method returns a Promise), with inodes, hard links, symbolic
 * links, POSIX permission bits and owners, nanosecond timestamps, sparse files
 * up to 2^53 bytes, files that outlive their last name while open, and an
 * optional byte quota.
 *
 * Handles enforce their access mode: `read` on a write-only or `O_PATH` handle
 * and `write` on a read-only one throw `EBADF`, `truncate` on a handle not open
 * for writing throws `EINVAL`. `open` ignores every flag but the access mode and
 * `O_PATH` (the kernel handles `O_TRUNC`, `O_APPEND`, ...).
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "./memory_fs.ts";
 * import { O } from "../../kernel/types.ts";
 * const fs = new MemoryFileSystem();
 * const docs = fs.mkdir(fs.root(), "docs", 0o755);
 * const file = fs.create(docs, "hello.txt", 0o644);
 * const handle = fs.open(file, O.RDWR);
 * fs.write(handle, new TextEncoder().encode("hello"), 0);
 * const buffer = new Uint8Array(16);
 * const count = fs.read(handle, buffer, 0);
 * fs.close(handle);
 * console.assert(new TextDecoder().decode(buffer.subarray(0, count)) === "hello");
 * console.assert(fs.lookup(docs, "hello.txt") === file);
 * console.assert(fs.stat(file).size === 5);
 * ```
 */
export class MemoryFileSystem implements FileSystem {
  /** Always `"memory"`. */
  readonly name: string = "memory";
  /** Always true: no method returns a Promise. */
  readonly synchronous: boolean = true;
  /** Always false. */
  readonly readOnly: boolean = false;

  private clock: () => bigint;
  private readonly space: SpaceAccount;
  private readonly uid: number;
  private readonly gid: number;
  private readonly rootNode: DirectoryNode;
  private nextIno = 1;
  /** Inodes allocated and not yet freed. */
  private liveInodes = 0;

  /**
   * Creates an empty filesystem (just the root directory).
   *
   * @throws {RangeError} for an invalid option (negative quota, uid, gid).
   */
  constructor(options: MemoryFileSystemOptions = {}) {
    const { clock, quotaBytes, uid = 0, gid = 0, rootMode = 0o755 } = options;
    if (quotaBytes !== undefined && !(quotaBytes >= 0)) {
      throw new RangeError(`quotaBytes must be >= 0, got ${quotaBytes}`);
    }
    if (!isId(uid)) throw new RangeError(`uid must be a non-negative integer, got ${uid}`);
    if (!isId(gid)) throw new RangeError(`gid must be a non-negative integer, got ${gid}`);
    this.clock = clock ?? wallClock();
    this.space = new SpaceAccount(quotaBytes ?? Infinity);
    this.uid = uid;
    this.gid = gid;
    this.rootNode = new DirectoryNode(
      this.nextIno++,
      rootMode & PERMISSION_BITS,
      uid,
      gid,
      this.clock(),
      null,
    );
    this.liveInodes = 1;
  }

  /**
   * Switches the time source to the kernel's clock (it replaces the `clock`
   * option too, so all timestamps in a kernel come from one clock).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * fs.attach({ nowNs: () => 42n });
   * const file = fs.create(fs.root(), "f", 0o644);
   * console.assert(fs.stat(file).mtimeNs === 42n);
   * ```
   */
  attach(context: MountContext): void {
    this.clock = () => context.nowNs();
  }

  /**
   * The root directory (inode 1).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * console.assert(fs.root().ino === 1);
   * ```
   */
  root(): VNode {
    return this.rootNode;
  }

  /**
   * The node `name` in `dir`; `".."` is the parent (the root's is the root).
   * ENOTDIR if `dir` is not a directory, ENOENT if there is no such name.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const dir = fs.mkdir(fs.root(), "d", 0o755);
   * console.assert(fs.lookup(fs.root(), "d") === dir);
   * console.assert(fs.lookup(dir, "..") === fs.root());
   * ```
   */
  lookup(dir: VNode, name: string): VNode | null {
    const directory = asDirectory(dir);
    if (name === "..") return directory.parent;
    if (name === ".") return directory;
    return directory.entries.get(name) ?? null;
  }

  /**
   * The node's metadata (`dev` is 0: the kernel fills it in). Directories report
   * their number of entries as their size; `blocks` counts 512-byte units of
   * allocated file data.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const st = fs.stat(fs.create(fs.root(), "f", 0o640));
   * console.assert(st.mode === 0o640 && st.size === 0 && st.nlink === 1);
   * ```
   */
  stat(node: VNode): Stat {
    const n = asNode(node);
    let size = 0;
    let allocated = 0;
    if (n instanceof FileNode) {
      const data = n.data;
      if (data !== null) {
        size = data.size;
        allocated = data.allocated;
      }
    } else if (n instanceof DirectoryNode) {
      size = n.entries.size;
    } else if (n instanceof SymlinkNode) {
      size = n.byteLength;
    }
    return {
      dev: 0,
      ino: n.ino,
      type: n.type,
      mode: n.mode,
      nlink: n.nlink,
      uid: n.uid,
      gid: n.gid,
      rdev: 0,
      size,
      blksize: BLOCK_SIZE,
      blocks: Math.ceil(allocated / 512),
      atimeNs: n.atimeNs,
      mtimeNs: n.mtimeNs,
      ctimeNs: n.ctimeNs,
      birthtimeNs: n.birthtimeNs,
    };
  }

  /**
   * Changes metadata; absent fields stay. `mode` keeps only permission bits;
   * `uid`/`gid` of -1 mean "unchanged" (as in `chown`); `size` truncates or
   * extends a regular file (EISDIR on a directory, EINVAL on a symlink or a
   * negative or fractional size, EFBIG past 2^53 - 1); times may be
   * `UTIME.NOW` or `UTIME.OMIT`. Any change sets ctime. Everything is validated
   * before anything changes.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "f", 0o644);
   * fs.setattr(file, { mode: 0o600, size: 10, mtimeNs: 5n });
   * const st = fs.stat(file);
   * console.assert(st.mode === 0o600 && st.size === 10 && st.mtimeNs === 5n);
   * ```
   */
  setattr(node: VNode, attr: SetAttr): void {
    const n = asNode(node);
    const { mode, uid, gid, size, atimeNs, mtimeNs } = attr;
    if (mode !== undefined && !Number.isInteger(mode)) throw new KernelError("EINVAL");
    if (uid !== undefined && uid !== -1 && !isId(uid)) throw new KernelError("EINVAL");
    if (gid !== undefined && gid !== -1 && !isId(gid)) throw new KernelError("EINVAL");
    if (size !== undefined) {
      if (n instanceof DirectoryNode) throw new KernelError("EISDIR");
      if (!(n instanceof FileNode)) throw new KernelError("EINVAL");
      checkSize(size);
    }
    const now = this.clock();
    let changed = false;
    if (mode !== undefined) {
      n.mode = mode & PERMISSION_BITS;
      changed = true;
    }
    if (uid !== undefined) {
      if (uid !== -1) n.uid = uid;
      changed = true;
    }
    if (gid !== undefined) {
      if (gid !== -1) n.gid = gid;
      changed = true;
    }
    if (size !== undefined) {
      this.resize(n as FileNode, size);
      n.mtimeNs = now;
      changed = true;
    }
    if (atimeNs !== undefined && atimeNs !== UTIME_OMIT) {
      n.atimeNs = atimeNs === UTIME_NOW ? now : atimeNs;
      changed = true;
    }
    if (mtimeNs !== undefined && mtimeNs !== UTIME_OMIT) {
      n.mtimeNs = mtimeNs === UTIME_NOW ? now : mtimeNs;
      changed = true;
    }
    if (changed) n.ctimeNs = now;
  }

  /**
   * Creates an empty regular file with permission bits `mode`. ENOTDIR if `dir`
   * is not a directory, ENOENT if it was removed, EEXIST if `name` exists.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "notes.txt", 0o644);
   * console.assert(fs.lookup(fs.root(), "notes.txt") === file);
   * ```
   */
  create(dir: VNode, name: string, mode: number): VNode {
    const parent = this.liveDirectory(dir, name);
    const now = this.clock();
    const node = new FileNode(this.nextIno++, mode & PERMISSION_BITS, this.uid, this.gid, now);
    parent.entries.add(name, node);
    this.liveInodes++;
    parent.mtimeNs = parent.ctimeNs = now;
    return node;
  }

  /**
   * Creates an empty directory; errors as {@link MemoryFileSystem.create}.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * fs.mkdir(fs.root(), "d", 0o755);
   * console.assert(fs.stat(fs.root()).nlink === 3);
   * ```
   */
  mkdir(dir: VNode, name: string, mode: number): VNode {
    const parent = this.liveDirectory(dir, name);
    const now = this.clock();
    const node = new DirectoryNode(this.nextIno++, mode & PERMISSION_BITS, this.uid, this.gid, now, parent);
    parent.entries.add(name, node);
    this.liveInodes++;
    parent.nlink++;
    parent.mtimeNs = parent.ctimeNs = now;
    return node;
  }

  /**
   * Creates a symbolic link holding `target` (ENOENT for an empty target);
   * errors as {@link MemoryFileSystem.create}.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const link = fs.symlink(fs.root(), "l", "/etc/hosts");
   * console.assert(fs.readlink(link) === "/etc/hosts" && fs.stat(link).size === 10);
   * ```
   */
  symlink(dir: VNode, name: string, target: string): VNode {
    const parent = this.liveDirectory(dir, name);
    if (target === "") throw new KernelError("ENOENT");
    const now = this.clock();
    const node = new SymlinkNode(this.nextIno++, this.uid, this.gid, now, target);
    parent.entries.add(name, node);
    this.liveInodes++;
    parent.mtimeNs = parent.ctimeNs = now;
    return node;
  }

  /**
   * Adds the name `name` in `dir` for `node`. EEXIST if the name exists, EPERM
   * if `node` is a directory, ENOENT if `node` has no name left.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "a", 0o644);
   * fs.link(fs.root(), "b", file);
   * console.assert(fs.stat(file).nlink === 2);
   * ```
   */
  link(dir: VNode, name: string, node: VNode): void {
    const parent = this.liveDirectory(dir, name);
    const n = asNode(node);
    if (n instanceof DirectoryNode) throw new KernelError("EPERM");
    if (n.nlink === 0) throw new KernelError("ENOENT");
    const now = this.clock();
    parent.entries.add(name, n);
    n.nlink++;
    n.ctimeNs = now;
    parent.mtimeNs = parent.ctimeNs = now;
  }

  /**
   * Removes the non-directory name `name` (EISDIR for a directory, ENOENT if
   * absent). The node is freed once it has no name and no open handle.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "f", 0o644);
   * const handle = fs.open(file, O.RDWR);
   * fs.unlink(fs.root(), "f");
   * console.assert(fs.write(handle, new Uint8Array([1]), 0) === 1); // still usable
   * fs.close(handle); // now freed
   * ```
   */
  unlink(dir: VNode, name: string): void {
    const parent = asDirectory(dir);
    const n = parent.entries.get(name);
    if (n === undefined) throw new KernelError("ENOENT");
    if (n instanceof DirectoryNode) throw new KernelError("EISDIR");
    parent.entries.remove(name);
    const now = this.clock();
    n.nlink--;
    n.ctimeNs = now;
    parent.mtimeNs = parent.ctimeNs = now;
    if (n.nlink === 0 && n.openCount === 0) this.free(n);
  }

  /**
   * Removes the empty directory `name` (ENOTDIR if not a directory, ENOTEMPTY, ENOENT).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * fs.mkdir(fs.root(), "d", 0o755);
   * fs.rmdir(fs.root(), "d");
   * console.assert(fs.stat(fs.root()).nlink === 2);
   * ```
   */
  rmdir(dir: VNode, name: string): void {
    const parent = asDirectory(dir);
    const n = parent.entries.get(name);
    if (n === undefined) throw new KernelError("ENOENT");
    if (!(n instanceof DirectoryNode)) throw new KernelError("ENOTDIR");
    if (n.entries.size > 0) throw new KernelError("ENOTEMPTY");
    parent.entries.remove(name);
    const now = this.clock();
    this.removeDirectory(n, now);
    parent.nlink--;
    parent.mtimeNs = parent.ctimeNs = now;
  }

  /**
   * Renames `oldName` in `oldDir` to `newName` in `newDir`, replacing what is
   * there: ENOENT if the source is missing, EINVAL if a directory would move
   * into its own subtree, ENOTDIR for a directory over a non-directory, EISDIR
   * for a non-directory over a directory, ENOTEMPTY over a non-empty directory.
   * A no-op when both names are the same node.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * const root = fs.root();
   * const a = fs.mkdir(root, "a", 0o755);
   * const b = fs.mkdir(root, "b", 0o755);
   * fs.rename(root, "a", b, "a2");
   * console.assert(fs.lookup(fs.lookup(b, "a2"), "..") === b);
   * console.assert(fs.lookup(b, "a2") === a);
   * ```
   */
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): void {
    const from = asDirectory(oldDir);
    const to = asDirectory(newDir);
    const source = from.entries.get(oldName);
    if (source === undefined) throw new KernelError("ENOENT");
    const target = to.entries.get(newName);
    if (target === source) return;
    if (to.nlink === 0) throw new KernelError("ENOENT");
    const isDirectory = source instanceof DirectoryNode;
    if (isDirectory) {
      for (let d = to;; d = d.parent) {
        if (d === source) throw new KernelError("EINVAL");
        if (d.parent === d) break;
      }
    }
    if (target !== undefined) {
      if (isDirectory) {
        if (!(target instanceof DirectoryNode)) throw new KernelError("ENOTDIR");
        if (target.entries.size > 0) throw new KernelError("ENOTEMPTY");
      } else if (target instanceof DirectoryNode) {
        throw new KernelError("EISDIR");
      }
    }
    const now = this.clock();
    if (target !== undefined) {
      to.entries.replace(newName, source);
      if (target instanceof DirectoryNode) {
        this.removeDirectory(target, now);
        to.nlink--;
      } else {
        target.nlink--;
        target.ctimeNs = now;
        if (target.nlink === 0 && target.openCount === 0) this.free(target);
      }
    } else {
      to.entries.add(newName, source);
    }
    from.entries.remove(oldName);
    if (isDirectory && from !== to) {
      from.nlink--;
      to.nlink++;
      source.parent = to;
    }
    source.ctimeNs = now;
    from.mtimeNs = from.ctimeNs = now;
    to.mtimeNs = to.ctimeNs = now;
  }

  /**
   * The target of a symbolic link (EINVAL if `node` is not one).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * console.assert(fs.readlink(fs.symlink(fs.root(), "l", "target")) === "target");
   * ```
   */
  readlink(node: VNode): string {
    const n = asNode(node);
    if (!(n instanceof SymlinkNode)) throw new KernelError("EINVAL");
    return n.target;
  }

  /**
   * Up to `limit` entries of `dir` after `cookie` (0 = from the start), without
   * `.` and `..`; see {@link Directory.list} for the guarantees under change.
   * Sets the directory's atime.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem();
   * for (const name of ["a", "b", "c"]) fs.create(fs.root(), name, 0o644);
   * const names: string[] = [];
   * let cookie = 0;
   * for (;;) {
   *   const batch = fs.readdir(fs.root(), cookie, 2);
   *   if (batch.length === 0) break;
   *   for (const entry of batch) names.push(entry.name);
   *   cookie = batch[batch.length - 1].next;
   * }
   * console.assert(names.join() === "a,b,c");
   * ```
   */
  readdir(dir: VNode, cookie: number, limit: number): DirEntry[] {
    const directory = asDirectory(dir);
    if (!(cookie >= 0)) throw new KernelError("EINVAL");
    directory.atimeNs = this.clock();
    return directory.entries.list(cookie, limit);
  }

  /**
   * Opens `node` for positional I/O with the access mode in `flags`
   * (`O.RDONLY`, `O.WRONLY`, `O.RDWR`, optionally `O.PATH`). EISDIR when
   * opening a directory for writing; ENOENT for a file already freed.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "f", 0o644);
   * const handle = fs.open(file, O.RDONLY);
   * console.assert(handle.node === file);
   * fs.close(handle);
   * ```
   */
  open(node: VNode, flags: number): FileHandle {
    const n = asNode(node);
    const pathOnly = (flags & O.PATH) !== 0;
    const access = flags & O.ACCMODE;
    const writable = !pathOnly && (access === O.WRONLY || access === O.RDWR);
    if (n instanceof DirectoryNode) {
      if (writable) throw new KernelError("EISDIR");
    } else if (n.nlink === 0 && n.openCount === 0) {
      throw new KernelError("ENOENT");
    }
    n.openCount++;
    return new MemoryHandle(n, !pathOnly && access !== O.WRONLY, writable);
  }

  /**
   * Reads into `buffer` from `position`; returns the count (0 at or past the
   * end; holes read as zeros). EISDIR on a directory, EBADF on a closed or
   * non-readable handle, EINVAL for a bad position. Sets atime.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644), O.RDWR);
   * fs.write(handle, new Uint8Array([1, 2, 3]), 0);
   * const buffer = new Uint8Array(8);
   * console.assert(fs.read(handle, buffer, 1) === 2 && buffer[0] === 2);
   * console.assert(fs.read(handle, buffer, 3) === 0);
   * ```
   */
  read(handle: FileHandle, buffer: Uint8Array, position: number): number {
    const h = asOpenHandle(handle);
    const n = h.node;
    if (n instanceof DirectoryNode) throw new KernelError("EISDIR");
    if (!h.readable) throw new KernelError("EBADF");
    if (!(n instanceof FileNode)) throw new KernelError("EINVAL");
    checkPosition(position);
    if (buffer.length === 0) return 0;
    n.atimeNs = this.clock();
    const data = n.data;
    return data === null ? 0 : data.read(buffer, position);
  }

  /**
   * Writes all of `buffer` at `position` (a hole before it reads as zeros);
   * returns `buffer.length`. ENOSPC (nothing written) past the quota, EFBIG past
   * 2^53 - 1 bytes, EISDIR on a directory, EBADF on a closed or non-writable
   * handle. Sets mtime and ctime.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "f", 0o644);
   * const handle = fs.open(file, O.WRONLY);
   * fs.write(handle, new Uint8Array([7]), 2 ** 33); // sparse: 8 GiB + 1 byte
   * console.assert(fs.stat(file).size === 2 ** 33 + 1);
   * fs.close(handle);
   * ```
   */
  write(handle: FileHandle, buffer: Uint8Array, position: number): number {
    const h = asOpenHandle(handle);
    const n = h.node;
    if (n instanceof DirectoryNode) throw new KernelError("EISDIR");
    if (!h.writable) throw new KernelError("EBADF");
    if (!(n instanceof FileNode)) throw new KernelError("EINVAL");
    checkPosition(position);
    const length = buffer.length;
    if (length === 0) return 0;
    if (position + length > Number.MAX_SAFE_INTEGER) throw new KernelError("EFBIG");
    const data = n.data ??= new FileData();
    data.write(buffer, position, this.space);
    n.mtimeNs = n.ctimeNs = this.clock();
    return length;
  }

  /**
   * Sets the size of the open regular file: shrinking frees data, growing adds
   * a hole. EISDIR on a directory, EINVAL if not open for writing or for a bad
   * size, EFBIG past 2^53 - 1. Sets mtime and ctime.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const file = fs.create(fs.root(), "f", 0o644);
   * const handle = fs.open(file, O.RDWR);
   * fs.truncate(handle, 1000);
   * console.assert(fs.stat(file).size === 1000 && fs.stat(file).blocks === 0);
   * fs.close(handle);
   * ```
   */
  truncate(handle: FileHandle, size: number): void {
    const h = asOpenHandle(handle);
    const n = h.node;
    if (n instanceof DirectoryNode) throw new KernelError("EISDIR");
    if (!h.writable || !(n instanceof FileNode)) throw new KernelError("EINVAL");
    checkSize(size);
    this.resize(n, size);
    n.mtimeNs = n.ctimeNs = this.clock();
  }

  /**
   * Nothing to flush; EBADF on a closed handle.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644), O.RDWR);
   * fs.sync(handle);
   * fs.close(handle);
   * ```
   */
  sync(handle: FileHandle): void {
    asOpenHandle(handle);
  }

  /**
   * Releases the handle (EBADF if already closed); frees a node left with no name.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new MemoryFileSystem();
   * const handle = fs.open(fs.root(), O.RDONLY);
   * fs.close(handle);
   * let error = "";
   * try { fs.close(handle); } catch (e) { error = (e as { code: string }).code; }
   * console.assert(error === "EBADF");
   * ```
   */
  close(handle: FileHandle): void {
    const h = asOpenHandle(handle);
    h.closed = true;
    const n = h.node;
    n.openCount--;
    if (n.openCount === 0 && n.nlink === 0 && !(n instanceof DirectoryNode)) this.free(n);
  }

  /**
   * Filesystem-wide figures in 4096-byte blocks. With a quota, `totalBlocks` is
   * the quota and `freeBlocks` what is left of it; without one, both are
   * nominal (2^53 bytes). Inodes are nominally unlimited.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "./memory_fs.ts";
   * const fs = new MemoryFileSystem({ quotaBytes: 1 << 20 });
   * const st = fs.statfs();
   * console.assert(st.totalBlocks === 256 && st.freeBlocks === 256);
   * ```
   */
  statfs(): StatFs {
    const { used, limit } = this.space;
    const capacity = Math.min(limit, Number.MAX_SAFE_INTEGER);
    const totalBlocks = Math.floor(capacity / BLOCK_SIZE);
    const usedBlocks = Math.ceil(used / BLOCK_SIZE);
    const totalInodes = Number.MAX_SAFE_INTEGER;
    return {
      blockSize: BLOCK_SIZE,
      totalBlocks,
      freeBlocks: Math.max(0, Math.min(totalBlocks - usedBlocks, Math.floor((capacity - used) / BLOCK_SIZE))),
      totalInodes,
      freeInodes: totalInodes - this.liveInodes,
      nameMax: NAME_MAX,
    };
  }

  /** `dir` as a directory that can receive `name`: ENOTDIR, ENOENT (removed), EEXIST. */
  private liveDirectory(dir: VNode, name: string): DirectoryNode {
    const directory = asDirectory(dir);
    if (directory.nlink === 0) throw new KernelError("ENOENT");
    if (directory.entries.has(name)) throw new KernelError("EEXIST");
    return directory;
  }

  /** Sets a file's size (validated by the caller). */
  private resize(file: FileNode, size: number): void {
    const data = file.data;
    if (data !== null) data.truncate(size, this.space);
    else if (size > 0) (file.data = new FileData()).truncate(size, this.space);
  }

  /** Marks a directory removed from its parent (which the caller updates) and frees it. */
  private removeDirectory(directory: DirectoryNode, now: bigint): void {
    directory.nlink = 0;
    directory.ctimeNs = now;
    directory.entries.clear();
    this.liveInodes--;
  }

  /** Frees a non-directory node with no name and no open handle. */
  private free(node: MemoryNode): void {
    if (node instanceof FileNode && node.data !== null) {
      node.data.clear(this.space);
      node.data = null;
    }
    this.liveInodes--;
  }
}

function asNode(node: VNode): MemoryNode {
  if (node instanceof MemoryNode) return node;
  throw new TypeError("not a node of a MemoryFileSystem");
}

function asDirectory(node: VNode): DirectoryNode {
  if (node instanceof DirectoryNode) return node;
  if (node instanceof MemoryNode) throw new KernelError("ENOTDIR");
  throw new TypeError("not a node of a MemoryFileSystem");
}

function asOpenHandle(handle: FileHandle): MemoryHandle {
  if (!(handle instanceof MemoryHandle)) throw new TypeError("not a handle of a MemoryFileSystem");
  if (handle.closed) throw new KernelError("EBADF");
  return handle;
}

/** Length of `text` in UTF-8 (lone surrogates count as U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else {
        length += 3;
      }
    } else length += 3;
  }
  return length;
}
