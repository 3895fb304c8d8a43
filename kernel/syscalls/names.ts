/**
 * Operations on names: mkdirat, unlinkat, renameat, linkat, symlinkat,
 * readlinkat. Each resolves its final component without following it (as
 * Linux's filename_parentat does) and checks errors in Linux's order, which
 * the property tests compare against a model and the host.
 *
 * @module
 */

import { isPromise, type Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import type { Process } from "../process.ts";
import { AT, FileType, type Maybe, type Stat } from "../types.ts";
import { type Location, sameLocation } from "../vfs/mount_table.ts";
import { parentOf, walk, type Walked, walkMaybe, type WalkOptions } from "../vfs/namei.ts";
import { syscall } from "./_common.ts";

/** Path options for the name operations. */
export interface NameOptions {
  /** Resolve beneath the directory fd only (WASI). */
  beneath?: boolean;
}

/** `.`, `..` or `/`: a final component that is not a name (Linux: not LAST_NORM). */
function notAName(name: string): boolean {
  return name.length <= 2 && (name === "." || name === ".." || name === "/");
}

/** True when the target is the root of a mount stacked on the walked name (a mount point). */
function isMountPoint(w: Walked): boolean {
  return w.target !== null && w.target.mount !== w.dir.mount;
}

const LAST_NAME: WalkOptions = { follow: false, lastName: true, beneath: false };
const LAST_NAME_BENEATH: WalkOptions = { follow: false, lastName: true, beneath: true };

/** Walks to the final name of `path` without following it. */
function lastName(proc: Process, dirfd: number, path: string, beneath?: boolean): Op<Walked> {
  return walk(proc, proc.at(dirfd), path, { follow: false, lastName: true, beneath });
}

/** A directory removed while still in use (a cwd, an open fd) has no links: names cannot be made in it. */
function* isDead(dir: Location): Op<boolean> {
  return ((yield dir.mount.fs.stat(dir.node)) as Stat).nlink === 0;
}

/** Whether `ancestor` is `loc` or one of its parents (within the process's view). */
function* isAncestorOrSelf(proc: Process, ancestor: Location, loc: Location): Op<boolean> {
  let cur = loc;
  for (let depth = 0; depth < 4096; depth++) {
    if (sameLocation(cur, ancestor)) return true;
    const up = yield* parentOf(proc, cur);
    if (sameLocation(up, cur)) return false;
    cur = up;
  }
  return false;
}

/** Creates a directory. Errors: EEXIST, ENOENT, ENOTDIR, EROFS, ENOSPC. */
export const mkdirat: (
  proc: Process,
  dirfd: number,
  path: string,
  mode: number,
  options?: NameOptions,
) => Maybe<void> = syscall(
  function*(proc: Process, dirfd: number, path: string, mode: number, options: NameOptions = {}) {
    const w = yield* lastName(proc, dirfd, path, options.beneath);
    if (w.target || notAName(w.name)) throw new KernelError("EEXIST");
    yield w.dir.mount.fs.mkdir(w.dir.node, w.name, mode & ~proc.umask & 0o7777);
  },
);

/**
 * Removes a name; with AT_REMOVEDIR an empty directory. Errors: ENOENT,
 * EISDIR (a directory without AT_REMOVEDIR), ENOTDIR, ENOTEMPTY, EINVAL
 * (removing "."), EBUSY (the root or a mount point), EROFS.
 */
export const unlinkat: (
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  options?: NameOptions,
) => Maybe<
  void
> = (proc: Process, dirfd: number, path: string, flags: number, options: NameOptions = {}) => {
  if (flags & ~AT.REMOVEDIR) throw new KernelError("EINVAL");
  const w = walkMaybe(proc, proc.at(dirfd), path, options.beneath === true ? LAST_NAME_BENEATH : LAST_NAME);
  return isPromise(w) ? w.then((walked) => unlinkWalked(walked, flags)) : unlinkWalked(w, flags);
};

function unlinkWalked(w: Walked, flags: number): Maybe<void> {
  if (flags & AT.REMOVEDIR) {
    if (w.name === ".") throw new KernelError("EINVAL");
    if (w.name === "..") throw new KernelError("ENOTEMPTY");
    if (w.name === "/") throw new KernelError("EBUSY");
    if (!w.target) throw new KernelError("ENOENT");
    if (w.target.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (isMountPoint(w)) throw new KernelError("EBUSY");
    return done(w.dir.mount.fs.rmdir(w.dir.node, w.name));
  }
  if (notAName(w.name)) throw new KernelError("EISDIR");
  if (!w.target) throw new KernelError("ENOENT");
  if (w.target.node.type === FileType.Directory) throw new KernelError("EISDIR");
  if (w.trailingSlash) throw new KernelError("ENOTDIR");
  return done(w.dir.mount.fs.unlink(w.dir.node, w.name));
}

/** A driver's answer as the syscall's: nothing, once it settled. */
function done(result: Maybe<unknown>): Maybe<void> {
  if (isPromise(result)) return result.then(() => {});
}

/**
 * Renames `oldPath` to `newPath`, replacing a file, or an empty directory by a
 * directory. Errors: EBUSY (".", "..", "/", a mount point), EXDEV (across
 * mounts), ENOENT, ENOTDIR, EISDIR, ENOTEMPTY (also when the target is an
 * ancestor of the source), EINVAL (a directory into its own subtree), EROFS.
 */
export const renameat: (
  proc: Process,
  oldDirfd: number,
  oldPath: string,
  newDirfd: number,
  newPath: string,
  options?: NameOptions,
) => Maybe<void> = syscall(
  function*(
    proc: Process,
    oldDirfd: number,
    oldPath: string,
    newDirfd: number,
    newPath: string,
    options: NameOptions = {},
  ) {
    const from = yield* lastName(proc, oldDirfd, oldPath, options.beneath);
    const to = yield* lastName(proc, newDirfd, newPath, options.beneath);
    if (notAName(from.name) || notAName(to.name)) throw new KernelError("EBUSY");
    if (from.dir.mount !== to.dir.mount) throw new KernelError("EXDEV");
    if (!from.target) throw new KernelError("ENOENT");
    if (!to.target && (yield* isDead(to.dir))) throw new KernelError("ENOENT");
    const isDir = from.target.node.type === FileType.Directory;
    if (!isDir && (from.trailingSlash || to.trailingSlash)) throw new KernelError("ENOTDIR");
    if (isDir && (yield* isAncestorOrSelf(proc, from.target, to.dir))) throw new KernelError("EINVAL");
    if (to.target?.node.type === FileType.Directory && (yield* isAncestorOrSelf(proc, to.target, from.dir))) {
      throw new KernelError("ENOTEMPTY");
    }
    if (isMountPoint(from) || isMountPoint(to)) throw new KernelError("EBUSY");
    yield from.dir.mount.fs.rename(from.dir.node, from.name, to.dir.node, to.name);
  },
);

/** Checks the new name of link and symlink as Linux's filename_create: EEXIST, or ENOENT for a trailing slash. */
function* newName(w: Walked): Op<void> {
  if (w.target || notAName(w.name)) throw new KernelError("EEXIST");
  if (w.trailingSlash) throw new KernelError("ENOENT");
  if (yield* isDead(w.dir)) throw new KernelError("ENOENT");
}

/**
 * Adds a hard link `newPath` to the file `oldPath` (AT_SYMLINK_FOLLOW follows a
 * final symlink in `oldPath`). Errors: ENOENT, EEXIST, EXDEV, EPERM (a
 * directory), EROFS.
 */
export const linkat: (
  proc: Process,
  oldDirfd: number,
  oldPath: string,
  newDirfd: number,
  newPath: string,
  flags: number,
  options?: NameOptions,
) => Maybe<void> = syscall(
  function*(
    proc: Process,
    oldDirfd: number,
    oldPath: string,
    newDirfd: number,
    newPath: string,
    flags: number,
    options: NameOptions = {},
  ) {
    if (flags & ~AT.SYMLINK_FOLLOW) throw new KernelError("EINVAL");
    const from = yield* walk(proc, proc.at(oldDirfd), oldPath, {
      follow: (flags & AT.SYMLINK_FOLLOW) !== 0,
      beneath: options.beneath,
    });
    if (!from.target) throw new KernelError("ENOENT");
    const to = yield* lastName(proc, newDirfd, newPath, options.beneath);
    yield* newName(to);
    if (from.target.mount !== to.dir.mount) throw new KernelError("EXDEV");
    if (from.target.node.type === FileType.Directory) throw new KernelError("EPERM");
    yield to.dir.mount.fs.link(to.dir.node, to.name, from.target.node);
  },
);

/** Creates a symbolic link at `linkPath` holding `target`. Errors: ENOENT, EEXIST, EROFS. */
export const symlinkat: (
  proc: Process,
  target: string,
  dirfd: number,
  linkPath: string,
  options?: NameOptions,
) => Maybe<void> = syscall(
  function*(proc: Process, target: string, dirfd: number, linkPath: string, options: NameOptions = {}) {
    if (target === "") throw new KernelError("ENOENT");
    if (target.includes("\0")) throw new KernelError("EINVAL");
    const w = yield* lastName(proc, dirfd, linkPath, options.beneath);
    yield* newName(w);
    yield w.dir.mount.fs.symlink(w.dir.node, w.name, target);
  },
);

/** The target of the symlink at `path`. Errors: ENOENT, EINVAL (not a symlink). */
export const readlinkat: (
  proc: Process,
  dirfd: number,
  path: string,
  options?: NameOptions,
) => Maybe<string> = syscall(
  function*(proc: Process, dirfd: number, path: string, options: NameOptions = {}): Op<string> {
    const w = yield* walk(proc, proc.at(dirfd), path, { follow: false, beneath: options.beneath });
    if (!w.target) throw new KernelError("ENOENT");
    if (w.target.node.type !== FileType.Symlink) throw new KernelError("EINVAL");
    return (yield w.target.mount.fs.readlink(w.target.node)) as string;
  },
);
