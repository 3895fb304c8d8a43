/**
 * openat: the one way files and directories become fds.
 *
 * @module
 */

import { isPromise } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import { OpenFile } from "../open_file.ts";
import type { Process } from "../process.ts";
import { FileType, type Maybe, O } from "../types.ts";
import type { FileHandle, VNode } from "../vfs/driver.ts";
import type { Location } from "../vfs/mount_table.ts";
import { type Walked, walkMaybe, type WalkOptions } from "../vfs/namei.ts";
import { dup } from "./fd_ops.ts";

/** A device node that stands for one of the opening process's fds (`/dev/stdin` and friends). */
export interface FdAliasNode extends VNode {
  readonly fdAlias: number;
}

function isFdAlias(node: VNode): node is FdAliasNode {
  return typeof (node as Partial<FdAliasNode>).fdAlias === "number";
}

/** Options {@link openat} takes beyond POSIX. */
export interface OpenOptions {
  /** Resolve beneath `dirfd` only (WASI): escapes are EPERM. */
  beneath?: boolean;
}

const OPEN_ONLY_FLAGS = O.CREAT | O.EXCL | O.TRUNC | O.NOCTTY;

function openatMaybe(
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  mode = 0o666,
  options: OpenOptions = {},
): Maybe<number> {
  const accmode = flags & O.ACCMODE;
  if (accmode === O.ACCMODE) throw new KernelError("EINVAL");
  const create = (flags & O.CREAT) !== 0;
  const exclusive = create && (flags & O.EXCL) !== 0;
  const start = proc.at(dirfd);
  return openWalk(proc, start, path, flags, mode, options, exclusive);
}

// The eight option sets openat walks with, made once. With `create` (O_CREAT) the walker
// answers EISDIR for a final name that must be a directory (a trailing slash, also one
// that a final symlink's target ends with), before looking it up, as Linux does.
const WALK_OPTIONS: readonly WalkOptions[] = [false, true].flatMap((create) =>
  [false, true].flatMap((beneath) => [false, true].map((follow) => ({ follow, beneath, create })))
);

function walkOptions(follow: boolean, beneath: boolean, create: boolean): WalkOptions {
  return WALK_OPTIONS[(follow ? 1 : 0) + (beneath ? 2 : 0) + (create ? 4 : 0)];
}

function openWalk(
  proc: Process,
  start: Location,
  path: string,
  flags: number,
  mode: number,
  options: OpenOptions,
  exclusive: boolean,
): Maybe<number> {
  const follow = (flags & O.NOFOLLOW) === 0 && !exclusive;
  const create = (flags & O.CREAT) !== 0;
  const walked = walkMaybe(proc, start, path, walkOptions(follow, options.beneath === true, create));
  if (isPromise(walked)) return walked.then((w) => openWalked(proc, w, path, flags, mode, exclusive));
  return openWalked(proc, walked, path, flags, mode, exclusive);
}

function openWalked(
  proc: Process,
  walked: Walked,
  path: string,
  flags: number,
  mode: number,
  exclusive: boolean,
): Maybe<number> {
  const target = walked.target;
  if (!target) {
    if ((flags & O.CREAT) === 0) throw new KernelError("ENOENT");
    if (walked.trailingSlash || (flags & O.DIRECTORY)) throw new KernelError("EISDIR");
    const dir = walked.dir;
    const node = dir.mount.fs.create(dir.node, walked.name, mode & ~proc.umask & 0o7777);
    if (isPromise(node)) {
      return node.then((n) => openTarget(proc, { mount: dir.mount, node: n }, true, path, flags));
    }
    return openTarget(proc, { mount: dir.mount, node }, true, path, flags);
  }
  if (exclusive) throw new KernelError("EEXIST");
  return openTarget(proc, target, false, path, flags);
}

function openTarget(
  proc: Process,
  target: Location,
  created: boolean,
  path: string,
  flags: number,
): Maybe<number> {
  const accmode = flags & O.ACCMODE;
  const node = target.node;
  if (node.type === FileType.Symlink) throw new KernelError(flags & O.DIRECTORY ? "ENOTDIR" : "ELOOP");
  if ((flags & O.DIRECTORY) && node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
  if (node.type === FileType.Directory && (accmode !== O.RDONLY || (flags & O.CREAT))) {
    throw new KernelError("EISDIR");
  }
  if (isFdAlias(node)) return dup(proc, node.fdAlias);

  const opened = target.mount.fs.open(node, flags);
  const truncate = (flags & O.TRUNC) !== 0 && accmode !== O.RDONLY && !created
    && node.type === FileType.RegularFile;
  if (!truncate && !isPromise(opened)) return install(proc, target, opened, flags & ~OPEN_ONLY_FLAGS, path);
  const finish = (handle: FileHandle): Maybe<number> => {
    if (!truncate) return install(proc, target, handle, flags & ~OPEN_ONLY_FLAGS, path);
    const truncated = target.mount.fs.truncate(handle, 0);
    if (isPromise(truncated)) {
      return truncated.then(() => install(proc, target, handle, flags & ~OPEN_ONLY_FLAGS, path));
    }
    return install(proc, target, handle, flags & ~OPEN_ONLY_FLAGS, path);
  };
  return isPromise(opened) ? opened.then(finish) : finish(opened);
}

function install(proc: Process, target: Location, handle: FileHandle, flags: number, path: string): number {
  const file = new OpenFile(target, handle, null, flags, path);
  try {
    const fd = proc.fds.allocate(file);
    target.mount.refs++;
    return fd;
  } catch (error) {
    const closed = target.mount.fs.close(handle);
    if (closed instanceof Promise) closed.catch(() => {});
    throw error;
  }
}

/**
 * Opens `path` relative to `dirfd` (AT_FDCWD = -100 for the cwd) and returns
 * the lowest free fd. `flags` are kernel `O` values; `mode` is masked by the
 * umask. Errors: ENOENT, EEXIST (O_CREAT|O_EXCL), ENOTDIR, EISDIR (a directory
 * opened for writing or created with a trailing slash), ELOOP (O_NOFOLLOW on a
 * symlink, or too many links), EMFILE, EROFS, EPERM (a beneath escape), EBADF.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { O } from "../types.ts";
 * import { openat } from "./open.ts";
 * const proc = createKernel().createProcess();
 * const fd = openat(proc, -100, "/hello.txt", O.CREAT | O.WRONLY, 0o644);
 * console.assert(fd === 0);
 * ```
 */
export const openat: (
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  mode?: number,
  options?: OpenOptions,
) => number | Promise<number> = openatMaybe;
