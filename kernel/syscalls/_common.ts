/**
 * Shared pieces of the syscall implementations.
 *
 * @module
 */

import { drive, isPromise, type Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import type { OpenFile } from "../open_file.ts";
import type { Process } from "../process.ts";
import { FileType, type Maybe, type Stat } from "../types.ts";
import type { Location } from "../vfs/mount_table.ts";

/**
 * Turns a generator operation into a syscall that returns a plain value when
 * every driver it touched was synchronous, and a Promise otherwise.
 */
export function syscall<A extends unknown[], T>(op: (...args: A) => Op<T>): (...args: A) => Maybe<T> {
  return (...args: A) => drive(op(...args));
}

/** Drops one reference to an open file; the last one closes the driver handle or stream. */
export function release(file: OpenFile): Maybe<void> {
  if (--file.refs > 0) return;
  if (file.stream) {
    file.stream.close();
    return;
  }
  if (file.location) file.location.mount.refs--;
  if (file.handle && file.location) {
    const r = file.location.mount.fs.close(file.handle);
    if (isPromise(r)) return r;
  }
}

/** The stat of a location, with the mount's device number. */
export function statAt(loc: Location): Maybe<Stat> {
  const st = loc.mount.fs.stat(loc.node);
  if (isPromise(st)) return st.then((s) => withDevice(s, loc.mount.id));
  return withDevice(st, loc.mount.id);
}

function withDevice(st: Stat, dev: number): Stat {
  return st.dev === dev ? st : { ...st, dev };
}

/** {@link statAt} as an operation for generator-based syscalls (`yield*`). */
export function* statOf(loc: Location): Op<Stat> {
  const st = statAt(loc);
  return isPromise(st) ? (yield st) as Stat : st;
}

let streamIno = 0x7fff0000;
const streamInos = new WeakMap<object, number>();

/** A stat for a stream (pipe, terminal, socket): synthetic but stable per stream. */
export function streamStat(proc: Process, file: OpenFile): Stat {
  const stream = file.stream!;
  let ino = streamInos.get(stream);
  if (ino === undefined) {
    ino = ++streamIno;
    streamInos.set(stream, ino);
  }
  const now = proc.kernel.clock.now(0);
  return {
    dev: 0,
    ino,
    type: stream.type,
    mode: stream.type === FileType.Fifo ? 0o600 : 0o620,
    nlink: 1,
    uid: proc.uid,
    gid: proc.gid,
    rdev: 0,
    size: 0,
    blksize: 4096,
    blocks: 0,
    atimeNs: now,
    mtimeNs: now,
    ctimeNs: now,
  };
}

/** The regular-file-or-directory location behind an fd (EBADF for a bad fd, `streamErr` for streams). */
export function vfsFile(proc: Process, fd: number, streamErr: "ESPIPE" | "EINVAL" = "EINVAL"): OpenFile & {
  location: Location;
} {
  const file = proc.fds.get(fd);
  if (!file.location) throw new KernelError(streamErr);
  return file as OpenFile & { location: Location; };
}
