/**
 * Errors as Go's `syscall/js` expects them: an object whose `code` is an errno
 * name from Go's `errnoByCode` table. Any other error makes Go panic, so this
 * is the one place where kernel errors (and anything unexpected) are converted.
 *
 * @module
 */

import { ERRNO_MESSAGES, type ErrnoName } from "../../kernel/errno.ts";

/** Errno names Go's `syscall/tables_js.go` knows (the Linux names plus a few newlib ones). */
export const GO_ERRNO_CODES: ReadonlySet<string> = new Set(
  ("EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT EBUSY EEXIST "
    + "EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY EFBIG ENOSPC ESPIPE EROFS EMLINK EPIPE "
    + "ENAMETOOLONG ENOSYS EDQUOT EDOM ERANGE EDEADLK ENOLCK ENOTEMPTY ELOOP ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT "
    + "EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL ENOANO EBADRQC EBADSLT EDEADLOCK EBFONT ENOSTR "
    + "ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG "
    + "EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ EUSERS ENOTSOCK "
    + "EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT "
    + "EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS "
    + "EISCONN ENOTCONN ESHUTDOWN ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY "
    + "EINPROGRESS ESTALE ENOTSUP ENOMEDIUM ECANCELED ELBIN EFTYPE ENMFILE EPROCLIM ENOSHARE ECASECLASH EWOULDBLOCK")
    .split(" "),
);

/** An error as gojs delivers it: an `Error` with a Go-known errno name in `code`. */
export interface GoJsError extends Error {
  code: string;
  /** The original error when it was not a kernel error (kept for traces). */
  cause?: unknown;
}

/**
 * Converts anything thrown by the kernel into an error Go accepts. Kernel
 * errors keep their errno name; names Go does not know and non-kernel
 * exceptions become `EIO` (the original is kept in `cause`).
 *
 * @example
 * ```ts
 * import { KernelError } from "../../kernel/errno.ts";
 * import { toGoError } from "./errno.ts";
 * console.assert(toGoError(new KernelError("ENOENT")).code === "ENOENT");
 * console.assert(toGoError(new TypeError("bug")).code === "EIO");
 * ```
 */
export function toGoError(error: unknown, syscall?: string): GoJsError {
  const code = (error as { code?: unknown; } | null)?.code;
  if (typeof code === "string" && GO_ERRNO_CODES.has(code)) {
    const message = ERRNO_MESSAGES[code as ErrnoName] ?? code;
    const err = new Error(`${code}: ${message}${syscall ? `, ${syscall}` : ""}`) as GoJsError;
    err.code = code;
    return err;
  }
  const err = new Error(`EIO: ${(error as Error)?.message ?? String(error)}`) as GoJsError;
  err.code = "EIO";
  err.cause = error;
  return err;
}

/** An error object with `code` for Go, without a kernel error behind it. */
export function goError(code: ErrnoName, detail?: string): GoJsError {
  const err = new Error(`${code}: ${ERRNO_MESSAGES[code]}${detail ? `, ${detail}` : ""}`) as GoJsError;
  err.code = code;
  return err;
}
