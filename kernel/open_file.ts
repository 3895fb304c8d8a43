/**
 * Open file descriptions: what an fd points at. `dup` shares one, so the
 * offset and status flags are shared too. Drivers never hold offsets.
 *
 * @module
 */

import type { Stream } from "./stream.ts";
import { O } from "./types.ts";
import type { FileHandle } from "./vfs/driver.ts";
import type { Location } from "./vfs/mount_table.ts";

/** The status flags an fd may change after open (`fcntl F_SETFL`). */
export const SETTABLE_STATUS_FLAGS = O.APPEND | O.NONBLOCK | O.DSYNC | O.SYNC;

/**
 * An open file description.
 *
 * @example
 * ```ts
 * import { OpenFile } from "./open_file.ts";
 * import { O } from "./types.ts";
 * // const file = new OpenFile(location, handle, null, O.RDWR);
 * ```
 */
export class OpenFile {
  /** Current offset (for directories: the readdir cookie). */
  offset = 0;
  /** How many fd table slots (in any process) point here. */
  refs = 1;
  /** Directory listing still to hand out, for readers that want single entries. */
  dirBuffer: unknown = null;
  /**
   * State a facade keeps per open file description (WASI rights, say), so it
   * follows dup and renumbering; the facade marks which instance owns it.
   */
  facade: object | null = null;

  constructor(
    /** The file, for files and directories opened through the VFS (null for anonymous streams). */
    readonly location: Location | null,
    /** The driver's handle (null for streams). */
    readonly handle: FileHandle | null,
    /** The stream, for pipes, sockets and stdio (null for VFS files). */
    readonly stream: Stream | null,
    /** Access mode and status flags (kernel `O` values). */
    public flags: number,
    /** The path it was opened by, for traces and messages. */
    readonly path = "",
  ) {}

  /** Whether reads are allowed by the access mode. */
  get readable(): boolean {
    return (this.flags & O.ACCMODE) !== O.WRONLY && (this.flags & O.PATH) === 0;
  }

  /** Whether writes are allowed by the access mode. */
  get writable(): boolean {
    return (this.flags & O.ACCMODE) !== O.RDONLY && (this.flags & O.PATH) === 0;
  }

  /** Whether O_APPEND is set. */
  get append(): boolean {
    return (this.flags & O.APPEND) !== 0;
  }

  /** Whether O_NONBLOCK is set. */
  get nonblocking(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }
}
