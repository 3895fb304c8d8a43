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

import type { Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import { FileType, LIMITS } from "../types.ts";
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

/** Splits a path into components, validating lengths. */
function components(path: string): string[] {
  if (path.length > LIMITS.PATH_MAX && byteLength(path) >= LIMITS.PATH_MAX) {
    throw new KernelError("ENAMETOOLONG");
  }
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "") continue;
    if (part.length > LIMITS.NAME_MAX / 4 && byteLength(part) > LIMITS.NAME_MAX) {
      throw new KernelError("ENAMETOOLONG");
    }
    parts.push(part);
  }
  return parts;
}

/**
 * Resolves `path` starting at `start` (ignored for absolute paths).
 *
 * Errors: ENOENT (missing intermediate component, empty path, empty symlink),
 * ENOTDIR (a non-directory used as a directory, or a trailing slash on a
 * non-directory), ELOOP (more than 40 symlinks), ENAMETOOLONG, EPERM (a beneath
 * walk that would leave its start), EINVAL (NUL in the path).
 */
export function* walk(ctx: WalkContext, start: Location, path: string, options: WalkOptions): Op<Walked> {
  if (path === "") throw new KernelError("ENOENT");
  if (path.includes("\0")) throw new KernelError("EINVAL");
  const beneath = options.beneath === true && !sameLocation(start, ctx.root);
  const absolute = path.charCodeAt(0) === 47;
  if (absolute && beneath) throw new KernelError("EPERM", "absolute path in a beneath walk");
  let trailingSlash = path.charCodeAt(path.length - 1) === 47;

  // Components still to walk, last first (so pop() yields the next one).
  const pending = components(path).reverse();
  let cur = absolute ? ctx.root : start;
  let depth = 0;
  let symlinks = 0;

  if (pending.length === 0) {
    // "/" or "///": the root itself.
    return { dir: cur, name: "/", target: cur, trailingSlash: true };
  }

  for (;;) {
    const name = pending.pop()!;
    const final = pending.length === 0;

    if (name === ".") {
      if (cur.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
      if (final) return { dir: cur, name: ".", target: cur, trailingSlash };
      continue;
    }

    if (name === "..") {
      if (cur.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
      if (beneath && depth === 0) throw new KernelError("EPERM", "path escapes its directory");
      cur = yield* parentOf(ctx, cur);
      if (depth > 0) depth--;
      if (final) return { dir: cur, name: "..", target: cur, trailingSlash };
      continue;
    }

    if (cur.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    let child: VNode | null;
    try {
      child = (yield cur.mount.fs.lookup(cur.node, name)) as VNode | null;
    } catch (error) {
      if (!(error instanceof KernelError && error.code === "ENOENT")) throw error;
      child = null;
    }
    if (child === null) {
      if (final) return { dir: cur, name, target: null, trailingSlash };
      throw new KernelError("ENOENT");
    }
    const next: Location = ctx.mounts.crossDown({ mount: cur.mount, node: child });

    const followFinal = options.lastName ? false : options.follow || trailingSlash;
    if (next.node.type === FileType.Symlink && (!final || followFinal)) {
      if (++symlinks > LIMITS.SYMLOOP_MAX) throw new KernelError("ELOOP");
      const target = (yield next.mount.fs.readlink(next.node)) as string;
      if (target === "") throw new KernelError("ENOENT");
      const parts = components(target);
      if (final && target.charCodeAt(target.length - 1) === 47) trailingSlash = true;
      if (target.charCodeAt(0) === 47) {
        if (beneath) throw new KernelError("EPERM", "absolute symlink in a beneath walk");
        cur = ctx.root;
        depth = 0;
      }
      if (parts.length === 0) {
        // The link points at "/".
        if (final) return { dir: cur, name: "/", target: cur, trailingSlash: true };
        continue;
      }
      for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]);
      continue;
    }

    if (final) {
      if (trailingSlash && !options.lastName && next.node.type !== FileType.Directory) {
        throw new KernelError("ENOTDIR");
      }
      return { dir: cur, name, target: next, trailingSlash };
    }
    cur = next;
    depth++;
  }
}

/** The parent of directory `loc`: never above the process root, crossing up out of mounts. */
export function* parentOf(ctx: WalkContext, loc: Location): Op<Location> {
  let cur = loc;
  if (sameLocation(cur, ctx.root)) return cur;
  // At the root of a mount: continue from the mount point in the parent mount.
  while (cur.mount.mountpoint && cur.node.ino === cur.mount.root.ino) {
    cur = cur.mount.mountpoint;
    if (sameLocation(cur, ctx.root)) return cur;
  }
  // A covered directory's parent is the covered parent (as Linux), so no crossDown here.
  const parent = (yield cur.mount.fs.lookup(cur.node, "..")) as VNode | null;
  if (parent === null) throw new KernelError("ENOENT");
  return { mount: cur.mount, node: parent };
}
