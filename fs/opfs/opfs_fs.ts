/**
 * The Origin Private File System driver: a real directory tree in OPFS,
 * with what OPFS cannot hold kept in a sidecar index beside it.
 *
 * - Directories are OPFS directories and regular files are OPFS files; file
 *   data goes through `FileSystemSyncAccessHandle` (dedicated workers only),
 *   so reads and writes on an open file are synchronous; directory operations
 *   use the asynchronous API and return Promises.
 * - Inode numbers, modes, owners, nanosecond times, symbolic links and hard
 *   links live in the index (`.vkernel-meta/index.{0,1}` at the mount root,
 *   see `_meta_log.ts`), which is loaded whole at mount: `lookup`, `stat`,
 *   `readdir` and `readlink` are answered from memory, synchronously.
 * - Symbolic links exist only in the index (no OPFS object). A hard-linked
 *   file's data is the OPFS file at one of its names (its "home"); its other
 *   names exist only in the index. Unlinking the home name moves the OPFS file
 *   to another name (`FileSystemFileHandle.move`).
 * - The first access to each directory in a session compares the index with
 *   the OPFS directory (one `entries()` listing): objects created behind the
 *   driver's back are adopted (mode 0644/0755, mtime from `lastModified`) and
 *   index entries whose OPFS object has gone are dropped. After that the
 *   directory is answered from memory.
 * - At most `maxOpenHandles` sync access handles are open (each locks its
 *   file); the least recently used is closed when one more is needed.
 * - Renaming a file uses `FileSystemFileHandle.move`. Chromium 156 has no
 *   `move` on directory handles, so a directory is renamed by creating the new
 *   directory tree and moving every file into it (no file data is copied), then
 *   removing the old tree; a directory `move` is used where it exists.
 * - A file unlinked while open moves to `.vkernel-meta/orphans/` until its last
 *   close (orphans left by a reload are deleted at the next mount).
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import {
  type DirEntry,
  FileType,
  type Maybe,
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
import { Directory } from "../memory/directory.ts";
import { HandleLru } from "./_handle_lru.ts";
import { type Durability, MetaLog, type MetaRecord, type NodeRecord } from "./_meta_log.ts";
import {
  isNotFound,
  type OpfsDirectoryHandle,
  type OpfsFileHandle,
  type OpfsStorageManager,
  type OpfsSyncAccessHandle,
  storageManager,
  toKernelError,
} from "./_opfs_api.ts";

/** The hidden directory at the mount root that holds the index and orphaned files. */
export const META_DIR_NAME = ".vkernel-meta";
const ORPHANS = "orphans";
const BLOCK_SIZE = 4096;
const NAME_MAX = 255;
const UTIME_NOW = UTIME.NOW;
const UTIME_OMIT = UTIME.OMIT;
const DEFAULT_MAX_OPEN_HANDLES = 64;
const DEFAULT_TIMES_DELAY_MS = 100;

/**
 * Options of {@link OpfsFileSystem.open}.
 *
 * @example
 * ```ts
 * import type { OpfsFileSystemOptions } from "./opfs_fs.ts";
 * const options: OpfsFileSystemOptions = { root: "vkernel/data", maxOpenHandles: 32, durability: "flush" };
 * console.assert(options.maxOpenHandles === 32);
 * ```
 */
export interface OpfsFileSystemOptions {
  /**
   * The directory to mount: a directory handle, or a path below the OPFS root
   * (`navigator.storage.getDirectory()`) whose directories are created as
   * needed. Default: the OPFS root itself.
   */
  root?: OpfsDirectoryHandle | FileSystemDirectoryHandle | string;
  /** Most sync access handles open at once (each locks its file). Default 64. */
  maxOpenHandles?: number;
  /**
   * When index updates reach storage. `"flush"` (default): flushed before the
   * operation returns, so they survive a power loss. `"write"`: written before
   * it returns (they survive a reload, a crashed tab or browser, not an OS
   * crash) and flushed by `sync`, `flush` and `close`; several times faster
   * for metadata-heavy work.
   */
  durability?: Durability;
  /**
   * Delay before access and modification times changed by `read`, `write` and
   * `truncate` are written to the index (they are batched; `sync`, `flush` and
   * `close` write them at once). Default 100 ms; a negative value waits for
   * those calls.
   */
  timesDelayMs?: number;
  /** Time source until the kernel attaches its clock. Default `Date.now()`. */
  clock?: () => bigint;
  /** Owner of new nodes (and of the root, when new). Default 0. */
  uid?: number;
  /** Group of new nodes (and of the root, when new). Default 0. */
  gid?: number;
  /** Permission bits of a new root. Default 0o755. */
  rootMode?: number;
}

/** One name of a non-directory node. */
interface Link {
  dir: DirNode;
  name: string;
}

abstract class OpfsNode implements VNode {
  abstract readonly type: FileType;
  abstract readonly nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;
  /** Open handles (files and directories; O_PATH included). */
  openCount = 0;

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

class DirNode extends OpfsNode {
  readonly entries: Directory<OpfsNode> = new Directory();
  /** The physical parent (the root's is itself) and the name in it. */
  parent: DirNode;
  name: string;
  /** The OPFS directory, once resolved (null after a move until resolved again). */
  handle: OpfsDirectoryHandle | null = null;
  /** Whether the entries were compared with the OPFS directory this session. */
  verified = false;
  removed = false;
  subdirectories = 0;

  constructor(
    ino: number,
    mode: number,
    uid: number,
    gid: number,
    now: bigint,
    parent: DirNode | null,
    name: string,
  ) {
    super(ino, mode, uid, gid, now);
    this.parent = parent ?? this;
    this.name = name;
  }
  get type(): FileType {
    return FileType.Directory;
  }
  get nlink(): number {
    return this.removed ? 0 : 2 + this.subdirectories;
  }
}

abstract class LinkedNode extends OpfsNode {
  /** Every name of the node. */
  links: Link[] = [];
  get nlink(): number {
    return this.links.length;
  }
}

class FileNode extends LinkedNode {
  /** The name whose OPFS file holds the data; null once unlinked (then orphaned or freed). */
  home: Link | null = null;
  /** The file's name in the orphans directory while it has no name but is open. */
  orphanName: string | null = null;
  fileHandle: OpfsFileHandle | null = null;
  /** The open sync access handle (managed by the LRU). */
  sah: OpfsSyncAccessHandle | null = null;
  /** Size in bytes; -1 until known (read from OPFS on first need). */
  size = -1;
  freed = false;
  get type(): FileType {
    return FileType.RegularFile;
  }
}

class SymlinkNode extends LinkedNode {
  readonly byteLength: number;
  constructor(ino: number, uid: number, gid: number, now: bigint, readonly target: string) {
    super(ino, 0o777, uid, gid, now);
    this.byteLength = new TextEncoder().encode(target).length;
  }
  get type(): FileType {
    return FileType.Symlink;
  }
}

class OpfsHandle implements FileHandle {
  closed = false;
  constructor(readonly node: OpfsNode, readonly readable: boolean, readonly writable: boolean) {}
}

const noop = () => {};

/**
 * A filesystem in the Origin Private File System, for a dedicated worker.
 *
 * Asynchronous (`synchronous` is false): operations that touch OPFS
 * directories return Promises, while `lookup`, `stat`, `readdir`, `readlink`
 * and I/O on a file whose sync access handle is open return plain values, so
 * the kernel stays on its synchronous path for them. Operations that change
 * OPFS run one at a time, in call order.
 *
 * What survives a reload: every name, mode, owner, symlink, hard link and
 * inode number as soon as the operation that made it has returned; file data
 * as soon as `write` has returned (OPFS writes go straight to the file); the
 * times set by `read`/`write` within `timesDelayMs`.
 *
 * Limits: one mount of a directory at a time (the index is locked by its sync
 * access handle: a second mount fails with EBUSY); files are locked while
 * their sync access handle is open (`releaseHandles()` unlocks them for other
 * code); renaming a directory costs one OPFS call per entry below it and is
 * not atomic if the page dies midway (no data is lost: the next mount adopts
 * what it finds); a name may not be `.vkernel-meta` at the mount root (EPERM).
 *
 * @example
 * ```ts
 * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
 * import { O } from "../../kernel/types.ts";
 * // In a browser's dedicated worker: await OpfsFileSystem.open({ root: "vkernel" })
 * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
 * const file = await fs.create(fs.root(), "hello.txt", 0o644);
 * const handle = fs.open(file, O.RDWR); // synchronous: no OPFS call yet
 * await fs.write(handle, new TextEncoder().encode("hello"), 0); // opens the sync access handle
 * const buffer = new Uint8Array(5);
 * console.assert(fs.read(handle, buffer, 0) === 5); // synchronous while that handle is open
 * await fs.close(handle);
 * console.assert((await fs.stat(file)).size === 5);
 * await fs.unmount();
 * ```
 */
export class OpfsFileSystem implements FileSystem {
  /** Always `"opfs"`. */
  readonly name: string = "opfs";
  /** Always false: directory operations return Promises. */
  readonly synchronous: boolean = false;
  /** Always false. */
  readonly readOnly: boolean = false;

  private clock: () => bigint;
  private readonly rootNode: DirNode;
  private readonly lru: HandleLru<FileNode>;
  private readonly uid: number;
  private readonly gid: number;
  private readonly timesDelayMs: number;
  private nextIno = 2;
  private orphans: OpfsDirectoryHandle | null = null;
  /** Operations queued or running; the synchronous paths that change the index need 0. */
  private pending = 0;
  private tail: Promise<void> = Promise.resolve();
  /** Nodes whose times changed since they were last written to the index. */
  private readonly dirtyTimes = new Set<OpfsNode>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unmounted = false;

  private constructor(
    rootHandle: OpfsDirectoryHandle,
    private readonly metaDir: OpfsDirectoryHandle,
    private readonly log: MetaLog,
    private readonly storage: OpfsStorageManager | null,
    options: OpfsFileSystemOptions,
  ) {
    this.clock = options.clock ?? wallClock();
    this.uid = options.uid ?? 0;
    this.gid = options.gid ?? 0;
    this.timesDelayMs = options.timesDelayMs ?? DEFAULT_TIMES_DELAY_MS;
    this.lru = new HandleLru(options.maxOpenHandles ?? DEFAULT_MAX_OPEN_HANDLES);
    this.rootNode = new DirNode(
      1,
      (options.rootMode ?? 0o755) & PERMISSION_BITS,
      this.uid,
      this.gid,
      this.clock(),
      null,
      "",
    );
    this.rootNode.handle = rootHandle;
  }

  /**
   * Mounts an OPFS directory: opens (or creates) its index, deletes files
   * orphaned by an earlier session, and loads the index.
   *
   * Errors: TypeError when there is no OPFS (not a browser, or no `root`
   * handle given) or for a bad option, RangeError for a bad `maxOpenHandles`;
   * KernelError EBUSY when the directory is mounted by another worker or tab.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const opfs = createFakeOpfs();
   * const first = await OpfsFileSystem.open({ root: opfs });
   * await first.mkdir(first.root(), "kept", 0o700);
   * await first.unmount();
   * const again = await OpfsFileSystem.open({ root: opfs });
   * const kept = await again.lookup(again.root(), "kept"); // the first look compares with OPFS
   * console.assert(kept !== null && (await again.stat(kept as never)).mode === 0o700);
   * await again.unmount();
   * ```
   */
  static async open(options: OpfsFileSystemOptions = {}): Promise<OpfsFileSystem> {
    const { uid = 0, gid = 0, durability = "flush" } = options;
    if (!isId(uid)) throw new TypeError(`uid must be a non-negative integer, got ${uid}`);
    if (!isId(gid)) throw new TypeError(`gid must be a non-negative integer, got ${gid}`);
    if (durability !== "flush" && durability !== "write") {
      throw new TypeError(`durability must be "flush" or "write", got ${String(durability)}`);
    }
    const maxOpenHandles = options.maxOpenHandles ?? DEFAULT_MAX_OPEN_HANDLES;
    if (!Number.isInteger(maxOpenHandles) || maxOpenHandles < 1) {
      throw new RangeError(`maxOpenHandles must be an integer >= 1, got ${maxOpenHandles}`);
    }
    const storage = storageManager();
    let root: OpfsDirectoryHandle;
    if (options.root === undefined || typeof options.root === "string") {
      if (storage === null) {
        throw new TypeError(
          "OPFS is not available here (no navigator.storage.getDirectory): pass a root handle",
        );
      }
      root = await storage.getDirectory();
      for (const part of (options.root ?? "").split("/")) {
        if (part !== "" && part !== ".") root = await root.getDirectoryHandle(part, { create: true });
      }
    } else if (typeof (options.root as { getDirectoryHandle?: unknown; }).getDirectoryHandle === "function") {
      root = options.root as unknown as OpfsDirectoryHandle;
    } else {
      throw new TypeError("root must be a FileSystemDirectoryHandle or a path");
    }
    let metaDir: OpfsDirectoryHandle;
    let loaded: Awaited<ReturnType<typeof MetaLog.open>>;
    try {
      metaDir = await root.getDirectoryHandle(META_DIR_NAME, { create: true });
      loaded = await MetaLog.open(metaDir, durability);
    } catch (error) {
      const e = toKernelError(error, "mount");
      if (e.code === "EBUSY") {
        throw new KernelError("EBUSY", "opfs: this directory is mounted by another worker or tab");
      }
      throw e;
    }
    try {
      try {
        await metaDir.removeEntry(ORPHANS, { recursive: true });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const fs = new OpfsFileSystem(root, metaDir, loaded.log, storage, options);
      const complete = fs.load(loaded.records);
      if (loaded.fresh || !complete || loaded.log.wantsCompaction) loaded.log.compact(fs.snapshot());
      return fs;
    } catch (error) {
      loaded.log.close();
      throw toKernelError(error, "mount");
    }
  }

  /**
   * Switches the time source to the kernel's clock.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * fs.attach({ nowNs: () => 42n });
   * console.assert((await fs.stat(await fs.create(fs.root(), "f", 0o644))).mtimeNs === 42n);
   * await fs.unmount();
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
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * console.assert(fs.root().ino === 1);
   * await fs.unmount();
   * ```
   */
  root(): VNode {
    return this.rootNode;
  }

  /**
   * The node `name` in `dir`, or null. Synchronous once the directory was
   * compared with OPFS in this session (the first access returns a Promise).
   * ENOTDIR if `dir` is not a directory. `.vkernel-meta` at the root is never
   * found.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const dir = await fs.mkdir(fs.root(), "d", 0o755);
   * console.assert(fs.lookup(fs.root(), "d") === dir && fs.lookup(dir, "..") === fs.root());
   * await fs.unmount();
   * ```
   */
  lookup(dir: VNode, name: string): Maybe<VNode | null> {
    const d = asDirectory(dir);
    if (name === "..") return d.parent;
    if (name === ".") return d;
    if (d.verified) return d.entries.get(name) ?? null;
    return this.run("lookup", async () => {
      await this.verify(d);
      return d.entries.get(name) ?? null;
    });
  }

  /**
   * The node's metadata (`dev` is 0: the kernel fills it in). Synchronous
   * unless a file's size is not known yet in this session.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const st = await fs.stat(await fs.create(fs.root(), "f", 0o640));
   * console.assert(st.mode === 0o640 && st.size === 0 && st.nlink === 1);
   * await fs.unmount();
   * ```
   */
  stat(node: VNode): Maybe<Stat> {
    const n = asNode(node);
    if (n instanceof FileNode && n.size < 0) {
      return this.run("stat", async () => {
        await this.knowSize(n);
        return this.statOf(n);
      });
    }
    return this.statOf(n);
  }

  /**
   * Changes metadata, as in the memory driver: `mode` keeps permission bits,
   * `uid`/`gid` of -1 mean unchanged, `size` truncates or extends a regular
   * file (EISDIR on a directory, EINVAL on a symlink), times may be
   * `UTIME.NOW` or `UTIME.OMIT`; any change sets ctime. Written to the index
   * before it returns.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const file = await fs.create(fs.root(), "f", 0o644);
   * await fs.setattr(file, { mode: 0o600, mtimeNs: 5n });
   * const st = await fs.stat(file);
   * console.assert(st.mode === 0o600 && st.mtimeNs === 5n);
   * await fs.unmount();
   * ```
   */
  setattr(node: VNode, attr: SetAttr): Maybe<void> {
    const n = asNode(node);
    const { mode, uid, gid, size } = attr;
    if (mode !== undefined && !Number.isInteger(mode)) throw new KernelError("EINVAL");
    if (uid !== undefined && uid !== -1 && !isId(uid)) throw new KernelError("EINVAL");
    if (gid !== undefined && gid !== -1 && !isId(gid)) throw new KernelError("EINVAL");
    if (size !== undefined) {
      if (n instanceof DirNode) throw new KernelError("EISDIR");
      if (!(n instanceof FileNode)) throw new KernelError("EINVAL");
      checkSize(size);
      if (n.sah === null || this.pending > 0) {
        return this.run("truncate", async () => {
          this.applyAttr(n, attr, await this.openSah(n));
        });
      }
      return this.applyAttr(n, attr, n.sah);
    }
    if (this.pending > 0) return this.run("setattr", () => Promise.resolve(this.applyAttr(n, attr, null)));
    this.applyAttr(n, attr, null);
  }

  /**
   * Creates an empty regular file (an OPFS file). ENOTDIR, ENOENT (removed
   * directory), EEXIST, EPERM for `.vkernel-meta` at the root.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const file = await fs.create(fs.root(), "notes.txt", 0o644);
   * console.assert(fs.lookup(fs.root(), "notes.txt") === file);
   * await fs.unmount();
   * ```
   */
  create(dir: VNode, name: string, mode: number): Promise<VNode> {
    const d = asDirectory(dir);
    this.checkFreeName(d, name);
    return this.run("create", async () => {
      await this.verify(d);
      this.checkFreeName(d, name);
      const parent = await this.dirHandle(d);
      let handle: OpfsFileHandle;
      try {
        handle = await parent.getFileHandle(name, { create: true });
      } catch (error) {
        throw mismatchAsExists(error);
      }
      const now = this.clock();
      const node = new FileNode(this.nextIno++, mode & PERMISSION_BITS, this.uid, this.gid, now);
      node.size = 0;
      node.fileHandle = handle;
      const link = { dir: d, name };
      node.links.push(link);
      node.home = link;
      d.entries.add(name, node);
      d.mtimeNs = d.ctimeNs = now;
      this.append([nodeRecord(node), ["E", d.ino, name, node.ino, 1], nodeRecord(d)]);
      return node;
    });
  }

  /**
   * Creates an empty directory (an OPFS directory); errors as {@link create}.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * await fs.mkdir(fs.root(), "d", 0o755);
   * console.assert((await fs.stat(fs.root())).nlink === 3);
   * await fs.unmount();
   * ```
   */
  mkdir(dir: VNode, name: string, mode: number): Promise<VNode> {
    const d = asDirectory(dir);
    this.checkFreeName(d, name);
    return this.run("mkdir", async () => {
      await this.verify(d);
      this.checkFreeName(d, name);
      const parent = await this.dirHandle(d);
      let handle: OpfsDirectoryHandle;
      try {
        handle = await parent.getDirectoryHandle(name, { create: true });
      } catch (error) {
        throw mismatchAsExists(error);
      }
      const now = this.clock();
      const node = new DirNode(this.nextIno++, mode & PERMISSION_BITS, this.uid, this.gid, now, d, name);
      node.handle = handle;
      node.verified = true;
      d.entries.add(name, node);
      d.subdirectories++;
      d.mtimeNs = d.ctimeNs = now;
      this.append([nodeRecord(node), ["E", d.ino, name, node.ino, 1], nodeRecord(d)]);
      return node;
    });
  }

  /**
   * Creates a symbolic link, kept only in the index (ENOENT for an empty
   * target); errors as {@link create}. Synchronous when nothing is queued.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const link = await fs.symlink(fs.root(), "l", "/etc/hosts");
   * console.assert(fs.readlink(link) === "/etc/hosts" && (await fs.stat(link)).size === 10);
   * await fs.unmount();
   * ```
   */
  symlink(dir: VNode, name: string, target: string): Maybe<VNode> {
    const d = asDirectory(dir);
    this.checkFreeName(d, name);
    if (target === "") throw new KernelError("ENOENT");
    const make = (): VNode => {
      this.checkFreeName(d, name);
      const now = this.clock();
      const node = new SymlinkNode(this.nextIno++, this.uid, this.gid, now, target);
      node.links.push({ dir: d, name });
      d.entries.add(name, node);
      d.mtimeNs = d.ctimeNs = now;
      this.append([nodeRecord(node), ["E", d.ino, name, node.ino, 0], nodeRecord(d)]);
      return node;
    };
    if (d.verified && this.pending === 0) return make();
    return this.run("symlink", async () => {
      await this.verify(d);
      return make();
    });
  }

  /**
   * Adds the name `name` for `node`, kept only in the index. EEXIST, EPERM
   * for a directory, ENOENT if `node` has no name left. Synchronous when
   * nothing is queued.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const file = await fs.create(fs.root(), "a", 0o644);
   * await fs.link(fs.root(), "b", file);
   * console.assert((await fs.stat(file)).nlink === 2);
   * await fs.unmount();
   * ```
   */
  link(dir: VNode, name: string, node: VNode): Maybe<void> {
    const d = asDirectory(dir);
    const n = asNode(node);
    this.checkFreeName(d, name);
    if (n instanceof DirNode) throw new KernelError("EPERM");
    const add = (): void => {
      this.checkFreeName(d, name);
      const linked = n as LinkedNode;
      if (linked.links.length === 0) throw new KernelError("ENOENT");
      const now = this.clock();
      linked.links.push({ dir: d, name });
      d.entries.add(name, linked);
      linked.ctimeNs = now;
      d.mtimeNs = d.ctimeNs = now;
      this.append([["E", d.ino, name, linked.ino, 0], nodeRecord(linked), nodeRecord(d)]);
    };
    if (d.verified && this.pending === 0) return add();
    return this.run("link", async () => {
      await this.verify(d);
      add();
    });
  }

  /**
   * Removes a non-directory name (EISDIR for a directory, ENOENT if absent).
   * Removing a file's last name deletes its OPFS file, or parks it in the
   * orphans directory while it is open; removing the name that holds a
   * hard-linked file's data moves the data to another name.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * await fs.create(fs.root(), "f", 0o644);
   * await fs.unlink(fs.root(), "f");
   * console.assert(fs.lookup(fs.root(), "f") === null);
   * await fs.unmount();
   * ```
   */
  unlink(dir: VNode, name: string): Maybe<void> {
    const d = asDirectory(dir);
    if (d.verified && this.pending === 0) {
      const node = d.entries.get(name);
      if (node === undefined) throw new KernelError("ENOENT");
      if (node instanceof DirNode) throw new KernelError("EISDIR");
      if (!isHome(node, d, name)) return this.unlinkInIndex(d, name, node as LinkedNode);
    }
    return this.run("unlink", async () => {
      await this.verify(d);
      const node = d.entries.get(name);
      if (node === undefined) throw new KernelError("ENOENT");
      if (node instanceof DirNode) throw new KernelError("EISDIR");
      const records: MetaRecord[] = [];
      if (node instanceof FileNode && isHome(node, d, name)) {
        await this.moveDataAway(node, node.home!, records);
      }
      this.unlinkInIndex(d, name, node as LinkedNode, records);
    });
  }

  /**
   * Removes an empty directory (ENOTDIR, ENOTEMPTY, ENOENT).
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * await fs.mkdir(fs.root(), "d", 0o755);
   * await fs.rmdir(fs.root(), "d");
   * console.assert(fs.lookup(fs.root(), "d") === null);
   * await fs.unmount();
   * ```
   */
  rmdir(dir: VNode, name: string): Promise<void> {
    const d = asDirectory(dir);
    return this.run("rmdir", async () => {
      await this.verify(d);
      const node = d.entries.get(name);
      if (node === undefined) throw new KernelError("ENOENT");
      if (!(node instanceof DirNode)) throw new KernelError("ENOTDIR");
      await this.verify(node);
      if (node.entries.size > 0) throw new KernelError("ENOTEMPTY");
      const parent = await this.dirHandle(d);
      try {
        await parent.removeEntry(name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const now = this.clock();
      d.entries.remove(name);
      d.subdirectories--;
      node.removed = true;
      node.handle = null;
      node.ctimeNs = now;
      d.mtimeNs = d.ctimeNs = now;
      this.dirtyTimes.delete(node);
      this.append([["R", d.ino, name], ["F", node.ino], nodeRecord(d)]);
    });
  }

  /**
   * Renames with POSIX semantics (see the interface), replacing what is at the
   * new name. Files move with `FileSystemFileHandle.move`; a directory moves
   * with `move` where directory handles have it, else by recreating its tree
   * at the new name and moving every file into it.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const root = fs.root();
   * const a = await fs.mkdir(root, "a", 0o755);
   * const b = await fs.mkdir(root, "b", 0o755);
   * await fs.rename(root, "a", b, "a2");
   * console.assert(fs.lookup(b, "a2") === a && fs.lookup(a, "..") === b);
   * await fs.unmount();
   * ```
   */
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): Promise<void> {
    const from = asDirectory(oldDir);
    const to = asDirectory(newDir);
    return this.run("rename", () => this.renameNow(from, oldName, to, newName));
  }

  /**
   * The target of a symbolic link (EINVAL if `node` is not one).
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * console.assert(fs.readlink(await fs.symlink(fs.root(), "l", "target")) === "target");
   * await fs.unmount();
   * ```
   */
  readlink(node: VNode): string {
    const n = asNode(node);
    if (!(n instanceof SymlinkNode)) throw new KernelError("EINVAL");
    return n.target;
  }

  /**
   * Up to `limit` entries of `dir` after `cookie`, without `.`, `..` and the
   * index directory; guarantees as the memory driver's `Directory.list`.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * for (const name of ["a", "b"]) await fs.create(fs.root(), name, 0o644);
   * const names = (await fs.readdir(fs.root(), 0, 10)).map((e) => e.name);
   * console.assert(names.join() === "a,b");
   * await fs.unmount();
   * ```
   */
  readdir(dir: VNode, cookie: number, limit: number): Maybe<DirEntry[]> {
    const d = asDirectory(dir);
    if (!(cookie >= 0)) throw new KernelError("EINVAL");
    if (d.verified) return this.list(d, cookie, limit);
    return this.run("readdir", async () => {
      await this.verify(d);
      return this.list(d, cookie, limit);
    });
  }

  /**
   * Opens `node` (access mode in `flags`, `O.PATH` honoured); synchronous and
   * touches no OPFS object: a file's sync access handle is opened by its first
   * read, write or truncate (which then report EBUSY when another context
   * holds the file's lock). EISDIR when opening a directory for writing,
   * ENOENT for a freed file.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const file = await fs.create(fs.root(), "f", 0o644);
   * const handle = await fs.open(file, O.RDONLY);
   * console.assert(handle.node === file);
   * await fs.close(handle);
   * await fs.unmount();
   * ```
   */
  open(node: VNode, flags: number): FileHandle {
    const n = asNode(node);
    const pathOnly = (flags & O.PATH) !== 0;
    const access = flags & O.ACCMODE;
    const writable = !pathOnly && (access === O.WRONLY || access === O.RDWR);
    const readable = !pathOnly && access !== O.WRONLY;
    if (n instanceof DirNode) {
      if (writable) throw new KernelError("EISDIR");
      if (n.removed) throw new KernelError("ENOENT");
    } else if ((n as LinkedNode).links.length === 0 && n.openCount === 0) {
      throw new KernelError("ENOENT");
    }
    n.openCount++;
    return new OpfsHandle(n, readable, writable);
  }

  /**
   * Reads at `position`; synchronous while the file's sync access handle is
   * open. EISDIR, EBADF (closed or not readable), EINVAL.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const handle = await fs.open(await fs.create(fs.root(), "f", 0o644), O.RDWR);
   * await fs.write(handle, new Uint8Array([1, 2, 3]), 0);
   * const buffer = new Uint8Array(8);
   * console.assert(fs.read(handle, buffer, 1) === 2 && buffer[0] === 2);
   * await fs.close(handle);
   * await fs.unmount();
   * ```
   */
  read(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    const h = asOpenHandle(handle);
    const n = h.node;
    if (n instanceof DirNode) throw new KernelError("EISDIR");
    if (!h.readable) throw new KernelError("EBADF");
    if (!(n instanceof FileNode)) throw new KernelError("EINVAL");
    checkPosition(position);
    if (buffer.length === 0) return 0;
    const sah = n.sah;
    if (sah !== null) {
      this.lru.touch(n);
      return this.readNow(n, sah, buffer, position);
    }
    return this.run("read", async () => this.readNow(n, await this.openSah(n), buffer, position));
  }

  /**
   * Writes all of `buffer` at `position` (a hole before it reads as zeros);
   * synchronous while the file's sync access handle is open. ENOSPC past the
   * origin's quota, EFBIG past 2^53 - 1, EISDIR, EBADF.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const file = await fs.create(fs.root(), "f", 0o644);
   * const handle = await fs.open(file, O.WRONLY);
   * await fs.write(handle, new Uint8Array([7]), 9);
   * console.assert(fs.write(handle, new Uint8Array([8]), 10) === 1); // the handle is open now
   * console.assert((await fs.stat(file)).size === 11);
   * await fs.close(handle);
   * await fs.unmount();
   * ```
   */
  write(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    const h = asOpenHandle(handle);
    const n = h.node;
    if (n instanceof DirNode) throw new KernelError("EISDIR");
    if (!h.writable) throw new KernelError("EBADF");
    if (!(n instanceof FileNode)) throw new KernelError("EINVAL");
    checkPosition(position);
    if (buffer.length === 0) return 0;
    if (position + buffer.length > Number.MAX_SAFE_INTEGER) throw new KernelError("EFBIG");
    const sah = n.sah;
    if (sah !== null) {
      this.lru.touch(n);
      return this.writeNow(n, sah, buffer, position);
    }
    return this.run("write", async () => this.writeNow(n, await this.openSah(n), buffer, position));
  }

  /**
   * Sets the size of the open regular file. EISDIR, EINVAL (not open for
   * writing, bad size), EFBIG.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const file = await fs.create(fs.root(), "f", 0o644);
   * const handle = await fs.open(file, O.RDWR);
   * await fs.truncate(handle, 1000);
   * console.assert((await fs.stat(file)).size === 1000);
   * await fs.close(handle);
   * await fs.unmount();
   * ```
   */
  truncate(handle: FileHandle, size: number): Maybe<void> {
    const h = asOpenHandle(handle);
    const n = h.node;
    if (n instanceof DirNode) throw new KernelError("EISDIR");
    if (!h.writable || !(n instanceof FileNode)) throw new KernelError("EINVAL");
    checkSize(size);
    const sah = n.sah;
    if (sah !== null) {
      this.lru.touch(n);
      return this.truncateNow(n, sah, size);
    }
    if (n.size === size) {
      // Nothing to change in OPFS (O_TRUNC on a new or empty file): spare opening a handle.
      n.mtimeNs = n.ctimeNs = this.clock();
      this.timesChanged(n);
      return;
    }
    return this.run("truncate", async () => this.truncateNow(n, await this.openSah(n), size));
  }

  /**
   * Flushes the file's sync access handle and writes pending times to the
   * index, flushed. EBADF on a closed handle.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const handle = await fs.open(await fs.create(fs.root(), "f", 0o644), O.RDWR);
   * await fs.write(handle, new Uint8Array([1]), 0);
   * fs.sync(handle);
   * await fs.close(handle);
   * await fs.unmount();
   * ```
   */
  sync(handle: FileHandle): void {
    const h = asOpenHandle(handle);
    const n = h.node;
    try {
      if (n instanceof FileNode && n.sah !== null) n.sah.flush();
      this.append([]);
      this.log.flush();
    } catch (error) {
      throw toKernelError(error, "sync");
    }
  }

  /**
   * Releases the handle (EBADF if already closed). The sync access handle
   * stays open in the LRU for the next open; the last close of a file with no
   * name deletes its OPFS file (returning a Promise).
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * const handle = await fs.open(fs.root(), O.RDONLY);
   * fs.close(handle);
   * await fs.unmount();
   * ```
   */
  close(handle: FileHandle): Maybe<void> {
    const h = asOpenHandle(handle);
    h.closed = true;
    const n = h.node;
    n.openCount--;
    if (n instanceof FileNode && n.openCount === 0 && n.links.length === 0) {
      this.dirtyTimes.delete(n);
      if (n.orphanName !== null) {
        return this.run("close", async () => {
          if (n.openCount > 0 || n.orphanName === null) return;
          this.lru.close(n);
          const orphans = await this.orphansDir();
          const name = n.orphanName;
          n.orphanName = null;
          n.fileHandle = null;
          n.freed = true;
          try {
            await orphans.removeEntry(name);
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        });
      }
      this.lru.close(n);
    }
  }

  /**
   * Filesystem-wide figures from `navigator.storage.estimate()` (the origin's
   * quota and usage) in 4096-byte blocks; nominal figures where there is no
   * estimate.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * console.assert((await fs.statfs()).nameMax === 255);
   * await fs.unmount();
   * ```
   */
  statfs(): Maybe<StatFs> {
    const figures = (quota: number, usage: number): StatFs => {
      const totalBlocks = Math.floor(quota / BLOCK_SIZE);
      return {
        blockSize: BLOCK_SIZE,
        totalBlocks,
        freeBlocks: Math.max(0, totalBlocks - Math.ceil(usage / BLOCK_SIZE)),
        totalInodes: Number.MAX_SAFE_INTEGER,
        freeInodes: Number.MAX_SAFE_INTEGER - this.nextIno,
        nameMax: NAME_MAX,
      };
    };
    const estimate = this.storage?.estimate;
    if (estimate === undefined) return figures(Number.MAX_SAFE_INTEGER, 0);
    return estimate.call(this.storage).then(
      (e) => figures(e.quota ?? Number.MAX_SAFE_INTEGER, e.usage ?? 0),
      () => figures(Number.MAX_SAFE_INTEGER, 0),
    );
  }

  /**
   * Writes pending times to the index and flushes the index and every open
   * sync access handle.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * fs.flush();
   * await fs.unmount();
   * ```
   */
  flush(): void {
    try {
      this.append([]);
      this.log.flush();
      for (const owner of this.lru.owners()) owner.sah?.flush();
    } catch (error) {
      throw toKernelError(error, "flush");
    }
  }

  /**
   * Closes every open sync access handle, so other code (the page, another
   * worker) may open or delete the files; they reopen when next used. Waits
   * for queued operations first.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * await fs.releaseHandles();
   * console.assert(fs.openSyncHandles === 0);
   * await fs.unmount();
   * ```
   */
  releaseHandles(): Promise<void> {
    return this.run("release", () => {
      this.flush();
      this.lru.closeAll();
      return Promise.resolve();
    });
  }

  /** How many sync access handles are open (the index's two not counted). */
  get openSyncHandles(): number {
    return this.lru.size;
  }

  /**
   * Waits for queued operations, writes pending times, closes every sync
   * access handle and the index. The driver must not be used afterwards.
   *
   * @example
   * ```ts
   * import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";
   * const fs = await OpfsFileSystem.open({ root: createFakeOpfs() });
   * await fs.unmount();
   * ```
   */
  async unmount(): Promise<void> {
    if (this.unmounted) return;
    await this.run("unmount", () => {
      this.unmounted = true;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      try {
        this.append([]);
        if (this.log.wantsCompaction) this.log.compact(this.snapshot());
      } finally {
        this.lru.closeAll();
        this.log.close();
      }
      return Promise.resolve();
    });
  }

  // ------------------------------------------------------------ internals

  /** Runs `fn` after every queued operation, converting OPFS errors to KernelErrors. */
  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.unmounted) return Promise.reject(new KernelError("EIO", "opfs: unmounted"));
    this.pending++;
    const task = async (): Promise<T> => {
      try {
        return await fn();
      } catch (error) {
        throw toKernelError(error, what);
      } finally {
        this.pending--;
      }
    };
    const result = this.tail.then(task);
    this.tail = result.then(noop, noop);
    return result;
  }

  /** Appends `records` (after the pending time changes) to the index; compacts when due. */
  private append(records: MetaRecord[]): void {
    if (this.dirtyTimes.size > 0) {
      const times: MetaRecord[] = [];
      for (const node of this.dirtyTimes) if (isLive(node)) times.push(nodeRecord(node));
      this.dirtyTimes.clear();
      records = times.concat(records);
    }
    if (records.length === 0) return;
    this.log.append(records);
    if (this.log.wantsCompaction) this.log.compact(this.snapshot());
  }

  /** Notes that `node`'s times changed; they reach the index within `timesDelayMs`. */
  private timesChanged(node: OpfsNode): void {
    this.dirtyTimes.add(node);
    if (this.timer !== null || this.timesDelayMs < 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.unmounted || this.dirtyTimes.size === 0) return;
      const write = () => {
        try {
          this.append([]);
        } catch { /* reported by the next operation that writes the index */ }
      };
      if (this.pending === 0) write();
      else this.run("times", () => Promise.resolve(write())).catch(noop);
    }, this.timesDelayMs);
  }

  /**
   * Throws unless `name` can be created in `d`: EPERM for the index directory,
   * ENOENT in a removed directory, EEXIST (known only once `d` is verified).
   */
  private checkFreeName(d: DirNode, name: string): void {
    if (d === this.rootNode && name === META_DIR_NAME) {
      throw new KernelError("EPERM", `${META_DIR_NAME} is reserved`);
    }
    if (d.removed) throw new KernelError("ENOENT");
    if (d.verified && d.entries.has(name)) throw new KernelError("EEXIST");
  }

  private statOf(n: OpfsNode): Stat {
    let size = 0;
    if (n instanceof FileNode) size = n.size;
    else if (n instanceof DirNode) size = n.entries.size;
    else if (n instanceof SymlinkNode) size = n.byteLength;
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
      blocks: n instanceof FileNode ? Math.ceil(size / 512) : 0,
      atimeNs: n.atimeNs,
      mtimeNs: n.mtimeNs,
      ctimeNs: n.ctimeNs,
      birthtimeNs: n.birthtimeNs,
    };
  }

  private applyAttr(n: OpfsNode, attr: SetAttr, sah: OpfsSyncAccessHandle | null): void {
    const { mode, uid, gid, size, atimeNs, mtimeNs } = attr;
    const now = this.clock();
    let changed = false;
    if (size !== undefined && n instanceof FileNode && sah !== null) {
      try {
        sah.truncate(size);
      } catch (error) {
        throw toKernelError(error, "truncate");
      }
      n.size = size;
      n.mtimeNs = now;
      changed = true;
    }
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
    if (atimeNs !== undefined && atimeNs !== UTIME_OMIT) {
      n.atimeNs = atimeNs === UTIME_NOW ? now : atimeNs;
      changed = true;
    }
    if (mtimeNs !== undefined && mtimeNs !== UTIME_OMIT) {
      n.mtimeNs = mtimeNs === UTIME_NOW ? now : mtimeNs;
      changed = true;
    }
    if (!changed) return;
    n.ctimeNs = now;
    this.dirtyTimes.delete(n);
    if (isLive(n)) this.append([nodeRecord(n)]);
  }

  private list(d: DirNode, cookie: number, limit: number): DirEntry[] {
    d.atimeNs = this.clock();
    this.timesChanged(d);
    return d.entries.list(cookie, limit);
  }

  private readNow(n: FileNode, sah: OpfsSyncAccessHandle, buffer: Uint8Array, position: number): number {
    let count: number;
    try {
      count = sah.read(buffer, { at: position });
    } catch (error) {
      throw toKernelError(error, "read");
    }
    n.atimeNs = this.clock();
    this.timesChanged(n);
    return count;
  }

  private writeNow(n: FileNode, sah: OpfsSyncAccessHandle, buffer: Uint8Array, position: number): number {
    let count: number;
    try {
      count = sah.write(buffer, { at: position });
    } catch (error) {
      throw toKernelError(error, "write");
    }
    if (count < buffer.length) {
      // A short write means the quota ran out; report it as POSIX does once nothing more fits.
      if (count === 0) throw new KernelError("ENOSPC");
    }
    if (position + count > n.size) n.size = position + count;
    n.mtimeNs = n.ctimeNs = this.clock();
    this.timesChanged(n);
    return count;
  }

  private truncateNow(n: FileNode, sah: OpfsSyncAccessHandle, size: number): void {
    try {
      sah.truncate(size);
    } catch (error) {
      throw toKernelError(error, "truncate");
    }
    n.size = size;
    n.mtimeNs = n.ctimeNs = this.clock();
    this.timesChanged(n);
  }

  /** Removes the index-only name `name` of `node` (the OPFS side is done, or there is none). */
  private unlinkInIndex(d: DirNode, name: string, node: LinkedNode, records: MetaRecord[] = []): void {
    const now = this.clock();
    removeLink(node, d, name);
    d.entries.remove(name);
    node.ctimeNs = now;
    d.mtimeNs = d.ctimeNs = now;
    records.push(["R", d.ino, name], nodeRecord(d));
    if (node.links.length === 0) {
      records.push(["F", node.ino]);
      this.dirtyTimes.delete(node);
      if (node instanceof FileNode && node.openCount === 0) this.lru.close(node);
    } else {
      records.push(nodeRecord(node));
    }
    this.append(records);
  }

  /**
   * Takes a file's data away from its home name `link` before that name goes:
   * to another of its names, to the orphans directory while it is open, or
   * deletes it. Records the new home.
   */
  private async moveDataAway(file: FileNode, link: Link, records: MetaRecord[]): Promise<void> {
    const other = file.links.find((l) => l !== link);
    this.lru.close(file);
    if (other !== undefined) {
      await this.moveFileData(file, await this.dirHandle(other.dir), other.name);
      file.home = other;
      records.push(["E", other.dir.ino, other.name, file.ino, 1]);
    } else if (file.openCount > 0) {
      const name = String(file.ino);
      await this.moveFileData(file, await this.orphansDir(), name);
      file.home = null;
      file.orphanName = name;
    } else {
      const parent = await this.dirHandle(link.dir);
      try {
        await parent.removeEntry(link.name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      file.home = null;
      file.fileHandle = null;
      file.freed = true;
    }
  }

  /** Moves a file's OPFS file (its sync access handle closed) to `parent`/`name`, replacing a file there. */
  private async moveFileData(file: FileNode, parent: OpfsDirectoryHandle, name: string): Promise<void> {
    this.lru.close(file);
    const handle = await this.fileHandle(file);
    if (typeof handle.move === "function") {
      await handle.move(parent, name);
      return;
    }
    // No move (older browsers): copy the bytes, then delete the original.
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    const copy = await parent.getFileHandle(name, { create: true });
    const sah = await copy.createSyncAccessHandle();
    try {
      sah.truncate(0);
      if (bytes.length > 0) sah.write(bytes, { at: 0 });
      sah.flush();
    } finally {
      sah.close();
    }
    const oldParent = file.home !== null ? await this.dirHandle(file.home.dir) : await this.orphansDir();
    await oldParent.removeEntry(file.home !== null ? file.home.name : file.orphanName!);
    file.fileHandle = copy;
  }

  private async renameNow(from: DirNode, oldName: string, to: DirNode, newName: string): Promise<void> {
    await this.verify(from);
    await this.verify(to);
    const source = from.entries.get(oldName);
    if (source === undefined) throw new KernelError("ENOENT");
    const target = to.entries.get(newName);
    if (target === source) return;
    if (to.removed) throw new KernelError("ENOENT");
    if (to === this.rootNode && newName === META_DIR_NAME) {
      throw new KernelError("EPERM", `${META_DIR_NAME} is reserved`);
    }
    const isDirectory = source instanceof DirNode;
    if (isDirectory) {
      for (let d = to;; d = d.parent) {
        if (d === source) throw new KernelError("EINVAL");
        if (d.parent === d) break;
      }
    }
    if (target !== undefined) {
      if (isDirectory) {
        if (!(target instanceof DirNode)) throw new KernelError("ENOTDIR");
        await this.verify(target);
        if (target.entries.size > 0) throw new KernelError("ENOTEMPTY");
      } else if (target instanceof DirNode) {
        throw new KernelError("EISDIR");
      }
    }
    const records: MetaRecord[] = [];
    // OPFS first: clear the new name, then move the source's OPFS object to it.
    if (target instanceof DirNode) {
      const parent = await this.dirHandle(to);
      try {
        await parent.removeEntry(newName);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    } else if (target instanceof FileNode && isHome(target, to, newName)) {
      await this.moveDataAway(target, target.home!, records);
    }
    if (source instanceof DirNode) {
      await this.moveDirectory(source, from, oldName, to, newName);
    } else if (source instanceof FileNode && isHome(source, from, oldName)) {
      await this.moveFileData(source, await this.dirHandle(to), newName);
    }
    // Then the index.
    const now = this.clock();
    if (target !== undefined) {
      to.entries.replace(newName, source);
      if (target instanceof DirNode) {
        target.removed = true;
        target.handle = null;
        target.ctimeNs = now;
        to.subdirectories--;
        records.push(["F", target.ino]);
        this.dirtyTimes.delete(target);
      } else {
        const linked = target as LinkedNode;
        removeLink(linked, to, newName);
        linked.ctimeNs = now;
        if (linked.links.length === 0) {
          records.push(["F", linked.ino]);
          this.dirtyTimes.delete(linked);
          if (linked instanceof FileNode && linked.openCount === 0) this.lru.close(linked);
        } else {
          records.push(nodeRecord(linked));
        }
      }
    } else {
      to.entries.add(newName, source);
    }
    from.entries.remove(oldName);
    if (source instanceof DirNode) {
      source.parent = to;
      source.name = newName;
      if (from !== to) {
        from.subdirectories--;
        to.subdirectories++;
      }
    } else {
      const link = (source as LinkedNode).links.find((l) => l.dir === from && l.name === oldName)!;
      link.dir = to;
      link.name = newName;
    }
    source.ctimeNs = now;
    from.mtimeNs = from.ctimeNs = now;
    to.mtimeNs = to.ctimeNs = now;
    records.push(
      ["R", from.ino, oldName],
      ["E", to.ino, newName, source.ino, isHome(source, to, newName) ? 1 : 0],
      nodeRecord(source),
      nodeRecord(from),
    );
    if (to !== from) records.push(nodeRecord(to));
    this.append(records);
  }

  /** Moves the OPFS directory of `dir` from `from`/`oldName` to `to`/`newName` (which is free). */
  private async moveDirectory(dir: DirNode, from: DirNode, oldName: string, to: DirNode, newName: string) {
    await this.verifyTree(dir);
    const fromHandle = await this.dirHandle(from);
    const toHandle = await this.dirHandle(to);
    const handle = await this.dirHandle(dir);
    this.forEachBelow(dir, (node) => {
      if (node instanceof FileNode) this.lru.close(node);
    });
    if (typeof handle.move === "function") {
      await handle.move(toHandle, newName);
      // Handles are locators: every handle below the old path is stale now.
      this.forEachBelow(dir, (node) => {
        if (node instanceof DirNode) node.handle = null;
        else if (node instanceof FileNode && node.home !== null) node.fileHandle = null;
      });
      dir.handle = null;
      return;
    }
    await this.copyTree(dir, toHandle, newName);
    await fromHandle.removeEntry(oldName, { recursive: true });
  }

  /** Creates `dir`'s tree at `parent`/`name` and moves its files there (no data copied). */
  private async copyTree(dir: DirNode, parent: OpfsDirectoryHandle, name: string): Promise<void> {
    const handle = await parent.getDirectoryHandle(name, { create: true });
    for (const [childName, child] of [...dir.entries.entries()]) {
      if (child instanceof DirNode) await this.copyTree(child, handle, childName);
      else if (child instanceof FileNode && isHome(child, dir, childName)) {
        await this.moveFileData(child, handle, childName);
      }
    }
    dir.handle = handle;
  }

  private forEachBelow(dir: DirNode, fn: (node: OpfsNode) => void): void {
    for (const [, child] of dir.entries.entries()) {
      fn(child);
      if (child instanceof DirNode) this.forEachBelow(child, fn);
    }
  }

  private async verifyTree(dir: DirNode): Promise<void> {
    await this.verify(dir);
    for (const [, child] of [...dir.entries.entries()]) {
      if (child instanceof DirNode) await this.verifyTree(child);
    }
  }

  /** The OPFS directory of `d`, resolved through its parents when not cached. */
  private async dirHandle(d: DirNode): Promise<OpfsDirectoryHandle> {
    if (d.handle !== null) return d.handle;
    if (d.removed) throw new KernelError("ENOENT");
    const parent = await this.dirHandle(d.parent);
    const handle = await parent.getDirectoryHandle(d.name);
    d.handle = handle;
    return handle;
  }

  private async fileHandle(file: FileNode): Promise<OpfsFileHandle> {
    if (file.fileHandle !== null) return file.fileHandle;
    let handle: OpfsFileHandle;
    if (file.home !== null) {
      handle = await (await this.dirHandle(file.home.dir)).getFileHandle(file.home.name);
    } else if (file.orphanName !== null) {
      handle = await (await this.orphansDir()).getFileHandle(file.orphanName);
    } else {
      throw new KernelError("ENOENT");
    }
    file.fileHandle = handle;
    return handle;
  }

  private async orphansDir(): Promise<OpfsDirectoryHandle> {
    return this.orphans ??= await this.metaDir.getDirectoryHandle(ORPHANS, { create: true });
  }

  /** The file's sync access handle, opened (through the LRU) if needed; learns the size. */
  private async openSah(file: FileNode): Promise<OpfsSyncAccessHandle> {
    if (file.sah !== null) {
      this.lru.touch(file);
      return file.sah;
    }
    if (file.freed) throw new KernelError("ENOENT");
    let sah: OpfsSyncAccessHandle;
    try {
      sah = await (await this.fileHandle(file)).createSyncAccessHandle();
    } catch (error) {
      if (!isNotFound(error) || file.fileHandle === null) throw error;
      file.fileHandle = null; // a stale locator: resolve the name again
      sah = await (await this.fileHandle(file)).createSyncAccessHandle();
    }
    this.lru.add(file, sah);
    file.size = sah.getSize();
    return sah;
  }

  private async knowSize(file: FileNode): Promise<void> {
    if (file.size >= 0) return;
    if (file.sah !== null) {
      file.size = file.sah.getSize();
      return;
    }
    file.size = (await (await this.fileHandle(file)).getFile()).size;
  }

  /**
   * Compares `d`'s entries with its OPFS directory, once per session: adopts
   * OPFS objects the index does not know, drops index entries whose OPFS
   * object has gone (names kept only in the index stay, unless an OPFS
   * object took the name).
   */
  private async verify(d: DirNode): Promise<void> {
    if (d.verified) return;
    if (d.removed) {
      d.verified = true;
      return;
    }
    const records: MetaRecord[] = [];
    let found: Map<string, OpfsFileHandle | OpfsDirectoryHandle>;
    try {
      found = await this.listOpfs(await this.dirHandle(d));
    } catch (error) {
      if (!isNotFound(error) || d === this.rootNode) throw error;
      // The directory itself is gone from OPFS: it is empty now.
      found = new Map();
      d.handle = null;
    }
    if (d.verified) return; // verified meanwhile (the caller did not hold the queue)
    for (const [name, node] of [...d.entries.entries()]) {
      const object = found.get(name);
      if (node instanceof DirNode) {
        if (object?.kind === "directory") {
          found.delete(name);
          node.handle ??= object;
          continue;
        }
        this.dropDirectory(d, name, node, records);
      } else if (node instanceof FileNode && isHome(node, d, name)) {
        if (object?.kind === "file") {
          found.delete(name);
          node.fileHandle ??= object;
          continue;
        }
        this.dropFile(node, records);
      } else if (object !== undefined) {
        // An OPFS object took a name the index kept for a symlink or a further hard link.
        const linked = node as LinkedNode;
        removeLink(linked, d, name);
        d.entries.remove(name);
        records.push(["R", d.ino, name]);
        if (linked.links.length === 0) records.push(["F", linked.ino]);
      }
    }
    for (const [name, object] of found) {
      if (d.entries.has(name)) continue;
      await this.adopt(d, name, object, records);
    }
    d.verified = true;
    this.append(records);
  }

  private async listOpfs(
    handle: OpfsDirectoryHandle,
  ): Promise<Map<string, OpfsFileHandle | OpfsDirectoryHandle>> {
    const found = new Map<string, OpfsFileHandle | OpfsDirectoryHandle>();
    const atRoot = handle === this.rootNode.handle;
    for await (const [name, child] of handle.entries()) {
      if (atRoot && name === META_DIR_NAME) continue;
      found.set(name, child);
    }
    return found;
  }

  /** Adds an OPFS object the index did not know. */
  private async adopt(
    d: DirNode,
    name: string,
    object: OpfsFileHandle | OpfsDirectoryHandle,
    records: MetaRecord[],
  ): Promise<void> {
    let node: OpfsNode;
    if (object.kind === "directory") {
      const dir = new DirNode(this.nextIno++, 0o755, this.uid, this.gid, this.clock(), d, name);
      dir.handle = object;
      d.subdirectories++;
      node = dir;
    } else {
      let size = -1;
      let modified = this.clock();
      try {
        const snapshot = await object.getFile();
        size = snapshot.size;
        modified = BigInt(Math.trunc(snapshot.lastModified)) * 1_000_000n;
      } catch { /* keep the defaults; the size is read again when needed */ }
      const file = new FileNode(this.nextIno++, 0o644, this.uid, this.gid, modified);
      file.size = size;
      file.fileHandle = object;
      const link = { dir: d, name };
      file.links.push(link);
      file.home = link;
      node = file;
    }
    d.entries.add(name, node);
    records.push(nodeRecord(node), ["E", d.ino, name, node.ino, 1]);
  }

  /** Forgets a directory whose OPFS directory has gone, and everything below it. */
  private dropDirectory(parent: DirNode, name: string, dir: DirNode, records: MetaRecord[]): void {
    for (const [childName, child] of [...dir.entries.entries()]) {
      if (child instanceof DirNode) this.dropDirectory(dir, childName, child, records);
      else if (child instanceof FileNode && isHome(child, dir, childName)) this.dropFile(child, records);
      else {
        removeLink(child as LinkedNode, dir, childName);
        if ((child as LinkedNode).links.length === 0) records.push(["F", child.ino]);
      }
    }
    parent.entries.remove(name);
    parent.subdirectories--;
    dir.removed = true;
    dir.verified = true;
    dir.handle = null;
    dir.entries.clear();
    records.push(["R", parent.ino, name], ["F", dir.ino]);
  }

  /** Forgets a file whose OPFS file has gone, with all its names. */
  private dropFile(file: FileNode, records: MetaRecord[]): void {
    for (const link of [...file.links]) {
      link.dir.entries.remove(link.name);
      records.push(["R", link.dir.ino, link.name]);
    }
    file.links = [];
    file.home = null;
    file.fileHandle = null;
    file.freed = true;
    this.lru.close(file);
    records.push(["F", file.ino]);
  }

  /**
   * Rebuilds the tree from the index's records. Returns false when the index
   * had no root (a new or damaged index).
   */
  private load(records: readonly MetaRecord[]): boolean {
    const nodes = new Map<number, NodeRecord>();
    const entries = new Map<number, Map<string, [number, 0 | 1]>>();
    let nextIno = 2;
    for (const r of records) {
      switch (r[0]) {
        case "N":
          nodes.set(r[1], r);
          if (r[1] >= nextIno) nextIno = r[1] + 1;
          break;
        case "E": {
          let map = entries.get(r[1]);
          if (map === undefined) entries.set(r[1], map = new Map());
          map.set(r[2], [r[3], r[4]]);
          break;
        }
        case "R":
          entries.get(r[1])?.delete(r[2]);
          break;
        case "F":
          nodes.delete(r[1]);
          entries.delete(r[1]);
          break;
        case "I":
          if (r[1] > nextIno) nextIno = r[1];
          break;
      }
    }
    this.nextIno = nextIno;
    const rootRecord = nodes.get(1);
    const root = this.rootNode;
    if (rootRecord === undefined || rootRecord[2] !== FileType.Directory) return false;
    applyNodeRecord(root, rootRecord);
    const built = new Map<number, OpfsNode>([[1, root]]);
    const queue: DirNode[] = [root];
    for (let i = 0; i < queue.length; i++) {
      const dir = queue[i];
      const map = entries.get(dir.ino);
      if (map === undefined) continue;
      for (const [name, [ino, home]] of map) {
        if (dir === root && name === META_DIR_NAME) continue;
        const record = nodes.get(ino);
        if (record === undefined) continue;
        let node = built.get(ino);
        if (node === undefined) {
          const fresh = buildNode(record, dir, name);
          if (fresh === null) continue;
          node = fresh;
          built.set(ino, node);
          if (node instanceof DirNode) {
            dir.subdirectories++;
            queue.push(node);
          }
        } else if (node instanceof DirNode) {
          continue; // a directory has one name
        }
        if (node instanceof LinkedNode) {
          const link = { dir, name };
          node.links.push(link);
          if (node instanceof FileNode && home === 1 && node.home === null) node.home = link;
        }
        dir.entries.add(name, node);
      }
    }
    for (const node of built.values()) {
      if (node instanceof FileNode && node.home === null) node.home = node.links[0] ?? null;
    }
    return true;
  }

  /** The whole index as records, for a compaction. */
  private snapshot(): MetaRecord[] {
    const records: MetaRecord[] = [["I", this.nextIno], nodeRecord(this.rootNode)];
    const seen = new Set<number>([this.rootNode.ino]);
    const walk = (dir: DirNode) => {
      for (const [name, node] of dir.entries.entries()) {
        if (!seen.has(node.ino)) {
          seen.add(node.ino);
          records.push(nodeRecord(node));
        }
        records.push(["E", dir.ino, name, node.ino, isHome(node, dir, name) ? 1 : 0]);
        if (node instanceof DirNode) walk(node);
      }
    };
    walk(this.rootNode);
    this.dirtyTimes.clear();
    return records;
  }
}

function buildNode(record: NodeRecord, parent: DirNode, name: string): OpfsNode | null {
  const [, ino, type, mode, uid, gid, , , , , target] = record;
  let node: OpfsNode;
  if (type === FileType.Directory) node = new DirNode(ino, mode, uid, gid, 0n, parent, name);
  else if (type === FileType.RegularFile) node = new FileNode(ino, mode, uid, gid, 0n);
  else if (type === FileType.Symlink && typeof target === "string") {
    node = new SymlinkNode(ino, uid, gid, 0n, target);
  } else return null;
  applyNodeRecord(node, record);
  return node;
}

function applyNodeRecord(node: OpfsNode, record: NodeRecord): void {
  node.mode = record[3] & PERMISSION_BITS;
  node.uid = record[4];
  node.gid = record[5];
  node.atimeNs = parseTime(record[6]);
  node.mtimeNs = parseTime(record[7]);
  node.ctimeNs = parseTime(record[8]);
  node.birthtimeNs = parseTime(record[9]);
}

function parseTime(text: string): bigint {
  try {
    return BigInt(text);
  } catch {
    return 0n;
  }
}

function nodeRecord(n: OpfsNode): NodeRecord {
  const record: NodeRecord = [
    "N",
    n.ino,
    n.type,
    n.mode,
    n.uid,
    n.gid,
    String(n.atimeNs),
    String(n.mtimeNs),
    String(n.ctimeNs),
    String(n.birthtimeNs),
  ];
  if (n instanceof SymlinkNode) record.push(n.target);
  return record;
}

/** Whether the entry `dir`/`name` holds `node`'s OPFS object (always, for a directory). */
function isHome(node: OpfsNode, dir: DirNode, name: string): boolean {
  if (node instanceof DirNode) return true;
  if (!(node instanceof FileNode)) return false;
  const home = node.home;
  return home !== null && home.dir === dir && home.name === name;
}

function removeLink(node: LinkedNode, dir: DirNode, name: string): void {
  const i = node.links.findIndex((l) => l.dir === dir && l.name === name);
  if (i >= 0) node.links.splice(i, 1);
}

function isLive(node: OpfsNode): boolean {
  return node instanceof DirNode ? !node.removed : (node as LinkedNode).links.length > 0;
}

/** A TypeMismatchError on create (the name is there as the other kind) is EEXIST. */
function mismatchAsExists(error: unknown): unknown {
  return (error as { name?: unknown; } | null)?.name === "TypeMismatchError"
    ? new KernelError("EEXIST")
    : error;
}

function asNode(node: VNode): OpfsNode {
  if (node instanceof OpfsNode) return node;
  throw new TypeError("not a node of an OpfsFileSystem");
}

function asDirectory(node: VNode): DirNode {
  if (node instanceof DirNode) return node;
  if (node instanceof OpfsNode) throw new KernelError("ENOTDIR");
  throw new TypeError("not a node of an OpfsFileSystem");
}

function asOpenHandle(handle: FileHandle): OpfsHandle {
  if (!(handle instanceof OpfsHandle)) throw new TypeError("not a handle of an OpfsFileSystem");
  if (handle.closed) throw new KernelError("EBADF");
  return handle;
}
