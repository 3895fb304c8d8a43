/**
 * openat: the one way files and directories become fds.
 *
 * @module
 */

import type { Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import { OpenFile } from "../open_file.ts";
import type { Process } from "../process.ts";
import { FileType, O } from "../types.ts";
import type { FileHandle, VNode } from "../vfs/driver.ts";
import type { Location } from "../vfs/mount_table.ts";
import { walk } from "../vfs/namei.ts";
import { syscall } from "./_common.ts";
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

function* openatOp(
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  mode = 0o666,
  options: OpenOptions = {},
): Op<number> {
  const accmode = flags & O.ACCMODE;
  if (accmode === O.ACCMODE) throw new KernelError("EINVAL");
  const create = (flags & O.CREAT) !== 0;
  const exclusive = create && (flags & O.EXCL) !== 0;
  const start = proc.at(dirfd);
  if (create && path.endsWith("/")) {
    // Linux: O_CREAT with a trailing slash after a name is EISDIR once the parent resolves
    // ("." , ".." and "/" go on to the usual EEXIST / EISDIR checks below).
    const last = yield* walk(proc, start, path, { follow: false, lastName: true, beneath: options.beneath });
    if (last.name !== "." && last.name !== ".." && last.name !== "/") throw new KernelError("EISDIR");
  }
  const walked = yield* walk(proc, start, path, {
    follow: (flags & O.NOFOLLOW) === 0 && !exclusive,
    beneath: options.beneath,
  });
  let target = walked.target;
  let created = false;
  if (!target) {
    if (!create) throw new KernelError("ENOENT");
    if (walked.trailingSlash || (flags & O.DIRECTORY)) throw new KernelError("EISDIR");
    const dir = walked.dir;
    const node = (yield dir.mount.fs.create(dir.node, walked.name, mode & ~proc.umask & 0o7777)) as VNode;
    target = { mount: dir.mount, node };
    created = true;
  } else if (exclusive) {
    throw new KernelError("EEXIST");
  }
  const node = target.node;
  if (node.type === FileType.Symlink) throw new KernelError(flags & O.DIRECTORY ? "ENOTDIR" : "ELOOP");
  if ((flags & O.DIRECTORY) && node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
  if (node.type === FileType.Directory && (accmode !== O.RDONLY || create)) throw new KernelError("EISDIR");
  if (isFdAlias(node)) return dup(proc, node.fdAlias);

  const handle = (yield target.mount.fs.open(node, flags)) as FileHandle;
  if ((flags & O.TRUNC) && accmode !== O.RDONLY && !created && node.type === FileType.RegularFile) {
    yield target.mount.fs.truncate(handle, 0);
  }
  return install(proc, target, handle, flags & ~OPEN_ONLY_FLAGS, path);
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
) => number | Promise<number> = syscall(openatOp);
