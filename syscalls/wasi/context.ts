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

/** Every defined right fits in 30 bits: the facade keeps rights as numbers (no BigInt per call). */
const bits = (rights: bigint): number => Number(rights);
const READ_BITS = bits(READ_RIGHTS);
const WRITE_BITS = bits(WRITE_RIGHTS | RIGHTS.FD_DATASYNC);
const FILE_BITS = bits(FILE_RIGHTS);
const DIRECTORY_BITS = bits(DIRECTORY_RIGHTS);
const DIRECTORY_INHERITING_BITS = bits(DIRECTORY_INHERITING);
const STREAM_BITS = bits(STREAM_RIGHTS);
const SOCKET_BITS = bits(SOCKET_RIGHTS);
const LISTENER_BITS = bits(LISTENER_RIGHTS);

/** The low 32 bits of a u64 rights argument, as a number (rights above bit 31 do not exist). */
export function rightsBits(rights: bigint): number {
  const n = Number(rights);
  return Number.isSafeInteger(n) ? n >>> 0 : Number(BigInt.asUintN(32, rights));
}

/** Facade state of one open file description (rights as numbers: all defined rights fit in 30 bits). */
export class FdState {
  /** Rights the program gave up with fd_fdstat_set_rights: those are enforced (NOTCAPABLE). */
  dropped = 0;

  constructor(
    /** The instance that keeps it. */
    readonly owner: WasiContext,
    /** Rights as stored at open (masked to what the file type can have) and narrowed by fd_fdstat_set_rights. */
    public base: number,
    public inheriting: number,
    /** The DSYNC/RSYNC/SYNC fdflags as last set (the kernel folds RSYNC into SYNC, as Linux does). */
    public syncFlags: number,
  ) {}
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
export function maxRights(file: OpenFile): number {
  const stream = file.stream;
  if (stream) {
    if (isListener(stream)) return LISTENER_BITS;
    return stream.type === FileType.Socket ? SOCKET_BITS : STREAM_BITS;
  }
  return isDirectory(file) ? DIRECTORY_BITS : FILE_BITS;
}

/** Rights the access mode rules out (read rights of a write-only file, and so on): the mask that keeps the rest. */
export function accessMask(file: OpenFile): number {
  if (isDirectory(file)) return -1;
  let mask = -1;
  if (!file.readable) mask &= ~READ_BITS;
  if (!file.writable) mask &= ~WRITE_BITS;
  return mask;
}

/** The inheriting rights an open file can carry. */
export function maxInheriting(file: OpenFile): number {
  return isDirectory(file) ? DIRECTORY_INHERITING_BITS : FILE_BITS;
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
  /** State of files whose `facade` field another instance took first (a shared process). */
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

  /** This instance's facade state of a file, if any was recorded. */
  #peek(file: OpenFile): FdState | undefined {
    const state = file.facade;
    if (state === null) return undefined;
    if (state instanceof FdState && state.owner === this) return state;
    return this.#state.get(file);
  }

  /** Facade state of an open file (defaults derived from its type and access mode). */
  state(file: OpenFile): FdState {
    let state = this.#peek(file);
    if (!state) {
      const max = maxRights(file) & accessMask(file);
      const syncFlags = (file.flags & O.SYNC) === O.SYNC
        ? FDFLAGS.SYNC
        : (file.flags & O.DSYNC)
        ? FDFLAGS.DSYNC
        : 0;
      state = this.setState(file, max, isDirectory(file) ? DIRECTORY_INHERITING_BITS : 0, syncFlags);
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
   * The open file at `fd`, NOTCAPABLE if the program dropped `right` (a
   * {@link RIGHTS} bit as a number) on it with fd_fdstat_set_rights. Rights
   * given at open are reported, not enforced (the access mode decides); rights
   * dropped later are, as preview1 specifies.
   */
  fileWith(fd: number, right: number): OpenFile {
    const file = this.proc.fds.get(fd >>> 0);
    if (file.facade !== null) {
      const state = this.#peek(file);
      if (state !== undefined && (state.dropped & right) !== 0) {
        throw new WasiError(ERRNO.NOTCAPABLE, "right dropped by fd_fdstat_set_rights");
      }
    }
    return file;
  }

  /** Records facade state for a newly opened file (rights as numbers, see {@link rightsBits}). */
  setState(file: OpenFile, base: number, inheriting: number, syncFlags: number): FdState {
    const state = new FdState(this, base, inheriting, syncFlags);
    const current = file.facade;
    if (current === null || (current instanceof FdState && current.owner === this)) file.facade = state;
    else this.#state.set(file, state);
    return state;
  }
}
