/**
 * A process: an fd table, a working directory and root (locations, not
 * strings), a umask, credentials, arguments, environment and an exit status.
 * Several processes share one kernel and see the same files.
 *
 * @module
 */

import { KernelError } from "./errno.ts";
import { FdTable } from "./fd_table.ts";
import type { Kernel } from "./kernel.ts";
import type { OpenFile } from "./open_file.ts";
import { AT, FileType } from "./types.ts";
import type { Location } from "./vfs/mount_table.ts";
import type { WalkContext } from "./vfs/namei.ts";

/** How to create a {@link Process}. */
export interface ProcessOptions {
  /** argv, with argv[0] the program name. */
  args?: string[];
  /** Environment variables. */
  env?: Record<string, string>;
  /** Maximum number of open fds (default 1024). */
  maxFds?: number;
  umask?: number;
  uid?: number;
  gid?: number;
}

/**
 * A process of a {@link Kernel}. Create one with `kernel.createProcess()`.
 *
 * @example
 * ```ts
 * import { createKernel } from "../mod.ts";
 * const kernel = createKernel();
 * const proc = kernel.createProcess({ args: ["demo"] });
 * console.assert(proc.pid > 0);
 * ```
 */
export class Process implements WalkContext {
  readonly fds: FdTable;
  args: string[];
  env: Record<string, string>;
  umask: number;
  uid: number;
  gid: number;
  /** The exit status once the process has exited. */
  exitCode: number | null = null;
  #cwd: Location;
  #root: Location;
  readonly #exitWaiters: Array<(code: number) => void> = [];

  constructor(
    readonly kernel: Kernel,
    readonly pid: number,
    readonly ppid: number,
    options: ProcessOptions = {},
  ) {
    this.fds = new FdTable(options.maxFds);
    this.args = options.args ?? [];
    this.env = options.env ?? {};
    this.umask = options.umask ?? 0o022;
    this.uid = options.uid ?? 0;
    this.gid = options.gid ?? 0;
    const root: Location = { mount: kernel.mounts.root, node: kernel.mounts.root.root };
    this.#root = root;
    this.#cwd = root;
    root.mount.refs += 2;
  }

  /** The mount table (for the path walker). */
  get mounts(): Kernel["mounts"] {
    return this.kernel.mounts;
  }

  /** The process's root directory. */
  get root(): Location {
    return this.#root;
  }

  /** The working directory. */
  get cwd(): Location {
    return this.#cwd;
  }

  /** Changes the working directory to a directory location. */
  setCwd(location: Location): void {
    if (location.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    location.mount.refs++;
    this.#cwd.mount.refs--;
    this.#cwd = location;
  }

  /** Changes the root directory (chroot). */
  setRoot(location: Location): void {
    if (location.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    location.mount.refs++;
    this.#root.mount.refs--;
    this.#root = location;
  }

  /** The directory a `*at` call starts from: the cwd for AT_FDCWD, else the directory open at `dirfd`. */
  at(dirfd: number): Location {
    if (dirfd === AT.FDCWD) return this.#cwd;
    const file = this.fds.get(dirfd);
    if (!file.location) throw new KernelError("ENOTDIR");
    if (file.location.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    return file.location;
  }

  /** The open file at `fd` (EBADF if none). */
  file(fd: number): OpenFile {
    return this.fds.get(fd);
  }

  /** Records the exit status (first call wins) and wakes {@link waitExit} callers. */
  exit(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    for (const wake of this.#exitWaiters.splice(0)) wake(code);
    this.kernel.reap(this);
  }

  /** Resolves with the exit status. */
  waitExit(): Promise<number> {
    if (this.exitCode !== null) return Promise.resolve(this.exitCode);
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }
}
