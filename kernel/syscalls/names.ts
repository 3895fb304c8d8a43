/**
 * Operations on names: mkdirat, unlinkat, renameat, linkat, symlinkat, readlinkat.
 *
 * @module
 */

import type { Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import type { Process } from "../process.ts";
import { AT, FileType, type Maybe } from "../types.ts";
import { walk, type Walked } from "../vfs/namei.ts";
import { syscall } from "./_common.ts";

/** Path options for the name operations. */
export interface NameOptions {
  /** Resolve beneath the directory fd only (WASI). */
  beneath?: boolean;
}

function isDots(name: string): boolean {
  return name === "." || name === "..";
}

/** True when the target is the root of a mount stacked on the walked name (a mount point). */
function isMountPoint(w: Walked): boolean {
  return w.target !== null && w.target.mount !== w.dir.mount;
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
    const w = yield* walk(proc, proc.at(dirfd), path, { follow: false, beneath: options.beneath });
    if (w.target || isDots(w.name)) throw new KernelError("EEXIST");
    yield w.dir.mount.fs.mkdir(w.dir.node, w.name, mode & ~proc.umask & 0o7777);
  },
);

/**
 * Removes a name; with AT_REMOVEDIR an empty directory. Errors: ENOENT,
 * EISDIR (a directory without AT_REMOVEDIR), ENOTDIR, ENOTEMPTY, EINVAL
 * (removing "."), EBUSY (a mount point), EROFS.
 */
export const unlinkat: (
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  options?: NameOptions,
) => Maybe<
  void
> = syscall(function*(proc: Process, dirfd: number, path: string, flags: number, options: NameOptions = {}) {
  if (flags & ~AT.REMOVEDIR) throw new KernelError("EINVAL");
  const w = yield* walk(proc, proc.at(dirfd), path, { follow: false, beneath: options.beneath });
  if (flags & AT.REMOVEDIR) {
    if (w.name === ".") throw new KernelError("EINVAL");
    if (w.name === "..") throw new KernelError("ENOTEMPTY");
    if (!w.target) throw new KernelError("ENOENT");
    if (w.target.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (isMountPoint(w)) throw new KernelError("EBUSY");
    yield w.dir.mount.fs.rmdir(w.dir.node, w.name);
    return;
  }
  if (!w.target) throw new KernelError("ENOENT");
  if (w.target.node.type === FileType.Directory) throw new KernelError("EISDIR");
  yield w.dir.mount.fs.unlink(w.dir.node, w.name);
});

/**
 * Renames `oldPath` to `newPath`, replacing a file, or an empty directory by a
 * directory. Errors: ENOENT, EXDEV (across mounts), ENOTDIR, EISDIR,
 * ENOTEMPTY, EINVAL (a directory into its own subtree), EBUSY (".", "..", a
 * mount point), EROFS.
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
    const from = yield* walk(proc, proc.at(oldDirfd), oldPath, { follow: false, beneath: options.beneath });
    const to = yield* walk(proc, proc.at(newDirfd), newPath, { follow: false, beneath: options.beneath });
    if (!from.target) throw new KernelError("ENOENT");
    if (isDots(from.name) || isDots(to.name)) throw new KernelError("EBUSY");
    const isDir = from.target.node.type === FileType.Directory;
    if (!isDir && (from.trailingSlash || to.trailingSlash)) throw new KernelError("ENOTDIR");
    if (from.dir.mount !== to.dir.mount) throw new KernelError("EXDEV");
    if (isMountPoint(from) || isMountPoint(to)) throw new KernelError("EBUSY");
    yield from.dir.mount.fs.rename(from.dir.node, from.name, to.dir.node, to.name);
  },
);

/**
 * Adds a hard link `newPath` to the file `oldPath` (AT_SYMLINK_FOLLOW follows a
 * final symlink in `oldPath`). Errors: ENOENT, EEXIST, EPERM (a directory),
 * EXDEV, EROFS.
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
    if (from.target.node.type === FileType.Directory) throw new KernelError("EPERM");
    const to = yield* walk(proc, proc.at(newDirfd), newPath, { follow: false, beneath: options.beneath });
    if (to.target || isDots(to.name)) throw new KernelError("EEXIST");
    if (to.trailingSlash) throw new KernelError("ENOENT");
    if (from.target.mount !== to.dir.mount) throw new KernelError("EXDEV");
    yield to.dir.mount.fs.link(to.dir.node, to.name, from.target.node);
  },
);

/** Creates a symbolic link at `linkPath` holding `target`. Errors: EEXIST, ENOENT, EROFS. */
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
    const w = yield* walk(proc, proc.at(dirfd), linkPath, { follow: false, beneath: options.beneath });
    if (w.target || isDots(w.name)) throw new KernelError("EEXIST");
    if (w.trailingSlash) throw new KernelError("ENOENT");
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
