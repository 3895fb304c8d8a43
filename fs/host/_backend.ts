/**
 * The small set of synchronous host calls the host-directory driver is built
 * on, so one driver runs over `Deno.*Sync` or over `node:fs` (Node, Bun, and
 * Deno's own `node:fs`). A backend is chosen once, when the driver is
 * constructed.
 *
 * Backends take and return host paths and throw whatever the host throws; the
 * driver converts every host error with {@link toKernelError}.
 *
 * @module
 */

import { ERRNO_MESSAGES, type ErrnoName, KernelError } from "../../kernel/errno.ts";
import { FileType, type StatFs } from "../../kernel/types.ts";

/** Which host API a {@link HostBackend} uses. */
export type HostBackendName = "deno" | "node";

/** An open host file: a numeric fd (`node:fs`) or a `Deno.FsFile`. Only its backend may use it. */
export type HostFile = { readonly __hostFile: never; };

/** Access mode of {@link HostBackend.open}. */
export type HostAccess = "r" | "w" | "rw";

/** Host metadata, in the units the driver wants (bigint ids, nanosecond times). */
export interface HostStat {
  dev: bigint;
  /** 0 when the host has no inode numbers. */
  ino: bigint;
  type: FileType;
  /** Permission bits only. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Absent when the host does not know it. */
  birthtimeNs?: bigint;
}

/** One name of a host directory listing, with the type the listing reported. */
export interface HostDirent {
  name: string;
  type: FileType;
}

/** Synchronous host filesystem calls. Every method may throw a host error. */
export interface HostBackend {
  readonly name: HostBackendName;
  /** Whether `\` also separates path components on this host (Windows). */
  readonly backslashIsSeparator: boolean;
  /** Granularity of the access and modification times {@link lstat} reports. */
  readonly timeResolutionNs: bigint;

  realpath(path: string): string;
  /** Metadata of `path` itself: never follows a final symlink. */
  lstat(path: string): HostStat;
  /** {@link lstat}, or `null` when nothing has that name (ENOENT), without a host exception where the API allows. */
  lstatIfExists(path: string): HostStat | null;
  readdir(path: string): HostDirent[];
  readlink(path: string): string;
  mkdir(path: string, mode: number): void;
  symlink(target: string, path: string): void;
  /** Hard link; never follows `existing` if it is a symlink (Linux `link(2)`). */
  link(existing: string, path: string): void;
  /** Removes a name; the caller has checked that it is not a directory. */
  unlink(path: string): void;
  /** Removes a directory; the caller has checked that it is one. */
  rmdir(path: string): void;
  rename(from: string, to: string): void;

  /** Changes permission bits by path. Follows a final symlink: verify `path` first. */
  chmod(path: string, mode: number): void;
  /** Changes owner by path (`null` leaves a field). See {@link chownFollows}. */
  chown(path: string, uid: number | null, gid: number | null): void;
  /** Whether {@link chown} follows a final symlink. */
  readonly chownFollows: boolean;
  /** Sets times by path, in (fractional) seconds. See {@link utimesFollows}. */
  utimes(path: string, atime: number, mtime: number): void;
  /** Whether {@link utimes} follows a final symlink. */
  readonly utimesFollows: boolean;

  /**
   * Opens a regular file or directory. Backends that can, refuse a final
   * symlink (O_NOFOLLOW) and never block on a FIFO (O_NONBLOCK); the driver
   * verifies the opened inode with {@link fstat} either way.
   */
  open(path: string, access: HostAccess): HostFile;
  /** Creates a regular file exclusively (O_CREAT|O_EXCL: never through a symlink), open for writing. */
  createExclusive(path: string, mode: number): HostFile;
  fstat(file: HostFile): HostStat;
  /** Absent when the host API has no `fchmod`. */
  fchmod?(file: HostFile, mode: number): void;
  /** Absent when the host API has no `fchown`. */
  fchown?(file: HostFile, uid: number | null, gid: number | null): void;
  futimes(file: HostFile, atime: number, mtime: number): void;
  /** Positional read; returns bytes read, 0 at the end. */
  read(file: HostFile, buffer: Uint8Array, position: number): number;
  /** Positional write; returns bytes written. */
  write(file: HostFile, buffer: Uint8Array, position: number): number;
  ftruncate(file: HostFile, size: number): void;
  fsync(file: HostFile): void;
  close(file: HostFile): void;
  /** Filesystem figures, or `null` when the host API cannot tell. */
  statfs(path: string): StatFs | null;
}

/** Host error codes that are spelled differently from the kernel's names. */
const CODE_ALIASES: Readonly<Record<string, ErrnoName>> = {
  EOPNOTSUPP: "ENOTSUP",
  EWOULDBLOCK: "EAGAIN",
  EDQUOT: "ENOSPC",
  ETXTBSY: "EBUSY",
  ESTALE: "ENOENT",
  EDEADLK: "EAGAIN",
  ENOLCK: "ENOSPC",
  ERR_INVALID_ARG_VALUE: "EINVAL",
  ERR_INVALID_ARG_TYPE: "EINVAL",
  ERR_OUT_OF_RANGE: "EINVAL",
  ERR_FS_FILE_TOO_LARGE: "EFBIG",
};

/** `Deno.errors` class names, for errors that carry no `code`. */
const DENO_ERROR_NAMES: Readonly<Record<string, ErrnoName>> = {
  NotFound: "ENOENT",
  AlreadyExists: "EEXIST",
  NotADirectory: "ENOTDIR",
  IsADirectory: "EISDIR",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
  DirectoryNotEmpty: "ENOTEMPTY",
  FilesystemLoop: "ELOOP",
  BadResource: "EBADF",
  Busy: "EBUSY",
  Interrupted: "EINTR",
  WouldBlock: "EAGAIN",
  TimedOut: "ETIMEDOUT",
  NotSupported: "ENOTSUP",
  InvalidData: "EIO",
  UnexpectedEof: "EIO",
  WriteZero: "EIO",
};

/**
 * Converts anything a host call threw into a {@link KernelError} with the same
 * POSIX meaning: a {@link KernelError} is returned as is; a `code` such as
 * `"ENOENT"` (Node, Bun, Deno) is kept; a `Deno.errors` class name is mapped;
 * anything else is `EIO`.
 *
 * @example
 * ```ts
 * import { toKernelError } from "./_backend.ts";
 * console.assert(toKernelError(Object.assign(new Error("x"), { code: "ENOENT" })).code === "ENOENT");
 * console.assert(toKernelError(Object.assign(new Error("x"), { name: "AlreadyExists" })).code === "EEXIST");
 * console.assert(toKernelError(new Error("unknown")).code === "EIO");
 * ```
 */
export function toKernelError(error: unknown, detail?: string): KernelError {
  if (error instanceof KernelError) return error;
  const { code, name, message } = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  let errno: ErrnoName = "EIO";
  if (typeof code === "string" && Object.hasOwn(ERRNO_MESSAGES, code)) errno = code as ErrnoName;
  else if (typeof code === "string" && Object.hasOwn(CODE_ALIASES, code)) errno = CODE_ALIASES[code];
  else if (typeof name === "string" && Object.hasOwn(DENO_ERROR_NAMES, name)) errno = DENO_ERROR_NAMES[name];
  const text = detail ?? (typeof message === "string" ? message : undefined);
  return new KernelError(errno, text);
}

/** The {@link FileType} of a POSIX mode's type bits. */
export function fileTypeOfMode(mode: number): FileType {
  switch (mode & 0o170000) {
    case FileType.RegularFile:
      return FileType.RegularFile;
    case FileType.Directory:
      return FileType.Directory;
    case FileType.Symlink:
      return FileType.Symlink;
    case FileType.Fifo:
      return FileType.Fifo;
    case FileType.CharDevice:
      return FileType.CharDevice;
    case FileType.BlockDevice:
      return FileType.BlockDevice;
    case FileType.Socket:
      return FileType.Socket;
    default:
      return FileType.Unknown;
  }
}

/** Nanoseconds since the epoch as (fractional) seconds, the unit host `utimes` APIs take. */
export function nsToSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
