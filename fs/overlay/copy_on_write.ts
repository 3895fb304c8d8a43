/**
 * {@link CopyOnWriteFileSystem}: a writable overlay over a read-only lower
 * layer, in the manner of Linux's overlayfs and AUFS.
 *
 * @module
 */

import { isKernelError, KernelError } from "../../kernel/errno.ts";
import {
  type DirEntry,
  FileType,
  type Maybe,
  O,
  type SetAttr,
  type Stat,
  type StatFs,
} from "../../kernel/types.ts";
import type { FileHandle, FileSystem, MountContext, VNode } from "../../kernel/vfs/driver.ts";
import { assignCookies, firstAfter } from "../_shared/readdir_cookies.ts";
import { type Step, wait } from "../_shared/step.ts";
import { MemoryFileSystem } from "../memory/mod.ts";
import { listAll, lookupIn, Serializer } from "./_run.ts";

/** Prefix of the whiteout entries kept in the upper layer (AUFS's convention). */
export const WHITEOUT_PREFIX = ".wh.";
/** The entry that makes an upper directory opaque: nothing of the lower one shows through. */
export const OPAQUE_MARKER = ".wh..wh..opq";
/** Bytes copied per read when copying a file up. */
const COPY_CHUNK = 64 * 1024;

/**
 * The layers of a {@link CopyOnWriteFileSystem}.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * import { CopyOnWriteFileSystem, type CopyOnWriteOptions } from "./copy_on_write.ts";
 * const options: CopyOnWriteOptions = { lower: new MemoryFileSystem(), upper: new MemoryFileSystem() };
 * console.assert(new CopyOnWriteFileSystem(options).readOnly === false);
 * ```
 */
export interface CopyOnWriteOptions {
  /**
   * The read-only layer: any driver. It is never written to (only looked up,
   * listed, stat'ed, opened for reading and read), and must not change while
   * mounted (its listings are cached).
   */
  lower: FileSystem;
  /** The writable layer. Default: a new {@link MemoryFileSystem}. */
  upper?: FileSystem;
}

/** A node of the overlay: an upper node, a lower node, or (a merged directory) both. */
class OverlayNode implements VNode {
  /** The physical parent directory (the root's is itself). */
  parent: OverlayNode;
  /** Directories: the nodes handed out, by name. */
  readonly children: Map<string, OverlayNode> = new Map();
  removed = false;
  /** Directories: the readdir cookie of each name seen (cookies only grow). */
  readonly cookies: Map<string, number> = new Map();
  nextCookie = 1;
  /** Directories: the last merged listing sorted by cookie; null after a change. */
  listing: { cookie: number; name: string; }[] | null = null;

  constructor(
    readonly owner: object,
    readonly ino: number,
    readonly type: FileType,
    /** The node in the upper layer, once there is one. */
    public upper: VNode | null,
    /** Files: the lower node until copied up. Directories: the lower directory merged in, if any. */
    public lower: VNode | null,
    parent: OverlayNode | null,
    /** The name in `parent` (for copying up; a node copied up no longer needs it). */
    public name: string,
  ) {
    this.parent = parent ?? this;
  }
}

class OverlayHandle implements FileHandle {
  closed = false;
  constructor(
    readonly node: OverlayNode,
    readonly flags: number,
    readonly readable: boolean,
    readonly writable: boolean,
    public inner: FileHandle,
    public layer: "upper" | "lower",
  ) {}
}

/**
 * A copy-on-write filesystem: reads come from the writable upper layer where
 * it has the name and from the read-only lower layer otherwise; every change
 * goes to the upper layer. The lower layer is never modified.
 *
 * - **Lookups** consult the upper layer, then the lower one. **Directories**
 *   present in both are merged (the upper's entries win).
 * - **Copy-up**: writing, truncating or changing metadata of a lower file
 *   first copies it to the upper layer (data, holes kept as holes, mode,
 *   owner, atime and mtime), creating its parent directories there as needed;
 *   `open` with write access copies up at once. Handles opened for reading
 *   before the copy-up read the copy from then on.
 * - **Deletions** of lower names are recorded in the upper directory as
 *   whiteout entries named `.wh.<name>` (AUFS's convention, so they persist in
 *   any upper driver); a directory removed and created again is made
 *   **opaque** with a `.wh..wh..opq` entry, so the old lower contents stay
 *   hidden. Names starting with `.wh.` are reserved: EINVAL.
 * - **Renaming** a lower file copies it up first; renaming a directory that
 *   has lower contents copies the whole tree up (chosen over overlayfs's
 *   "redirect" xattrs: simpler, and correct on any upper driver, at the cost
 *   of copying) and makes the moved directory opaque.
 * - **Hard links**: linking to a lower file copies it up first. Two names of
 *   one lower inode are separate overlay files with separate inode numbers:
 *   a copy-up of one does not change the other.
 * - **Inode numbers** are the overlay's own, allocated per node and stable
 *   for its life (across copy-up and renames), so upper and lower numbers
 *   never collide; upper hard links are recognised by their upper inode.
 *
 * - **Limits**: a lower file opened read-only and then removed can still be
 *   read through its handle, but no longer have its metadata changed
 *   (ENOENT: there is no name left to copy it up to). Special files (devices,
 *   fifos) in the lower layer cannot be copied up (ENOSYS). The overlay must be
 *   the only writer of the upper layer while mounted.
 *
 * Synchronous when both layers are. With an asynchronous layer every method
 * returns a Promise and operations run one at a time in call order.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
 * import { O } from "../../kernel/types.ts";
 * const lower = new MemoryFileSystem();
 * const original = lower.create(lower.root(), "config", 0o644);
 * lower.write(lower.open(original, O.WRONLY), new TextEncoder().encode("lower"), 0);
 * const fs = new CopyOnWriteFileSystem({ lower });
 * const file = fs.lookup(fs.root(), "config") as import("../../kernel/vfs/driver.ts").VNode;
 * const handle = fs.open(file, O.RDWR) as import("../../kernel/vfs/driver.ts").FileHandle;
 * fs.write(handle, new TextEncoder().encode("upper"), 0);
 * fs.close(handle);
 * const buffer = new Uint8Array(5);
 * lower.read(lower.open(original, O.RDONLY), buffer, 0);
 * console.assert(new TextDecoder().decode(buffer) === "lower");
 * ```
 */
export class CopyOnWriteFileSystem implements FileSystem {
  /** Always `"overlay"`. */
  readonly name: string = "overlay";
  /** True when both layers are synchronous. */
  readonly synchronous: boolean;
  /** Always false. */
  readonly readOnly: boolean = false;
  /** The read-only layer. */
  readonly lower: FileSystem;
  /** The writable layer. */
  readonly upper: FileSystem;

  private readonly serializer: Serializer;
  private readonly rootNode: OverlayNode;
  /** Upper inode number → node, for the nodes that have an upper node. */
  private readonly byUpper = new Map<number, OverlayNode>();
  /** Lower directory listings (the lower layer does not change). */
  private readonly lowerListings = new WeakMap<VNode, DirEntry[]>();
  private nextIno = 2;

  /**
   * Stacks `upper` (default: an empty memory filesystem) over `lower`. An
   * existing upper layer keeps its whiteouts and opaque markers, so an overlay
   * can be mounted again over the same two layers.
   *
   * @throws {TypeError} if a layer is not a driver or the upper one is read-only.
   */
  constructor(options: CopyOnWriteOptions) {
    const { lower, upper = new MemoryFileSystem() } = options ?? {};
    for (const [label, layer] of [["lower", lower], ["upper", upper]] as const) {
      if (layer === null || typeof layer !== "object" || typeof layer.root !== "function") {
        throw new TypeError(`CopyOnWriteFileSystem: ${label} is not a FileSystem`);
      }
    }
    if (upper.readOnly) throw new TypeError("CopyOnWriteFileSystem: the upper layer must be writable");
    this.lower = lower;
    this.upper = upper;
    this.synchronous = lower.synchronous && upper.synchronous;
    this.serializer = new Serializer(this.synchronous);
    const upperRoot = upper.root();
    this.rootNode = new OverlayNode(this, 1, FileType.Directory, upperRoot, lower.root(), null, "");
    this.byUpper.set(upperRoot.ino, this.rootNode);
    this.rootChecked = false;
  }

  /** Whether the root's opaque marker was looked for (lazily: the constructor cannot wait). */
  private rootChecked: boolean;

  /**
   * Passes the kernel's context to both layers.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() }).attach({ nowNs: () => 1n });
   * ```
   */
  attach(context: MountContext): void {
    this.upper.attach?.(context);
    this.lower.attach?.(context);
  }

  /**
   * The root directory (inode 1): the two roots merged.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * console.assert(new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() }).root().ino === 1);
   * ```
   */
  root(): VNode {
    return this.rootNode;
  }

  /**
   * The node `name` in `dir`, or null: the upper layer's, else the lower
   * layer's unless whited out. `".."` is the parent.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * lower.mkdir(lower.root(), "etc", 0o755);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * const etc = fs.lookup(fs.root(), "etc") as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert(fs.lookup(etc, "..") === fs.root() && fs.lookup(fs.root(), "x") === null);
   * ```
   */
  lookup(dir: VNode, name: string): Maybe<VNode | null> {
    const d = this.node(dir);
    return this.serializer.exec(this.lookupOp(d, name));
  }

  /**
   * The metadata of the layer the node lives in, with the overlay's inode
   * number.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const file = fs.create(fs.root(), "f", 0o640) as import("../../kernel/vfs/driver.ts").VNode;
   * const st = fs.stat(file) as import("../../kernel/types.ts").Stat;
   * console.assert(st.ino === file.ino && st.mode === 0o640);
   * ```
   */
  stat(node: VNode): Maybe<Stat> {
    const n = this.node(node);
    return this.serializer.exec(this.statOp(n));
  }

  /**
   * Copies the node up if needed, then changes its metadata in the upper
   * layer. EISDIR / EINVAL for a size on a directory / non-file, before any
   * copy-up.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * const original = lower.create(lower.root(), "f", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * const file = fs.lookup(fs.root(), "f") as import("../../kernel/vfs/driver.ts").VNode;
   * fs.setattr(file, { mode: 0o600 });
   * console.assert(lower.stat(original).mode === 0o644);
   * console.assert((fs.stat(file) as import("../../kernel/types.ts").Stat).mode === 0o600);
   * ```
   */
  setattr(node: VNode, attr: SetAttr): Maybe<void> {
    const n = this.node(node);
    return this.serializer.exec(this.setattrOp(n, attr));
  }

  /**
   * Creates a regular file in the upper layer (creating the parent there
   * first if it exists only below). EEXIST, ENOTDIR, ENOENT as usual; EINVAL
   * for a reserved `.wh.` name.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const file = fs.create(fs.root(), "new", 0o644);
   * console.assert(fs.lookup(fs.root(), "new") === file);
   * ```
   */
  create(dir: VNode, name: string, mode: number): Maybe<VNode> {
    const d = this.node(dir);
    return this.serializer.exec(this.createOp(d, name, "file", mode, ""));
  }

  /**
   * Creates a directory in the upper layer; where a lower directory of that
   * name was removed, the new one is opaque.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * const old = lower.mkdir(lower.root(), "d", 0o755);
   * lower.create(old, "inside", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * const d = fs.lookup(fs.root(), "d") as import("../../kernel/vfs/driver.ts").VNode;
   * fs.unlink(d, "inside");
   * fs.rmdir(fs.root(), "d");
   * const fresh = fs.mkdir(fs.root(), "d", 0o700) as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert((fs.readdir(fresh, 0, 10) as unknown[]).length === 0);
   * ```
   */
  mkdir(dir: VNode, name: string, mode: number): Maybe<VNode> {
    const d = this.node(dir);
    return this.serializer.exec(this.createOp(d, name, "directory", mode, ""));
  }

  /**
   * Creates a symbolic link in the upper layer.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const link = fs.symlink(fs.root(), "l", "target") as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert(fs.readlink(link) === "target");
   * ```
   */
  symlink(dir: VNode, name: string, target: string): Maybe<VNode> {
    const d = this.node(dir);
    return this.serializer.exec(this.createOp(d, name, "symlink", 0o777, target));
  }

  /**
   * Adds a name for `node` in the upper layer, copying a lower file up first.
   * EEXIST, EPERM for a directory, ENOENT for a removed node.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * lower.create(lower.root(), "f", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * const file = fs.lookup(fs.root(), "f") as import("../../kernel/vfs/driver.ts").VNode;
   * fs.link(fs.root(), "g", file);
   * console.assert(fs.lookup(fs.root(), "g") === file);
   * console.assert((fs.stat(file) as import("../../kernel/types.ts").Stat).nlink === 2);
   * ```
   */
  link(dir: VNode, name: string, node: VNode): Maybe<void> {
    const d = this.node(dir);
    const n = this.node(node);
    return this.serializer.exec(this.linkOp(d, name, n));
  }

  /**
   * Removes a non-directory name: from the upper layer, and with a whiteout
   * where the lower layer has the name.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * lower.create(lower.root(), "f", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * fs.unlink(fs.root(), "f");
   * console.assert(fs.lookup(fs.root(), "f") === null);
   * console.assert(fs.upper.lookup(fs.upper.root(), ".wh.f") !== null);
   * ```
   */
  unlink(dir: VNode, name: string): Maybe<void> {
    const d = this.node(dir);
    return this.serializer.exec(this.unlinkOp(d, name));
  }

  /**
   * Removes an empty directory (empty as merged: whiteouts do not count).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * lower.mkdir(lower.root(), "d", 0o755);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * fs.rmdir(fs.root(), "d");
   * console.assert(fs.lookup(fs.root(), "d") === null);
   * ```
   */
  rmdir(dir: VNode, name: string): Maybe<void> {
    const d = this.node(dir);
    return this.serializer.exec(this.rmdirOp(d, name));
  }

  /**
   * Renames with POSIX semantics (ENOENT, EINVAL into its own subtree,
   * ENOTDIR, EISDIR, ENOTEMPTY; a no-op for two names of one node). The
   * source is copied up first (a directory with lower contents: the whole
   * tree), the rename happens in the upper layer, and a whiteout hides the
   * old lower name.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * const d = lower.mkdir(lower.root(), "d", 0o755);
   * lower.create(d, "f", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * fs.rename(fs.root(), "d", fs.root(), "moved");
   * const moved = fs.lookup(fs.root(), "moved") as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert(fs.lookup(moved, "f") !== null && fs.lookup(fs.root(), "d") === null);
   * console.assert(lower.lookup(lower.root(), "d") === d);
   * ```
   */
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): Maybe<void> {
    const from = this.node(oldDir);
    const to = this.node(newDir);
    return this.serializer.exec(this.renameOp(from, oldName, to, newName));
  }

  /**
   * The target of a symbolic link (EINVAL for anything else).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * lower.symlink(lower.root(), "l", "/target");
   * const fs = new CopyOnWriteFileSystem({ lower });
   * console.assert(fs.readlink(fs.lookup(fs.root(), "l") as import("../../kernel/vfs/driver.ts").VNode) === "/target");
   * ```
   */
  readlink(node: VNode): Maybe<string> {
    const n = this.node(node);
    return this.serializer.exec(this.readlinkOp(n));
  }

  /**
   * Up to `limit` entries of the merged directory after `cookie`. Each name
   * keeps the cookie it got when first listed, whichever layer it moves to,
   * so a resumed listing never repeats a name nor skips one that stayed.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const lower = new MemoryFileSystem();
   * lower.create(lower.root(), "from-lower", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * fs.create(fs.root(), "from-upper", 0o644);
   * const names = (fs.readdir(fs.root(), 0, 10) as { name: string }[]).map((e) => e.name).sort();
   * console.assert(names.join() === "from-lower,from-upper");
   * ```
   */
  readdir(dir: VNode, cookie: number, limit: number): Maybe<DirEntry[]> {
    const d = this.node(dir);
    return this.serializer.exec(this.readdirOp(d, cookie, limit));
  }

  /**
   * Opens a node in its layer; write access copies a lower file up first.
   * EISDIR for a directory opened for writing.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * import { O } from "../../kernel/types.ts";
   * const lower = new MemoryFileSystem();
   * lower.create(lower.root(), "f", 0o644);
   * const fs = new CopyOnWriteFileSystem({ lower });
   * const handle = fs.open(fs.lookup(fs.root(), "f") as import("../../kernel/vfs/driver.ts").VNode, O.WRONLY);
   * console.assert(fs.upper.lookup(fs.upper.root(), "f") !== null);
   * fs.close(handle as import("../../kernel/vfs/driver.ts").FileHandle);
   * ```
   */
  open(node: VNode, flags: number): Maybe<FileHandle> {
    const n = this.node(node);
    return this.serializer.exec(this.openOp(n, flags));
  }

  /**
   * Reads at `position` from the node's current layer (a handle opened before
   * a copy-up reads the copy).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode, O.RDWR) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.write(handle, new Uint8Array([1, 2, 3]), 0);
   * console.assert(fs.read(handle, new Uint8Array(8), 1) === 2);
   * ```
   */
  read(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    const h = this.handle(handle);
    return this.serializer.exec(this.readOp(h, buffer, position));
  }

  /**
   * Writes at `position` in the upper layer (EBADF on a handle not open for
   * writing).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode, O.WRONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * console.assert(fs.write(handle, new Uint8Array([7]), 0) === 1);
   * ```
   */
  write(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    const h = this.handle(handle);
    return this.serializer.exec(this.writeOp(h, buffer, position));
  }

  /**
   * Sets the size of a file open for writing, in the upper layer (EINVAL
   * otherwise).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const file = fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
   * const handle = fs.open(file, O.RDWR) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.truncate(handle, 10);
   * console.assert((fs.stat(file) as import("../../kernel/types.ts").Stat).size === 10);
   * ```
   */
  truncate(handle: FileHandle, size: number): Maybe<void> {
    const h = this.handle(handle);
    return this.serializer.exec(this.truncateOp(h, size));
  }

  /**
   * Syncs the handle in its layer.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * const handle = fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.sync(handle);
   * ```
   */
  sync(handle: FileHandle): Maybe<void> {
    const h = this.handle(handle);
    return this.serializer.exec(this.syncOp(h));
  }

  /**
   * Closes the handle in its layer (EBADF if already closed).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * fs.close(fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle);
   * ```
   */
  close(handle: FileHandle): Maybe<void> {
    const h = this.handle(handle);
    return this.serializer.exec(this.closeOp(h));
  }

  /**
   * The upper layer's figures (where every new byte goes).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { CopyOnWriteFileSystem } from "./copy_on_write.ts";
   * const fs = new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() });
   * console.assert((fs.statfs() as import("../../kernel/types.ts").StatFs).nameMax === 255);
   * ```
   */
  statfs(): Maybe<StatFs> {
    return this.upper.statfs();
  }

  // ------------------------------------------------------------ helpers

  /** This overlay's node, or a TypeError (a programmer error). */
  private node(value: VNode): OverlayNode {
    if (value instanceof OverlayNode && value.owner === this) return value;
    throw new TypeError("not a node of this CopyOnWriteFileSystem");
  }

  /** This overlay's handle, or a TypeError (a programmer error). */
  private handle(value: FileHandle): OverlayHandle {
    if (value instanceof OverlayHandle && value.node.owner === this) return value;
    throw new TypeError("not a handle of this CopyOnWriteFileSystem");
  }

  /** The root is opaque if its upper directory says so (checked once, lazily). */
  private *checkRoot(): Step<void> {
    if (this.rootChecked) return;
    this.rootChecked = true;
    if (yield* this.isOpaque(this.rootNode.upper!)) this.rootNode.lower = null;
  }

  /** Whether an upper directory hides the lower one (it holds the opaque marker). */
  private *isOpaque(upperDir: VNode): Step<boolean> {
    return (yield* lookupIn(this.upper, upperDir, OPAQUE_MARKER)) !== null;
  }

  /** The lower node `name` in the lower directory merged into `dir`, if any. */
  private *lowerEntry(dir: OverlayNode, name: string): Step<VNode | null> {
    if (dir.lower === null) return null;
    return yield* lookupIn(this.lower, dir.lower, name);
  }

  /** A lower directory's entries, read once. */
  private *lowerListing(dir: VNode): Step<DirEntry[]> {
    const cached = this.lowerListings.get(dir);
    if (cached !== undefined) return cached;
    const entries = yield* listAll(this.lower, dir);
    this.lowerListings.set(dir, entries);
    return entries;
  }

  /** Finds `name` in `dir` in the layers (the caller checked the cache). */
  private *resolve(dir: OverlayNode, name: string): Step<OverlayNode | null> {
    if (dir.upper !== null) {
      const upper = yield* lookupIn(this.upper, dir.upper, name);
      if (upper !== null) return yield* this.nodeForUpper(dir, name, upper);
      if (dir.lower !== null && (yield* lookupIn(this.upper, dir.upper, WHITEOUT_PREFIX + name)) !== null) {
        return null;
      }
    }
    if (dir.lower !== null) {
      const lower = yield* lookupIn(this.lower, dir.lower, name);
      if (lower !== null) {
        const node = new OverlayNode(this, this.nextIno++, lower.type, null, lower, dir, name);
        dir.children.set(name, node);
        return node;
      }
    }
    return null;
  }

  /** The node for the upper node `upper` found as `name` in `dir`: the known one or a new one. */
  private *nodeForUpper(dir: OverlayNode, name: string, upper: VNode): Step<OverlayNode> {
    const known = this.byUpper.get(upper.ino);
    if (known !== undefined && known.type === upper.type && !known.removed) {
      if (known.type === FileType.Directory && (known.parent !== dir || known.name !== name)) {
        // A directory has one name: it moved.
        if (known.parent.children.get(known.name) === known) known.parent.children.delete(known.name);
        known.parent = dir;
        known.name = name;
      }
      dir.children.set(name, known);
      return known;
    }
    let lower: VNode | null = null;
    if (upper.type === FileType.Directory && dir.lower !== null && !(yield* this.isOpaque(upper))) {
      const candidate = yield* lookupIn(this.lower, dir.lower, name);
      if (candidate !== null && candidate.type === FileType.Directory) lower = candidate;
    }
    const node = new OverlayNode(this, this.nextIno++, upper.type, upper, lower, dir, name);
    this.byUpper.set(upper.ino, node);
    dir.children.set(name, node);
    return node;
  }

  /** `name` in `dir` from the cache or the layers; null if absent, whited out or reserved. */
  private *child(dir: OverlayNode, name: string): Step<OverlayNode | null> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (dir.removed || isReserved(name)) return null;
    yield* this.checkRoot();
    return dir.children.get(name) ?? (yield* this.resolve(dir, name));
  }

  /** The merged names of a directory with their types (whiteouts and reserved names left out). */
  private *mergedNames(dir: OverlayNode): Step<Map<string, FileType>> {
    yield* this.checkRoot();
    const names = new Map<string, FileType>();
    const whiteouts = new Set<string>();
    if (dir.upper !== null) {
      for (const entry of yield* listAll(this.upper, dir.upper)) {
        if (isReserved(entry.name)) {
          if (entry.name !== OPAQUE_MARKER) whiteouts.add(entry.name.slice(WHITEOUT_PREFIX.length));
        } else {
          names.set(entry.name, entry.type);
        }
      }
    }
    if (dir.lower !== null) {
      for (const entry of yield* this.lowerListing(dir.lower)) {
        if (isReserved(entry.name) || names.has(entry.name) || whiteouts.has(entry.name)) continue;
        names.set(entry.name, entry.type);
      }
    }
    return names;
  }

  /** Whether a directory is empty as merged. */
  private *isEmpty(dir: OverlayNode): Step<boolean> {
    return (yield* this.mergedNames(dir)).size === 0;
  }

  /** Creates the directory (and its missing ancestors) in the upper layer. */
  private *copyUpDirectory(node: OverlayNode): Step<VNode> {
    if (node.upper !== null) return node.upper;
    if (node.removed || node.lower === null) throw new KernelError("ENOENT");
    const parentUpper = yield* this.copyUpDirectory(node.parent);
    const st = yield* wait(this.lower.stat(node.lower));
    const upper = yield* wait(this.upper.mkdir(parentUpper, node.name, st.mode));
    yield* wait(
      this.upper.setattr(upper, { uid: st.uid, gid: st.gid, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs }),
    );
    node.upper = upper;
    this.byUpper.set(upper.ino, node);
    node.parent.listing = null;
    return upper;
  }

  /** Copies a node to the upper layer (data, mode, owner, times); its upper node. */
  private *copyUp(node: OverlayNode): Step<VNode> {
    if (node.upper !== null) return node.upper;
    if (node.type === FileType.Directory) return yield* this.copyUpDirectory(node);
    const lower = node.lower;
    if (node.removed || lower === null) throw new KernelError("ENOENT");
    const parentUpper = yield* this.copyUpDirectory(node.parent);
    const st = yield* wait(this.lower.stat(lower));
    let upper: VNode;
    if (node.type === FileType.Symlink) {
      const target = yield* wait(this.lower.readlink(lower));
      upper = yield* wait(this.upper.symlink(parentUpper, node.name, target));
    } else if (node.type === FileType.RegularFile) {
      upper = yield* wait(this.upper.create(parentUpper, node.name, st.mode));
      try {
        yield* this.copyData(lower, upper, st.size);
      } catch (error) {
        try {
          yield* wait(this.upper.unlink(parentUpper, node.name));
        } catch {
          // Keep the first error.
        }
        throw error;
      }
    } else {
      throw new KernelError("ENOSYS", "cannot copy up a special file");
    }
    try {
      yield* wait(
        this.upper.setattr(upper, { uid: st.uid, gid: st.gid, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs }),
      );
    } catch (error) {
      // Some drivers cannot set a symlink's metadata; its data is what matters.
      if (node.type !== FileType.Symlink) throw error;
    }
    node.upper = upper;
    this.byUpper.set(upper.ino, node);
    return upper;
  }

  /** Copies file data, leaving all-zero chunks as holes. */
  private *copyData(from: VNode, to: VNode, size: number): Step<void> {
    const source = yield* wait(this.lower.open(from, O.RDONLY));
    try {
      const target = yield* wait(this.upper.open(to, O.WRONLY));
      try {
        const buffer = new Uint8Array(Math.min(COPY_CHUNK, Math.max(size, 1)));
        let position = 0;
        for (;;) {
          const count = yield* wait(this.lower.read(source, buffer, position));
          if (count === 0) break;
          const chunk = buffer.subarray(0, count);
          if (!isZero(chunk)) yield* wait(this.upper.write(target, chunk, position));
          position += count;
        }
        if (position > 0) yield* wait(this.upper.truncate(target, position));
      } finally {
        yield* wait(this.upper.close(target));
      }
    } finally {
      yield* wait(this.lower.close(source));
    }
  }

  /** Copies a whole directory tree up (for a rename that moves it away from its lower contents). */
  private *copyUpTree(dir: OverlayNode): Step<void> {
    yield* this.copyUpDirectory(dir);
    for (const name of (yield* this.mergedNames(dir)).keys()) {
      const child = yield* this.child(dir, name);
      if (child === null) continue;
      if (child.type === FileType.Directory) {
        if (child.lower !== null) yield* this.copyUpTree(child);
      } else {
        yield* this.copyUp(child);
      }
    }
  }

  /** Hides the lower `name` of `dir` with a whiteout entry in the upper directory. */
  private *whiteout(dir: OverlayNode, name: string): Step<void> {
    const upperDir = yield* this.copyUpDirectory(dir);
    try {
      yield* wait(this.upper.create(upperDir, WHITEOUT_PREFIX + name, 0));
    } catch (error) {
      if (!isKernelError(error, "EEXIST")) throw error;
    }
  }

  /** Removes the whiteout of `name` in `dir`, if any. */
  private *removeWhiteout(dir: OverlayNode, name: string): Step<void> {
    if (dir.upper === null) return;
    try {
      yield* wait(this.upper.unlink(dir.upper, WHITEOUT_PREFIX + name));
    } catch (error) {
      if (!isKernelError(error, "ENOENT")) throw error;
    }
  }

  /** Marks an upper directory opaque. */
  private *makeOpaque(upperDir: VNode): Step<void> {
    try {
      yield* wait(this.upper.create(upperDir, OPAQUE_MARKER, 0));
    } catch (error) {
      if (!isKernelError(error, "EEXIST")) throw error;
    }
  }

  /** Removes the whiteouts and opaque marker of an upper directory (before removing or replacing it). */
  private *purgeReserved(upperDir: VNode): Step<void> {
    for (const entry of yield* listAll(this.upper, upperDir)) {
      if (isReserved(entry.name)) yield* wait(this.upper.unlink(upperDir, entry.name));
    }
  }

  /** A directory and the cached directories below it lose their lower layer. */
  private detachLower(dir: OverlayNode): void {
    dir.lower = null;
    dir.listing = null;
    for (const child of dir.children.values()) {
      if (child.type === FileType.Directory && child.parent === dir) this.detachLower(child);
    }
  }

  /** Forgets a node that has no name left. */
  private retire(node: OverlayNode): void {
    node.removed = true;
    if (node.upper !== null && this.byUpper.get(node.upper.ino) === node) this.byUpper.delete(node.upper.ino);
    if (node.type === FileType.Directory) {
      node.children.clear();
      node.listing = null;
      node.cookies.clear();
    }
  }

  /** Retires `node` if its upper node has no link left (or it never had one). */
  private *retireIfUnlinked(node: OverlayNode): Step<void> {
    if (node.upper === null || node.type === FileType.Directory) {
      this.retire(node);
      return;
    }
    let nlink = 0;
    try {
      nlink = (yield* wait(this.upper.stat(node.upper))).nlink;
    } catch {
      // Gone.
    }
    if (nlink === 0) this.retire(node);
  }

  // ------------------------------------------------------------ operations

  /** See {@link CopyOnWriteFileSystem.lookup}. */
  private *lookupOp(dir: OverlayNode, name: string): Step<OverlayNode | null> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (name === "..") return dir.parent;
    if (name === ".") return dir;
    return yield* this.child(dir, name);
  }

  /** See {@link CopyOnWriteFileSystem.stat}. */
  private *statOp(node: OverlayNode): Step<Stat> {
    const st = node.upper !== null
      ? yield* wait(this.upper.stat(node.upper))
      : yield* wait(this.lower.stat(node.lower!));
    // A removed lower node is still there below: report what the overlay sees.
    return { ...st, ino: node.ino, dev: 0, nlink: node.removed && node.upper === null ? 0 : st.nlink };
  }

  /** See {@link CopyOnWriteFileSystem.setattr}. */
  private *setattrOp(node: OverlayNode, attr: SetAttr): Step<void> {
    if (attr.size !== undefined) {
      if (node.type === FileType.Directory) throw new KernelError("EISDIR");
      if (node.type !== FileType.RegularFile) throw new KernelError("EINVAL");
    }
    const upper = yield* this.copyUp(node);
    yield* wait(this.upper.setattr(upper, attr));
  }

  /** See {@link CopyOnWriteFileSystem.create}, {@link CopyOnWriteFileSystem.mkdir}, {@link CopyOnWriteFileSystem.symlink}. */
  private *createOp(
    dir: OverlayNode,
    name: string,
    kind: "file" | "directory" | "symlink",
    mode: number,
    target: string,
  ): Step<OverlayNode> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (dir.removed) throw new KernelError("ENOENT");
    if (isReserved(name)) {
      throw new KernelError("EINVAL", `names starting with ${WHITEOUT_PREFIX} are reserved`);
    }
    if ((yield* this.child(dir, name)) !== null) throw new KernelError("EEXIST");
    if (kind === "symlink" && target === "") throw new KernelError("ENOENT");
    const upperDir = yield* this.copyUpDirectory(dir);
    const hidden = (yield* this.lowerEntry(dir, name)) !== null;
    if (hidden) yield* this.removeWhiteout(dir, name);
    let upper: VNode;
    try {
      upper = kind === "file"
        ? yield* wait(this.upper.create(upperDir, name, mode))
        : kind === "directory"
        ? yield* wait(this.upper.mkdir(upperDir, name, mode))
        : yield* wait(this.upper.symlink(upperDir, name, target));
      if (hidden && kind === "directory") yield* this.makeOpaque(upper);
    } catch (error) {
      if (hidden) yield* this.whiteout(dir, name);
      throw error;
    }
    dir.listing = null;
    const node = new OverlayNode(this, this.nextIno++, upper.type, upper, null, dir, name);
    this.byUpper.set(upper.ino, node);
    dir.children.set(name, node);
    return node;
  }

  /** See {@link CopyOnWriteFileSystem.link}. */
  private *linkOp(dir: OverlayNode, name: string, node: OverlayNode): Step<void> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (dir.removed) throw new KernelError("ENOENT");
    if (isReserved(name)) {
      throw new KernelError("EINVAL", `names starting with ${WHITEOUT_PREFIX} are reserved`);
    }
    if ((yield* this.child(dir, name)) !== null) throw new KernelError("EEXIST");
    if (node.type === FileType.Directory) throw new KernelError("EPERM");
    if (node.removed) throw new KernelError("ENOENT");
    const upper = yield* this.copyUp(node);
    const upperDir = yield* this.copyUpDirectory(dir);
    const hidden = (yield* this.lowerEntry(dir, name)) !== null;
    if (hidden) yield* this.removeWhiteout(dir, name);
    try {
      yield* wait(this.upper.link(upperDir, name, upper));
    } catch (error) {
      if (hidden) yield* this.whiteout(dir, name);
      throw error;
    }
    dir.listing = null;
    dir.children.set(name, node);
  }

  /** See {@link CopyOnWriteFileSystem.unlink}. */
  private *unlinkOp(dir: OverlayNode, name: string): Step<void> {
    const node = yield* this.child(dir, name);
    if (node === null) throw new KernelError("ENOENT");
    if (node.type === FileType.Directory) throw new KernelError("EISDIR");
    yield* this.removeName(dir, name, node);
    yield* this.retireIfUnlinked(node);
  }

  /** Removes `name` (a checked, non-directory or empty directory entry) from the overlay. */
  private *removeName(dir: OverlayNode, name: string, node: OverlayNode): Step<void> {
    const inUpper = dir.upper !== null && (yield* lookupIn(this.upper, dir.upper, name)) !== null;
    if (inUpper) {
      if (node.type === FileType.Directory) {
        yield* this.purgeReserved(node.upper!);
        yield* wait(this.upper.rmdir(dir.upper!, name));
      } else {
        yield* wait(this.upper.unlink(dir.upper!, name));
      }
    }
    if ((yield* this.lowerEntry(dir, name)) !== null) yield* this.whiteout(dir, name);
    if (dir.children.get(name) === node) dir.children.delete(name);
    dir.listing = null;
  }

  /** See {@link CopyOnWriteFileSystem.rmdir}. */
  private *rmdirOp(dir: OverlayNode, name: string): Step<void> {
    const node = yield* this.child(dir, name);
    if (node === null) throw new KernelError("ENOENT");
    if (node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (!(yield* this.isEmpty(node))) throw new KernelError("ENOTEMPTY");
    yield* this.removeName(dir, name, node);
    this.retire(node);
  }

  /** See {@link CopyOnWriteFileSystem.rename}. */
  private *renameOp(oldDir: OverlayNode, oldName: string, newDir: OverlayNode, newName: string): Step<void> {
    if (oldDir.type !== FileType.Directory || newDir.type !== FileType.Directory) {
      throw new KernelError("ENOTDIR");
    }
    const source = yield* this.child(oldDir, oldName);
    if (source === null) throw new KernelError("ENOENT");
    if (oldDir === newDir && oldName === newName) return;
    if (newDir.removed) throw new KernelError("ENOENT");
    if (isReserved(newName)) {
      throw new KernelError("EINVAL", `names starting with ${WHITEOUT_PREFIX} are reserved`);
    }
    const target = yield* this.child(newDir, newName);
    if (target === source) return;
    const isDirectory = source.type === FileType.Directory;
    if (isDirectory) {
      for (let d = newDir;; d = d.parent) {
        if (d === source) throw new KernelError("EINVAL");
        if (d === this.rootNode || d.parent === d) break;
      }
    }
    if (target !== null) {
      const targetIsDirectory = target.type === FileType.Directory;
      if (isDirectory && !targetIsDirectory) throw new KernelError("ENOTDIR");
      if (!isDirectory && targetIsDirectory) throw new KernelError("EISDIR");
      if (targetIsDirectory && !(yield* this.isEmpty(target))) throw new KernelError("ENOTEMPTY");
    }
    const hadLower = isDirectory && source.lower !== null;
    if (hadLower) yield* this.copyUpTree(source);
    else yield* this.copyUp(source);
    const fromUpper = oldDir.upper!;
    const toUpper = yield* this.copyUpDirectory(newDir);
    const lowerAtTarget = (yield* this.lowerEntry(newDir, newName)) !== null;
    if (target !== null && target.upper !== null && target.type === FileType.Directory) {
      yield* this.purgeReserved(target.upper);
    }
    if (target === null && lowerAtTarget) yield* this.removeWhiteout(newDir, newName);
    yield* wait(this.upper.rename(fromUpper, oldName, toUpper, newName));
    if ((yield* this.lowerEntry(oldDir, oldName)) !== null) yield* this.whiteout(oldDir, oldName);
    if (isDirectory && (hadLower || lowerAtTarget)) {
      yield* this.makeOpaque(source.upper!);
      this.detachLower(source);
    }
    if (oldDir.children.get(oldName) === source) oldDir.children.delete(oldName);
    newDir.children.set(newName, source);
    source.parent = newDir;
    source.name = newName;
    oldDir.listing = null;
    newDir.listing = null;
    if (target !== null) yield* this.retireIfUnlinked(target);
  }

  /** See {@link CopyOnWriteFileSystem.readlink}. */
  private *readlinkOp(node: OverlayNode): Step<string> {
    if (node.type !== FileType.Symlink) throw new KernelError("EINVAL");
    return node.upper !== null
      ? yield* wait(this.upper.readlink(node.upper))
      : yield* wait(this.lower.readlink(node.lower!));
  }

  /** See {@link CopyOnWriteFileSystem.readdir}. */
  private *readdirOp(dir: OverlayNode, cookie: number, limit: number): Step<DirEntry[]> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (!(cookie >= 0) || !Number.isSafeInteger(cookie)) throw new KernelError("EINVAL");
    if (dir.removed || limit <= 0) return [];
    let listing = dir.listing;
    if (listing === null || cookie === 0) {
      const names = yield* this.mergedNames(dir);
      const cookies = dir.cookies;
      if (cookie === 0 && cookies.size > names.size) {
        for (const name of [...cookies.keys()]) if (!names.has(name)) cookies.delete(name);
      }
      listing = assignCookies(dir, cookies, names.keys());
      dir.listing = listing;
    }
    const entries: DirEntry[] = [];
    for (let i = firstAfter(listing, cookie); i < listing.length && entries.length < limit; i++) {
      const { cookie: next, name } = listing[i];
      const child = yield* this.child(dir, name);
      if (child === null) continue;
      entries.push({ name, ino: child.ino, type: child.type, next });
    }
    return entries;
  }

  /** See {@link CopyOnWriteFileSystem.open}. */
  private *openOp(node: OverlayNode, flags: number): Step<FileHandle> {
    const pathOnly = (flags & O.PATH) !== 0;
    const access = flags & O.ACCMODE;
    const writable = !pathOnly && (access === O.WRONLY || access === O.RDWR);
    if (node.type === FileType.Directory) {
      if (writable) throw new KernelError("EISDIR");
    } else if (node.removed && node.upper === null && node.lower === null) {
      throw new KernelError("ENOENT");
    }
    if (writable) yield* this.copyUp(node);
    const useUpper = node.upper !== null;
    const inner = useUpper
      ? yield* wait(this.upper.open(node.upper!, flags))
      : yield* wait(this.lower.open(node.lower!, flags));
    return new OverlayHandle(
      node,
      flags,
      !pathOnly && access !== O.WRONLY,
      writable,
      inner,
      useUpper ? "upper" : "lower",
    );
  }

  /** A handle's inner handle, moved to the upper layer if its node was copied up since. */
  private *current(handle: OverlayHandle): Step<{ fs: FileSystem; inner: FileHandle; }> {
    if (handle.closed) throw new KernelError("EBADF");
    if (handle.layer === "lower" && handle.node.upper !== null) {
      const moved = yield* wait(this.upper.open(handle.node.upper, handle.flags));
      const old = handle.inner;
      handle.inner = moved;
      handle.layer = "upper";
      yield* wait(this.lower.close(old));
    }
    return { fs: handle.layer === "upper" ? this.upper : this.lower, inner: handle.inner };
  }

  /** See {@link CopyOnWriteFileSystem.read}. */
  private *readOp(handle: OverlayHandle, buffer: Uint8Array, position: number): Step<number> {
    const { fs, inner } = yield* this.current(handle);
    return yield* wait(fs.read(inner, buffer, position));
  }

  /** See {@link CopyOnWriteFileSystem.write}. */
  private *writeOp(handle: OverlayHandle, buffer: Uint8Array, position: number): Step<number> {
    if (handle.closed) throw new KernelError("EBADF");
    if (handle.node.type === FileType.Directory) throw new KernelError("EISDIR");
    if (!handle.writable) throw new KernelError("EBADF");
    const { fs, inner } = yield* this.current(handle);
    return yield* wait(fs.write(inner, buffer, position));
  }

  /** See {@link CopyOnWriteFileSystem.truncate}. */
  private *truncateOp(handle: OverlayHandle, size: number): Step<void> {
    if (handle.closed) throw new KernelError("EBADF");
    if (handle.node.type === FileType.Directory) throw new KernelError("EISDIR");
    if (!handle.writable) throw new KernelError("EINVAL");
    const { fs, inner } = yield* this.current(handle);
    yield* wait(fs.truncate(inner, size));
  }

  /** See {@link CopyOnWriteFileSystem.sync}. */
  private *syncOp(handle: OverlayHandle): Step<void> {
    const { fs, inner } = yield* this.current(handle);
    yield* wait(fs.sync(inner));
  }

  /** See {@link CopyOnWriteFileSystem.close}. */
  private *closeOp(handle: OverlayHandle): Step<void> {
    if (handle.closed) throw new KernelError("EBADF");
    handle.closed = true;
    yield* wait((handle.layer === "upper" ? this.upper : this.lower).close(handle.inner));
  }
}

/** Whether `name` is reserved for whiteouts and opaque markers. */
function isReserved(name: string): boolean {
  return name.startsWith(WHITEOUT_PREFIX);
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
