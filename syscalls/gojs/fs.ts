/**
 * The `fs` object of a gojs process: Node's callback API, as Go's
 * `syscall/fs_js.go` calls it, backed by the kernel.
 *
 * Every method takes its callback last and never throws: it calls back with
 * `null` and the result on success and with an error whose `code` is an errno
 * name on failure. When the kernel answers with a plain value the callback
 * runs in a microtask (or inside the call with `syncCallbacks`); when it
 * answers with a Promise, in `.then`. Timers are never used.
 *
 * fd numbers are the kernel process's own fds.
 *
 * @module
 */

import { drive, isPromise, type Op } from "../../kernel/_maybe.ts";
import { KernelError } from "../../kernel/errno.ts";
import type { Process } from "../../kernel/process.ts";
import {
  close,
  fchmod,
  fchmodat,
  fchown,
  fchownat,
  fstat,
  fstatat,
  fsync,
  ftruncate,
  futimens,
  getdents,
  linkat,
  mkdirat,
  openat,
  pread,
  pwrite,
  read,
  readlinkat,
  renameat,
  symlinkat,
  unlinkat,
  utimensat,
  write,
} from "../../kernel/syscalls/mod.ts";
import { AT, type DirEntry, type Maybe, O, type Stat } from "../../kernel/types.ts";
import { type GoJsError, toGoError } from "./errno.ts";
import { type GoStats, toGoStats } from "./stat.ts";

/** A Node-style callback. */
export type FsCallback = (error: GoJsError | null, result?: unknown) => void;

/** What the `fs` object needs from the process that owns it. */
export interface FsHost {
  readonly proc: Process;
  /**
   * Called with each Promise a kernel call returned: the host counts it as
   * pending work (so it does not report a deadlock) until it settles.
   */
  track<T>(promise: Promise<T>): Promise<T>;
  /** Runs a callback that was delayed (after `.then`): dropped once the program exited. */
  deliver(fn: () => void): void;
  /** Runs `fn` as {@link deliver} does, in a microtask, counting it as pending work until then. */
  soon(fn: () => void): void;
  /** A Promise the next call must wait for (an asynchronous chdir), or null. */
  barrier(): Promise<unknown> | null;
  /** Call back inside the call when the kernel answered at once (default: in a microtask). */
  readonly syncCallbacks?: boolean;
  /** Called for every call when tracing. */
  trace?(call: string, args: readonly unknown[], outcome: string): void;
}

/** `fs.constants`: the open flags Go reads (Linux values, which are also the kernel's), types, modes. */
export const FS_CONSTANTS: Readonly<Record<string, number>> = Object.freeze({
  O_RDONLY: O.RDONLY,
  O_WRONLY: O.WRONLY,
  O_RDWR: O.RDWR,
  O_CREAT: O.CREAT,
  O_EXCL: O.EXCL,
  O_NOCTTY: O.NOCTTY,
  O_TRUNC: O.TRUNC,
  O_APPEND: O.APPEND,
  O_DIRECTORY: O.DIRECTORY,
  O_NOFOLLOW: O.NOFOLLOW,
  O_NONBLOCK: O.NONBLOCK,
  O_DSYNC: O.DSYNC,
  O_SYNC: O.SYNC,
  S_IFMT: 0o170000,
  S_IFREG: 0o100000,
  S_IFDIR: 0o040000,
  S_IFCHR: 0o020000,
  S_IFBLK: 0o060000,
  S_IFIFO: 0o010000,
  S_IFLNK: 0o120000,
  S_IFSOCK: 0o140000,
  F_OK: 0,
  R_OK: 4,
  W_OK: 2,
  X_OK: 1,
  UV_FS_O_FILEMAP: 0,
});

const FDCWD = AT.FDCWD;
const ACCEPTED_OPEN_FLAGS = O.ACCMODE | O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.APPEND | O.DIRECTORY
  | O.NOFOLLOW | O.NONBLOCK | O.DSYNC | O.SYNC;

function splitCallback(name: string, args: unknown[]): [unknown[], FsCallback] {
  const cb = args[args.length - 1];
  if (typeof cb !== "function") throw new TypeError(`fs.${name}: the last argument must be a callback`);
  return [args.slice(0, -1), cb as FsCallback];
}

function num(value: unknown, what: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new KernelError("EINVAL", `${what} must be a number`);
  }
  return n;
}

function str(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value instanceof URL) return value.pathname;
  throw new KernelError("EINVAL", "path must be a string");
}

function bytes(buffer: unknown, offset: unknown, length: unknown): Uint8Array {
  if (!ArrayBuffer.isView(buffer)) throw new KernelError("EINVAL", "buffer must be a typed array");
  const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const off = offset === undefined || offset === null ? 0 : num(offset, "offset");
  const len = length === undefined || length === null ? view.length - off : num(length, "length");
  if (off < 0 || len < 0 || off + len > view.length) {
    throw new KernelError("EINVAL", "offset/length out of range");
  }
  return view.subarray(off, off + len);
}

function position(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const p = num(value, "position");
  return p < 0 ? null : p;
}

/** Seconds (a number, possibly fractional, or a Date) to nanoseconds. */
function timeNs(value: unknown): bigint {
  if (value instanceof Date) return BigInt(value.getTime()) * 1_000_000n;
  const s = num(typeof value === "string" ? Number(value) : value, "time");
  const whole = Math.floor(s);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((s - whole) * 1e9));
}

function* readdirOp(proc: Process, path: string): Op<string[]> {
  const fd = (yield openat(proc, FDCWD, path, O.RDONLY | O.DIRECTORY)) as number;
  try {
    const names: string[] = [];
    for (;;) {
      const batch = (yield getdents(proc, fd, 512)) as DirEntry[];
      if (batch.length === 0) break;
      for (const entry of batch) if (entry.name !== "." && entry.name !== "..") names.push(entry.name);
    }
    return names;
  } finally {
    yield close(proc, fd);
  }
}

function* truncateOp(proc: Process, path: string, size: number): Op<void> {
  const fd = (yield openat(proc, FDCWD, path, O.WRONLY)) as number;
  try {
    yield ftruncate(proc, fd, size);
  } finally {
    yield close(proc, fd);
  }
}

/**
 * Builds the `fs` object of one gojs process.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { createFs } from "./fs.ts";
 * const proc = createKernel().createProcess();
 * const fs = createFs({ proc, track: (p) => p, deliver: (fn) => fn(), soon: queueMicrotask, barrier: () => null });
 * fs.mkdir("/made", 0o755, (err: unknown) => console.assert(err === null));
 * ```
 */
export function createFs(host: FsHost): Record<string, unknown> {
  const proc = host.proc;

  /** Runs a kernel call and answers `cb` the gojs way. */
  function call<T>(name: string, args: unknown[], op: () => Maybe<T>, map?: (value: T) => unknown): void {
    const [, cb] = splitCallback(name, args);
    const trace = host.trace;
    const settle = (error: GoJsError | null, value?: T): void => {
      if (trace) trace(name, args.slice(0, -1), error ? error.code : describe(value));
      if (error) cb(error);
      else cb(null, map ? map(value as T) : value);
    };
    const wait = host.barrier();
    if (wait) {
      host.track(wait.then(() => {}, () => {})).then(() => host.deliver(() => call(name, args, op, map)));
      return;
    }
    let result: Maybe<T>;
    try {
      result = op();
    } catch (error) {
      const goError = toGoError(error);
      if (host.syncCallbacks) settle(goError);
      else host.soon(() => settle(goError));
      return;
    }
    if (isPromise(result)) {
      host.track(result).then(
        (value) => host.deliver(() => settle(null, value)),
        (error) => host.deliver(() => settle(toGoError(error))),
      );
      return;
    }
    if (host.syncCallbacks) settle(null, result);
    else {
      const value = result;
      host.soon(() => settle(null, value));
    }
  }

  const stats = (st: Stat): GoStats => toGoStats(st);

  const fs: Record<string, unknown> = {
    constants: FS_CONSTANTS,

    open(...args: unknown[]): void {
      call("open", args, () => {
        const flags = args.length > 2 && typeof args[1] === "number" ? args[1] : 0;
        const mode = args.length > 3 && typeof args[2] === "number" ? args[2] : 0o666;
        if (flags & ~ACCEPTED_OPEN_FLAGS) throw new KernelError("EINVAL", "unsupported open flags");
        return openat(proc, FDCWD, str(args[0]), flags, mode);
      });
    },
    close(...args: unknown[]): void {
      call("close", args, () => close(proc, num(args[0], "fd")), () => undefined);
    },
    read(...args: unknown[]): void {
      call("read", args, () => {
        const fd = num(args[0], "fd");
        const buf = bytes(args[1], args[2], args[3]);
        const at = position(args[4]);
        return at === null ? read(proc, fd, buf) : pread(proc, fd, buf, at);
      });
    },
    write(...args: unknown[]): void {
      call("write", args, () => {
        const fd = num(args[0], "fd");
        const buf = bytes(args[1], args[2], args[3]);
        const at = position(args[4]);
        return at === null ? write(proc, fd, buf) : pwrite(proc, fd, buf, at);
      });
    },
    fstat(...args: unknown[]): void {
      call("fstat", args, () => fstat(proc, num(args[0], "fd")), stats);
    },
    stat(...args: unknown[]): void {
      call("stat", args, () => fstatat(proc, FDCWD, str(args[0]), 0), stats);
    },
    lstat(...args: unknown[]): void {
      call("lstat", args, () => fstatat(proc, FDCWD, str(args[0]), AT.SYMLINK_NOFOLLOW), stats);
    },
    readdir(...args: unknown[]): void {
      call("readdir", args, () => drive(readdirOp(proc, str(args[0]))));
    },
    mkdir(...args: unknown[]): void {
      call("mkdir", args, () => {
        const mode = args.length > 2 && typeof args[1] === "number" ? args[1] : 0o777;
        return mkdirat(proc, FDCWD, str(args[0]), mode);
      });
    },
    rmdir(...args: unknown[]): void {
      call("rmdir", args, () => unlinkat(proc, FDCWD, str(args[0]), AT.REMOVEDIR));
    },
    unlink(...args: unknown[]): void {
      call("unlink", args, () => unlinkat(proc, FDCWD, str(args[0]), 0));
    },
    rename(...args: unknown[]): void {
      call("rename", args, () => renameat(proc, FDCWD, str(args[0]), FDCWD, str(args[1])));
    },
    chmod(...args: unknown[]): void {
      call("chmod", args, () => fchmodat(proc, FDCWD, str(args[0]), num(args[1], "mode"), 0));
    },
    lchmod(...args: unknown[]): void {
      call(
        "lchmod",
        args,
        () => fchmodat(proc, FDCWD, str(args[0]), num(args[1], "mode"), AT.SYMLINK_NOFOLLOW),
      );
    },
    fchmod(...args: unknown[]): void {
      call("fchmod", args, () => fchmod(proc, num(args[0], "fd"), num(args[1], "mode")));
    },
    chown(...args: unknown[]): void {
      call(
        "chown",
        args,
        () => fchownat(proc, FDCWD, str(args[0]), num(args[1], "uid"), num(args[2], "gid"), 0),
      );
    },
    lchown(...args: unknown[]): void {
      call(
        "lchown",
        args,
        () =>
          fchownat(proc, FDCWD, str(args[0]), num(args[1], "uid"), num(args[2], "gid"), AT.SYMLINK_NOFOLLOW),
      );
    },
    fchown(...args: unknown[]): void {
      call("fchown", args, () => fchown(proc, num(args[0], "fd"), num(args[1], "uid"), num(args[2], "gid")));
    },
    utimes(...args: unknown[]): void {
      call("utimes", args, () => utimensat(proc, FDCWD, str(args[0]), timeNs(args[1]), timeNs(args[2]), 0));
    },
    lutimes(...args: unknown[]): void {
      call(
        "lutimes",
        args,
        () => utimensat(proc, FDCWD, str(args[0]), timeNs(args[1]), timeNs(args[2]), AT.SYMLINK_NOFOLLOW),
      );
    },
    futimes(...args: unknown[]): void {
      call("futimes", args, () => futimens(proc, num(args[0], "fd"), timeNs(args[1]), timeNs(args[2])));
    },
    truncate(...args: unknown[]): void {
      call("truncate", args, () => {
        const size = args.length > 2 ? num(args[1], "length") : 0;
        if (size < 0) throw new KernelError("EINVAL");
        return drive(truncateOp(proc, str(args[0]), size));
      });
    },
    ftruncate(...args: unknown[]): void {
      call(
        "ftruncate",
        args,
        () => ftruncate(proc, num(args[0], "fd"), args.length > 2 ? num(args[1], "length") : 0),
      );
    },
    readlink(...args: unknown[]): void {
      call("readlink", args, () => readlinkat(proc, FDCWD, str(args[0])));
    },
    symlink(...args: unknown[]): void {
      call("symlink", args, () => symlinkat(proc, str(args[0]), FDCWD, str(args[1])));
    },
    link(...args: unknown[]): void {
      call("link", args, () => linkat(proc, FDCWD, str(args[0]), FDCWD, str(args[1]), 0));
    },
    fsync(...args: unknown[]): void {
      call("fsync", args, () => fsync(proc, num(args[0], "fd")));
    },
    fdatasync(...args: unknown[]): void {
      call("fdatasync", args, () => fsync(proc, num(args[0], "fd")));
    },
    /**
     * Writes `buffer` to `fd` and returns the byte count. Used for runtime
     * output; a write the kernel can only finish later is finished in the
     * background (streams keep the order of writes).
     */
    writeSync(fd: unknown, buffer: unknown, offset?: unknown, length?: unknown, pos?: unknown): number {
      let data: Uint8Array;
      if (typeof buffer === "string") data = new TextEncoder().encode(buffer);
      else data = bytes(buffer, offset, length).slice();
      const at = position(pos);
      try {
        const n = at === null ? write(proc, num(fd, "fd"), data) : pwrite(proc, num(fd, "fd"), data, at);
        if (isPromise(n)) {
          host.track(n).catch(() => {});
          return data.length;
        }
        return n;
      } catch (error) {
        throw toGoError(error, "write");
      }
    },
  };
  return fs;
}

function describe(value: unknown): string {
  if (value === undefined) return "ok";
  if (value instanceof Array) return `[${value.length} names]`;
  if (value instanceof Object && "mode" in value) {
    const st = value as Stat;
    return `stat(type=0o${st.type.toString(8)} size=${st.size})`;
  }
  return String(value);
}
