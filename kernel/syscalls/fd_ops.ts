/**
 * Operations on descriptors themselves: close, dup, dup2, fcntl flags, pipe.
 *
 * @module
 */

import { KernelError } from "../errno.ts";
import { OpenFile, SETTABLE_STATUS_FLAGS } from "../open_file.ts";
import { createPipe } from "../pipe.ts";
import type { Process } from "../process.ts";
import { type Maybe, O } from "../types.ts";
import { release } from "./_common.ts";

/**
 * Closes `fd`. Errors: EBADF.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { close, pipe } from "./mod.ts";
 * const proc = createKernel().createProcess();
 * const [r, w] = pipe(proc);
 * close(proc, r);
 * close(proc, w);
 * ```
 */
export function close(proc: Process, fd: number): Maybe<void> {
  return release(proc.fds.remove(fd));
}

/** Duplicates `fd` onto the lowest free fd (≥ `min`); the two share offset and flags. Errors: EBADF, EMFILE. */
export function dup(proc: Process, fd: number, min = 0): number {
  const file = proc.fds.get(fd);
  const newFd = proc.fds.allocate(file, min);
  file.refs++;
  return newFd;
}

/** Makes `newFd` refer to what `oldFd` refers to, closing `newFd` first. Errors: EBADF. */
export function dup2(proc: Process, oldFd: number, newFd: number): Maybe<number> {
  const file = proc.fds.get(oldFd);
  if (oldFd === newFd) return newFd;
  file.refs++;
  const previous = proc.fds.install(newFd, file);
  if (previous) {
    const r = release(previous);
    if (r instanceof Promise) return r.then(() => newFd);
  }
  return newFd;
}

/** The access mode and status flags of `fd` (`fcntl F_GETFL`). Errors: EBADF. */
export function getfl(proc: Process, fd: number): number {
  return proc.fds.get(fd).flags;
}

/** Sets the changeable status flags (O_APPEND, O_NONBLOCK, sync flags) of `fd` (`fcntl F_SETFL`). */
export function setfl(proc: Process, fd: number, flags: number): void {
  const file = proc.fds.get(fd);
  file.flags = (file.flags & ~SETTABLE_STATUS_FLAGS) | (flags & SETTABLE_STATUS_FLAGS);
}

/** Creates a pipe; returns `[readFd, writeFd]`. Errors: EMFILE. */
export function pipe(proc: Process, flags = 0): [number, number] {
  if (flags & ~O.NONBLOCK) throw new KernelError("EINVAL");
  const [r, w] = createPipe();
  const readFile = new OpenFile(null, null, r, O.RDONLY | flags);
  const writeFile = new OpenFile(null, null, w, O.WRONLY | flags);
  const readFd = proc.fds.allocate(readFile);
  try {
    return [readFd, proc.fds.allocate(writeFile)];
  } catch (error) {
    proc.fds.remove(readFd);
    r.close();
    w.close();
    throw error;
  }
}

/** Installs a stream (socket, terminal, custom device) as a new fd. */
export function openStream(proc: Process, stream: OpenFile["stream"] & object, flags = O.RDWR): number {
  return proc.fds.allocate(new OpenFile(null, null, stream, flags));
}
