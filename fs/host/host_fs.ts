/**
 * The host-directory driver: a real host directory mounted in the kernel,
 * through `Deno.*Sync` or `node:fs` (chosen once, at construction).
 *
 * ## Confinement
 *
 * A node is the list of its path components below the (realpath'd) root, with
 * the host device and inode it had when it was looked up. The kernel's path
 * walker hands the driver one component at a time; the driver `lstat`s it and
 * never follows a symlink: a host symlink is a node of type Symlink whose raw
 * target the kernel reads with `readlink` and resolves inside the virtual
 * tree, so no symlink, absolute or relative, made by the guest or by the host,
 * leads outside the root. Every host path is rebuilt from the node's
 * components, each checked again on every use (never empty, `.`, `..`, or
 * containing `/`, NUL, or `\` on Windows).
 *
 * Before every operation the driver checks with `lstat` that the node's path
 * still leads to the node's own device and inode (ENOENT otherwise), so a
 * directory that was renamed, or replaced by a symlink, since it was looked up
 * is never used through its old path. The last component of each call is then
 * never followed: `lstat`, `readlink`, `mkdir`, `symlink`, `link`, `unlink`,
 * `rmdir`, `rename` and `O_CREAT|O_EXCL` do not follow it; files are opened
 * with `O_NOFOLLOW` (node backend), and every opened file is checked with
 * `fstat` to be the node's inode (both backends); owner and times change with
 * `lchown` / `lutimes` or through an open file.
 *
 * ## The remaining race window
 *
 * JavaScript runtimes have no `openat`: every host call takes a full path, and
 * the host resolves each of its directory components again, following
 * symlinks. Between the `lstat` that checked a node and the host call that
 * follows it, another host process (or another kernel in another worker
 * mounting the same directory) could replace one of the directories on the
 * path by a symlink to anywhere, and that one call would then act outside the
 * root. The same holds for the final component of the few calls that follow
 * it: `chmod` by path (used where `fchmod` is missing or the file cannot be
 * opened) and the Deno backend's `chownSync` / `utimeSync`. A guest alone cannot
 * open the window: the driver is synchronous, so nothing else of the same
 * kernel runs between the check and the use. Mount only directories that no
 * untrusted host process writes to, and never two overlapping host directories
 * in kernels that run at the same time.
 *
 * ## Other limits
 *
 * - Nodes are path-based. Renames done through the driver move the nodes with
 *   them (a cwd follows its directory); after a rename done by the host
 *   outside the driver, the old nodes throw ENOENT. Open files keep their host
 *   file and survive unlink and rename; `stat` of a node whose name is gone
 *   falls back to an open handle.
 * - Timestamps: see {@link HostFileSystem.timeResolutionNs}.
 * - Setuid and setgid bits are dropped from modes the guest sets unless
 *   `allowSetId` is set: a sandboxed program must not leave set-id files on
 *   the host.
 * - Host special files (FIFOs, sockets, devices) are listed and stat'ed but
 *   cannot be opened (ENXIO).
 * - Names that are not valid UTF-8 on the host are listed as the host runtime
 *   decodes them (with U+FFFD) and cannot be looked up.
 *
 * @module
 */

import { type ErrnoName, KernelError } from "../../kernel/errno.ts";
import {
  type DirEntry,
  FileType,
  LIMITS,
  O,
  PERMISSION_BITS,
  type SetAttr,
  type Stat,
  type StatFs,
  UTIME,
} from "../../kernel/types.ts";
import type { FileHandle, FileSystem, MountContext, VNode } from "../../kernel/vfs/driver.ts";
import {
  type HostAccess,
  type HostBackend,
  type HostBackendName,
  type HostDirent,
  type HostFile,
  type HostStat,
  nsToSeconds,
  toKernelError,
} from "./_backend.ts";
import { createDenoBackend, loadDeno } from "./_deno_backend.ts";
import { InodeNumbers } from "./_inodes.ts";
import { createNodeBackend } from "./_node_backend.ts";

/** Which host API {@link HostFileSystem} uses; `"auto"` is Deno's when `globalThis.Deno` exists, else `node:fs`. */
export type HostBackendChoice = HostBackendName | "auto";

/**
 * Options of {@link HostFileSystem}.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { HostFileSystem, type HostFileSystemOptions } from "./host_fs.ts";
 * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
 * const options: HostFileSystemOptions = { root: dir, readOnly: true, backend: "auto" };
 * const fs = new HostFileSystem(options);
 * console.assert(fs.readOnly);
 * rmSync(dir, { recursive: true });
 * ```
 */
export interface HostFileSystemOptions {
  /** An existing host directory; resolved with `realpath` once. */
  root: string;
  /** Every mutation throws EROFS, and so does opening for writing. Default false. */
  readOnly?: boolean;
  /** The host API. Default `"auto"`. */
  backend?: HostBackendChoice;
  /** Keep setuid and setgid bits in modes the guest sets. Default false: they are dropped. */
  allowSetId?: boolean;
}

/**
 * A node of {@link HostFileSystem}: the kernel's inode number and type, and
 * where it is below the root.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { HostFileSystem, type HostNode } from "./host_fs.ts";
 * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
 * const fs = new HostFileSystem({ root: dir });
 * const node = fs.mkdir(fs.root(), "a", 0o755) as HostNode;
 * console.assert(node.rel.join("/") === "a");
 * rmSync(dir, { recursive: true });
 * ```
 */
export interface HostNode extends VNode {
  /** Path components from the root (empty for the root). */
  readonly rel: readonly string[];
}

/**
 * An open handle of {@link HostFileSystem}.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { O } from "../../kernel/types.ts";
 * import { HostFileSystem, type HostFileHandle } from "./host_fs.ts";
 * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
 * const fs = new HostFileSystem({ root: dir });
 * const handle = fs.open(fs.create(fs.root(), "f", 0o644), O.RDONLY) as HostFileHandle;
 * console.assert(handle.readable && !handle.writable);
 * fs.close(handle);
 * rmSync(dir, { recursive: true });
 * ```
 */
export interface HostFileHandle extends FileHandle {
  readonly node: HostNode;
  /** Opened with read access. */
  readonly readable: boolean;
  /** Opened with write access. */
  readonly writable: boolean;
}

/** `statfs` figures where the host API cannot tell (the Deno backend): 1 TiB in 4 KiB blocks, all free. */
const UNKNOWN_STATFS: StatFs = {
  blockSize: 4096,
  totalBlocks: 2 ** 28,
  freeBlocks: 2 ** 28,
  totalInodes: 2 ** 24,
  freeInodes: 2 ** 24,
  nameMax: LIMITS.NAME_MAX,
};

const SET_ID_BITS = 0o6000;
const encoder = new TextEncoder();

/** Cookies carry the listing snapshot they belong to: `snapshot * SNAPSHOT_SPAN + index + 1`. */
const SNAPSHOT_SPAN = 2 ** 24;
/** Listings kept per directory, so concurrent readers each resume their own snapshot. */
const SNAPSHOTS_KEPT = 64;
/** What a finished listing leaves behind: resuming it (at its end) lists nothing more. */
const FINISHED: HostDirent[] = [];

class Node implements HostNode {
  /** Listing snapshots by id, each taken when a reader started at cookie 0 (oldest first). */
  listings: Map<number, HostDirent[]> | null = null;
  /** Open handles that hold a host file. */
  handles: Set<Handle> | null = null;
  /** Set when the driver removed the node's last name. */
  gone = false;
  /**
   * Times last set through the driver, with what the host reported right
   * after: while the host still reports exactly that, `stat` reports the
   * nanoseconds that were set (the host may keep less precision).
   */
  times: { atimeHost: bigint; atimeSet: bigint; mtimeHost: bigint; mtimeSet: bigint; } | null = null;

  constructor(
    readonly owner: HostFileSystem,
    readonly key: string,
    readonly ino: number,
    readonly type: FileType,
    public rel: string[],
  ) {}
}

class Handle implements HostFileHandle {
  closed = false;
  constructor(
    readonly owner: HostFileSystem,
    readonly node: Node,
    readonly file: HostFile | null,
    readonly readable: boolean,
    readonly writable: boolean,
  ) {}
}

function selectBackend(choice: unknown): HostBackend {
  switch (choice) {
    case "deno":
      return createDenoBackend();
    case "node":
      return createNodeBackend();
    case "auto":
      return loadDeno() ? createDenoBackend() : createNodeBackend();
    default:
      throw new RangeError(`backend must be "deno", "node" or "auto", not ${String(choice)}`);
  }
}

function fail(code: ErrnoName, detail?: string): never {
  throw new KernelError(code, detail);
}

function startsWith(rel: readonly string[], prefix: readonly string[]): boolean {
  if (rel.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (rel[i] !== prefix[i]) return false;
  return true;
}

function isOpenable(type: FileType): boolean {
  return type === FileType.RegularFile || type === FileType.Directory;
}

/**
 * A {@link FileSystem} over a real host directory.
 *
 * Synchronous: no method ever returns a Promise. Every host error becomes a
 * {@link KernelError} with the same POSIX code; nothing else escapes. See the
 * module documentation for confinement and its one race window.
 *
 * @example
 * ```ts
 * import { mkdtempSync, readFileSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { O } from "../../kernel/types.ts";
 * import { HostFileSystem } from "./host_fs.ts";
 * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
 * const fs = new HostFileSystem({ root: dir });
 * const file = fs.create(fs.root(), "hello.txt", 0o644);
 * const handle = fs.open(file, O.WRONLY);
 * fs.write(handle, new TextEncoder().encode("hi"), 0);
 * fs.close(handle);
 * console.assert(readFileSync(`${dir}/hello.txt`, "utf8") === "hi");
 * rmSync(dir, { recursive: true });
 * ```
 */
export class HostFileSystem implements FileSystem {
  /** Always `"host"`. */
  readonly name = "host";
  /** Always true: no method returns a Promise. */
  readonly synchronous = true;
  /** Whether every mutation throws EROFS. */
  readonly readOnly: boolean;
  /** The mounted host directory, as `realpath` resolved it at construction. */
  readonly rootPath: string;
  /** The host API in use. */
  readonly backend: HostBackendName;
  /**
   * Granularity of the access and modification times the host reports: 1 ns
   * on Node and Bun, 1 ms under Deno (both backends; ctime only 1 s there).
   * The host stores times set with `setattr` as seconds in a double (Node,
   * Bun: exact to the nanosecond near the epoch, about 0.24 µs steps for
   * present-day times) or in milliseconds (Deno). `stat` still reports the
   * exact nanoseconds that were set, for as long as the host keeps reporting
   * the value it stored for them.
   */
  readonly timeResolutionNs: bigint;

  readonly #host: HostBackend;
  readonly #inodes: InodeNumbers;
  #nextSnapshot = 0;
  readonly #nodes = new Map<string, WeakRef<Node>>();
  readonly #registry = new FinalizationRegistry<string>((key) => {
    if (this.#nodes.get(key)?.deref() === undefined) this.#nodes.delete(key);
  });
  readonly #root: Node;
  readonly #allowSetId: boolean;
  #nowNs: (() => bigint) | null = null;

  /**
   * Mounts the host directory `options.root`.
   *
   * @throws {TypeError} when an option has the wrong type, or the chosen backend is missing in this runtime.
   * @throws {RangeError} when `backend` is not a known name, or `root` is not an accessible directory.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir, backend: "node" });
   * console.assert(fs.backend === "node" && fs.name === "host");
   * rmSync(dir, { recursive: true });
   * ```
   */
  constructor(options: HostFileSystemOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { root, readOnly = false, backend = "auto", allowSetId = false } = options;
    if (typeof root !== "string" || root.length === 0 || root.includes("\0")) {
      throw new TypeError("root must be a non-empty string without NUL");
    }
    if (typeof readOnly !== "boolean") throw new TypeError("readOnly must be a boolean");
    if (typeof allowSetId !== "boolean") throw new TypeError("allowSetId must be a boolean");
    const host = selectBackend(backend);
    let rootPath: string;
    let st: HostStat;
    try {
      rootPath = host.realpath(root);
      st = host.lstat(rootPath);
    } catch (cause) {
      throw new RangeError(`root is not an accessible directory: ${root}`, { cause });
    }
    if (st.type !== FileType.Directory) throw new RangeError(`root is not a directory: ${root}`);
    this.#host = host;
    this.backend = host.name;
    this.timeResolutionNs = host.timeResolutionNs;
    this.readOnly = readOnly;
    this.rootPath = rootPath;
    this.#allowSetId = allowSetId;
    this.#inodes = new InodeNumbers(st.dev);
    this.#root = this.#intern(st, [], rootPath);
  }

  /**
   * Keeps the kernel's clock, used for `UTIME.NOW` in {@link setattr}.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * fs.attach({ nowNs: () => 5_000_000_000n });
   * rmSync(dir, { recursive: true });
   * ```
   */
  attach(context: MountContext): void {
    this.#nowNs = () => context.nowNs();
  }

  /**
   * The root directory node.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * console.assert(fs.lookup(fs.root(), "..") === fs.root());
   * rmSync(dir, { recursive: true });
   * ```
   */
  root(): HostNode {
    return this.#root;
  }

  /**
   * Looks up one component with `lstat`, never following a symlink; `".."` is
   * the parent directory (the root's is the root). Returns null when the name
   * is absent. Errors: ENOTDIR, ENOENT (`dir` itself is gone), EINVAL (a name
   * with `/` or NUL), ENAMETOOLONG, EACCES.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { FileType } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * symlinkSync("/etc", `${dir}/etc`);
   * const fs = new HostFileSystem({ root: dir });
   * console.assert(fs.lookup(fs.root(), "etc")?.type === FileType.Symlink);
   * rmSync(dir, { recursive: true });
   * ```
   */
  lookup(dir: VNode, name: string): HostNode | null {
    try {
      if (name === "..") {
        // The parent of a directory removed while in use (a cwd) is still its parent, as on Linux:
        // only the parent's path is checked, not the directory's own.
        const d = this.#own(dir, "EINVAL");
        if (d.type !== FileType.Directory) fail("ENOTDIR");
        if (d.rel.length === 0) return d;
        const rel = d.rel.slice(0, -1);
        const path = this.#path(rel);
        const st = this.#host.lstat(path);
        if (st.type !== FileType.Directory) fail("ENOENT", "the parent is no longer a directory");
        return this.#intern(st, rel, path);
      }
      const d = this.#dir(dir);
      if (name === ".") return d;
      const rel = [...d.rel, name];
      const path = this.#path(rel);
      const st = this.#host.lstatIfExists(path);
      return st ? this.#intern(st, rel, path) : null;
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * The node's metadata (`dev` is 0: the kernel fills it in). Errors: ENOENT
   * when the name is gone or holds another file and no handle is open on it.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const st = fs.stat(fs.create(fs.root(), "f", 0o640));
   * console.assert(st.mode === 0o640 && st.size === 0);
   * rmSync(dir, { recursive: true });
   * ```
   */
  stat(node: VNode): Stat {
    try {
      const n = this.#own(node);
      return this.#toStat(n, this.#hostStat(n));
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Changes metadata, in this order: size (regular files only: EISDIR on a
   * directory, EINVAL otherwise), owner, mode, times. `UTIME.NOW` and
   * `UTIME.OMIT` are accepted as times. A symlink's mode cannot change
   * (ENOTSUP, as on Linux); the Deno backend cannot change a symlink's owner
   * or times (ENOSYS). Errors: EROFS, EPERM, EACCES, ENOENT, EINVAL.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const file = fs.create(fs.root(), "f", 0o644);
   * fs.setattr(file, { size: 10, mode: 0o600, mtimeNs: 1_500_000_000n });
   * const st = fs.stat(file);
   * console.assert(st.size === 10 && st.mode === 0o600 && st.mtimeNs === 1_500_000_000n);
   * rmSync(dir, { recursive: true });
   * ```
   */
  setattr(node: VNode, attr: SetAttr): void {
    try {
      this.#mutable();
      const n = this.#own(node);
      if (typeof attr !== "object" || attr === null) fail("EINVAL", "attributes must be an object");
      const { size, uid, gid, mode } = attr;
      if (size !== undefined) this.#checkSize(size);
      if (uid !== undefined && !(Number.isSafeInteger(uid) && uid >= 0)) fail("EINVAL", "bad uid");
      if (gid !== undefined && !(Number.isSafeInteger(gid) && gid >= 0)) fail("EINVAL", "bad gid");
      if (mode !== undefined) this.#checkMode(mode);
      const atimeNs = this.#time(attr.atimeNs);
      const mtimeNs = this.#time(attr.mtimeNs);
      const host = this.#host;

      if (size !== undefined) {
        if (n.type === FileType.Directory) fail("EISDIR");
        if (n.type !== FileType.RegularFile) fail("EINVAL", "only a regular file has a size to set");
        this.#change(n, { write: true, pathFollows: true, viaFile: (f) => host.ftruncate(f, size) });
        n.times = null;
      }
      if (uid !== undefined || gid !== undefined) {
        this.#change(n, {
          pathFollows: host.chownFollows,
          viaFile: host.fchown && ((f) => host.fchown!(f, uid ?? null, gid ?? null)),
          viaPath: (p) => host.chown(p, uid ?? null, gid ?? null),
        });
      }
      if (mode !== undefined) this.#chmod(n, mode);
      if (atimeNs !== undefined || mtimeNs !== undefined) {
        let a = atimeNs, m = mtimeNs;
        if (a === undefined || m === undefined) {
          const current = this.#toStat(n, this.#hostStat(n));
          a ??= current.atimeNs;
          m ??= current.mtimeNs;
        }
        const as = nsToSeconds(a), ms = nsToSeconds(m);
        this.#change(n, {
          pathFollows: host.utimesFollows,
          viaFile: (f) => host.futimes(f, as, ms),
          viaPath: (p) => host.utimes(p, as, ms),
        });
        const after = this.#hostStat(n);
        n.times = { atimeHost: after.atimeNs, atimeSet: a, mtimeHost: after.mtimeNs, mtimeSet: m };
      }
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Creates a regular file exclusively (never through a symlink) with exactly
   * `mode` (the host's umask is undone). Errors: EEXIST, ENOENT, ENOTDIR,
   * EROFS, EACCES, EINVAL, ENAMETOOLONG, ENOSPC.
   *
   * @example
   * ```ts
   * import { existsSync, mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * fs.create(fs.root(), "new.txt", 0o666);
   * console.assert(existsSync(`${dir}/new.txt`));
   * rmSync(dir, { recursive: true });
   * ```
   */
  create(dir: VNode, name: string, mode: number): HostNode {
    try {
      this.#mutable();
      const d = this.#dir(dir);
      const wanted = this.#newMode(mode);
      const rel = [...d.rel, name];
      const path = this.#path(rel);
      const host = this.#host;
      const file = host.createExclusive(path, wanted & 0o777);
      try {
        const st = host.fstat(file);
        const node = this.#intern(st, rel, path);
        node.times = null;
        if (st.mode !== wanted) {
          if (host.fchmod) host.fchmod(file, wanted);
          else this.#chmod(node, wanted);
        }
        return node;
      } finally {
        this.#closeQuietly(file);
      }
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Creates a directory with exactly `mode`. Errors: EEXIST, ENOENT, ENOTDIR,
   * EROFS, EACCES, EINVAL, ENAMETOOLONG, ENOSPC.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync, statSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * fs.mkdir(fs.root(), "sub", 0o700);
   * console.assert((statSync(`${dir}/sub`).mode & 0o777) === 0o700);
   * rmSync(dir, { recursive: true });
   * ```
   */
  mkdir(dir: VNode, name: string, mode: number): HostNode {
    try {
      this.#mutable();
      const d = this.#dir(dir);
      const wanted = this.#newMode(mode);
      const rel = [...d.rel, name];
      const path = this.#path(rel);
      this.#host.mkdir(path, wanted & 0o777);
      const st = this.#host.lstat(path);
      const node = this.#intern(st, rel, path);
      node.listings = null;
      node.times = null;
      if (st.mode !== wanted && st.type === FileType.Directory) this.#chmod(node, wanted);
      return node;
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Creates a symlink holding `target` as is (the kernel resolves it inside the
   * virtual tree). Errors: EEXIST, ENOENT (empty target), EINVAL (NUL in the
   * target), ENAMETOOLONG, EROFS.
   *
   * @example
   * ```ts
   * import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * fs.symlink(fs.root(), "l", "/etc/passwd");
   * console.assert(readlinkSync(`${dir}/l`) === "/etc/passwd");
   * rmSync(dir, { recursive: true });
   * ```
   */
  symlink(dir: VNode, name: string, target: string): HostNode {
    try {
      this.#mutable();
      const d = this.#dir(dir);
      if (typeof target !== "string" || target.includes("\0")) fail("EINVAL", "bad symlink target");
      if (target.length === 0) fail("ENOENT", "empty symlink target");
      if (encoder.encode(target).length >= LIMITS.PATH_MAX) fail("ENAMETOOLONG");
      const rel = [...d.rel, name];
      const path = this.#path(rel);
      this.#host.symlink(target, path);
      return this.#intern(this.#host.lstat(path), rel, path);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Adds the name `name` in `dir` for `node` (a symlink itself, never its
   * target). Errors: EPERM (a directory), EEXIST, ENOENT, EXDEV (a node of
   * another filesystem), EMLINK, EROFS.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const file = fs.create(fs.root(), "a", 0o644);
   * fs.link(fs.root(), "b", file);
   * console.assert(fs.lookup(fs.root(), "b")?.ino === file.ino);
   * rmSync(dir, { recursive: true });
   * ```
   */
  link(dir: VNode, name: string, node: VNode): void {
    try {
      this.#mutable();
      const d = this.#dir(dir);
      const n = this.#own(node, "EXDEV");
      if (n.type === FileType.Directory) fail("EPERM", "hard link to a directory");
      const path = this.#path([...d.rel, name]);
      const { path: existing } = this.#locate(n);
      this.#host.link(existing, path);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Removes a non-directory name. Errors: EISDIR, ENOENT, ENOTDIR, EROFS, EACCES.
   *
   * @example
   * ```ts
   * import { existsSync, mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * fs.create(fs.root(), "f", 0o644);
   * fs.unlink(fs.root(), "f");
   * console.assert(!existsSync(`${dir}/f`));
   * rmSync(dir, { recursive: true });
   * ```
   */
  unlink(dir: VNode, name: string): void {
    try {
      this.#mutable();
      const d = this.#dir(dir);
      const path = this.#path([...d.rel, name]);
      const st = this.#host.lstat(path);
      if (st.type === FileType.Directory) fail("EISDIR");
      this.#host.unlink(path);
      if (st.nlink <= 1) this.#markGone(st, path);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Removes an empty directory. Errors: ENOTDIR, ENOTEMPTY, ENOENT, EBUSY, EROFS.
   *
   * @example
   * ```ts
   * import { existsSync, mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * fs.mkdir(fs.root(), "d", 0o755);
   * fs.rmdir(fs.root(), "d");
   * console.assert(!existsSync(`${dir}/d`));
   * rmSync(dir, { recursive: true });
   * ```
   */
  rmdir(dir: VNode, name: string): void {
    try {
      this.#mutable();
      const d = this.#dir(dir);
      const path = this.#path([...d.rel, name]);
      const st = this.#host.lstat(path);
      if (st.type !== FileType.Directory) fail("ENOTDIR");
      this.#host.rmdir(path);
      this.#markGone(st, path);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Renames with the host's POSIX `rename(2)`: replaces a file, or an empty
   * directory by a directory; ENOTDIR / EISDIR on a type mismatch, ENOTEMPTY,
   * EINVAL for a directory moved into its own subtree, a no-op for two links
   * of one file. Nodes below a moved directory move with it. Also: ENOENT,
   * EXDEV (a node of another filesystem), EROFS.
   *
   * @example
   * ```ts
   * import { existsSync, mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const sub = fs.mkdir(fs.root(), "a", 0o755);
   * fs.rename(fs.root(), "a", fs.root(), "b");
   * console.assert(existsSync(`${dir}/b`) && fs.lookup(fs.root(), "b") === sub);
   * rmSync(dir, { recursive: true });
   * ```
   */
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): void {
    try {
      this.#mutable();
      const from = this.#dir(oldDir);
      const to = this.#dir(newDir, "EXDEV");
      const fromRel = [...from.rel, oldName];
      const toRel = [...to.rel, newName];
      const fromPath = this.#path(fromRel);
      const toPath = this.#path(toRel);
      const host = this.#host;
      const moved = host.lstat(fromPath);
      const replaced = host.lstatIfExists(toPath);
      host.rename(fromPath, toPath);
      const movedKey = this.#inodes.key(moved, fromPath);
      if (replaced && this.#inodes.key(replaced, toPath) !== movedKey) {
        if (replaced.type === FileType.Directory || replaced.nlink <= 1) this.#markGone(replaced, toPath);
      }
      if (moved.type === FileType.Directory) {
        for (const ref of this.#nodes.values()) {
          const n = ref.deref();
          if (n && !n.gone && startsWith(n.rel, fromRel)) n.rel = [...toRel, ...n.rel.slice(fromRel.length)];
        }
      } else {
        const n = this.#nodes.get(movedKey)?.deref();
        if (n && n.rel.length === fromRel.length && startsWith(n.rel, fromRel)) n.rel = toRel;
      }
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * The raw target of a symlink. Errors: EINVAL (not a symlink), ENOENT.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * symlinkSync("../../outside", `${dir}/up`);
   * const fs = new HostFileSystem({ root: dir });
   * console.assert(fs.readlink(fs.lookup(fs.root(), "up")!) === "../../outside");
   * rmSync(dir, { recursive: true });
   * ```
   */
  readlink(node: VNode): string {
    try {
      const n = this.#own(node);
      if (n.type !== FileType.Symlink) fail("EINVAL", "not a symlink");
      return this.#host.readlink(this.#locate(n).path);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Up to `limit` entries of `dir` from `cookie`, without `.` and `..`. Cookie
   * 0 takes a new snapshot of the host listing (the directory keeps the last
   * 16) and later cookies are served from theirs: an entry's `next` names the
   * snapshot and its index there, so concurrent listings of one directory
   * never disturb each other. Each entry is `lstat`ed when served, for its inode
   * number and exact type; entries removed since the snapshot are left out.
   * Errors: ENOTDIR, ENOENT, EACCES, EINVAL (a bad cookie or limit).
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * for (const name of ["a", "b", "c"]) fs.create(fs.root(), name, 0o644);
   * const first = fs.readdir(fs.root(), 0, 2);
   * const rest = fs.readdir(fs.root(), first[1].next, 10);
   * console.assert(first.length + rest.length === 3);
   * rmSync(dir, { recursive: true });
   * ```
   */
  readdir(dir: VNode, cookie: number, limit: number): DirEntry[] {
    try {
      const d = this.#dir(dir);
      if (!Number.isSafeInteger(cookie) || cookie < 0) fail("EINVAL", "bad cookie");
      if (!Number.isSafeInteger(limit) || limit < 0) fail("EINVAL", "bad limit");
      // Each listing started at cookie 0 gets its own snapshot, named in every cookie it hands out,
      // so two readers of one directory never disturb each other.
      d.listings ??= new Map();
      let id = Math.floor(cookie / SNAPSHOT_SPAN);
      const start = cookie % SNAPSHOT_SPAN;
      if (cookie === 0) id = this.#nextSnapshot = this.#nextSnapshot % (2 ** 28) + 1;
      let listing = d.listings.get(id);
      if (listing === undefined) {
        // A new listing, or one whose snapshot was dropped: take the host's listing now.
        listing = this.#host.readdir(this.#path(d.rel)).filter((entry) => this.#isValidName(entry.name));
        d.listings.set(id, listing);
        if (d.listings.size > SNAPSHOTS_KEPT) d.listings.delete(d.listings.keys().next().value!);
      }
      const base = id * SNAPSHOT_SPAN;
      const out: DirEntry[] = [];
      let i = start;
      for (; i < listing.length && out.length < limit; i++) {
        const { name, type } = listing[i];
        const path = this.#path(d.rel, name);
        try {
          const st = this.#host.lstatIfExists(path);
          if (st === null) continue; // removed since the snapshot
          out.push({
            name,
            ino: this.#inodes.number(st, this.#inodes.key(st, path)),
            type: st.type,
            next: base + i + 1,
          });
        } catch (error) {
          if (toKernelError(error).code !== "EACCES") throw error;
          // A directory we may read but not search: the listing's type, an inode number by path.
          const key = { dev: 0n, ino: 0n };
          out.push({
            name,
            ino: this.#inodes.number(key, this.#inodes.key(key, path)),
            type,
            next: base + i + 1,
          });
        }
      }
      // A listing read to its end keeps only a marker, so the many short listings (ls, getcwd)
      // never push out the snapshot of a listing still in progress.
      if (i >= listing.length && listing !== FINISHED) d.listings.set(id, FINISHED);
      return out;
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Opens a node: regular files get a host file opened with the access mode of
   * `flags & O.ACCMODE` (other flags are the kernel's business) and verified
   * to be the node's inode; directories get a handle without a host file.
   * Errors: EROFS (write access on a read-only mount), EISDIR (a directory for
   * writing), ELOOP (a symlink), ENXIO (a FIFO, socket or device), ENOENT (the
   * name now holds another file), EACCES, EINVAL.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { O } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * writeFileSync(`${dir}/f`, "hello");
   * const fs = new HostFileSystem({ root: dir });
   * const handle = fs.open(fs.lookup(fs.root(), "f")!, O.RDONLY);
   * const buffer = new Uint8Array(5);
   * console.assert(fs.read(handle, buffer, 0) === 5);
   * fs.close(handle);
   * rmSync(dir, { recursive: true });
   * ```
   */
  open(node: VNode, flags: number): HostFileHandle {
    try {
      const n = this.#own(node);
      if (!Number.isSafeInteger(flags)) fail("EINVAL", "bad flags");
      const access = flags & O.ACCMODE;
      if (access === O.ACCMODE) fail("EINVAL", "bad access mode");
      const readable = access !== O.WRONLY;
      const writable = access !== O.RDONLY;
      if (writable && this.readOnly) fail("EROFS");
      if (n.type === FileType.Directory) {
        if (writable) fail("EISDIR");
        this.#locate(n);
        return new Handle(this, n, null, true, false);
      }
      if (n.type === FileType.Symlink) fail("ELOOP");
      if (n.type !== FileType.RegularFile) fail("ENXIO", "host special files cannot be opened");
      const mode: HostAccess = readable && writable ? "rw" : writable ? "w" : "r";
      const file = this.#openVerified(n, mode);
      const handle = new Handle(this, n, file, readable, writable);
      (n.handles ??= new Set()).add(handle);
      return handle;
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Reads at `position`; returns bytes read, 0 at or past the end. Errors:
   * EBADF (closed, or not open for reading), EISDIR, EINVAL.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { O } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * writeFileSync(`${dir}/f`, "hello world");
   * const fs = new HostFileSystem({ root: dir });
   * const handle = fs.open(fs.lookup(fs.root(), "f")!, O.RDONLY);
   * const buffer = new Uint8Array(5);
   * fs.read(handle, buffer, 6);
   * console.assert(new TextDecoder().decode(buffer) === "world");
   * fs.close(handle);
   * rmSync(dir, { recursive: true });
   * ```
   */
  read(handle: FileHandle, buffer: Uint8Array, position: number): number {
    try {
      const h = this.#handle(handle);
      if (h.file === null) fail("EISDIR");
      if (!h.readable) fail("EBADF", "not open for reading");
      if (!(buffer instanceof Uint8Array)) fail("EINVAL", "buffer must be a Uint8Array");
      this.#checkSize(position);
      if (buffer.byteLength === 0) return 0;
      return this.#host.read(h.file, buffer, position);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Writes at `position` (a hole before it reads as zeros); returns bytes
   * written. Errors: EBADF (closed, or not open for writing), EISDIR, EINVAL,
   * ENOSPC, EFBIG.
   *
   * @example
   * ```ts
   * import { mkdtempSync, readFileSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { O } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644), O.WRONLY);
   * fs.write(handle, new Uint8Array([1, 2]), 2);
   * fs.close(handle);
   * console.assert(readFileSync(`${dir}/f`).join() === "0,0,1,2");
   * rmSync(dir, { recursive: true });
   * ```
   */
  write(handle: FileHandle, buffer: Uint8Array, position: number): number {
    try {
      const h = this.#handle(handle);
      if (h.file === null) fail("EISDIR");
      if (!h.writable) fail("EBADF", "not open for writing");
      if (!(buffer instanceof Uint8Array)) fail("EINVAL", "buffer must be a Uint8Array");
      this.#checkSize(position);
      if (buffer.byteLength === 0) return 0;
      h.node.times = null;
      return this.#host.write(h.file, buffer, position);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Sets the size of an open regular file. Errors: EROFS, EISDIR, EINVAL (not
   * open for writing, or a bad size), EBADF, EFBIG.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync, statSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { O } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644), O.RDWR);
   * fs.truncate(handle, 100);
   * fs.close(handle);
   * console.assert(statSync(`${dir}/f`).size === 100);
   * rmSync(dir, { recursive: true });
   * ```
   */
  truncate(handle: FileHandle, size: number): void {
    try {
      this.#mutable();
      const h = this.#handle(handle);
      if (h.file === null) fail("EISDIR");
      if (!h.writable) fail("EINVAL", "not open for writing");
      this.#checkSize(size);
      h.node.times = null;
      this.#host.ftruncate(h.file, size);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * `fsync`s an open regular file; nothing to do for a directory. Errors: EBADF, EIO.
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { O } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const handle = fs.open(fs.create(fs.root(), "f", 0o644), O.WRONLY);
   * fs.sync(handle);
   * fs.close(handle);
   * rmSync(dir, { recursive: true });
   * ```
   */
  sync(handle: FileHandle): void {
    try {
      const h = this.#handle(handle);
      if (h.file !== null) this.#host.fsync(h.file);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Closes the handle and its host file. Errors: EBADF (already closed).
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { O } from "../../kernel/types.ts";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * const handle = fs.open(fs.root(), O.RDONLY);
   * fs.close(handle);
   * rmSync(dir, { recursive: true });
   * ```
   */
  close(handle: FileHandle): void {
    try {
      const h = this.#handle(handle);
      h.closed = true;
      h.node.handles?.delete(h);
      if (h.file !== null) this.#host.close(h.file);
    } catch (error) {
      throw toKernelError(error);
    }
  }

  /**
   * Figures of the host filesystem holding the root (`statfs`; fixed figures
   * where the host API has none: 1 TiB in 4 KiB blocks, all free).
   *
   * @example
   * ```ts
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { HostFileSystem } from "./host_fs.ts";
   * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
   * const fs = new HostFileSystem({ root: dir });
   * console.assert(fs.statfs().blockSize > 0);
   * rmSync(dir, { recursive: true });
   * ```
   */
  statfs(): StatFs {
    try {
      return this.#host.statfs(this.rootPath) ?? { ...UNKNOWN_STATFS };
    } catch (error) {
      throw toKernelError(error);
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  #mutable(): void {
    if (this.readOnly) fail("EROFS");
  }

  #own(node: unknown, code: ErrnoName = "EINVAL"): Node {
    if (node instanceof Node && node.owner === this) return node;
    fail(code, "not a node of this filesystem");
  }

  /** `node` as a directory of this filesystem whose name still holds it (checked with `lstat`). */
  #dir(node: unknown, code: ErrnoName = "EINVAL"): Node {
    const n = this.#own(node, code);
    if (n.type !== FileType.Directory) fail("ENOTDIR");
    this.#locate(n);
    return n;
  }

  #handle(handle: unknown): Handle {
    if (handle instanceof Handle && handle.owner === this && !handle.closed) return handle;
    fail("EBADF");
  }

  #isValidName(name: string): boolean {
    try {
      this.#checkComponent(name);
      return true;
    } catch {
      return false;
    }
  }

  #checkComponent(name: unknown): void {
    if (typeof name !== "string") fail("EINVAL", "a name must be a string");
    if (name.length === 0) fail("ENOENT", "empty name");
    if (name === "." || name === "..") fail("EINVAL", `"${name}" is not a name here`);
    if (name.includes("/") || name.includes("\0")) fail("EINVAL", "a name cannot contain / or NUL");
    if (this.#host.backslashIsSeparator && name.includes("\\")) fail("EINVAL", "a name cannot contain \\");
    if (name.length > LIMITS.NAME_MAX / 3 && encoder.encode(name).length > LIMITS.NAME_MAX) {
      fail("ENAMETOOLONG");
    }
  }

  /** The host path of `rel` (and `name`), every component checked again. */
  #path(rel: readonly string[], name?: string): string {
    let path = this.rootPath.endsWith("/") ? this.rootPath.slice(0, -1) : this.rootPath;
    for (const component of rel) {
      this.#checkComponent(component);
      path += "/" + component;
    }
    if (name !== undefined) {
      this.#checkComponent(name);
      path += "/" + name;
    }
    return path === "" ? "/" : path;
  }

  /** The node's path, after checking with `lstat` that the name still holds the node's inode. */
  #locate(n: Node): { path: string; st: HostStat; } {
    if (n.gone) fail("ENOENT", "removed");
    const path = this.#path(n.rel);
    const st = this.#host.lstat(path);
    if (!this.#matches(st, n, path)) fail("ENOENT", "the name now holds another file");
    return { path, st };
  }

  #matches(st: HostStat, n: Node, path?: string): boolean {
    if (st.type !== n.type) return false;
    if (st.ino === 0n) return path === undefined || this.#inodes.key(st, path) === n.key;
    return this.#inodes.key(st, "") === n.key;
  }

  #intern(st: HostStat, rel: string[], path: string): Node {
    const key = this.#inodes.key(st, path);
    const known = this.#nodes.get(key)?.deref();
    if (known && known.type === st.type) {
      known.rel = rel;
      known.gone = false;
      return known;
    }
    const node = new Node(this, key, this.#inodes.number(st, key), st.type, rel);
    this.#nodes.set(key, new WeakRef(node));
    this.#registry.register(node, key);
    return node;
  }

  #markGone(st: HostStat, path: string): void {
    const n = this.#nodes.get(this.#inodes.key(st, path))?.deref();
    if (n && n.rel.length > 0 && this.#path(n.rel) === path) n.gone = true;
  }

  /** Host metadata of `n`: by its name, or else through an open handle (a name that is gone). */
  #hostStat(n: Node): HostStat {
    let failure: unknown;
    try {
      return this.#locate(n).st;
    } catch (error) {
      failure = error;
    }
    const handle = this.#handleWithFile(n, false);
    if (handle) {
      const st = this.#host.fstat(handle.file!);
      if (this.#matches(st, n)) return st;
    }
    throw failure;
  }

  #toStat(n: Node, st: HostStat): Stat {
    const times = n.times;
    const stat: Stat = {
      dev: 0,
      ino: n.ino,
      type: n.type,
      mode: st.mode & PERMISSION_BITS,
      nlink: st.nlink,
      uid: st.uid,
      gid: st.gid,
      rdev: st.rdev,
      size: st.size,
      blksize: st.blksize,
      blocks: st.blocks,
      atimeNs: times && st.atimeNs === times.atimeHost ? times.atimeSet : st.atimeNs,
      mtimeNs: times && st.mtimeNs === times.mtimeHost ? times.mtimeSet : st.mtimeNs,
      ctimeNs: st.ctimeNs,
    };
    if (st.birthtimeNs !== undefined) stat.birthtimeNs = st.birthtimeNs;
    return stat;
  }

  /** An open handle on `n` holding a host file (with write access if asked). */
  #handleWithFile(n: Node, write: boolean): Handle | null {
    if (n.handles) {
      for (const h of n.handles) if (h.file !== null && (!write || h.writable)) return h;
    }
    return null;
  }

  /** Opens `n`'s name and checks the opened file is `n`'s inode. */
  #openVerified(n: Node, access: HostAccess): HostFile {
    if (n.gone) fail("ENOENT", "removed");
    const path = this.#path(n.rel);
    let file: HostFile;
    try {
      file = this.#host.open(path, access);
    } catch (error) {
      const failure = toKernelError(error);
      // O_NOFOLLOW met a symlink where the node is not one.
      if (failure.code === "ELOOP") fail("ENOENT", "the name now holds a symlink");
      throw failure;
    }
    let ok = false;
    try {
      ok = this.#matches(this.#host.fstat(file), n, path);
    } finally {
      if (!ok) this.#closeQuietly(file);
    }
    if (!ok) fail("ENOENT", "the name now holds another file");
    return file;
  }

  #closeQuietly(file: HostFile): void {
    try {
      this.#host.close(file);
    } catch { /* closing is best effort here: the operation's own result or error wins */ }
  }

  /**
   * Applies one metadata change to `n`: through an open handle's host file if
   * there is one; by a path call that never follows a symlink; or, where the
   * path call would follow one, through a host file opened and verified for
   * the purpose, falling back (EACCES: a file we may not open) to the path call
   * right after an `lstat` check, the documented race window.
   */
  #change(n: Node, op: {
    write?: boolean;
    pathFollows: boolean;
    viaFile?: (file: HostFile) => void;
    viaPath?: (path: string) => void;
  }): void {
    const write = op.write ?? false;
    const handle = this.#handleWithFile(n, write);
    if (handle && op.viaFile) return op.viaFile(handle.file!);
    if (op.viaPath && !op.pathFollows) return op.viaPath(this.#locate(n).path);
    if (n.type === FileType.Symlink) {
      fail("ENOSYS", `the ${this.backend} backend cannot change a symlink itself`);
    }
    if (op.viaFile && isOpenable(n.type)) {
      let file: HostFile;
      try {
        file = this.#openVerified(n, write ? "w" : "r");
      } catch (error) {
        if (!op.viaPath || toKernelError(error).code !== "EACCES") throw error;
        return op.viaPath(this.#locate(n).path);
      }
      try {
        return op.viaFile(file);
      } finally {
        this.#closeQuietly(file);
      }
    }
    if (!op.viaPath) fail("EINVAL");
    op.viaPath(this.#locate(n).path);
  }

  #chmod(n: Node, mode: number): void {
    if (n.type === FileType.Symlink) fail("ENOTSUP", "a symlink's mode cannot change");
    const bits = this.#allowSetId ? mode : mode & ~SET_ID_BITS;
    const host = this.#host;
    this.#change(n, {
      pathFollows: true,
      viaFile: host.fchmod && ((f) => host.fchmod!(f, bits)),
      viaPath: (p) => host.chmod(p, bits),
    });
  }

  #checkMode(mode: unknown): asserts mode is number {
    if (!Number.isSafeInteger(mode) || (mode as number) < 0 || (mode as number) > PERMISSION_BITS) {
      fail("EINVAL", "bad mode");
    }
  }

  #newMode(mode: unknown): number {
    this.#checkMode(mode);
    return this.#allowSetId ? mode : mode & ~SET_ID_BITS;
  }

  #checkSize(value: unknown): asserts value is number {
    if (!Number.isSafeInteger(value) || (value as number) < 0) fail("EINVAL", "bad size or position");
  }

  /** A time of {@link SetAttr}, with `UTIME.NOW` / `UTIME.OMIT` resolved. */
  #time(ns: unknown): bigint | undefined {
    if (ns === undefined || ns === UTIME.OMIT) return undefined;
    if (typeof ns !== "bigint") fail("EINVAL", "times are bigint nanoseconds");
    if (ns === UTIME.NOW) return this.#nowNs ? this.#nowNs() : BigInt(Date.now()) * 1_000_000n;
    return ns;
  }
}
