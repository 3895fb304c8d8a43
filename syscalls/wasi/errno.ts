/**
 * The one place where errors become WASI errno numbers: {@link WASI_ERRNO}
 * maps every kernel errno name, and {@link errnoOf} converts anything thrown.
 * Unknown errors become EIO; no host exception ever escapes an import (the
 * only thing that crosses the wasm boundary is {@link WasiExit}, on purpose).
 *
 * @module
 */

import { type ErrnoName, KernelError } from "../../kernel/errno.ts";
import { ERRNO } from "./abi.ts";

/**
 * POSIX errno name → WASI errno number. Typed as a complete record, so a new
 * kernel errno name fails to compile until it is mapped here.
 *
 * `EPERM` (a beneath walk escaping its directory, an absolute symlink) maps to
 * ERRNO_PERM (63), which Go reads as `ErrPermission`; ERRNO_NOTCAPABLE is not used.
 */
export const WASI_ERRNO: Readonly<Record<ErrnoName, number>> = {
  E2BIG: ERRNO["2BIG"],
  EACCES: ERRNO.ACCES,
  EADDRINUSE: ERRNO.ADDRINUSE,
  EAGAIN: ERRNO.AGAIN,
  EBADF: ERRNO.BADF,
  EBUSY: ERRNO.BUSY,
  ECANCELED: ERRNO.CANCELED,
  ECONNRESET: ERRNO.CONNRESET,
  EEXIST: ERRNO.EXIST,
  EFAULT: ERRNO.FAULT,
  EFBIG: ERRNO.FBIG,
  EINTR: ERRNO.INTR,
  EINVAL: ERRNO.INVAL,
  EIO: ERRNO.IO,
  EISDIR: ERRNO.ISDIR,
  ELOOP: ERRNO.LOOP,
  EMFILE: ERRNO.MFILE,
  EMLINK: ERRNO.MLINK,
  ENAMETOOLONG: ERRNO.NAMETOOLONG,
  ENFILE: ERRNO.NFILE,
  ENODEV: ERRNO.NODEV,
  ENOENT: ERRNO.NOENT,
  ENOEXEC: ERRNO.NOEXEC,
  ENOMEM: ERRNO.NOMEM,
  ENOSPC: ERRNO.NOSPC,
  ENOSYS: ERRNO.NOSYS,
  ENOTCONN: ERRNO.NOTCONN,
  ENOTDIR: ERRNO.NOTDIR,
  ENOTEMPTY: ERRNO.NOTEMPTY,
  ENOTSOCK: ERRNO.NOTSOCK,
  ENOTSUP: ERRNO.NOTSUP,
  ENOTTY: ERRNO.NOTTY,
  ENXIO: ERRNO.NXIO,
  EOVERFLOW: ERRNO.OVERFLOW,
  EPERM: ERRNO.PERM,
  EPIPE: ERRNO.PIPE,
  ERANGE: ERRNO.RANGE,
  EROFS: ERRNO.ROFS,
  ESPIPE: ERRNO.SPIPE,
  ESRCH: ERRNO.SRCH,
  ETIMEDOUT: ERRNO.TIMEDOUT,
  EXDEV: ERRNO.XDEV,
};

/**
 * An error only the WASI facade raises (a WASI errno with no kernel name,
 * such as ILSEQ for a path that is not UTF-8, or NOTCAPABLE for widening rights).
 *
 * @example
 * ```ts
 * import { WasiError } from "./errno.ts";
 * import { ERRNO } from "./abi.ts";
 * const e = new WasiError(ERRNO.ILSEQ, "path is not UTF-8");
 * console.assert(e.errno === 25);
 * ```
 */
export class WasiError extends Error {
  constructor(readonly errno: number, detail?: string) {
    super(`WASI errno ${errno}${detail ? `: ${detail}` : ""}`);
    this.name = "WasiError";
  }
}

/**
 * Thrown by `proc_exit` to unwind the wasm stack; the runner catches it and
 * reports `code` as the exit status. Never converted to an errno.
 *
 * @example
 * ```ts
 * import { WasiExit } from "./errno.ts";
 * const exit = new WasiExit(3);
 * console.assert(exit.code === 3);
 * ```
 */
export class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
    this.name = "WasiExit";
  }
}

/** Throws a {@link KernelError}: for facade checks that have a POSIX name. */
export function fail(code: ErrnoName, detail?: string): never {
  throw new KernelError(code, detail);
}

/**
 * The WASI errno for anything thrown by a facade function. {@link WasiExit}
 * is rethrown (it must unwind the guest). Anything that is not a kernel or
 * facade error (a bug, a host exception) is EIO, and `onUnexpected` hears about it.
 *
 * @example
 * ```ts
 * import { errnoOf } from "./errno.ts";
 * import { KernelError } from "../../kernel/errno.ts";
 * console.assert(errnoOf(new KernelError("ENOENT")) === 44);
 * console.assert(errnoOf(new TypeError("boom")) === 29);
 * ```
 */
export function errnoOf(error: unknown, onUnexpected?: (error: unknown) => void): number {
  if (error instanceof KernelError) return WASI_ERRNO[error.code] ?? ERRNO.IO;
  if (error instanceof WasiError) return error.errno;
  if (error instanceof WasiExit) throw error;
  onUnexpected?.(error);
  return ERRNO.IO;
}
