/**
 * The kernel: a mount table, a clock, a random source and a process table.
 * No module-global state: two kernels in one realm are independent.
 *
 * @module
 */

import { drive, type Op } from "./_maybe.ts";
import { type Clock, ClockId, RealClock, VirtualClock } from "./clock.ts";
import { KernelError } from "./errno.ts";
import { KernelFiles } from "./files.ts";
import { OpenFile } from "./open_file.ts";
import { Process, type ProcessOptions } from "./process.ts";
import { CryptoRandom, type RandomSource, SeededRandom } from "./random.ts";
import type { Stream } from "./stream.ts";
import { close as closeFd } from "./syscalls/fd_ops.ts";
import { O } from "./types.ts";
import type { Maybe } from "./types.ts";
import type { FileSystem } from "./vfs/driver.ts";
import { type Mount, MountTable } from "./vfs/mount_table.ts";
import { walk } from "./vfs/namei.ts";

/** How to build a {@link Kernel}. */
export interface KernelOptions {
  /** The root filesystem. */
  root: FileSystem;
  /** A virtual clock and seeded random, for reproducible runs. */
  deterministic?: boolean;
  /** Seed for the deterministic random source (default 0). */
  seed?: number;
  /** A clock of your own (overrides `deterministic` for the clock). */
  clock?: Clock;
  /** A random source of your own. */
  random?: RandomSource;
}

/** What a new process's fds 0, 1 and 2 are. */
export interface StdioOptions {
  stdin?: Stream | OpenFile;
  stdout?: Stream | OpenFile;
  stderr?: Stream | OpenFile;
}

/**
 * The kernel. Most embedders use `createKernel()` from `mod.ts`, which mounts
 * the in-memory filesystem at `/` and devices at `/dev`.
 *
 * @example
 * ```ts
 * import { Kernel } from "./kernel.ts";
 * import { MemoryFileSystem } from "../fs/memory/mod.ts";
 * const kernel = new Kernel({ root: new MemoryFileSystem(), deterministic: true });
 * console.assert(kernel.clock.deterministic);
 * ```
 */
export class Kernel {
  readonly mounts: MountTable;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly processes: Map<number, Process> = new Map();
  /** Path-based helpers to seed and read back files. */
  readonly files: KernelFiles = new KernelFiles(this);
  #nextPid = 1;

  constructor(options: KernelOptions) {
    if (!options || typeof options.root !== "object") throw new TypeError("Kernel needs a root filesystem");
    this.clock = options.clock ?? (options.deterministic ? new VirtualClock() : new RealClock());
    this.random = options.random
      ?? (options.deterministic ? new SeededRandom(options.seed ?? 0) : new CryptoRandom());
    this.mounts = new MountTable(options.root, { nowNs: () => this.clock.now(ClockId.Realtime) });
  }

  /** Creates a process with the given stdio (streams or open files to share). */
  createProcess(options: ProcessOptions & StdioOptions & { parent?: Process; } = {}): Process {
    const pid = this.#nextPid++;
    const proc = new Process(this, pid, options.parent?.pid ?? 0, options);
    const stdio = [options.stdin, options.stdout, options.stderr];
    for (let fd = 0; fd < 3; fd++) {
      const io = stdio[fd];
      if (!io) continue;
      if (io instanceof OpenFile) {
        io.refs++;
        proc.fds.install(fd, io);
      } else {
        proc.fds.install(fd, new OpenFile(null, null, io, fd === 0 ? O.RDONLY : O.WRONLY));
      }
    }
    this.processes.set(pid, proc);
    return proc;
  }

  /** Removes an exited process from the table, closing its fds. */
  reap(proc: Process): void {
    if (!this.processes.has(proc.pid)) return;
    this.processes.delete(proc.pid);
    for (const [fd] of [...proc.fds.entries()]) {
      try {
        const r = closeFd(proc, fd);
        if (r instanceof Promise) r.catch(() => {});
      } catch { /* closing at exit never fails the exit */ }
    }
  }

  /** Mounts `fs` on the existing directory `path` (absolute, resolved from `/`). */
  mount(path: string, fs: FileSystem): Maybe<Mount> {
    return drive(this.#mountOp(path, fs));
  }

  *#mountOp(path: string, fs: FileSystem): Op<Mount> {
    const ctx = this.#rootContext();
    const w = yield* walk(ctx, ctx.root, path, { follow: true });
    if (!w.target) throw new KernelError("ENOENT", path);
    return this.mounts.mount(w.target, fs);
  }

  /** Unmounts the filesystem mounted at `path`; EBUSY while in use. */
  unmount(path: string): Maybe<void> {
    return drive(this.#unmountOp(path));
  }

  *#unmountOp(path: string): Op<void> {
    const ctx = this.#rootContext();
    const w = yield* walk(ctx, ctx.root, path, { follow: true });
    if (!w.target) throw new KernelError("ENOENT", path);
    const mount = w.target.mount;
    if (mount.root.ino !== w.target.node.ino || !mount.mountpoint) {
      throw new KernelError("EINVAL", "not a mount point");
    }
    this.mounts.unmount(mount);
  }

  #rootContext() {
    const root = { mount: this.mounts.root, node: this.mounts.root.root };
    return { mounts: this.mounts, root };
  }
}
