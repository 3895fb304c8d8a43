/**
 * {@link ZenFsFileSystem}: the kernel's driver interface over any `@zenfs/core`
 * backend file system.
 *
 * ZenFS backends are path based; the kernel's drivers are inode and handle
 * based. The adapter keeps a tree of the nodes it has handed out (each knows
 * its names, so a path is rebuilt from the node after any rename), and adds
 * what ZenFS's backend layer lacks: handles, an open file that outlives its
 * last name (its bytes are kept in memory until the last handle closes),
 * symbolic links stored the way ZenFS stores them, POSIX type and rename
 * checks, reads clamped to the size, stable inode numbers, `..`, resumable
 * readdir cookies and errno conversion.
 *
 * This module imports `@zenfs/core` (LGPL-3.0-or-later); it is reachable only
 * through `fs/zenfs/mod.ts`, never from the root `mod.ts`.
 *
 * @module
 */

import {
  type Backend,
  FileSystem as ZenFileSystem,
  type MountConfiguration,
  resolveMountConfig,
} from "@zenfs/core";
import { KernelError } from "../../kernel/errno.ts";
import {
  type DirEntry,
  FileType,
  type Maybe,
  O,
  PERMISSION_BITS,
  S_IFMT,
  type SetAttr,
  type Stat,
  type StatFs,
  UTIME,
} from "../../kernel/types.ts";
import type { FileHandle, FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { checkPosition, isId } from "../_shared/checks.ts";
import { assignCookies, firstAfter } from "../_shared/readdir_cookies.ts";
import { run, type Step, wait } from "../_shared/step.ts";
import {
  asyncCalls,
  detectAtomicReplace,
  detectBackendInodes,
  detectChecksExistence,
  detectCopiesWrites,
  detectSynchronous,
  forgetRemovedName,
  msToNs,
  nsToMs,
  syncCalls,
  toKernelError,
  type ZenCalls,
  zenCode,
  type ZenInode,
} from "./_backend.ts";

/** `stat.blksize` and the default `statfs` block size. */
const BLOCK_SIZE = 4096;
/** Largest file a ZenFS inode can describe: its `size` field is a uint32. */
const ZENFS_MAX_FILE_SIZE = 2 ** 32 - 1;
const NAME_MAX = 255;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Options of {@link ZenFsFileSystem}. Every field has a default detected from
 * the backend; set one only to override the detection.
 *
 * @example
 * ```ts
 * import { InMemory, resolveMountConfig } from "@zenfs/core";
 * import { ZenFsFileSystem, type ZenFsOptions } from "./zenfs_fs.ts";
 * const options: ZenFsOptions = { synchronous: false, uid: 1000, gid: 1000 };
 * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }), options);
 * console.assert(!fs.synchronous);
 * ```
 */
export interface ZenFsOptions {
  /**
   * Use the backend's `*Sync` methods (`true`) or its Promise methods
   * (`false`). Default: `true` for backends whose sync methods are real
   * (InMemory, SingleBuffer, a CopyOnWrite of two such, Passthrough), `false`
   * for Fetch and every backend built with ZenFS's `Async` mixin (IndexedDB,
   * Port), whose sync methods need the preloaded cache that
   * `disableAsyncCache: true` turns off.
   */
  synchronous?: boolean;
  /**
   * Where inode numbers come from. `"backend"`: the backend's own `ino` + 1
   * (needs unique numbers with the root as 0, as every store-based backend
   * has; the +1 keeps 0 unused); hard links found by lookup are recognised as
   * one node. `"paths"`: numbers the adapter allocates per node it hands out
   * (stable across renames, never reused). Default: `"backend"` for store-based
   * backends (InMemory, SingleBuffer, IndexedDB), `"paths"` otherwise
   * (CopyOnWrite and Fetch number by path).
   */
  inodes?: "backend" | "paths";
  /** Refuse every mutation with EROFS. Default: the backend's `no_write` attribute. */
  readOnly?: boolean;
  /** Owner given to created nodes. Default 0. */
  uid?: number;
  /** Group given to created nodes. Default 0. */
  gid?: number;
  /** Largest file size (EFBIG past it). Default 2^32 - 1: ZenFS inodes hold a uint32 size. */
  maxFileSize?: number;
  /** The driver's name in messages. Default `zenfs:<backend name>`. */
  name?: string;
}

interface Link {
  dir: ZenNode;
  name: string;
}

/** The bytes of an open file whose last name was removed, kept until its last handle closes. */
interface Orphan {
  data: Uint8Array;
  stat: Stat;
}

/** A node the adapter handed out. */
class ZenNode implements VNode {
  /** The names this node is known by; the first is its path. Empty once removed. */
  links: Link[] = [];
  /** Directories: the physical parent (the root's is itself). */
  parent: ZenNode;
  /** Directories: the children handed out, by name. */
  readonly children: Map<string, ZenNode> = new Map();
  openCount = 0;
  /** No name is left (for a directory: removed). */
  removed = false;
  /** Metadata of a removed node, with nlink 0. */
  ghost: Stat | null = null;
  orphan: Orphan | null = null;
  /** Symbolic links: the target, once read or written. */
  target: string | null = null;
  /** Directories: the readdir cookie of each name seen (cookies only grow). */
  cookies: Map<string, number> | null = null;
  nextCookie = 1;
  /** Directories: the last listing, sorted by cookie; null after a change. */
  listing: { cookie: number; name: string; }[] | null = null;

  constructor(
    /** The adapter that made the node. */
    readonly owner: object,
    readonly ino: number,
    readonly type: FileType,
    readonly backendIno: number,
    parent: ZenNode | null,
  ) {
    this.parent = parent ?? this;
    if (type === FileType.Directory) this.cookies = new Map();
  }
}

class ZenHandle implements FileHandle {
  closed = false;
  constructor(readonly node: ZenNode, readonly readable: boolean, readonly writable: boolean) {}
}

interface Found {
  node: ZenNode;
  inode: ZenInode;
}

/**
 * A {@link FileSystem} over a `@zenfs/core` backend file system (the object
 * `resolveMountConfig` returns, not ZenFS's Node-style `fs` module).
 *
 * - Synchronous over InMemory, SingleBuffer and CopyOnWrite of those;
 *   asynchronous (every method returns a Promise, operations run one at a
 *   time in call order) over Fetch and async backends: see
 *   {@link ZenFsOptions.synchronous}.
 * - The adapter must be the only writer of the backend while mounted: it
 *   caches which names it handed out. Reading it through ZenFS's own API at
 *   the same time is fine (the formats are ZenFS's own: a symbolic link is a
 *   node whose mode has `S_IFLNK` and whose data is the UTF-8 target).
 * - Times are ZenFS's: doubles of milliseconds (set to about 0.24 µs of a
 *   requested nanosecond time) stamped by ZenFS from `Date.now()` on creation
 *   and data writes; the kernel's clock (virtual in deterministic kernels)
 *   does not reach a ZenFS mount except through explicit setattr times. Reads
 *   do not update atime.
 * - Hard links where the backend has `link` (store-based backends); ENOSYS
 *   where it throws ENOSYS (Fetch and other index-based backends).
 * - Renaming over an existing name removes it first, then renames (one atomic
 *   ZenFS rename when replacing a regular file of a store-based backend).
 * - ZenFS limits: files up to 4 GiB - 1; names that are `Object.prototype`
 *   properties (`constructor`, `toString`, ...) cannot be created in
 *   store-based backends (ZenFS's directory listings are plain objects), which
 *   answer EEXIST.
 * - A ZenFS 2.7 bug is worked around: removing one name of a hard-linked file
 *   leaves the name in StoreFS's path table (it keeps answering `stat`, and
 *   when the inode goes it takes whatever was created at that path since);
 *   the adapter drops the name from the table (see `forgetRemovedName`), or,
 *   where it cannot find the table, checks such names against the listing.
 *
 * IndexedDB (`@zenfs/dom`) and zip/iso archives (`@zenfs/archives`) are not
 * dependencies of vkernel (only dev dependencies, for the tests); an
 * application installs them beside `@zenfs/core` and they plug in the same
 * way. IndexedDB:
 * `createZenFsFileSystem({ backend: IndexedDB, storeName: "vkernel" })` (with
 * `disableAsyncCache: true`, so the adapter detects it as asynchronous and
 * uses its Promise methods; the kernel then needs JSPI or the worker bridge;
 * tested with `@zenfs/dom` 1.2.14 in headless Chromium, where files written
 * through the kernel survive a reload and a browser relaunch:
 * `tests/browser/indexeddb_browser_test.ts`).
 * Zip (tested, `zip_test.ts`, with `@zenfs/archives` 1.3.6):
 * `createZenFsFileSystem({ backend: Zip, data })` where `data` is the
 * archive as an `ArrayBuffer` or `Uint8Array` (e.g. `await (await
 * fetch(url)).arrayBuffer()`). Stored and deflated entries are read, and
 * directories only implied by entry paths are listed; no Zip64, no
 * encryption. ZipFS decompresses every entry when it is created (unless
 * `lazy: true`, whose sync reads then fail with EAGAIN until the entry is
 * loaded, so keep the default), keeps the archive in memory and has real sync
 * methods: the mount is synchronous. Its nodes are mode 0555 owned by root,
 * numbered by path. Read-only backends built with ZenFS's `Readonly` mixin
 * (ZipFS, Iso) set the `no_write` attribute, which makes the adapter
 * read-only (every mutation is EROFS), and `readOnly: true` forces it for
 * any other.
 *
 * @example
 * ```ts
 * import { InMemory, resolveMountConfig } from "@zenfs/core";
 * import { O } from "../../kernel/types.ts";
 * import { ZenFsFileSystem } from "./zenfs_fs.ts";
 * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory, disableAsyncCache: true }));
 * const file = fs.create(fs.root(), "hello.txt", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
 * const handle = fs.open(file, O.RDWR) as import("../../kernel/vfs/driver.ts").FileHandle;
 * fs.write(handle, new TextEncoder().encode("hi"), 0);
 * fs.close(handle);
 * console.assert(fs.synchronous && (fs.stat(file) as { size: number; }).size === 2);
 * ```
 */
export class ZenFsFileSystem implements FileSystem {
  /** `zenfs:<backend name>` unless given. */
  readonly name: string;
  /** Whether the backend's sync methods are used (no method returns a Promise). */
  readonly synchronous: boolean;
  /** True when every mutation throws EROFS. */
  readonly readOnly: boolean;
  /** The ZenFS file system underneath. */
  readonly backend: ZenFileSystem;

  private readonly calls: ZenCalls;
  private readonly backendInodes: boolean;
  private readonly checksExistence: boolean;
  private readonly atomicReplace: boolean;
  private readonly copiesWrites: boolean;
  private readonly maxFileSize: number;
  private readonly uid: number;
  private readonly gid: number;
  private readonly rootNode: ZenNode;
  /** Backend inode number → node ("backend" inode mode). */
  private readonly byIno = new Map<number, ZenNode>();
  private nextIno = 2;
  /**
   * Paths of names removed from a file that kept another name, where
   * {@link forgetRemovedName} could not repair the backend's path table: a
   * StoreFS-like backend may keep answering `stat` for them, so a stat that
   * succeeds on one of these paths is checked against the listing.
   */
  private readonly tombstones = new Set<string>();
  /** Async mode: the last queued operation; operations run one at a time. */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Wraps a ready ZenFS file system (from `resolveMountConfig`).
   *
   * @throws {TypeError} if `backend` is not a ZenFS file system.
   * @throws {RangeError} for an invalid option.
   */
  constructor(backend: ZenFileSystem, options: ZenFsOptions = {}) {
    if (backend === null || typeof backend !== "object" || typeof backend.statSync !== "function") {
      throw new TypeError("expected a @zenfs/core FileSystem (from resolveMountConfig)");
    }
    const { uid = 0, gid = 0, maxFileSize = ZENFS_MAX_FILE_SIZE } = options;
    if (!Number.isSafeInteger(uid) || uid < 0) {
      throw new RangeError(`uid must be a non-negative integer, got ${uid}`);
    }
    if (!Number.isSafeInteger(gid) || gid < 0) {
      throw new RangeError(`gid must be a non-negative integer, got ${gid}`);
    }
    if (!Number.isSafeInteger(maxFileSize) || maxFileSize < 0) {
      throw new RangeError(`maxFileSize must be a non-negative integer, got ${maxFileSize}`);
    }
    if (options.inodes !== undefined && options.inodes !== "backend" && options.inodes !== "paths") {
      throw new RangeError(`inodes must be "backend" or "paths", got ${options.inodes}`);
    }
    this.backend = backend;
    this.name = options.name ?? `zenfs:${backend.name}`;
    this.synchronous = options.synchronous ?? detectSynchronous(backend);
    this.readOnly = options.readOnly ?? backend.attributes.has("no_write");
    this.calls = this.synchronous ? syncCalls(backend) : asyncCalls(backend);
    this.backendInodes =
      (options.inodes ?? (detectBackendInodes(backend) ? "backend" : "paths")) === "backend";
    this.checksExistence = detectChecksExistence(backend);
    this.atomicReplace = detectAtomicReplace(backend);
    this.copiesWrites = detectCopiesWrites(backend);
    this.maxFileSize = maxFileSize;
    this.uid = uid;
    this.gid = gid;
    this.rootNode = new ZenNode(this, 1, FileType.Directory, this.backendInodes ? 0 : -1, null);
    if (this.backendInodes) this.byIno.set(0, this.rootNode);
  }

  /**
   * The root directory (inode 1).
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * console.assert(fs.root().ino === 1);
   * ```
   */
  root(): VNode {
    return this.rootNode;
  }

  /**
   * The node `name` in `dir` (null if absent); `".."` is the parent, the
   * root's is the root. ENOTDIR if `dir` is not a directory.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const dir = fs.mkdir(fs.root(), "d", 0o755);
   * console.assert(fs.lookup(fs.root(), "d") === dir && fs.lookup(fs.root(), "x") === null);
   * ```
   */
  lookup(dir: VNode, name: string): Maybe<VNode | null> {
    const d = this.node(dir);
    return this.exec(this.lookupOp(d, name));
  }

  /**
   * The node's metadata (`dev` is 0: the kernel fills it in). Directories
   * report nlink 1 ("subdirectories not counted") and ZenFS's listing size.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const st = fs.stat(fs.create(fs.root(), "f", 0o640) as import("../../kernel/vfs/driver.ts").VNode);
   * console.assert(!(st instanceof Promise) && st.mode === 0o640 && st.size === 0);
   * ```
   */
  stat(node: VNode): Maybe<Stat> {
    const n = this.node(node);
    return this.exec(this.statOp(n));
  }

  /**
   * Changes metadata through ZenFS's `touch`: permission bits, owner (-1
   * leaves a field as it is), size of a regular file (EISDIR on a directory,
   * EINVAL on anything else, EFBIG past the maximum), times (`UTIME.NOW` is
   * `Date.now()`, `UTIME.OMIT` leaves the field).
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const file = fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
   * fs.setattr(file, { mode: 0o600, size: 3 });
   * const st = fs.stat(file) as import("../../kernel/types.ts").Stat;
   * console.assert(st.mode === 0o600 && st.size === 3);
   * ```
   */
  setattr(node: VNode, attr: SetAttr): Maybe<void> {
    const n = this.node(node);
    return this.exec(this.setattrOp(n, attr));
  }

  /**
   * Creates an empty regular file; EEXIST if the name exists, ENOTDIR if `dir`
   * is not a directory, ENOENT if it was removed.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const file = fs.create(fs.root(), "notes.txt", 0o644);
   * console.assert(fs.lookup(fs.root(), "notes.txt") === file);
   * ```
   */
  create(dir: VNode, name: string, mode: number): Maybe<VNode> {
    const d = this.node(dir);
    return this.exec(this.createOp(d, name, mode, false));
  }

  /**
   * Creates an empty directory; errors as {@link ZenFsFileSystem.create}.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { FileType } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const dir = fs.mkdir(fs.root(), "d", 0o755) as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert(dir.type === FileType.Directory);
   * ```
   */
  mkdir(dir: VNode, name: string, mode: number): Maybe<VNode> {
    const d = this.node(dir);
    return this.exec(this.createOp(d, name, mode, true));
  }

  /**
   * Creates a symbolic link as ZenFS does: a node whose mode has `S_IFLNK`
   * (permissions 0777) and whose data is the UTF-8 target, so ZenFS's own
   * `readlink`/`lstat` read it back. ENOENT for an empty target; ENOSYS if the
   * backend cannot keep the `S_IFLNK` type (nothing is left behind).
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const zen = await resolveMountConfig({ backend: InMemory });
   * const fs = new ZenFsFileSystem(zen);
   * const link = fs.symlink(fs.root(), "l", "/etc/hosts") as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert(fs.readlink(link) === "/etc/hosts");
   * console.assert((zen.statSync("/l").mode & 0o170000) === 0o120000);
   * ```
   */
  symlink(dir: VNode, name: string, target: string): Maybe<VNode> {
    const d = this.node(dir);
    return this.exec(this.symlinkOp(d, name, target));
  }

  /**
   * Adds the name `name` in `dir` for `node` through the backend's `link`.
   * EEXIST if the name exists, EPERM for a directory, ENOENT for a removed
   * node, ENOSYS if the backend has no hard links.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const file = fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
   * fs.link(fs.root(), "g", file);
   * console.assert(fs.lookup(fs.root(), "g") === file);
   * ```
   */
  link(dir: VNode, name: string, node: VNode): Maybe<void> {
    const d = this.node(dir);
    const n = this.node(node);
    return this.exec(this.linkOp(d, name, n));
  }

  /**
   * Removes a non-directory name (EISDIR for a directory, ENOENT if absent).
   * An open file whose last name goes stays readable and writable through its
   * handles (its bytes move into memory) until its last handle closes.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * fs.create(fs.root(), "f", 0o644);
   * fs.unlink(fs.root(), "f");
   * console.assert(fs.lookup(fs.root(), "f") === null);
   * ```
   */
  unlink(dir: VNode, name: string): Maybe<void> {
    const d = this.node(dir);
    return this.exec(this.unlinkOp(d, name));
  }

  /**
   * Removes an empty directory (ENOTDIR if not one, ENOTEMPTY, ENOENT).
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * fs.mkdir(fs.root(), "d", 0o755);
   * fs.rmdir(fs.root(), "d");
   * console.assert(fs.lookup(fs.root(), "d") === null);
   * ```
   */
  rmdir(dir: VNode, name: string): Maybe<void> {
    const d = this.node(dir);
    return this.exec(this.rmdirOp(d, name));
  }

  /**
   * Renames with POSIX semantics, checked before ZenFS is called: ENOENT for
   * a missing source, EINVAL for a directory moved into its own subtree,
   * ENOTDIR / EISDIR on a type mismatch, ENOTEMPTY over a non-empty directory;
   * a no-op for two names of one node. An existing target is removed first.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const a = fs.mkdir(fs.root(), "a", 0o755);
   * const b = fs.mkdir(fs.root(), "b", 0o755) as import("../../kernel/vfs/driver.ts").VNode;
   * fs.rename(fs.root(), "a", b, "a2");
   * console.assert(fs.lookup(b, "a2") === a);
   * ```
   */
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): Maybe<void> {
    const from = this.node(oldDir);
    const to = this.node(newDir);
    return this.exec(this.renameOp(from, oldName, to, newName));
  }

  /**
   * The target of a symbolic link (EINVAL if `node` is not one).
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const link = fs.symlink(fs.root(), "l", "target") as import("../../kernel/vfs/driver.ts").VNode;
   * console.assert(fs.readlink(link) === "target");
   * ```
   */
  readlink(node: VNode): Maybe<string> {
    const n = this.node(node);
    return this.exec(this.readlinkOp(n));
  }

  /**
   * Up to `limit` entries of `dir` after `cookie`, without `.` and `..`. Each
   * name gets a cookie when first listed and keeps it, and entries come in
   * cookie order, so a resumed listing never repeats a name and never skips
   * one that stayed; names created during a listing may be missed.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * for (const name of ["a", "b", "c"]) fs.create(fs.root(), name, 0o644);
   * const first = fs.readdir(fs.root(), 0, 2) as import("../../kernel/types.ts").DirEntry[];
   * const rest = fs.readdir(fs.root(), first[1].next, 10) as import("../../kernel/types.ts").DirEntry[];
   * console.assert([...first, ...rest].map((e) => e.name).sort().join() === "a,b,c");
   * ```
   */
  readdir(dir: VNode, cookie: number, limit: number): Maybe<DirEntry[]> {
    const d = this.node(dir);
    return this.exec(this.readdirOp(d, cookie, limit));
  }

  /**
   * Opens a node for positional I/O with the access mode of `flags` (other
   * flags are the kernel's business). EISDIR for a directory opened for
   * writing, EROFS for writing on a read-only mount, ENOENT for a removed file.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { O } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const handle = fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * console.assert(handle.node === fs.root());
   * fs.close(handle);
   * ```
   */
  open(node: VNode, flags: number): Maybe<FileHandle> {
    const n = this.node(node);
    return this.exec(this.openOp(n, flags));
  }

  /**
   * Reads at `position`, clamped to the file size; returns the count (0 at or
   * past the end). EISDIR on a directory, EBADF on a closed or write-only
   * handle, EINVAL for a bad position or a non-regular file.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { O } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const file = fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
   * const handle = fs.open(file, O.RDWR) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.write(handle, new Uint8Array([1, 2, 3]), 0);
   * const buffer = new Uint8Array(8);
   * console.assert(fs.read(handle, buffer, 1) === 2 && buffer[0] === 2);
   * ```
   */
  read(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    const h = this.handle(handle);
    return this.exec(this.readOp(h, buffer, position));
  }

  /**
   * Writes all of `buffer` at `position` (a hole reads as zeros); returns its
   * length. EFBIG past the maximum file size, EBADF on a closed or read-only
   * handle, EISDIR on a directory.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { O } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const file = fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
   * const handle = fs.open(file, O.WRONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * console.assert(fs.write(handle, new Uint8Array([7]), 4) === 1);
   * console.assert((fs.stat(file) as import("../../kernel/types.ts").Stat).size === 5);
   * ```
   */
  write(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    const h = this.handle(handle);
    return this.exec(this.writeOp(h, buffer, position));
  }

  /**
   * Sets the size of an open regular file (zeros when growing). EINVAL if not
   * open for writing or for a bad size, EFBIG past the maximum, EISDIR on a
   * directory.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { O } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const file = fs.create(fs.root(), "f", 0o644) as import("../../kernel/vfs/driver.ts").VNode;
   * const handle = fs.open(file, O.RDWR) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.truncate(handle, 100);
   * console.assert((fs.stat(file) as import("../../kernel/types.ts").Stat).size === 100);
   * ```
   */
  truncate(handle: FileHandle, size: number): Maybe<void> {
    const h = this.handle(handle);
    return this.exec(this.truncateOp(h, size));
  }

  /**
   * Flushes the backend (ZenFS's `sync`); EBADF on a closed handle.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { O } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const handle = fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.sync(handle);
   * fs.close(handle);
   * ```
   */
  sync(handle: FileHandle): Maybe<void> {
    const h = this.handle(handle);
    return this.exec(this.syncOp(h));
  }

  /**
   * Releases the handle (EBADF if already closed); the in-memory bytes of a
   * file with no name left go with its last handle.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { O } from "../../kernel/types.ts";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * const handle = fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.close(handle);
   * ```
   */
  close(handle: FileHandle): Maybe<void> {
    const h = this.handle(handle);
    return this.exec(this.closeOp(h));
  }

  /**
   * Filesystem-wide figures from ZenFS's `usage()`; inode counts are nominal
   * when the backend does not report them.
   *
   * @example
   * ```ts
   * import { InMemory, resolveMountConfig } from "@zenfs/core";
   * import { ZenFsFileSystem } from "./zenfs_fs.ts";
   * const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }));
   * console.assert((fs.statfs() as import("../../kernel/types.ts").StatFs).nameMax === 255);
   * ```
   */
  statfs(): Maybe<StatFs> {
    return this.exec(this.statfsOp());
  }

  // ------------------------------------------------------------ running

  /** Runs an operation: directly when synchronous, queued behind the previous one otherwise. */
  private exec<T>(op: Step<T>): Maybe<T> {
    if (this.synchronous) {
      try {
        const result = run(op);
        return isThenable(result) ? result.then(undefined, rethrowConverted) : result;
      } catch (error) {
        throw toKernelError(error);
      }
    }
    const result = this.tail.then(() => run(op));
    this.tail = result.then(ignore, ignore);
    return result.then(undefined, rethrowConverted);
  }

  /** This adapter's node, or a TypeError (a programmer error). */
  private node(value: VNode): ZenNode {
    if (value instanceof ZenNode && value.owner === this) return value;
    throw new TypeError("not a node of this ZenFsFileSystem");
  }

  /** This adapter's handle, or a TypeError (a programmer error). */
  private handle(value: FileHandle): ZenHandle {
    if (value instanceof ZenHandle && value.node.owner === this) return value;
    throw new TypeError("not a handle of this ZenFsFileSystem");
  }

  /** EROFS on a read-only mount. */
  private mutable(): void {
    if (this.readOnly) throw new KernelError("EROFS");
  }

  // ------------------------------------------------------------ the node tree

  /** The path of a node, or null if it has no known name. */
  private pathOf(node: ZenNode): string | null {
    let path = "";
    for (let n = node; n !== this.rootNode;) {
      const link = n.links[0];
      if (link === undefined) return null;
      path = `/${link.name}${path}`;
      n = link.dir;
    }
    return path === "" ? "/" : path;
  }

  /** The path of a live directory. */
  private dirPath(dir: ZenNode): string {
    const path = this.pathOf(dir);
    if (path === null) throw new KernelError("ENOENT");
    return path;
  }

  /**
   * The path of a node. A hard-linked file whose known names were all removed
   * while another name remained is found again by a scan of the tree (backend
   * inode numbers only).
   */
  private *pathFor(node: ZenNode): Step<string> {
    const path = this.pathOf(node);
    if (path !== null) return path;
    if (!node.removed && this.backendInodes && node.type !== FileType.Directory) {
      yield* this.rediscover(node);
      const found = this.pathOf(node);
      if (found !== null) return found;
    }
    throw new KernelError("ENOENT");
  }

  /** Scans the tree for another name of a hard-linked file (backend inode numbers only). */
  private *rediscover(node: ZenNode): Step<void> {
    const queue: ZenNode[] = [this.rootNode];
    while (queue.length > 0) {
      const dir = queue.shift()!;
      const path = this.pathOf(dir);
      if (path === null) continue;
      const names = yield* wait(this.calls.readdir(path));
      for (const name of names) {
        const found = yield* this.child(dir, name);
        if (found === null) continue;
        if (found.node === node) return;
        if (found.node.type === FileType.Directory) queue.push(found.node);
      }
    }
  }

  /** Stats `name` in `dir`: the node and its ZenFS inode, or null if absent. */
  private *child(dir: ZenNode, name: string): Step<Found | null> {
    const path = childPath(this.dirPath(dir), name);
    let inode: ZenInode;
    try {
      inode = yield* wait(this.calls.stat(path));
    } catch (error) {
      const code = zenCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw error;
    }
    if (this.tombstones.size > 0 && this.tombstones.has(path)) {
      const names = yield* wait(this.calls.readdir(this.dirPath(dir)));
      if (!names.includes(name)) return null;
      this.tombstones.delete(path);
    }
    return { node: this.nodeFor(dir, name, inode), inode };
  }

  /** The node for `name` in `dir` with ZenFS inode `inode`: the known one, or a new one. */
  private nodeFor(dir: ZenNode, name: string, inode: ZenInode): ZenNode {
    const type = typeOf(inode.mode);
    const cached = dir.children.get(name);
    if (cached !== undefined) {
      if (cached.type === type && (!this.backendInodes || cached.backendIno === inode.ino)) return cached;
      // Replaced behind the adapter's back.
      this.dropLink(cached, dir, name);
      if (cached.links.length === 0) cached.removed = true;
    }
    if (this.backendInodes) {
      const known = this.byIno.get(inode.ino);
      if (known !== undefined && known.type === type && known !== this.rootNode) {
        if (type === FileType.Directory) {
          for (const link of known.links) link.dir.children.delete(link.name);
          known.links = [];
        }
        this.addLink(known, dir, name);
        return known;
      }
    }
    const ino = this.backendInodes ? inode.ino + 1 : this.nextIno++;
    const node = new ZenNode(this, ino, type, this.backendInodes ? inode.ino : -1, dir);
    if (this.backendInodes) this.byIno.set(inode.ino, node);
    this.addLink(node, dir, name);
    return node;
  }

  /** Records that `node` is called `name` in `dir`. */
  private addLink(node: ZenNode, dir: ZenNode, name: string): void {
    node.links.push({ dir, name });
    dir.children.set(name, node);
    if (node.type === FileType.Directory) node.parent = dir;
  }

  /** Forgets that `node` is called `name` in `dir`. */
  private dropLink(node: ZenNode, dir: ZenNode, name: string): void {
    const index = node.links.findIndex((link) => link.dir === dir && link.name === name);
    if (index >= 0) node.links.splice(index, 1);
    if (dir.children.get(name) === node) dir.children.delete(name);
  }

  /** Marks a node as having no name left, remembering its last metadata. */
  private retire(node: ZenNode, inode: ZenInode): void {
    for (const link of node.links) {
      if (link.dir.children.get(link.name) === node) link.dir.children.delete(link.name);
    }
    node.links = [];
    node.removed = true;
    node.ghost = { ...this.toStat(node, inode), nlink: 0 };
    if (this.backendInodes && this.byIno.get(node.backendIno) === node) this.byIno.delete(node.backendIno);
    if (node.type === FileType.Directory) {
      node.children.clear();
      node.listing = null;
      node.cookies?.clear();
    }
  }

  /** A kernel {@link Stat} from ZenFS metadata, with the adapter's inode number. */
  private toStat(node: ZenNode, inode: ZenInode): Stat {
    const size = inode.size;
    return {
      dev: 0,
      ino: node.ino,
      type: node.type,
      mode: inode.mode & PERMISSION_BITS,
      nlink: Math.max(1, inode.nlink),
      uid: inode.uid,
      gid: inode.gid,
      rdev: inode.rdev,
      size,
      blksize: BLOCK_SIZE,
      blocks: Math.ceil(size / 512),
      atimeNs: msToNs(inode.atimeMs),
      mtimeNs: msToNs(inode.mtimeMs),
      ctimeNs: msToNs(inode.ctimeMs),
      birthtimeNs: msToNs(inode.birthtimeMs),
    };
  }

  // ------------------------------------------------------------ operations

  /** See {@link ZenFsFileSystem.lookup}. */
  private *lookupOp(dir: ZenNode, name: string): Step<ZenNode | null> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (name === "..") return dir.parent;
    if (name === ".") return dir;
    if (dir.removed) return null;
    const found = yield* this.child(dir, name);
    return found === null ? null : found.node;
  }

  /** See {@link ZenFsFileSystem.stat}: removed nodes report their last metadata. */
  private *statOp(node: ZenNode): Step<Stat> {
    if (node.orphan !== null) return { ...node.orphan.stat };
    if (node.removed) {
      if (node.ghost === null) throw new KernelError("ENOENT");
      return { ...node.ghost };
    }
    const path = yield* this.pathFor(node);
    return this.toStat(node, yield* wait(this.calls.stat(path)));
  }

  /** See {@link ZenFsFileSystem.setattr}; validated before anything changes. */
  private *setattrOp(node: ZenNode, attr: SetAttr): Step<void> {
    this.mutable();
    const { mode, uid, gid, size, atimeNs, mtimeNs } = attr;
    if (mode !== undefined && !Number.isInteger(mode)) throw new KernelError("EINVAL");
    if (uid !== undefined && uid !== -1 && !isId(uid)) throw new KernelError("EINVAL");
    if (gid !== undefined && gid !== -1 && !isId(gid)) throw new KernelError("EINVAL");
    if (size !== undefined) {
      if (node.type === FileType.Directory) throw new KernelError("EISDIR");
      if (node.type !== FileType.RegularFile) throw new KernelError("EINVAL");
      this.checkSize(size);
    }
    const now = Date.now();
    const meta: Partial<ZenInode> = {};
    if (mode !== undefined) meta.mode = node.type | (mode & PERMISSION_BITS);
    if (uid !== undefined && uid !== -1) meta.uid = uid;
    if (gid !== undefined && gid !== -1) meta.gid = gid;
    if (size !== undefined) meta.size = size;
    if (atimeNs !== undefined && atimeNs !== UTIME.OMIT) {
      meta.atimeMs = atimeNs === UTIME.NOW ? now : nsToMs(atimeNs);
    }
    if (mtimeNs !== undefined && mtimeNs !== UTIME.OMIT) {
      meta.mtimeMs = mtimeNs === UTIME.NOW ? now : nsToMs(mtimeNs);
    }
    const detached = node.orphan?.stat ?? node.ghost;
    if (node.orphan !== null || node.removed) {
      if (detached === null) throw new KernelError("ENOENT");
      if (node.orphan !== null && size !== undefined) resizeOrphan(node.orphan, size);
      applyToStat(detached, meta, now);
      return;
    }
    if (Object.keys(meta).length === 0) return;
    const path = yield* this.pathFor(node);
    yield* wait(this.calls.touch(path, meta));
  }

  /** See {@link ZenFsFileSystem.create} and {@link ZenFsFileSystem.mkdir}. */
  private *createOp(dir: ZenNode, name: string, mode: number, directory: boolean): Step<ZenNode> {
    this.mutable();
    yield* this.checkNewName(dir, name);
    const path = childPath(this.dirPath(dir), name);
    const options = { uid: this.uid, gid: this.gid, mode: mode & PERMISSION_BITS };
    const inode = yield* wait(
      directory ? this.calls.mkdir(path, options) : this.calls.createFile(path, options),
    );
    dir.listing = null;
    return this.nodeFor(dir, name, inode);
  }

  /** ENOTDIR, ENOENT (removed directory), and EEXIST where the backend does not check it. */
  private *checkNewName(dir: ZenNode, name: string): Step<void> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (dir.removed) throw new KernelError("ENOENT");
    if (!this.checksExistence && (yield* this.child(dir, name)) !== null) throw new KernelError("EEXIST");
  }

  /** See {@link ZenFsFileSystem.symlink}. */
  private *symlinkOp(dir: ZenNode, name: string, target: string): Step<ZenNode> {
    this.mutable();
    yield* this.checkNewName(dir, name);
    if (target === "") throw new KernelError("ENOENT");
    const path = childPath(this.dirPath(dir), name);
    const linkMode = FileType.Symlink | 0o777;
    let inode = yield* wait(this.calls.createFile(path, { uid: this.uid, gid: this.gid, mode: linkMode }));
    dir.listing = null;
    try {
      const bytes = encoder.encode(target);
      yield* wait(this.calls.write(path, bytes, 0));
      if (typeOf(inode.mode) !== FileType.Symlink) {
        // A backend that dropped the type bits on creation: set them as
        // ZenFS's own symlink() does (a chmod to S_IFLNK).
        yield* wait(this.calls.touch(path, { mode: linkMode }));
        inode = yield* wait(this.calls.stat(path));
        if (typeOf(inode.mode) !== FileType.Symlink) {
          throw new KernelError("ENOSYS", "the backend cannot store symbolic links");
        }
      }
    } catch (error) {
      try {
        yield* wait(this.calls.unlink(path));
      } catch {
        // Keep the first error.
      }
      throw error;
    }
    const node = this.nodeFor(dir, name, inode);
    node.target = target;
    return node;
  }

  /** See {@link ZenFsFileSystem.link}. */
  private *linkOp(dir: ZenNode, name: string, node: ZenNode): Step<void> {
    this.mutable();
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (dir.removed) throw new KernelError("ENOENT");
    if ((yield* this.child(dir, name)) !== null) throw new KernelError("EEXIST");
    if (node.type === FileType.Directory) throw new KernelError("EPERM");
    if (node.removed) throw new KernelError("ENOENT");
    const from = yield* this.pathFor(node);
    const to = childPath(this.dirPath(dir), name);
    try {
      yield* wait(this.calls.link(from, to));
    } catch (error) {
      const code = zenCode(error);
      if (code === "ENOSYS" || code === "ENOTSUP" || code === "EOPNOTSUPP") {
        throw new KernelError("ENOSYS", "the backend has no hard links");
      }
      throw error;
    }
    dir.listing = null;
    this.addLink(node, dir, name);
  }

  /** See {@link ZenFsFileSystem.unlink}. */
  private *unlinkOp(dir: ZenNode, name: string): Step<void> {
    this.mutable();
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    const found = dir.removed ? null : yield* this.child(dir, name);
    if (found === null) throw new KernelError("ENOENT");
    if (found.node.type === FileType.Directory) throw new KernelError("EISDIR");
    yield* this.removeEntry(dir, name, found);
  }

  /** See {@link ZenFsFileSystem.rmdir}. */
  private *rmdirOp(dir: ZenNode, name: string): Step<void> {
    this.mutable();
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    const found = dir.removed ? null : yield* this.child(dir, name);
    if (found === null) throw new KernelError("ENOENT");
    if (found.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    yield* this.checkEmpty(found.node);
    yield* this.removeEntry(dir, name, found);
  }

  /** ENOTEMPTY unless the directory has no entry. */
  private *checkEmpty(dir: ZenNode): Step<void> {
    const names = yield* wait(this.calls.readdir(this.dirPath(dir)));
    if (names.length > 0) throw new KernelError("ENOTEMPTY");
  }

  /** Removes one name (type and emptiness already checked). */
  private *removeEntry(dir: ZenNode, name: string, found: Found): Step<void> {
    const { node, inode } = found;
    const path = childPath(this.dirPath(dir), name);
    const isDirectory = node.type === FileType.Directory;
    const last = isDirectory || inode.nlink <= 1;
    let kept: Uint8Array | null = null;
    if (last && node.openCount > 0 && node.type === FileType.RegularFile) {
      kept = new Uint8Array(inode.size);
      if (inode.size > 0) yield* wait(this.calls.read(path, kept, 0, inode.size));
    }
    yield* wait(isDirectory ? this.calls.rmdir(path) : this.calls.unlink(path));
    dir.listing = null;
    this.dropLink(node, dir, name);
    if (!last) {
      if (!forgetRemovedName(this.backend, path)) this.tombstones.add(path);
      return;
    }
    this.retire(node, inode);
    if (kept !== null) node.orphan = { data: kept, stat: { ...node.ghost! } };
  }

  /** See {@link ZenFsFileSystem.rename}: every POSIX check before ZenFS is called. */
  private *renameOp(oldDir: ZenNode, oldName: string, newDir: ZenNode, newName: string): Step<void> {
    this.mutable();
    if (oldDir.type !== FileType.Directory || newDir.type !== FileType.Directory) {
      throw new KernelError("ENOTDIR");
    }
    const source = oldDir.removed ? null : yield* this.child(oldDir, oldName);
    if (source === null) throw new KernelError("ENOENT");
    if (oldDir === newDir && oldName === newName) return;
    if (newDir.removed) throw new KernelError("ENOENT");
    const target = yield* this.child(newDir, newName);
    if (target !== null && target.node === source.node) return;
    const isDirectory = source.node.type === FileType.Directory;
    if (isDirectory) {
      for (let d = newDir;; d = d.parent) {
        if (d === source.node) throw new KernelError("EINVAL");
        if (d === this.rootNode || d.parent === d) break;
      }
    }
    let atomic = false;
    if (target !== null) {
      const targetIsDirectory = target.node.type === FileType.Directory;
      if (isDirectory && !targetIsDirectory) throw new KernelError("ENOTDIR");
      if (!isDirectory && targetIsDirectory) throw new KernelError("EISDIR");
      if (targetIsDirectory) yield* this.checkEmpty(target.node);
      atomic = this.atomicReplace && target.node.type === FileType.RegularFile && target.inode.nlink <= 1
        && target.node.openCount === 0;
      if (!atomic) yield* this.removeEntry(newDir, newName, target);
    }
    const from = childPath(this.dirPath(oldDir), oldName);
    const to = childPath(this.dirPath(newDir), newName);
    yield* wait(this.calls.rename(from, to));
    if (isDirectory && this.tombstones.size > 0) moveTombstones(this.tombstones, from, to);
    if (atomic && target !== null) {
      this.dropLink(target.node, newDir, newName);
      this.retire(target.node, target.inode);
    }
    this.dropLink(source.node, oldDir, oldName);
    this.addLink(source.node, newDir, newName);
    oldDir.listing = null;
    newDir.listing = null;
  }

  /** See {@link ZenFsFileSystem.readlink}; the target is cached (links never change). */
  private *readlinkOp(node: ZenNode): Step<string> {
    if (node.type !== FileType.Symlink) throw new KernelError("EINVAL");
    if (node.target !== null) return node.target;
    const path = yield* this.pathFor(node);
    const inode = yield* wait(this.calls.stat(path));
    const bytes = new Uint8Array(inode.size);
    if (inode.size > 0) yield* wait(this.calls.read(path, bytes, 0, inode.size));
    return node.target = decoder.decode(bytes);
  }

  /** See {@link ZenFsFileSystem.readdir}. */
  private *readdirOp(dir: ZenNode, cookie: number, limit: number): Step<DirEntry[]> {
    if (dir.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (!(cookie >= 0) || !Number.isSafeInteger(cookie)) throw new KernelError("EINVAL");
    if (dir.removed || limit <= 0) return [];
    let listing = dir.listing;
    if (listing === null || cookie === 0) {
      const names = yield* wait(this.calls.readdir(this.dirPath(dir)));
      const cookies = dir.cookies!;
      if (cookie === 0 && cookies.size > names.length) {
        const present = new Set(names);
        for (const name of cookies.keys()) if (!present.has(name)) cookies.delete(name);
      }
      listing = assignCookies(dir, cookies, names);
      dir.listing = listing;
    }
    const entries: DirEntry[] = [];
    for (let i = firstAfter(listing, cookie); i < listing.length && entries.length < limit; i++) {
      const { cookie: next, name } = listing[i];
      let child = dir.children.get(name);
      if (child === undefined) {
        const found = yield* this.child(dir, name);
        if (found === null) continue;
        child = found.node;
      }
      entries.push({ name, ino: child.ino, type: child.type, next });
    }
    return entries;
  }

  /** See {@link ZenFsFileSystem.open}. */
  // deno-lint-ignore require-yield
  private *openOp(node: ZenNode, flags: number): Step<FileHandle> {
    const pathOnly = (flags & O.PATH) !== 0;
    const access = flags & O.ACCMODE;
    const writable = !pathOnly && (access === O.WRONLY || access === O.RDWR);
    if (node.type === FileType.Directory) {
      if (writable) throw new KernelError("EISDIR");
    } else if (node.removed && node.orphan === null) {
      throw new KernelError("ENOENT");
    }
    if (writable) this.mutable();
    node.openCount++;
    return new ZenHandle(node, !pathOnly && access !== O.WRONLY, writable);
  }

  /** See {@link ZenFsFileSystem.read}. */
  private *readOp(handle: ZenHandle, buffer: Uint8Array, position: number): Step<number> {
    const node = this.ioNode(handle);
    if (!handle.readable) throw new KernelError("EBADF");
    if (node.type !== FileType.RegularFile) throw new KernelError("EINVAL");
    checkPosition(position);
    if (buffer.length === 0) return 0;
    const orphan = node.orphan;
    if (orphan !== null) {
      const size = orphan.stat.size;
      if (position >= size) return 0;
      const count = Math.min(buffer.length, size - position);
      buffer.set(orphan.data.subarray(position, position + count));
      return count;
    }
    const path = yield* this.pathFor(node);
    const { size } = yield* wait(this.calls.stat(path));
    if (position >= size) return 0;
    const count = Math.min(buffer.length, size - position);
    yield* wait(this.calls.read(path, buffer.subarray(0, count), position, position + count));
    return count;
  }

  /** See {@link ZenFsFileSystem.write}. */
  private *writeOp(handle: ZenHandle, buffer: Uint8Array, position: number): Step<number> {
    const node = this.ioNode(handle);
    if (!handle.writable) throw new KernelError("EBADF");
    if (node.type !== FileType.RegularFile) throw new KernelError("EINVAL");
    checkPosition(position);
    const length = buffer.length;
    if (length === 0) return 0;
    if (position + length > this.maxFileSize) throw new KernelError("EFBIG");
    const orphan = node.orphan;
    if (orphan !== null) {
      const end = position + length;
      if (end > orphan.data.length) orphan.data = grow(orphan.data, end);
      orphan.data.set(buffer, position);
      orphan.stat.size = Math.max(orphan.stat.size, end);
      orphan.stat.blocks = Math.ceil(orphan.stat.size / 512);
      orphan.stat.mtimeNs = orphan.stat.ctimeNs = msToNs(Date.now());
      return length;
    }
    const path = yield* this.pathFor(node);
    yield* wait(this.calls.write(path, this.copiesWrites ? buffer : buffer.slice(), position));
    return length;
  }

  /** See {@link ZenFsFileSystem.truncate}. */
  private *truncateOp(handle: ZenHandle, size: number): Step<void> {
    const node = this.ioNode(handle);
    if (!handle.writable || node.type !== FileType.RegularFile) throw new KernelError("EINVAL");
    this.checkSize(size);
    if (node.orphan !== null) {
      resizeOrphan(node.orphan, size);
      node.orphan.stat.mtimeNs = node.orphan.stat.ctimeNs = msToNs(Date.now());
      return;
    }
    const path = yield* this.pathFor(node);
    yield* wait(this.calls.touch(path, { size }));
  }

  /** See {@link ZenFsFileSystem.sync}. */
  private *syncOp(handle: ZenHandle): Step<void> {
    if (handle.closed) throw new KernelError("EBADF");
    yield* wait(this.calls.sync());
  }

  /** See {@link ZenFsFileSystem.close}. */
  // deno-lint-ignore require-yield
  private *closeOp(handle: ZenHandle): Step<void> {
    if (handle.closed) throw new KernelError("EBADF");
    handle.closed = true;
    const node = handle.node;
    node.openCount--;
    if (node.openCount === 0) node.orphan = null;
  }

  /** See {@link ZenFsFileSystem.statfs}. */
  // deno-lint-ignore require-yield
  private *statfsOp(): Step<StatFs> {
    const usage = this.backend.usage();
    const blockSize = usage.blockSize && usage.blockSize > 0 ? usage.blockSize : BLOCK_SIZE;
    const total = Math.min(Math.max(0, usage.totalSpace || 0), Number.MAX_SAFE_INTEGER);
    const free = Math.min(Math.max(0, usage.freeSpace || 0), total);
    const totalInodes = usage.totalNodes ?? Number.MAX_SAFE_INTEGER;
    return {
      blockSize,
      totalBlocks: Math.floor(total / blockSize),
      freeBlocks: Math.floor(free / blockSize),
      totalInodes,
      freeInodes: usage.freeNodes ?? totalInodes,
      nameMax: NAME_MAX,
    };
  }

  /** The node of an open handle for I/O: EBADF if closed, EISDIR for a directory. */
  private ioNode(handle: ZenHandle): ZenNode {
    if (handle.closed) throw new KernelError("EBADF");
    if (handle.node.type === FileType.Directory) throw new KernelError("EISDIR");
    return handle.node;
  }

  /** EINVAL for a negative or fractional size, EFBIG past the maximum. */
  private checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 0) throw new KernelError("EINVAL");
    if (size > this.maxFileSize) throw new KernelError("EFBIG");
  }
}

/**
 * A ZenFS backend as `resolveMountConfig` takes it (`InMemory`, `SingleBuffer`,
 * `CopyOnWrite`, `Fetch`, `IndexedDB` from `@zenfs/dom`, `Zip` from
 * `@zenfs/archives`, ...): described structurally so this module's API does not
 * depend on ZenFS's type names.
 *
 * @example
 * ```ts
 * import { InMemory } from "@zenfs/core";
 * import type { ZenFsBackend } from "./zenfs_fs.ts";
 * const backend: ZenFsBackend = InMemory;
 * console.assert(backend.name === "InMemory");
 * ```
 */
export interface ZenFsBackend {
  /** The backend's name, e.g. `"InMemory"`. */
  readonly name: string;
  /** The options the backend accepts. */
  readonly options: object;
  /** Creates the file system. */
  // deno-lint-ignore no-explicit-any
  create(options: any): unknown;
}

/**
 * What {@link createZenFsFileSystem} resolves: a backend, a backend with its
 * options (`{ backend: InMemory, maxSize: 1 << 20 }`), or a ZenFS file system.
 *
 * @example
 * ```ts
 * import { SingleBuffer } from "@zenfs/core";
 * import type { ZenFsConfiguration } from "./zenfs_fs.ts";
 * const config: ZenFsConfiguration = { backend: SingleBuffer, buffer: new ArrayBuffer(1 << 20) };
 * console.assert("backend" in config);
 * ```
 */
export type ZenFsConfiguration = ZenFsBackend | ZenFileSystem | {
  backend: ZenFsBackend;
  [option: string]: unknown;
};

/**
 * Resolves a ZenFS mount configuration with `disableAsyncCache: true` (unless
 * the configuration sets it) and wraps the file system in a
 * {@link ZenFsFileSystem}. A ZenFS failure is a {@link KernelError}.
 *
 * @example
 * ```ts
 * import { InMemory } from "@zenfs/core";
 * import { createZenFsFileSystem } from "./zenfs_fs.ts";
 * const fs = await createZenFsFileSystem({ backend: InMemory, label: "scratch" });
 * console.assert(fs.synchronous && fs.name === "zenfs:tmpfs");
 * ```
 */
export async function createZenFsFileSystem(
  configuration: ZenFsConfiguration,
  options: ZenFsOptions = {},
): Promise<ZenFsFileSystem> {
  let config: unknown = configuration;
  if (typeof configuration === "object" && configuration !== null && "backend" in configuration) {
    config = { disableAsyncCache: true, ...configuration };
  } else if (!(configuration instanceof ZenFileSystem)) {
    config = { backend: configuration, disableAsyncCache: true };
  }
  let backend: ZenFileSystem;
  try {
    backend = await resolveMountConfig(config as MountConfiguration<Backend>);
  } catch (error) {
    throw toKernelError(error);
  }
  return new ZenFsFileSystem(backend, options);
}

/** Moves the tombstones under directory `from` to `to`, as ZenFS moves its path table. */
function moveTombstones(tombstones: Set<string>, from: string, to: string): void {
  const prefix = `${from}/`;
  for (const path of [...tombstones]) {
    if (!path.startsWith(prefix)) continue;
    tombstones.delete(path);
    tombstones.add(to + path.slice(from.length));
  }
}

function typeOf(mode: number): FileType {
  switch (mode & S_IFMT) {
    case FileType.RegularFile:
      return FileType.RegularFile;
    case FileType.Directory:
      return FileType.Directory;
    case FileType.Symlink:
      return FileType.Symlink;
    case FileType.CharDevice:
      return FileType.CharDevice;
    case FileType.BlockDevice:
      return FileType.BlockDevice;
    case FileType.Fifo:
      return FileType.Fifo;
    case FileType.Socket:
      return FileType.Socket;
    default:
      return FileType.Unknown;
  }
}

function childPath(dirPath: string, name: string): string {
  return dirPath === "/" ? `/${name}` : `${dirPath}/${name}`;
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown; } | null)?.then === "function";
}

function rethrowConverted(error: unknown): never {
  throw toKernelError(error);
}

function ignore(): void {}

/** A copy of `data` with room for at least `size` bytes (zeros past the old length). */
function grow(data: Uint8Array, size: number): Uint8Array {
  const grown = new Uint8Array(Math.max(size, Math.min(data.length * 2, size + (1 << 20))));
  grown.set(data);
  return grown;
}

/** Sets an orphan's size; bytes past the size are kept zero, so growing reads zeros. */
function resizeOrphan(orphan: Orphan, size: number): void {
  const old = orphan.stat.size;
  if (size < old) orphan.data.fill(0, size, Math.min(old, orphan.data.length));
  else if (size > orphan.data.length) orphan.data = grow(orphan.data, size);
  orphan.stat.size = size;
  orphan.stat.blocks = Math.ceil(size / 512);
}

/** Applies ZenFS metadata changes to a detached node's last metadata. */
function applyToStat(stat: Stat, meta: Partial<ZenInode>, now: number): void {
  if (meta.mode !== undefined) stat.mode = meta.mode & PERMISSION_BITS;
  if (meta.uid !== undefined) stat.uid = meta.uid;
  if (meta.gid !== undefined) stat.gid = meta.gid;
  if (meta.atimeMs !== undefined) stat.atimeNs = msToNs(meta.atimeMs);
  if (meta.mtimeMs !== undefined) stat.mtimeNs = msToNs(meta.mtimeMs);
  stat.ctimeNs = msToNs(now);
}
