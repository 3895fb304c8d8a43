/**
 * File helpers for embedders: seed files before a run and read back what a
 * program wrote, without writing syscalls by hand. Each call runs as a short-
 * lived kernel process with root's view of the tree, and returns a value or a
 * Promise (when an asynchronous driver is involved); `await` works on both.
 *
 * @module
 */

import { drive, isPromise, type Op } from "./_maybe.ts";
import { KernelError } from "./errno.ts";
import type { Kernel } from "./kernel.ts";
import type { Process } from "./process.ts";
import { fstatat } from "./syscalls/metadata.ts";
import { close, fstat, getdents, mkdirat, openat, read, symlinkat, unlinkat, write } from "./syscalls/mod.ts";
import { AT, type DirEntry, FileType, type Maybe, O, type Stat } from "./types.ts";

const CWD = AT.FDCWD;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function* wait<T>(value: Maybe<T>): Op<T> {
  return (isPromise(value) ? yield value : value) as T;
}

/** Options for {@link KernelFiles.writeFile}. */
export interface WriteFileOptions {
  /** Permission bits for a new file (default 0o644). */
  mode?: number;
  /** Create missing parent directories. */
  recursive?: boolean;
  /** Append instead of replacing. */
  append?: boolean;
}

/**
 * Path-based file helpers bound to one kernel: `kernel.files`.
 *
 * @example
 * ```ts
 * import { createKernel } from "../mod.ts";
 * const kernel = createKernel();
 * await kernel.files.writeFile("/data/in.txt", "hello", { recursive: true });
 * console.assert((await kernel.files.readText("/data/in.txt")) === "hello");
 * console.assert((await kernel.files.readdir("/data")).includes("in.txt"));
 * ```
 */
export class KernelFiles {
  constructor(private readonly kernel: Kernel) {}

  #run<T>(op: (proc: Process) => Op<T>): Maybe<T> {
    const proc = this.kernel.createProcess({ umask: 0, args: ["vkernel-files"] });
    let result: Maybe<T>;
    try {
      result = drive(op(proc));
    } catch (error) {
      proc.exit(0);
      throw error;
    }
    if (isPromise(result)) return result.finally(() => proc.exit(0));
    proc.exit(0);
    return result;
  }

  /** Writes `data` (string or bytes) to `path`, creating or replacing the file. */
  writeFile(path: string, data: string | Uint8Array, options: WriteFileOptions = {}): Maybe<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return this.#run(function*(proc) {
      if (options.recursive) yield* mkdirs(proc, parentOf(path));
      const flags = O.CREAT | O.WRONLY | (options.append ? O.APPEND : O.TRUNC);
      const fd = yield* wait(openat(proc, CWD, path, flags, options.mode ?? 0o644));
      let done = 0;
      while (done < bytes.length) done += yield* wait(write(proc, fd, bytes.subarray(done)));
      yield* wait(close(proc, fd));
    });
  }

  /** The whole content of the file at `path`. */
  readFile(path: string): Maybe<Uint8Array> {
    return this.#run(function*(proc) {
      const fd = yield* wait(openat(proc, CWD, path, O.RDONLY));
      const size = (yield* wait(fstat(proc, fd))).size;
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const buf = new Uint8Array(Math.max(65536, size - total));
        const n = yield* wait(read(proc, fd, buf));
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
      }
      yield* wait(close(proc, fd));
      if (chunks.length === 1) return chunks[0];
      const all = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return all;
    });
  }

  /** The content of the file at `path` as UTF-8 text. */
  readText(path: string): Maybe<string> {
    const bytes = this.readFile(path);
    return isPromise(bytes) ? bytes.then((b) => decoder.decode(b)) : decoder.decode(bytes);
  }

  /** Creates a directory (with `recursive`, its missing parents too; an existing one is fine then). */
  mkdir(path: string, options: { mode?: number; recursive?: boolean; } = {}): Maybe<void> {
    return this.#run(function*(proc) {
      if (options.recursive) yield* mkdirs(proc, path, options.mode);
      else yield* wait(mkdirat(proc, CWD, path, options.mode ?? 0o755));
    });
  }

  /** Names in the directory at `path` (without `.` and `..`), in listing order. */
  readdir(path: string): Maybe<string[]> {
    return this.#run(function*(proc) {
      return (yield* listEntries(proc, path)).map((e) => e.name);
    });
  }

  /** Metadata of `path` (following symlinks unless `lstat`). */
  stat(path: string, options: { lstat?: boolean; } = {}): Maybe<Stat> {
    return this.#run(function*(proc) {
      return yield* wait(fstatat(proc, CWD, path, options.lstat ? AT.SYMLINK_NOFOLLOW : 0));
    });
  }

  /** Whether `path` exists (a dangling symlink counts). */
  exists(path: string): Maybe<boolean> {
    return this.#run(function*(proc) {
      try {
        yield* wait(fstatat(proc, CWD, path, AT.SYMLINK_NOFOLLOW));
        return true;
      } catch (error) {
        if (error instanceof KernelError && (error.code === "ENOENT" || error.code === "ENOTDIR")) {
          return false;
        }
        throw error;
      }
    });
  }

  /** Creates a symbolic link at `path` pointing to `target`. */
  symlink(target: string, path: string): Maybe<void> {
    return this.#run(function*(proc) {
      yield* wait(symlinkat(proc, target, CWD, path));
    });
  }

  /** Removes a file or empty directory; with `recursive`, a whole tree. */
  remove(path: string, options: { recursive?: boolean; } = {}): Maybe<void> {
    return this.#run(function*(proc) {
      yield* removeTree(proc, path, options.recursive ?? false);
    });
  }
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return i <= 0 ? "/" : trimmed.slice(0, i);
}

function* mkdirs(proc: Process, path: string, mode = 0o755): Op<void> {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  let at = path.startsWith("/") ? "" : ".";
  for (const part of parts) {
    at += "/" + part;
    try {
      yield* wait(mkdirat(proc, CWD, at, mode));
    } catch (error) {
      if (!(error instanceof KernelError && error.code === "EEXIST")) throw error;
      const st = yield* wait(fstatat(proc, CWD, at, 0));
      if (st.type !== FileType.Directory) throw new KernelError("ENOTDIR", at);
    }
  }
}

function* listEntries(proc: Process, path: string): Op<DirEntry[]> {
  const fd = yield* wait(openat(proc, CWD, path, O.RDONLY | O.DIRECTORY));
  const out: DirEntry[] = [];
  for (;;) {
    const batch = yield* wait(getdents(proc, fd, 256));
    if (batch.length === 0) break;
    for (const e of batch) if (e.name !== "." && e.name !== "..") out.push(e);
  }
  yield* wait(close(proc, fd));
  return out;
}

function* removeTree(proc: Process, path: string, recursive: boolean): Op<void> {
  const st = yield* wait(fstatat(proc, CWD, path, AT.SYMLINK_NOFOLLOW));
  if (st.type !== FileType.Directory) {
    yield* wait(unlinkat(proc, CWD, path, 0));
    return;
  }
  if (recursive) {
    for (const entry of yield* listEntries(proc, path)) {
      yield* removeTree(proc, `${path.replace(/\/+$/, "")}/${entry.name}`, true);
    }
  }
  yield* wait(unlinkat(proc, CWD, path, AT.REMOVEDIR));
}
