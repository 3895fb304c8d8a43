/**
 * The kernel's facade-neutral operations, named after POSIX so the man page is
 * the spec. Each takes the calling {@link Process} first and returns a value,
 * or a Promise when an asynchronous driver or a blocking stream was involved.
 *
 * @module
 */

export { chdir, fchdir, getcwd, getdents, pathOf } from "./directory.ts";
export { close, dup, dup2, getfl, openStream, pipe, setfl } from "./fd_ops.ts";
export { fsync, ftruncate, lseek, pread, pwrite, read, write } from "./file_io.ts";
export {
  type AtOptions,
  fchmod,
  fchmodat,
  fchown,
  fchownat,
  fstat,
  fstatat,
  fstatfs,
  futimens,
  utimensat,
} from "./metadata.ts";
export { linkat, mkdirat, type NameOptions, readlinkat, renameat, symlinkat, unlinkat } from "./names.ts";
export { type FdAliasNode, openat, type OpenOptions } from "./open.ts";
export { poll, POLL_NVAL, pollFd, type PollRequest, waitForChange } from "./poll.ts";
