/**
 * The state one WASI instance keeps beside its kernel process: guest memory,
 * preopen names, and per-open-file facade state (rights and the sync fdflags
 * the kernel does not distinguish). Facade state is keyed by the kernel's
 * {@link OpenFile}, so it follows `fd_renumber` and is shared by duplicates.
 *
 * @module
 */

import type { OpenFile } from "../../kernel/open_file.ts";
import type { Process } from "../../kernel/process.ts";
import { FileType, O, POLL } from "../../kernel/types.ts";
import {
  DIRECTORY_INHERITING,
  DIRECTORY_RIGHTS,
  ERRNO,
  FDFLAGS,
  FILE_RIGHTS,
  FILETYPE,
  LISTENER_RIGHTS,
  READ_RIGHTS,
  RIGHTS,
  SOCKET_RIGHTS,
  STREAM_RIGHTS,
  WRITE_RIGHTS,
} from "./abi.ts";
import { WasiError } from "./errno.ts";
import { GuestMemory } from "./memory.ts";

/** Facade state of one open file description. */
export interface FdState {
  /** Rights as stored at open (masked to what the file type can have) and narrowed by fd_fdstat_set_rights. */
  base: bigint;
  inheriting: bigint;
  /** The DSYNC/RSYNC/SYNC fdflags as last set (the kernel folds RSYNC into SYNC, as Linux does). */
  syncFlags: number;
  /** Rights the program gave up with fd_fdstat_set_rights: those are enforced (NOTCAPABLE). */
  dropped?: bigint;
}

/** What a preopened fd is, for fd_prestat_get. */
export interface PreopenEntry {
  /** The name the guest sees (its path prefix), e.g. "/" or "/data". */
  readonly name: string;
}

/** A stream that hands out connections (a listening socket). */
export interface AcceptingStream {
  accept(nonblocking: boolean): unknown;
}

/** Whether the stream behind a file is a listening socket. */
export function isListener(stream: unknown): stream is AcceptingStream {
  return typeof (stream as Partial<AcceptingStream> | null)?.accept === "function";
}

/** The WASI filetype of a kernel file type. FIFOs have no WASI type: UNKNOWN. */
export function wasiFiletype(type: number): number {
  switch (type) {
    case FileType.Directory:
      return FILETYPE.DIRECTORY;
    case FileType.RegularFile:
      return FILETYPE.REGULAR_FILE;
    case FileType.Symlink:
      return FILETYPE.SYMBOLIC_LINK;
    case FileType.CharDevice:
      return FILETYPE.CHARACTER_DEVICE;
    case FileType.BlockDevice:
      return FILETYPE.BLOCK_DEVICE;
    case FileType.Socket:
      return FILETYPE.SOCKET_STREAM;
    default:
      return FILETYPE.UNKNOWN;
  }
}

/**
 * The WASI filetype of an open file. Streams: sockets are SOCKET_STREAM;
 * terminals (the embedder said `isTerminal`) are CHARACTER_DEVICE; every other
 * stream (non-tty stdio, pipes) is UNKNOWN, so wasi-libc's `isatty` (which
 * wants CHARACTER_DEVICE without seek/tell rights) is 0 for them.
 */
export function filetypeOf(file: OpenFile): number {
  const stream = file.stream;
  if (stream) {
    if (stream.type === FileType.Socket) return FILETYPE.SOCKET_STREAM;
    return stream.isTerminal ? FILETYPE.CHARACTER_DEVICE : FILETYPE.UNKNOWN;
  }
  return file.location ? wasiFiletype(file.location.node.type) : FILETYPE.UNKNOWN;
}

/** Whether the open file is a directory. */
export function isDirectory(file: OpenFile): boolean {
  return file.location !== null && file.location.node.type === FileType.Directory;
}

/** The most rights an open file of this kind can carry. */
export function maxRights(file: OpenFile): bigint {
  const stream = file.stream;
  if (stream) {
    if (isListener(stream)) return LISTENER_RIGHTS;
    return stream.type === FileType.Socket ? SOCKET_RIGHTS : STREAM_RIGHTS;
  }
  return isDirectory(file) ? DIRECTORY_RIGHTS : FILE_RIGHTS;
}

/** Rights the access mode rules out (read rights of a write-only file, and so on). */
export function accessMask(file: OpenFile): bigint {
  if (isDirectory(file)) return ~0n;
  let mask = ~0n;
  if (!file.readable) mask &= ~READ_RIGHTS;
  if (!file.writable) mask &= ~(WRITE_RIGHTS | RIGHTS.FD_DATASYNC);
  return mask;
}

/**
 * One WASI instance's view of its process.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { WasiContext } from "./context.ts";
 * const proc = createKernel().createProcess();
 * const ctx = new WasiContext(proc);
 * console.assert(ctx.memory.size === 0);
 * ```
 */
export class WasiContext {
  /** Guest memory (bound once the instance exists). */
  readonly memory: GuestMemory;
  /** Preopened directories, keyed by open file description. */
  readonly preopens: WeakMap<OpenFile, PreopenEntry> = new WeakMap();
  /** Whether imports that can block run under JSPI (may return a Promise the guest waits for). */
  canBlock = false;
  readonly #state = new WeakMap<OpenFile, FdState>();

  constructor(readonly proc: Process, memory: GuestMemory = new GuestMemory()) {
    this.memory = memory;
  }

  /** The kernel. */
  get kernel(): Process["kernel"] {
    return this.proc.kernel;
  }

  /** The open file at a guest fd (read as u32, so no guest fd can mean AT_FDCWD); EBADF if none. */
  file(fd: number): OpenFile {
    return this.proc.fds.get(fd >>> 0);
  }

  /** Facade state of an open file (defaults derived from its type and access mode). */
  state(file: OpenFile): FdState {
    let state = this.#state.get(file);
    if (!state) {
      const max = maxRights(file) & accessMask(file);
      const syncFlags = (file.flags & O.SYNC) === O.SYNC
        ? FDFLAGS.SYNC
        : (file.flags & O.DSYNC)
        ? FDFLAGS.DSYNC
        : 0;
      state = { base: max, inheriting: isDirectory(file) ? DIRECTORY_INHERITING : 0n, syncFlags };
      this.#state.set(file, state);
    }
    return state;
  }

  /**
   * Without JSPI an import cannot wait: a blocking-mode stream operation that
   * is not ready (`events`: POLL.IN or POLL.OUT) fails with NOTSUP before the
   * kernel call, so no read or write is left pending behind the guest's back.
   */
  assertReady(file: OpenFile, events: number): void {
    if (this.canBlock || !file.stream || file.nonblocking) return;
    if (file.stream.poll() & (events | POLL.HUP | POLL.ERR)) return;
    throw new WasiError(ERRNO.NOTSUP, "the call would block, and blocking needs JSPI");
  }

  /**
   * The open file at `fd`, NOTCAPABLE if the program dropped `right` on it with
   * fd_fdstat_set_rights. Rights given at open are reported, not enforced (the
   * access mode decides); rights dropped later are, as preview1 specifies.
   */
  fileWith(fd: number, right: bigint): OpenFile {
    const file = this.file(fd);
    const dropped = this.#state.get(file)?.dropped;
    if (dropped && (dropped & right) !== 0n) {
      throw new WasiError(ERRNO.NOTCAPABLE, "right dropped by fd_fdstat_set_rights");
    }
    return file;
  }

  /** Records facade state for a newly opened file. */
  setState(file: OpenFile, state: FdState): void {
    this.#state.set(file, state);
  }
}
