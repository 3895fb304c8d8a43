/**
 * vkernel: a virtual OS kernel for WebAssembly programs.
 *
 * ```ts
 * import { createKernel } from "./mod.ts";
 * const kernel = createKernel();
 * ```
 *
 * @module
 */

import { DevFileSystem } from "./drivers/devfs.ts";
import { MemoryFileSystem } from "./fs/memory/mod.ts";
import { isPromise } from "./kernel/_maybe.ts";
import { Kernel, type KernelOptions } from "./kernel/kernel.ts";
import type { Stream } from "./kernel/stream.ts";
import { mkdirat } from "./kernel/syscalls/mod.ts";
import { AT } from "./kernel/types.ts";
import type { FileSystem } from "./kernel/vfs/driver.ts";

export { DevFileSystem } from "./drivers/devfs.ts";
export { collector, nullStream, type Sink, sinkStream, type Source, sourceStream } from "./drivers/stdio.ts";
export { HostFileSystem } from "./fs/host/mod.ts";
export { MemoryFileSystem } from "./fs/memory/mod.ts";
export { CopyOnWriteFileSystem, ReadOnlyFileSystem } from "./fs/overlay/mod.ts";
export { type Clock, ClockId, RealClock, VirtualClock } from "./kernel/clock.ts";
export { type ErrnoName, isKernelError, KernelError } from "./kernel/errno.ts";
export { Kernel, type KernelOptions, type StdioOptions } from "./kernel/kernel.ts";
export { OpenFile } from "./kernel/open_file.ts";
export { createPipe } from "./kernel/pipe.ts";
export { Process, type ProcessOptions } from "./kernel/process.ts";
export { CryptoRandom, type RandomSource, SeededRandom } from "./kernel/random.ts";
export type { Stream } from "./kernel/stream.ts";
export * as sys from "./kernel/syscalls/mod.ts";
export * from "./kernel/types.ts";
export type { FileHandle, FileSystem, MountContext, VNode } from "./kernel/vfs/driver.ts";
export { type GoProgram, type GoRunOptions, runGo, startGo } from "./syscalls/gojs/mod.ts";
export { limitMemory } from "./syscalls/memory_limit.ts";
export { detectProgram, type ProgramInfo, type ProgramKind } from "./syscalls/program.ts";
export {
  type ChildProgram,
  type InputOption,
  loadProgram,
  type OutputOption,
  type ProgramSource,
  spawn,
  type SpawnOptions,
  UnsupportedProgramError,
} from "./syscalls/spawn.ts";
export {
  hasWorkerBridge,
  instantiateWasi,
  listenTcp,
  runWasi,
  runWasiInWorker,
  type WasiOptions,
  WasiReactor,
  type WasiResult,
  wasiRunMode,
  type WorkerBridgeOptions,
  type WorkerWasiOptions,
} from "./syscalls/wasi/mod.ts";

/** Options for {@link createKernel}. */
export interface CreateKernelOptions extends Partial<KernelOptions> {
  /** Mount devfs at /dev (default true). */
  dev?: boolean;
  /** The terminal behind /dev/tty. */
  tty?: Stream;
}

/**
 * A kernel with an in-memory root filesystem (unless `root` is given), devices
 * at `/dev` and an empty `/tmp`. Synchronous when the root is.
 *
 * @example
 * ```ts
 * import { createKernel, O, sys } from "./mod.ts";
 * const kernel = createKernel({ deterministic: true });
 * const proc = kernel.createProcess();
 * const fd = sys.openat(proc, -100, "/tmp/note.txt", O.CREAT | O.WRONLY, 0o644) as number;
 * sys.write(proc, fd, new TextEncoder().encode("hello"));
 * sys.close(proc, fd);
 * ```
 */
export function createKernel(options: CreateKernelOptions = {}): Kernel {
  const root: FileSystem = options.root ?? new MemoryFileSystem();
  const kernel = new Kernel({ ...options, root });
  const init = kernel.createProcess({ umask: 0 });
  try {
    for (const dir of ["/tmp", ...(options.dev === false ? [] : ["/dev"])]) {
      try {
        const r = mkdirat(init, AT.FDCWD, dir, dir === "/tmp" ? 0o1777 : 0o755);
        if (isPromise(r)) {
          throw new TypeError("createKernel needs a synchronous root; use Kernel and mount yourself");
        }
      } catch (error) {
        if (!(error instanceof Error && (error as { code?: string; }).code === "EEXIST")) throw error;
      }
    }
    if (options.dev !== false) {
      kernel.mount("/dev", new DevFileSystem({ random: kernel.random, tty: options.tty }));
    }
  } finally {
    init.exit(0);
  }
  return kernel;
}
