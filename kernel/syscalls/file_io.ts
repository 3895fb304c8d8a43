/**
 * Reading, writing and positioning: read, write, pread, pwrite, lseek,
 * ftruncate, fsync. Written without generators: these are the hot path.
 *
 * @module
 */

import { isPromise, then } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import type { OpenFile } from "../open_file.ts";
import type { Process } from "../process.ts";
import { FileType, type Maybe, SEEK, type Stat } from "../types.ts";
import { vfsFile } from "./_common.ts";

function readableFile(proc: Process, fd: number): OpenFile {
  const file = proc.fds.get(fd);
  if (!file.readable) throw new KernelError("EBADF");
  return file;
}

function writableFile(proc: Process, fd: number): OpenFile {
  const file = proc.fds.get(fd);
  if (!file.writable) throw new KernelError("EBADF");
  return file;
}

function checkRegular(file: OpenFile): void {
  if (file.location!.node.type === FileType.Directory) throw new KernelError("EISDIR");
}

function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new KernelError("EINVAL");
}

/**
 * Reads up to `buffer.length` bytes at the file offset and advances it.
 * Returns 0 at end of file. Errors: EBADF (bad fd or not open for reading),
 * EISDIR, EAGAIN (non-blocking and nothing to read).
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { O } from "../types.ts";
 * import { openat, read, write } from "./mod.ts";
 * const proc = createKernel().createProcess();
 * const fd = openat(proc, -100, "/f", O.CREAT | O.RDWR, 0o644) as number;
 * write(proc, fd, new Uint8Array([1, 2, 3]));
 * ```
 */
export function read(proc: Process, fd: number, buffer: Uint8Array): Maybe<number> {
  const file = readableFile(proc, fd);
  if (file.stream) return file.stream.read(buffer, file.nonblocking);
  checkRegular(file);
  const position = file.offset;
  return advance(file, position, file.location!.mount.fs.read(file.handle!, buffer, position));
}

/** Moves the offset past the `n` bytes transferred at `position` (once `n` is known). */
function advance(file: OpenFile, position: number, n: Maybe<number>): Maybe<number> {
  if (isPromise(n)) {
    return n.then((count) => {
      file.offset = position + count;
      return count;
    });
  }
  file.offset = position + n;
  return n;
}

/** Reads at `position` without moving the offset. Errors: as {@link read}, plus ESPIPE on streams, EINVAL. */
export function pread(proc: Process, fd: number, buffer: Uint8Array, position: number): Maybe<number> {
  const file = readableFile(proc, fd);
  if (file.stream) throw new KernelError("ESPIPE");
  checkRegular(file);
  checkPosition(position);
  return file.location!.mount.fs.read(file.handle!, buffer, position);
}

function appendPosition(file: OpenFile): Maybe<number> {
  const fs = file.location!.mount.fs;
  return then(fs.stat(file.location!.node), (st: Stat) => st.size);
}

/**
 * Writes `buffer` at the file offset (at the end with O_APPEND) and advances
 * it. Errors: EBADF (not open for writing), EISDIR, EAGAIN, EPIPE, ENOSPC, EFBIG.
 */
export function write(proc: Process, fd: number, buffer: Uint8Array): Maybe<number> {
  const file = writableFile(proc, fd);
  if (file.stream) return file.stream.write(buffer, file.nonblocking);
  checkRegular(file);
  // An empty write changes nothing, not even the offset of an O_APPEND file (as Linux).
  if (buffer.length === 0) return 0;
  if (file.append) return then(appendPosition(file), (position: number) => writeAt(file, buffer, position));
  return writeAt(file, buffer, file.offset);
}

function writeAt(file: OpenFile, buffer: Uint8Array, position: number): Maybe<number> {
  return advance(file, position, file.location!.mount.fs.write(file.handle!, buffer, position));
}

/**
 * Writes at `position` without moving the offset; with O_APPEND the data goes
 * to the end, as on Linux. Errors: as {@link write}, plus ESPIPE, EINVAL.
 */
export function pwrite(proc: Process, fd: number, buffer: Uint8Array, position: number): Maybe<number> {
  const file = writableFile(proc, fd);
  if (file.stream) throw new KernelError("ESPIPE");
  checkRegular(file);
  checkPosition(position);
  const fs = file.location!.mount.fs;
  if (file.append) return then(appendPosition(file), (end) => fs.write(file.handle!, buffer, end));
  return fs.write(file.handle!, buffer, position);
}

/**
 * Moves the offset; returns the new one. SEEK_END past the end leaves a hole
 * for the next write. On a directory the offset is the readdir cookie.
 * Errors: EBADF, ESPIPE (streams), EINVAL (bad whence or a negative result).
 */
export function lseek(proc: Process, fd: number, offset: number, whence: number): Maybe<number> {
  const file = proc.fds.get(fd);
  if (file.stream) throw new KernelError("ESPIPE");
  if (!Number.isSafeInteger(offset)) throw new KernelError("EINVAL");
  const set = (base: number): number => {
    const next = base + offset;
    if (next < 0 || !Number.isSafeInteger(next)) throw new KernelError("EINVAL");
    file.offset = next;
    return next;
  };
  switch (whence) {
    case SEEK.SET:
      return set(0);
    case SEEK.CUR:
      return set(file.offset);
    case SEEK.END:
      return then(file.location!.mount.fs.stat(file.location!.node), (st: Stat) => set(st.size));
    default:
      throw new KernelError("EINVAL");
  }
}

/** Sets the size of a file open for writing. Errors: EBADF, EINVAL (not writable, stream, negative), EISDIR. */
export function ftruncate(proc: Process, fd: number, size: number): Maybe<void> {
  const file = vfsFile(proc, fd);
  if (!file.writable) throw new KernelError("EINVAL");
  checkRegular(file);
  if (!Number.isSafeInteger(size) || size < 0) throw new KernelError("EINVAL");
  return file.location.mount.fs.truncate(file.handle!, size);
}

/** Flushes a file to its storage. Errors: EBADF, EINVAL (streams). */
export function fsync(proc: Process, fd: number): Maybe<void> {
  const file = vfsFile(proc, fd);
  if (!file.handle) return;
  return file.location.mount.fs.sync(file.handle);
}
