/**
 * Node-style `Stats` objects built from kernel {@link Stat}s, as Go's
 * `syscall.setStat` reads them: `dev ino mode nlink uid gid rdev size blksize
 * blocks atimeMs mtimeMs ctimeMs` (each through `.Int()`), `mode` with the
 * POSIX type bits, and `isDirectory()`.
 *
 * @module
 */

import { FileType, type Stat } from "../../kernel/types.ts";

/** Nanoseconds to float milliseconds, exact to the microsecond for any date a double can hold. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}

/** The stats object handed to Go: Node's `fs.Stats` fields, and its `is*()` type tests. */
export class GoStats {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;

  constructor(st: Stat) {
    this.dev = st.dev;
    this.ino = st.ino;
    this.mode = st.type | (st.mode & 0o7777);
    this.nlink = st.nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.size = st.size;
    this.blksize = st.blksize;
    this.blocks = st.blocks;
    this.atimeMs = nsToMs(st.atimeNs);
    this.mtimeMs = nsToMs(st.mtimeNs);
    this.ctimeMs = nsToMs(st.ctimeNs);
    this.birthtimeMs = nsToMs(st.birthtimeNs ?? st.ctimeNs);
  }

  #is(type: number): boolean {
    return (this.mode & 0o170000) === type;
  }
  /** Whether the type bits say directory (Go calls this after `open`). */
  isDirectory(): boolean {
    return this.#is(FileType.Directory);
  }
  isFile(): boolean {
    return this.#is(FileType.RegularFile);
  }
  isSymbolicLink(): boolean {
    return this.#is(FileType.Symlink);
  }
  isFIFO(): boolean {
    return this.#is(FileType.Fifo);
  }
  isCharacterDevice(): boolean {
    return this.#is(FileType.CharDevice);
  }
  isBlockDevice(): boolean {
    return this.#is(FileType.BlockDevice);
  }
  isSocket(): boolean {
    return this.#is(FileType.Socket);
  }
}

/**
 * The stats object for a kernel stat.
 *
 * @example
 * ```ts
 * import { toGoStats } from "./stat.ts";
 * const st = toGoStats({
 *   dev: 1, ino: 2, type: 0o040000, mode: 0o755, nlink: 2, uid: 0, gid: 0, rdev: 0, size: 0,
 *   blksize: 4096, blocks: 0, atimeNs: 1_500_000n, mtimeNs: 0n, ctimeNs: 0n,
 * });
 * console.assert(st.isDirectory() && st.mode === 0o40755 && st.atimeMs === 1.5);
 * ```
 */
export function toGoStats(st: Stat): GoStats {
  return new GoStats(st);
}
