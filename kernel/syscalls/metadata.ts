/**
 * File metadata: fstat, fstatat, utimensat, futimens, fchmod(at), fchown(at), statfs.
 *
 * @module
 */

import { isPromise, type Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import type { Process } from "../process.ts";
import { AT, type Maybe, type SetAttr, type Stat, type StatFs, UTIME } from "../types.ts";
import type { Location } from "../vfs/mount_table.ts";
import { type Walked, walkMaybe } from "../vfs/namei.ts";
import { statAt, streamStat, syscall } from "./_common.ts";

/** Path options shared by the `*at` metadata calls. */
export interface AtOptions {
  /** Resolve beneath `dirfd` only (WASI). */
  beneath?: boolean;
}

function locateMaybe(
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  options: AtOptions,
): Maybe<Location> {
  if (path === "" && (flags & AT.EMPTY_PATH)) {
    if (dirfd === AT.FDCWD) return proc.cwd;
    const file = proc.fds.get(dirfd);
    if (!file.location) throw new KernelError("EBADF");
    return file.location;
  }
  const w = walkMaybe(proc, proc.at(dirfd), path, {
    follow: (flags & AT.SYMLINK_NOFOLLOW) === 0,
    beneath: options.beneath,
  });
  return isPromise(w) ? w.then(targetOf) : targetOf(w);
}

function targetOf(w: Walked): Location {
  if (!w.target) throw new KernelError("ENOENT");
  return w.target;
}

function* locate(
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  options: AtOptions,
): Op<Location> {
  const loc = locateMaybe(proc, dirfd, path, flags, options);
  return isPromise(loc) ? (yield loc) as Location : loc;
}

/** Metadata of the file open at `fd`. Errors: EBADF. */
export function fstat(proc: Process, fd: number): Maybe<Stat> {
  const file = proc.fds.get(fd);
  if (file.stream) return streamStat(proc, file);
  return statAt(file.location!);
}

/**
 * Metadata of `path` (AT_SYMLINK_NOFOLLOW: of a symlink itself). Errors:
 * ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EBADF.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { fstatat } from "./metadata.ts";
 * const proc = createKernel().createProcess();
 * const st = fstatat(proc, -100, "/", 0);
 * ```
 */
export const fstatat: (
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  options?: AtOptions,
) => Maybe<Stat> = (proc: Process, dirfd: number, path: string, flags: number, options: AtOptions = {}) => {
  const loc = locateMaybe(proc, dirfd, path, flags, options);
  return isPromise(loc) ? loc.then(statAt) : statAt(loc);
};

function* setTimes(proc: Process, loc: Location, atimeNs: bigint, mtimeNs: bigint): Op<void> {
  const now = proc.kernel.clock.now(0);
  const attr: SetAttr = {};
  if (atimeNs !== UTIME.OMIT) attr.atimeNs = atimeNs === UTIME.NOW ? now : checkTime(atimeNs);
  if (mtimeNs !== UTIME.OMIT) attr.mtimeNs = mtimeNs === UTIME.NOW ? now : checkTime(mtimeNs);
  if (attr.atimeNs === undefined && attr.mtimeNs === undefined) return;
  yield loc.mount.fs.setattr(loc.node, attr);
}

/** Times before 1970 are negative and fine; beyond ±2^63 ns no filesystem can hold them. */
function checkTime(ns: bigint): bigint {
  if (ns < -(1n << 63n) || ns >= 1n << 63n) throw new KernelError("EINVAL");
  return ns;
}

/**
 * Sets access and modification times in nanoseconds; `UTIME.NOW` and
 * `UTIME.OMIT` as in POSIX. Errors: ENOENT, EINVAL, EROFS.
 */
export const utimensat: (
  proc: Process,
  dirfd: number,
  path: string,
  atimeNs: bigint,
  mtimeNs: bigint,
  flags: number,
  options?: AtOptions,
) => Maybe<void> = syscall(
  function*(
    proc: Process,
    dirfd: number,
    path: string,
    atimeNs: bigint,
    mtimeNs: bigint,
    flags: number,
    options: AtOptions = {},
  ) {
    yield* setTimes(proc, yield* locate(proc, dirfd, path, flags, options), atimeNs, mtimeNs);
  },
);

/** {@link utimensat} on an open fd. Errors: EBADF, EINVAL (streams). */
export const futimens: (proc: Process, fd: number, atimeNs: bigint, mtimeNs: bigint) => Maybe<void> = syscall(
  function*(proc: Process, fd: number, atimeNs: bigint, mtimeNs: bigint) {
    const file = proc.fds.get(fd);
    if (!file.location) throw new KernelError("EINVAL");
    yield* setTimes(proc, file.location, atimeNs, mtimeNs);
  },
);

/** Sets permission bits of `path`. Errors: ENOENT, EROFS. */
export const fchmodat: (
  proc: Process,
  dirfd: number,
  path: string,
  mode: number,
  flags: number,
) => Maybe<void> = syscall(
  function*(proc: Process, dirfd: number, path: string, mode: number, flags: number) {
    const loc = yield* locate(proc, dirfd, path, flags, {});
    yield loc.mount.fs.setattr(loc.node, { mode: mode & 0o7777 });
  },
);

/** Sets permission bits of an open file. Errors: EBADF, EINVAL (streams). */
export function fchmod(proc: Process, fd: number, mode: number): Maybe<void> {
  const file = proc.fds.get(fd);
  if (!file.location) throw new KernelError("EINVAL");
  return file.location.mount.fs.setattr(file.location.node, { mode: mode & 0o7777 });
}

/** Sets owner and group of `path` (-1 leaves one unchanged). Errors: ENOENT, EROFS. */
export const fchownat: (
  proc: Process,
  dirfd: number,
  path: string,
  uid: number,
  gid: number,
  flags: number,
) => Maybe<void> = syscall(
  function*(proc: Process, dirfd: number, path: string, uid: number, gid: number, flags: number) {
    const loc = yield* locate(proc, dirfd, path, flags, {});
    yield loc.mount.fs.setattr(loc.node, owner(uid, gid));
  },
);

/** Sets owner and group of an open file. Errors: EBADF, EINVAL. */
export function fchown(proc: Process, fd: number, uid: number, gid: number): Maybe<void> {
  const file = proc.fds.get(fd);
  if (!file.location) throw new KernelError("EINVAL");
  return file.location.mount.fs.setattr(file.location.node, owner(uid, gid));
}

function owner(uid: number, gid: number): SetAttr {
  const attr: SetAttr = {};
  if (uid !== -1 && uid !== 0xffffffff) attr.uid = uid >>> 0;
  if (gid !== -1 && gid !== 0xffffffff) attr.gid = gid >>> 0;
  return attr;
}

/** Filesystem figures for the mount holding `fd`. Errors: EBADF, EINVAL (streams). */
export function fstatfs(proc: Process, fd: number): Maybe<StatFs> {
  const file = proc.fds.get(fd);
  if (!file.location) throw new KernelError("EINVAL");
  return file.location.mount.fs.statfs();
}
