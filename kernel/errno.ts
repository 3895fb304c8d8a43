/**
 * The kernel's one error class. Kernel code and drivers throw {@link KernelError}
 * carrying a POSIX errno name; each syscall facade converts the name to its own
 * encoding exactly once (WASI numbers, gojs `code` strings).
 *
 * @module
 */

/** POSIX errno names the kernel and drivers may raise. */
export type ErrnoName =
  | "E2BIG"
  | "EACCES"
  | "EADDRINUSE"
  | "EAGAIN"
  | "EBADF"
  | "EBUSY"
  | "ECANCELED"
  | "ECONNRESET"
  | "EEXIST"
  | "EFAULT"
  | "EFBIG"
  | "EINTR"
  | "EINVAL"
  | "EIO"
  | "EISDIR"
  | "ELOOP"
  | "EMFILE"
  | "EMLINK"
  | "ENAMETOOLONG"
  | "ENFILE"
  | "ENODEV"
  | "ENOENT"
  | "ENOEXEC"
  | "ENOMEM"
  | "ENOSPC"
  | "ENOSYS"
  | "ENOTCONN"
  | "ENOTDIR"
  | "ENOTEMPTY"
  | "ENOTSOCK"
  | "ENOTSUP"
  | "ENOTTY"
  | "ENXIO"
  | "EOVERFLOW"
  | "EPERM"
  | "EPIPE"
  | "ERANGE"
  | "EROFS"
  | "ESPIPE"
  | "ESRCH"
  | "ETIMEDOUT"
  | "EXDEV";

/** Human-readable text for each errno name (Linux wording). */
export const ERRNO_MESSAGES: Readonly<Record<ErrnoName, string>> = {
  E2BIG: "argument list too long",
  EACCES: "permission denied",
  EADDRINUSE: "address already in use",
  EAGAIN: "resource temporarily unavailable",
  EBADF: "bad file descriptor",
  EBUSY: "device or resource busy",
  ECANCELED: "operation canceled",
  ECONNRESET: "connection reset by peer",
  EEXIST: "file exists",
  EFAULT: "bad address",
  EFBIG: "file too large",
  EINTR: "interrupted system call",
  EINVAL: "invalid argument",
  EIO: "input/output error",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  EMFILE: "too many open files",
  EMLINK: "too many links",
  ENAMETOOLONG: "file name too long",
  ENFILE: "too many open files in system",
  ENODEV: "no such device",
  ENOENT: "no such file or directory",
  ENOEXEC: "exec format error",
  ENOMEM: "cannot allocate memory",
  ENOSPC: "no space left on device",
  ENOSYS: "function not implemented",
  ENOTCONN: "transport endpoint is not connected",
  ENOTDIR: "not a directory",
  ENOTEMPTY: "directory not empty",
  ENOTSOCK: "socket operation on non-socket",
  ENOTSUP: "operation not supported",
  ENOTTY: "inappropriate ioctl for device",
  ENXIO: "no such device or address",
  EOVERFLOW: "value too large for defined data type",
  EPERM: "operation not permitted",
  EPIPE: "broken pipe",
  ERANGE: "numerical result out of range",
  EROFS: "read-only file system",
  ESPIPE: "illegal seek",
  ESRCH: "no such process",
  ETIMEDOUT: "connection timed out",
  EXDEV: "invalid cross-device link",
};

/**
 * An error a syscall reports to its caller. `code` is the POSIX name.
 *
 * @example
 * ```ts
 * import { KernelError } from "./errno.ts";
 * const err = new KernelError("ENOENT", "open /missing");
 * console.assert(err.code === "ENOENT");
 * console.assert(err.message === "ENOENT: no such file or directory, open /missing");
 * ```
 */
export class KernelError extends Error {
  /** The POSIX errno name, e.g. `"ENOENT"`. */
  readonly code!: ErrnoName;
  constructor(code: ErrnoName, detail?: string) {
    // Errno errors are control flow for guests (a stat of a missing file is
    // routine), and building an Error costs microseconds. So an error without
    // detail is one shared, frozen instance per code, created without a stack.
    if (detail === undefined) {
      const shared = SHARED.get(code);
      if (shared) return shared;
    }
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${code}: ${ERRNO_MESSAGES[code]}${detail ? `, ${detail}` : ""}`);
    Error.stackTraceLimit = limit;
    this.name = "KernelError";
    this.code = code;
    if (detail === undefined) SHARED.set(code, Object.freeze(this));
  }
}

const SHARED = new Map<ErrnoName, KernelError>();

/**
 * Whether `value` is a {@link KernelError} (optionally with the given code).
 *
 * @example
 * ```ts
 * import { isKernelError, KernelError } from "./errno.ts";
 * console.assert(isKernelError(new KernelError("EBADF"), "EBADF"));
 * console.assert(!isKernelError(new Error("x")));
 * ```
 */
export function isKernelError(value: unknown, code?: ErrnoName): value is KernelError {
  return value instanceof KernelError && (code === undefined || value.code === code);
}

/** Throws a {@link KernelError}; handy in expression position. */
export function fail(code: ErrnoName, detail?: string): never {
  throw new KernelError(code, detail);
}
