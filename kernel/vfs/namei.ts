/**
 * The one path walker. Every path the kernel sees is resolved here: `.`, `..`,
 * symbolic links (at most 40, then ELOOP), mount crossings in both directions,
 * trailing slashes, name and path length limits, confinement below the process
 * root, and the "beneath" mode WASI needs.
 *
 * Drivers only ever see single components.
 *
 * @module
 */

import { isPromise, type Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import { FileType, LIMITS, type Maybe } from "../types.ts";
import type { VNode } from "./driver.ts";
import { type Location, type MountTable, sameLocation } from "./mount_table.ts";

/** How {@link walk} treats the path. */
export interface WalkOptions {
  /** Follow a symlink in the final component. */
  follow: boolean;
  /**
   * The caller acts on the final name itself (mkdir, unlink, rmdir, rename,
   * link's and symlink's new name, O_CREAT): never follow a final symlink,
   * even with a trailing slash, and leave trailing-slash checks to the caller,
   * as Linux's filename_parentat does.
   */
  lastName?: boolean;
  /**
   * O_CREAT: a final name that must be a directory (a trailing slash, also one
   * a final symlink's target ends with) is EISDIR before it is looked up.
   */
  create?: boolean;
  /**
   * Refuse to leave `start` (`..` above it, absolute paths, absolute symlinks):
   * EPERM. When `start` is the process root this is the same as a normal walk.
   */
  beneath?: boolean;
}

/** The outcome of a walk. */
export interface Walked {
  /** The directory that holds (or would hold) the final component. */
  dir: Location;
  /** The final component: a name, `.` or `..` when the path ended so, or `/` for the root itself. */
  name: string;
  /** The file the path names, or null when the final component does not exist. */
  target: Location | null;
  /** The path ended in `/` (the target must be a directory). */
  trailingSlash: boolean;
}

/** What the walker needs from the process. */
export interface WalkContext {
  readonly mounts: MountTable;
  readonly root: Location;
}

const encoder = new TextEncoder();

function byteLength(s: string): number {
  // Fast path for ASCII, exact for the rest.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
}

// The last path split, and its components: a program that opens or stats one
// path in a loop (the facade hands the same string back for the same bytes)
// walks the same component strings, whose hashes the engine has already computed.
let lastPath = "";
let lastParts: readonly string[] = [];

/** Splits a path into components (never mutate the result: it may be shared), validating lengths. */
function components(path: string): readonly string[] {
  if (path === lastPath) return lastParts;
  if (path.length > LIMITS.PATH_MAX && byteLength(path) >= LIMITS.PATH_MAX) {
    throw new KernelError("ENAMETOOLONG");
  }
  const parts: string[] = [];
  const previous = lastParts;
  const length = path.length;
  let at = 0;
  while (at < length) {
    let end = path.indexOf("/", at);
    if (end < 0) end = length;
    if (end > at) {
      // A component equal to the previous path's at the same place is that string
      // again ("data" of data/c1, data/c2, ...), whose hash is known already.
      const same = previous[parts.length];
      const part = same !== undefined && same.length === end - at && path.startsWith(same, at)
        ? same
        : path.slice(at, end);
      if (part.length > LIMITS.NAME_MAX / 4 && byteLength(part) > LIMITS.NAME_MAX) {
        throw new KernelError("ENAMETOOLONG");
      }
      parts.push(part);
    }
    at = end + 1;
  }
  lastPath = path;
  lastParts = parts;
  return parts;
}

/**
 * Resolves `path` starting at `start` (ignored for absolute paths).
 *
 * Errors: ENOENT (missing intermediate component, empty path, empty symlink),
 * ENOTDIR (a non-directory used as a directory, or a trailing slash on a
 * non-directory), ELOOP (more than 40 symlinks), ENAMETOOLONG, EPERM (a beneath
 * walk that would leave its start), EINVAL (NUL in the path).
 *
 * Synchronous while every driver it asks answers synchronously; from the first
 * Promise on, it continues asynchronously and returns a Promise.
 */
export function walkMaybe(
  ctx: WalkContext,
  start: Location,
  path: string,
  options: WalkOptions,
): Maybe<Walked> {
  if (path === "") throw new KernelError("ENOENT");
  if (path.includes("\0")) throw new KernelError("EINVAL");
  const beneath = options.beneath === true && !sameLocation(start, ctx.root);
  const absolute = path.charCodeAt(0) === 47;
  if (absolute && beneath) throw new KernelError("EPERM", "absolute path in a beneath walk");
  const trailingSlash = path.charCodeAt(path.length - 1) === 47;
  const parts = components(path);
  const cur = absolute ? ctx.root : start;
  if (parts.length === 0) {
    // "/" or "///": the root itself.
    return { dir: cur, name: "/", target: cur, trailingSlash: true };
  }
  // The common case inline: plain names that the driver resolves synchronously, no
  // symlink to follow, no mount to cross. Anything else hands over to a Walk at the
  // component where it shows up (a lookup already made is handed over, not redone).
  const last = parts.length - 1;
  let dir = cur;
  for (let i = 0, depth = 0;; i++) {
    const name = parts[i];
    // (A length test first: comparing two different strings is a runtime call in JavaScriptCore.)
    if ((name.length <= 2 && (name === "." || name === "..")) || dir.node.type !== FileType.Directory) {
      return new Walk(ctx, options, beneath, parts, dir, trailingSlash, i, depth).run();
    }
    if (i === last && trailingSlash && options.create) throw new KernelError("EISDIR");
    let child: Maybe<VNode | null>;
    try {
      child = dir.mount.fs.lookup(dir.node, name);
    } catch (error) {
      if (!isMissing(error)) throw error;
      child = null;
    }
    if (child === null) {
      if (i === last) return { dir, name, target: null, trailingSlash };
      throw new KernelError("ENOENT");
    }
    const children = dir.mount.children;
    if (
      isPromise(child) || child.type === FileType.Symlink || (children.size !== 0 && children.has(child.ino))
    ) {
      return new Walk(ctx, options, beneath, parts, dir, trailingSlash, i + 1, depth).resume(
        child,
        name,
        i === last,
      );
    }
    const next: Location = { mount: dir.mount, node: child };
    if (i === last) {
      if (trailingSlash && !options.lastName && child.type !== FileType.Directory) {
        throw new KernelError("ENOTDIR");
      }
      return { dir, name, target: next, trailingSlash };
    }
    dir = next;
    depth++;
  }
}

/** {@link walkMaybe} as an operation for generator-based syscalls (`yield*`). */
export function* walk(ctx: WalkContext, start: Location, path: string, options: WalkOptions): Op<Walked> {
  const walked = walkMaybe(ctx, start, path, options);
  return isPromise(walked) ? (yield walked) as Walked : walked;
}

function isMissing(error: unknown): boolean {
  return error instanceof KernelError && error.code === "ENOENT";
}

/**
 * One walk in progress: the components still to resolve are `parts[nextIndex..]`.
 * Each step returns a result (done), undefined (go on), or a Promise (a driver
 * answered asynchronously: the walk continues when it settles).
 */
class Walk {
  private symlinks = 0;

  constructor(
    readonly ctx: WalkContext,
    readonly options: WalkOptions,
    readonly beneath: boolean,
    /** Shared with the components cache: replaced, never mutated. */
    public parts: readonly string[],
    public cur: Location,
    public trailingSlash: boolean,
    /** The next component to resolve. */
    private nextIndex: number,
    /** Directories entered below the start (for beneath walks). */
    private depth: number,
  ) {}

  run(): Maybe<Walked> {
    for (;;) {
      const result = this.step();
      if (result !== undefined) return result;
    }
  }

  /** Goes on from the lookup of `name` in `cur`, which answered `child` (or a Promise of it). */
  resume(child: Maybe<VNode | null>, name: string, final: boolean): Maybe<Walked> {
    if (isPromise(child)) return this.pending(child, name, final);
    return this.found(child, name, final) ?? this.run();
  }

  private pending(child: Promise<VNode | null>, name: string, final: boolean): Promise<Walked> {
    return child.then(
      (node) => this.found(node, name, final) ?? this.run(),
      (error) => {
        if (!isMissing(error)) throw error;
        return this.found(null, name, final) ?? this.run();
      },
    );
  }

  private step(): Maybe<Walked> | undefined {
    const name = this.parts[this.nextIndex++];
    const final = this.nextIndex === this.parts.length;
    const cur = this.cur;

    if (name === ".") {
      if (cur.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
      if (final) return { dir: cur, name: ".", target: cur, trailingSlash: this.trailingSlash };
      return undefined;
    }

    if (name === "..") {
      if (cur.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
      if (this.beneath && this.depth === 0) throw new KernelError("EPERM", "path escapes its directory");
      const up = parentOfMaybe(this.ctx, cur);
      if (isPromise(up)) return up.then((loc) => this.up(loc, final) ?? this.run());
      return this.up(up, final);
    }

    if (cur.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (final && this.trailingSlash && this.options.create) throw new KernelError("EISDIR");
    let child: Maybe<VNode | null>;
    try {
      child = cur.mount.fs.lookup(cur.node, name);
    } catch (error) {
      if (!isMissing(error)) throw error;
      child = null;
    }
    if (isPromise(child)) return this.pending(child, name, final);
    return this.found(child, name, final);
  }

  private up(loc: Location, final: boolean): Walked | undefined {
    this.cur = loc;
    if (this.depth > 0) this.depth--;
    if (final) return { dir: loc, name: "..", target: loc, trailingSlash: this.trailingSlash };
    return undefined;
  }

  private found(child: VNode | null, name: string, final: boolean): Maybe<Walked> | undefined {
    const cur = this.cur;
    if (child === null) {
      if (final) return { dir: cur, name, target: null, trailingSlash: this.trailingSlash };
      throw new KernelError("ENOENT");
    }
    const next: Location = this.ctx.mounts.crossDown({ mount: cur.mount, node: child });
    const options = this.options;
    const followFinal = options.lastName ? false : options.follow || this.trailingSlash;
    if (next.node.type === FileType.Symlink && (!final || followFinal)) {
      if (++this.symlinks > LIMITS.SYMLOOP_MAX) throw new KernelError("ELOOP");
      const target = next.mount.fs.readlink(next.node);
      if (isPromise(target)) return target.then((t) => this.link(t, final) ?? this.run());
      return this.link(target, final);
    }
    if (final) {
      if (this.trailingSlash && !options.lastName && next.node.type !== FileType.Directory) {
        throw new KernelError("ENOTDIR");
      }
      return { dir: cur, name, target: next, trailingSlash: this.trailingSlash };
    }
    this.cur = next;
    this.depth++;
    return undefined;
  }

  private link(target: string, final: boolean): Walked | undefined {
    if (target === "") throw new KernelError("ENOENT");
    const linkParts = components(target);
    if (final && target.charCodeAt(target.length - 1) === 47) this.trailingSlash = true;
    if (target.charCodeAt(0) === 47) {
      if (this.beneath) throw new KernelError("EPERM", "absolute symlink in a beneath walk");
      this.cur = this.ctx.root;
      this.depth = 0;
    }
    if (linkParts.length === 0) {
      // The link points at "/".
      if (final) return { dir: this.cur, name: "/", target: this.cur, trailingSlash: true };
      return undefined;
    }
    // The link's components come next, then what was left of the path.
    this.parts = linkParts.concat(this.parts.slice(this.nextIndex));
    this.nextIndex = 0;
    return undefined;
  }
}

/** The parent of directory `loc`: never above the process root, crossing up out of mounts. */
export function parentOfMaybe(ctx: WalkContext, loc: Location): Maybe<Location> {
  let cur = loc;
  if (sameLocation(cur, ctx.root)) return cur;
  // At the root of a mount: continue from the mount point in the parent mount.
  while (cur.mount.mountpoint && cur.node.ino === cur.mount.root.ino) {
    cur = cur.mount.mountpoint;
    if (sameLocation(cur, ctx.root)) return cur;
  }
  // A covered directory's parent is the covered parent (as Linux), so no crossDown here.
  const mount = cur.mount;
  const parent = mount.fs.lookup(cur.node, "..");
  if (isPromise(parent)) return parent.then((node) => parentLocation(mount, node));
  return parentLocation(mount, parent);
}

function parentLocation(mount: Location["mount"], parent: VNode | null): Location {
  if (parent === null) throw new KernelError("ENOENT");
  return { mount, node: parent };
}

/** {@link parentOfMaybe} as an operation for generator-based syscalls (`yield*`). */
export function* parentOf(ctx: WalkContext, loc: Location): Op<Location> {
  const parent = parentOfMaybe(ctx, loc);
  return isPromise(parent) ? (yield parent) as Location : parent;
}
