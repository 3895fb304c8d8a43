/**
 * A reference model of the file-system system calls, with Linux semantics and
 * errno codes, for the model-based and differential property tests
 * (tests/properties/).
 *
 * It is written from the Linux sources (fs/namei.c, fs/open.c, fs/read_write.c)
 * and checked against a real Linux host by tests/properties/differential_test.ts.
 * It shares no code with the kernel: the path walk here follows Linux's own
 * structure (walk every component but the last, then decide per operation what
 * the last one means), not kernel/vfs/namei.ts.
 *
 * What it models: one process (cwd, root, umask, a lowest-free fd table of open
 * file descriptions with shared offsets), directories, regular files, symlinks,
 * hard links, directories removed while still open or the cwd, and the
 * listing state of `getdents` (which names a listing in progress must still
 * return). What it leaves out: permissions (everything runs as root),
 * timestamps, directory sizes, mounts.
 *
 * @module
 */

import type { DirEnt, FsApi, NodeType, StatInfo } from "./fs_ops.ts";

/** Linux open flags (the kernel's `O` values; also Linux x86-64 and arm64 `fcntl.h`). */
export const LINUX_O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
} as const;

/** The most symlinks one path walk may follow (Linux MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/** An errno raised by the model. */
export class ModelError extends Error {
  /** `code`, and optionally which rule of Linux raised it (for tests that recognise known kernel bugs). */
  constructor(readonly code: string, readonly rule?: string) {
    super(rule ? `${code} (${rule})` : code);
    this.name = "ModelError";
  }
}

/**
 * Thrown (instead of staying at `/`) when a walk takes `..` at the process root
 * and the model was built with `dotDotAtRoot: "throw"`: a harness whose host
 * side is a subdirectory of the real root cannot reproduce that step.
 */
export class EscapeError extends Error {
  constructor() {
    super("walk took .. at the process root");
    this.name = "EscapeError";
  }
}

/** {@link ModelError.rule} of open(O_CREAT) on "name/" where the name exists (Linux: EISDIR, whatever it is). */
export const CREAT_TRAILING_SLASH_ON_EXISTING = "O_CREAT with a trailing slash on an existing name";

function fail(code: string): never {
  throw new ModelError(code);
}

/** A file, directory or symlink of the model (an inode). */
export class ModelNode {
  /** Names of a regular file or symlink. */
  links = 0;
  /** File contents. */
  data: Uint8Array = new Uint8Array(0);
  /** Directory entries (no `.`, `..`). */
  readonly entries: Map<string, ModelNode> = new Map();
  /** A directory's physical parent (the root's is itself); kept after removal, as Linux's d_parent. */
  parent: ModelNode;
  /** A directory that was removed (rmdir, or replaced by rename). */
  removed = false;

  constructor(
    readonly id: number,
    readonly type: NodeType,
    public mode: number,
    /** A symlink's target. */
    readonly target = "",
  ) {
    this.parent = this;
  }

  /** Linux's st_nlink: names for files and symlinks; 2 + subdirectories for a live directory, 0 once removed. */
  get nlink(): number {
    if (this.type !== "dir") return this.links;
    if (this.removed) return 0;
    let n = 2;
    for (const child of this.entries.values()) if (child.type === "dir") n++;
    return n;
  }
}

/** The state of one `getdents` pass over an open directory (from offset 0 until a rewind). */
export interface ListingPass {
  /** Names returned so far in this pass, `.` and `..` included. */
  readonly seen: Set<string>;
  /** Names present when the pass started and never removed since: the pass must return each exactly once. */
  readonly stable: Set<string>;
}

/** An open file description: shared by the fds `dup` makes. */
export class ModelFile {
  offset = 0;
  /** The listing in progress, for directories. */
  pass: ListingPass | null = null;
  constructor(
    readonly node: ModelNode,
    readonly readable: boolean,
    readonly writable: boolean,
    readonly append: boolean,
  ) {}
}

/** State of one path walk. */
interface Walk {
  links: number;
  /** The start of a "beneath" walk: `..` above it, absolute paths and absolute symlinks are EPERM. */
  beneath: ModelNode | null;
}

/** What Linux's `link_path_walk` leaves: the parent directory and the last component. */
interface Parent {
  dir: ModelNode;
  last: string;
  type: "norm" | "dot" | "dotdot" | "root";
  /** The last component was followed by a `/`. */
  trailing: boolean;
}

/** Options of {@link FsModel}. */
export interface FsModelOptions {
  /** The process umask (default 0o022). */
  umask?: number;
  /** Directories to create first, as [path, mode] (absolute, parents first), e.g. [["/tmp", 0o1777]]. */
  dirs?: Array<[string, number]>;
  /** The initial working directory (default `/`). */
  cwd?: string;
  /** What `..` at the process root does: stay there (Linux) or throw {@link EscapeError}. */
  dotDotAtRoot?: "stay" | "throw";
}

/**
 * The model: one process on one file system, with Linux semantics.
 *
 * @example
 * ```ts
 * import { FsModel, LINUX_O } from "./fs_model.ts";
 * const m = new FsModel();
 * const fd = m.open("f", LINUX_O.CREAT | LINUX_O.RDWR, 0o666);
 * m.write(fd, new Uint8Array([1, 2]));
 * console.assert(m.fstat(fd).size === 2);
 * ```
 */
export class FsModel implements FsApi {
  readonly root: ModelNode;
  cwd: ModelNode;
  readonly fds: Array<ModelFile | undefined> = [];
  readonly umask: number;
  readonly #dotDotAtRoot: "stay" | "throw";
  #nextId = 1;

  constructor(options: FsModelOptions = {}) {
    this.umask = options.umask ?? 0o022;
    this.#dotDotAtRoot = options.dotDotAtRoot ?? "stay";
    this.root = new ModelNode(this.#nextId++, "dir", 0o755);
    this.cwd = this.root;
    for (const [path, mode] of options.dirs ?? []) {
      const parent = this.#parentWalk(this.root, path, this.#walk());
      const dir = this.#newNode("dir", mode);
      dir.parent = parent.dir;
      parent.dir.entries.set(parent.last, dir);
    }
    if (options.cwd !== undefined) this.cwd = this.resolve(this.root, options.cwd, { follow: true });
  }

  // ------------------------------------------------------------ path walk

  #walk(beneath: ModelNode | null = null): Walk {
    return { links: 0, beneath };
  }

  /** Linux `filename_parentat`: walks all components but the last. */
  #parentWalk(start: ModelNode, path: string, w: Walk): Parent {
    if (path === "") fail("ENOENT");
    let cur = start;
    if (path.startsWith("/")) {
      if (w.beneath) fail("EPERM");
      cur = this.root;
    }
    const parts = path.split("/").filter((part) => part !== "");
    if (parts.length === 0) return { dir: cur, last: "", type: "root", trailing: true };
    for (let i = 0; i < parts.length - 1; i++) cur = this.#step(cur, parts[i], w);
    const last = parts[parts.length - 1];
    const type = last === "." ? "dot" : last === ".." ? "dotdot" : "norm";
    return { dir: cur, last, type, trailing: path.endsWith("/") };
  }

  /** One component that is not the last: the result must be a directory. */
  #step(cur: ModelNode, name: string, w: Walk): ModelNode {
    if (name === ".") return cur;
    if (name === "..") return this.#dotDot(cur, w);
    let node = this.#child(cur, name);
    if (node.type === "symlink") node = this.#follow(cur, node, w);
    if (node.type !== "dir") fail("ENOTDIR");
    return node;
  }

  #dotDot(cur: ModelNode, w: Walk): ModelNode {
    if (w.beneath === cur) fail("EPERM");
    if (cur === this.root) {
      if (this.#dotDotAtRoot === "throw") throw new EscapeError();
      return cur;
    }
    return cur.parent;
  }

  #child(dir: ModelNode, name: string): ModelNode {
    return dir.entries.get(name) ?? fail("ENOENT");
  }

  #countLink(w: Walk, link: ModelNode): void {
    if (++w.links > MAX_SYMLINKS) fail("ELOOP");
    if (w.beneath && link.target.startsWith("/")) fail("EPERM");
  }

  /** Follows `link` (found in `dir`) to what its target names, following every symlink on the way. */
  #follow(dir: ModelNode, link: ModelNode, w: Walk): ModelNode {
    this.#countLink(w, link);
    return this.#lookup(dir, link.target, true, w);
  }

  /** Linux `path_lookupat`: the node `path` names (it must exist). */
  #lookup(start: ModelNode, path: string, follow: boolean, w: Walk): ModelNode {
    const p = this.#parentWalk(start, path, w);
    if (p.type === "root" || p.type === "dot") return p.dir;
    if (p.type === "dotdot") return this.#dotDot(p.dir, w);
    let node = this.#child(p.dir, p.last);
    // A trailing slash means "follow, and it must be a directory".
    if (node.type === "symlink" && (follow || p.trailing)) node = this.#follow(p.dir, node, w);
    if (p.trailing && node.type !== "dir") fail("ENOTDIR");
    return node;
  }

  /**
   * What `path` names from `start`, or a thrown {@link ModelError}. With
   * `beneath`, the walk may not leave `start` (EPERM), like the kernel's
   * `{ beneath: true }`.
   */
  resolve(start: ModelNode, path: string, options: { follow: boolean; beneath?: boolean; }): ModelNode {
    return this.#lookup(start, path, options.follow, this.#walk(options.beneath ? start : null));
  }

  /** Where `path` would be created: the parent and last component (for tests that predict a result). */
  parentOf(path: string): Parent {
    return this.#parentWalk(this.cwd, path, this.#walk());
  }

  // ------------------------------------------------------------ nodes and names

  #newNode(type: NodeType, mode: number, target = ""): ModelNode {
    return new ModelNode(this.#nextId++, type, mode, target);
  }

  /** Removes a name; listings in progress on `dir` no longer owe it. */
  #removeName(dir: ModelNode, name: string): void {
    dir.entries.delete(name);
    for (const file of this.fds) {
      if (file?.node === dir && file.pass) file.pass.stable.delete(name);
    }
  }

  #addName(dir: ModelNode, name: string, node: ModelNode): void {
    dir.entries.set(name, node);
    if (node.type === "dir") node.parent = dir;
    else node.links++;
  }

  /** Every open file description on a node (through any fd). */
  #file(fd: number): ModelFile {
    return (Number.isInteger(fd) && fd >= 0 ? this.fds[fd] : undefined) ?? fail("EBADF");
  }

  #allocate(file: ModelFile): number {
    let fd = 0;
    while (this.fds[fd] !== undefined) fd++;
    this.fds[fd] = file;
    return fd;
  }

  /** The open file description at `fd` (undefined when closed). */
  fileAt(fd: number): ModelFile | undefined {
    return this.fds[fd];
  }

  /** Open fds in increasing order. */
  openFds(): number[] {
    const out: number[] = [];
    this.fds.forEach((file, fd) => {
      if (file !== undefined) out.push(fd);
    });
    return out;
  }

  /**
   * Nodes that still exist: reachable by name from the root, open, the cwd,
   * or a parent of one of those (a removed directory keeps its parent). Any
   * other node is gone and a file system may reuse its inode number.
   */
  liveNodes(): Set<ModelNode> {
    const live = new Set<ModelNode>();
    const visit = (node: ModelNode): void => {
      if (live.has(node)) return;
      live.add(node);
      visit(node.parent);
      for (const child of node.entries.values()) visit(child);
    };
    visit(this.root);
    visit(this.cwd);
    for (const file of this.fds) if (file) visit(file.node);
    return live;
  }

  /** A node's metadata. */
  statOf(node: ModelNode): StatInfo {
    const size = node.type === "file"
      ? node.data.length
      : node.type === "symlink"
      ? new TextEncoder().encode(node.target).length
      : null;
    return { type: node.type, size, nlink: node.nlink, mode: node.mode, ino: node.id };
  }

  // ------------------------------------------------------------ FsApi

  mkdir(path: string, mode: number): void {
    const p = this.#parentWalk(this.cwd, path, this.#walk());
    if (p.type !== "norm" || p.dir.entries.has(p.last)) fail("EEXIST");
    if (p.dir.removed) fail("ENOENT");
    this.#addName(p.dir, p.last, this.#newNode("dir", mode & ~this.umask & 0o7777));
  }

  /**
   * Linux path_openat up to the file to open, without changing anything: the
   * node, or where O_CREAT would create it.
   */
  #openWalk(path: string, flags: number): { node: ModelNode; directory: boolean; } | {
    dir: ModelNode;
    name: string;
  } {
    const O = LINUX_O;
    const creat = (flags & O.CREAT) !== 0;
    const excl = creat && (flags & O.EXCL) !== 0;
    let follow = (flags & O.NOFOLLOW) === 0 && !excl;
    let directory = (flags & O.DIRECTORY) !== 0;
    const w = this.#walk();
    let start = this.cwd;
    let rest = path;
    // Walk to the last component (open_last_lookups); a symlink there, when
    // followed, restarts the walk with its target.
    for (;;) {
      const p = this.#parentWalk(start, rest, w);
      if (p.type !== "norm") return { node: p.type === "dotdot" ? this.#dotDot(p.dir, w) : p.dir, directory };
      let child: ModelNode | undefined;
      if (!creat) {
        if (p.trailing) follow = directory = true;
        child = this.#child(p.dir, p.last);
      } else {
        if (p.trailing) {
          throw new ModelError(
            "EISDIR",
            p.dir.entries.has(p.last) ? CREAT_TRAILING_SLASH_ON_EXISTING : undefined,
          );
        }
        child = p.dir.entries.get(p.last);
        if (child === undefined) {
          if (p.dir.removed) fail("ENOENT");
          return { dir: p.dir, name: p.last };
        }
      }
      if (child.type === "symlink" && follow) {
        this.#countLink(w, child);
        start = p.dir;
        rest = child.target;
        continue;
      }
      return { node: child, directory };
    }
  }

  /** The existing node open(path, flags) would reach, null when it would create one, or the ModelError. */
  openTarget(path: string, flags: number): ModelNode | null | ModelError {
    try {
      const found = this.#openWalk(path, flags);
      return "node" in found ? found.node : null;
    } catch (error) {
      if (error instanceof ModelError) return error;
      throw error;
    }
  }

  open(path: string, flags: number, mode: number): number {
    const O = LINUX_O;
    const access = flags & O.ACCMODE;
    if (access === O.ACCMODE) fail("EINVAL");
    // Linux 6.4 and later.
    if ((flags & O.DIRECTORY) && (flags & O.CREAT)) fail("EINVAL");
    const creat = (flags & O.CREAT) !== 0;
    const found = this.#openWalk(path, flags);
    let node: ModelNode;
    let created = false;
    let directory = (flags & O.DIRECTORY) !== 0;
    if ("node" in found) {
      node = found.node;
      directory = found.directory;
    } else {
      node = this.#newNode("file", mode & ~this.umask & 0o7777);
      this.#addName(found.dir, found.name, node);
      created = true;
    }
    // Linux do_open and may_open, in their order.
    if (creat) {
      if ((flags & O.EXCL) && !created) fail("EEXIST");
      if (node.type === "dir") fail("EISDIR");
    }
    if (directory && node.type !== "dir") fail("ENOTDIR");
    if (node.type === "symlink") fail("ELOOP");
    const truncate = (flags & O.TRUNC) !== 0;
    if (node.type === "dir" && (access !== O.RDONLY || truncate)) fail("EISDIR");
    if (truncate && !created && node.type === "file") node.data = new Uint8Array(0);
    return this.#allocate(
      new ModelFile(node, access !== O.WRONLY, access !== O.RDONLY, (flags & O.APPEND) !== 0),
    );
  }

  close(fd: number): void {
    this.#file(fd);
    this.fds[fd] = undefined;
    while (this.fds.length > 0 && this.fds[this.fds.length - 1] === undefined) this.fds.pop();
  }

  dup(fd: number): number {
    return this.#allocate(this.#file(fd));
  }

  read(fd: number, length: number): Uint8Array {
    const file = this.#file(fd);
    if (!file.readable) fail("EBADF");
    if (file.node.type === "dir") fail("EISDIR");
    const out = file.node.data.slice(file.offset, file.offset + length);
    file.offset += out.length;
    return out;
  }

  #writeAt(node: ModelNode, data: Uint8Array, position: number): void {
    if (data.length === 0) return;
    const end = position + data.length;
    if (end > node.data.length) {
      const grown = new Uint8Array(end);
      grown.set(node.data);
      node.data = grown;
    }
    node.data.set(data, position);
  }

  write(fd: number, data: Uint8Array): number {
    const file = this.#file(fd);
    if (!file.writable) fail("EBADF");
    // A zero-byte write changes nothing, not even the offset of an O_APPEND file.
    if (data.length === 0) return 0;
    const position = file.append ? file.node.data.length : file.offset;
    this.#writeAt(file.node, data, position);
    file.offset = position + data.length;
    return data.length;
  }

  pwrite(fd: number, data: Uint8Array, position: number): number {
    if (position < 0) fail("EINVAL");
    const file = this.#file(fd);
    if (!file.writable) fail("EBADF");
    // Linux writes at the end when O_APPEND is set (pwrite(2), BUGS).
    this.#writeAt(file.node, data, file.append ? file.node.data.length : position);
    return data.length;
  }

  lseek(fd: number, offset: number, whence: number): number {
    const file = this.#file(fd);
    const base = whence === 0 ? 0 : whence === 1 ? file.offset : whence === 2 ? file.node.data.length : NaN;
    if (Number.isNaN(base)) fail("EINVAL");
    if (file.node.type === "dir") {
      // Only rewinding is modelled for directories (listing offsets are the file system's cookies).
      if (whence !== 0 || offset !== 0) throw new RangeError("the model only rewinds directories");
      file.pass = null;
    }
    const next = base + offset;
    if (next < 0) fail("EINVAL");
    file.offset = next;
    return next;
  }

  ftruncate(fd: number, size: number): void {
    if (size < 0) fail("EINVAL");
    const file = this.#file(fd);
    if (!file.writable || file.node.type !== "file") fail("EINVAL");
    const data = new Uint8Array(size);
    data.set(file.node.data.subarray(0, size));
    file.node.data = data;
  }

  rename(from: string, to: string): void {
    const o = this.#parentWalk(this.cwd, from, this.#walk());
    const n = this.#parentWalk(this.cwd, to, this.#walk());
    if (o.type !== "norm" || n.type !== "norm") fail("EBUSY");
    const source = this.#child(o.dir, o.last);
    // Looking the new name up in a removed directory fails at once (lookup_one_qstr_excl).
    if (n.dir.removed) fail("ENOENT");
    const target = n.dir.entries.get(n.last);
    if (source.type !== "dir" && (o.trailing || n.trailing)) fail("ENOTDIR");
    // Linux lock_rename: the "trap" is the child of one parent that leads to the other.
    if (o.dir !== n.dir) {
      const trapDown = childLeadingTo(o.dir, n.dir);
      if (trapDown !== null) {
        if (source === trapDown) fail("EINVAL");
      } else if (target !== undefined && target === childLeadingTo(n.dir, o.dir)) {
        fail("ENOTEMPTY");
      }
    }
    // Linux vfs_rename.
    if (target === source) return;
    if (target === undefined) {
      // may_create: nothing more to check (a removed directory failed above).
    } else if (source.type === "dir") {
      if (target.type !== "dir") fail("ENOTDIR");
      if (target.entries.size > 0) fail("ENOTEMPTY");
    } else if (target.type === "dir") {
      fail("EISDIR");
    }
    this.#removeName(o.dir, o.last);
    if (target !== undefined) {
      // The name stays present (it now names `source`); the old node loses it.
      if (target.type === "dir") target.removed = true;
      else target.links--;
      n.dir.entries.set(n.last, source);
      if (source.type === "dir") source.parent = n.dir;
    } else {
      n.dir.entries.set(n.last, source);
      if (source.type === "dir") source.parent = n.dir;
    }
  }

  link(from: string, to: string, follow: boolean): void {
    const source = this.#lookup(this.cwd, from, follow, this.#walk());
    const p = this.#parentWalk(this.cwd, to, this.#walk());
    if (p.type !== "norm" || p.dir.entries.has(p.last)) fail("EEXIST");
    if (p.trailing) fail("ENOENT");
    if (p.dir.removed) fail("ENOENT");
    if (source.type === "dir") fail("EPERM");
    this.#addName(p.dir, p.last, source);
  }

  symlink(target: string, path: string): void {
    if (target === "") fail("ENOENT");
    const p = this.#parentWalk(this.cwd, path, this.#walk());
    if (p.type !== "norm" || p.dir.entries.has(p.last)) fail("EEXIST");
    if (p.trailing) fail("ENOENT");
    if (p.dir.removed) fail("ENOENT");
    this.#addName(p.dir, p.last, this.#newNode("symlink", 0o777, target));
  }

  unlink(path: string): void {
    const p = this.#parentWalk(this.cwd, path, this.#walk());
    if (p.type !== "norm") fail("EISDIR");
    const node = this.#child(p.dir, p.last);
    if (p.trailing) fail(node.type === "dir" ? "EISDIR" : "ENOTDIR");
    if (node.type === "dir") fail("EISDIR");
    this.#removeName(p.dir, p.last);
    node.links--;
  }

  rmdir(path: string): void {
    const p = this.#parentWalk(this.cwd, path, this.#walk());
    if (p.type === "dotdot") fail("ENOTEMPTY");
    if (p.type === "dot") fail("EINVAL");
    if (p.type === "root") fail("EBUSY");
    const node = this.#child(p.dir, p.last);
    if (node.type !== "dir") fail("ENOTDIR");
    if (node.entries.size > 0) fail("ENOTEMPTY");
    this.#removeName(p.dir, p.last);
    node.removed = true;
  }

  readlink(path: string): string {
    const node = this.#lookup(this.cwd, path, false, this.#walk());
    if (node.type !== "symlink") fail("EINVAL");
    return node.target;
  }

  stat(path: string, follow: boolean): StatInfo {
    return this.statOf(this.#lookup(this.cwd, path, follow, this.#walk()));
  }

  fstat(fd: number): StatInfo {
    return this.statOf(this.#file(fd).node);
  }

  /** The directory open at `fd`, checked as getdents(2) checks it. */
  listable(fd: number): ModelFile {
    const file = this.#file(fd);
    if (file.node.type !== "dir") fail("ENOTDIR");
    // Linux iterate_dir: a removed directory cannot be listed.
    if (file.node.removed) fail("ENOENT");
    return file;
  }

  /** Starts (if needed) and returns the listing pass of the directory open at `fd`. */
  pass(fd: number): ListingPass {
    const file = this.listable(fd);
    if (file.pass === null) {
      file.pass = { seen: new Set(), stable: new Set([".", "..", ...file.node.entries.keys()]) };
    }
    return file.pass;
  }

  getdents(): DirEnt[] {
    throw new RangeError("the model checks getdents results (see ListingPass) instead of producing them");
  }

  listdir(fd: number): DirEnt[] {
    const file = this.listable(fd);
    return [...file.node.entries].map(([name, node]) => ({ name, type: node.type, ino: node.id }))
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  chdir(path: string): void {
    const node = this.#lookup(this.cwd, path, true, this.#walk());
    if (node.type !== "dir") fail("ENOTDIR");
    this.cwd = node;
  }

  sameFile(a: string, b: string): boolean {
    return this.#lookup(this.cwd, a, false, this.#walk()) === this.#lookup(this.cwd, b, false, this.#walk());
  }
}

/** Whether `ancestor` is `node` or one of its parents. */
export function isAncestorOrSelf(ancestor: ModelNode, node: ModelNode): boolean {
  return ancestor === node || childLeadingTo(ancestor, node) !== null;
}

/** The child of `ancestor` on the way down to `node` (or `node` itself), or null when `ancestor` is not above it. */
function childLeadingTo(ancestor: ModelNode, node: ModelNode): ModelNode | null {
  let p = node;
  for (;;) {
    const up = p.parent;
    if (up === ancestor) return p;
    if (up === p) return null;
    p = up;
  }
}
