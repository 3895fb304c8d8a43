/**
 * Internals of the ZenFS adapter: one call table over a ZenFS `FileSystem`
 * (its `*Sync` methods or its Promise methods), error conversion and time
 * conversion. Operations are written once as generators (`fs/_shared/step.ts`).
 *
 * @module
 */

// SPDX note: this file only calls @zenfs/core (LGPL-3.0-or-later) through its
// public API; it contains no ZenFS code.

import {
  CopyOnWriteFS,
  FetchFS,
  type FileSystem as ZenFileSystem,
  IndexFS,
  type InodeLike,
  StoreFS,
  SyncTransaction,
} from "@zenfs/core";
import { ERRNO_MESSAGES, type ErrnoName, KernelError } from "../../kernel/errno.ts";
import type { Maybe } from "../../kernel/types.ts";

/** The metadata fields the adapter reads from a ZenFS inode, copied out of it. */
export interface ZenInode {
  ino: number;
  mode: number;
  size: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
}

/** What the adapter passes to `createFile` / `mkdir` (ZenFS `CreationOptions`). */
export interface ZenCreation {
  uid: number;
  gid: number;
  mode: number;
}

/** The ZenFS calls the adapter makes, each returning a value or a Promise. */
export interface ZenCalls {
  stat(path: string): Maybe<ZenInode>;
  createFile(path: string, options: ZenCreation): Maybe<ZenInode>;
  mkdir(path: string, options: ZenCreation): Maybe<ZenInode>;
  unlink(path: string): Maybe<void>;
  rmdir(path: string): Maybe<void>;
  rename(oldPath: string, newPath: string): Maybe<void>;
  link(target: string, link: string): Maybe<void>;
  readdir(path: string): Maybe<string[]>;
  read(path: string, buffer: Uint8Array, start: number, end: number): Maybe<void>;
  write(path: string, buffer: Uint8Array, offset: number): Maybe<void>;
  touch(path: string, metadata: Partial<ZenInode>): Maybe<void>;
  sync(): Maybe<void>;
}

/** Copies the fields of a ZenFS inode (often a view over store bytes) into a plain object. */
export function plainInode(inode: InodeLike): ZenInode {
  return {
    ino: Number(inode.ino),
    mode: Number(inode.mode),
    size: Number(inode.size),
    nlink: Number(inode.nlink),
    uid: Number(inode.uid),
    gid: Number(inode.gid),
    rdev: Number(inode.rdev ?? 0),
    atimeMs: Number(inode.atimeMs),
    mtimeMs: Number(inode.mtimeMs),
    ctimeMs: Number(inode.ctimeMs),
    birthtimeMs: Number(inode.birthtimeMs),
  };
}

/** The call table over a ZenFS file system's synchronous methods. */
export function syncCalls(fs: ZenFileSystem): ZenCalls {
  return {
    stat: (path) => plainInode(fs.statSync(path)),
    createFile: (path, options) => plainInode(fs.createFileSync(path, options)),
    mkdir: (path, options) => plainInode(fs.mkdirSync(path, options)),
    unlink: (path) => fs.unlinkSync(path),
    rmdir: (path) => fs.rmdirSync(path),
    rename: (oldPath, newPath) => fs.renameSync(oldPath, newPath),
    link: (target, link) => fs.linkSync(target, link),
    readdir: (path) => fs.readdirSync(path),
    read: (path, buffer, start, end) => fs.readSync(path, buffer, start, end),
    write: (path, buffer, offset) => fs.writeSync(path, buffer, offset),
    touch: (path, metadata) => fs.touchSync(path, metadata),
    sync: () => fs.syncSync(),
  };
}

/** The call table over a ZenFS file system's Promise methods. */
export function asyncCalls(fs: ZenFileSystem): ZenCalls {
  return {
    stat: (path) => fs.stat(path).then(plainInode),
    createFile: (path, options) => fs.createFile(path, options).then(plainInode),
    mkdir: (path, options) => fs.mkdir(path, options).then(plainInode),
    unlink: (path) => fs.unlink(path),
    rmdir: (path) => fs.rmdir(path),
    rename: (oldPath, newPath) => fs.rename(oldPath, newPath),
    link: (target, link) => fs.link(target, link),
    readdir: (path) => fs.readdir(path),
    read: (path, buffer, start, end) => fs.read(path, buffer, start, end),
    write: (path, buffer, offset) => fs.write(path, buffer, offset),
    touch: (path, metadata) => fs.touch(path, metadata),
    sync: () => fs.sync(),
  };
}

/**
 * Whether the adapter can use the file system's `*Sync` methods for real:
 * stores with synchronous transactions (InMemory, SingleBuffer), a
 * CopyOnWrite whose two layers are synchronous, and plain file systems without
 * ZenFS's `Async` mixin (Passthrough). Async-mixin file systems (IndexedDB,
 * Port, ...) and Fetch are asynchronous: their sync methods only work over a
 * preloaded cache, which `disableAsyncCache: true` turns off.
 */
export function detectSynchronous(fs: ZenFileSystem): boolean {
  if (fs instanceof CopyOnWriteFS) return detectSynchronous(fs.readable) && detectSynchronous(fs.writable);
  if (fs instanceof FetchFS) return false;
  if (typeof (fs as { checkSync?: unknown; }).checkSync === "function") return false;
  if (fs instanceof StoreFS) {
    const store = (fs as unknown as { store?: { transaction?: () => unknown; }; }).store;
    try {
      return store?.transaction?.() instanceof SyncTransaction;
    } catch {
      return false;
    }
  }
  return true;
}

/** Whether the backend's inode numbers are unique with the root as 0 (every `StoreFS`). */
export function detectBackendInodes(fs: ZenFileSystem): boolean {
  return fs instanceof StoreFS;
}

/** Whether `createFile`/`mkdir` of the backend refuse an existing name with EEXIST themselves. */
export function detectChecksExistence(fs: ZenFileSystem): boolean {
  return fs instanceof StoreFS || fs instanceof IndexFS;
}

/** Whether `rename` over a regular file atomically replaces it (and the replaced inode had one name). */
export function detectAtomicReplace(fs: ZenFileSystem): boolean {
  return fs instanceof StoreFS;
}

/** Whether the backend copies the bytes of a write (so the adapter need not copy the caller's buffer first). */
export function detectCopiesWrites(fs: ZenFileSystem): boolean {
  return fs instanceof StoreFS;
}

/**
 * Drops `path` from the path table of a ZenFS `StoreFS` (or of the writable
 * layer of a `CopyOnWriteFS`) after one name of a file that keeps another name
 * was removed. StoreFS 2.7 clears a path from its table only together with the
 * inode, so the removed name keeps answering `stat`, and when the inode finally
 * goes it takes from the table whatever was created at that path since (a
 * directory made there becomes unreachable). Returns whether the table was
 * found and repaired; it is internal (`_ids`, `_paths`), so it is looked for,
 * never assumed.
 */
export function forgetRemovedName(fs: ZenFileSystem, path: string): boolean {
  if (fs instanceof CopyOnWriteFS) return forgetRemovedName(fs.writable, path);
  if (!(fs instanceof StoreFS)) return false;
  const tables = fs as unknown as { _ids?: unknown; _paths?: unknown; };
  const ids = tables._ids;
  const paths = tables._paths;
  if (!(ids instanceof Map) || !(paths instanceof Map)) return false;
  const id = ids.get(path);
  if (id === undefined) return true;
  ids.delete(path);
  const names = paths.get(id);
  if (names instanceof Set) names.delete(path);
  return true;
}

/** ZenFS codes that are not kernel errno names, and the kernel's nearest. */
const CODE_MAP: Readonly<Record<string, ErrnoName>> = {
  ENODATA: "EIO",
  EDEADLK: "EIO",
  EOPNOTSUPP: "ENOTSUP",
  EDQUOT: "ENOSPC",
  ETXTBSY: "EBUSY",
  ENOTBLK: "EINVAL",
  ESTALE: "ENOENT",
};

/** The errno code carried by a ZenFS error (kerium `Exception`), if any. */
export function zenCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown; } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Converts anything thrown while calling ZenFS into a {@link KernelError}: a
 * ZenFS `ErrnoError`/`Exception` keeps its code (or the nearest kernel code),
 * anything else (a JSON parse error over a corrupt listing, a RangeError) is EIO.
 */
export function toKernelError(error: unknown): KernelError {
  if (error instanceof KernelError) return error;
  const code = zenCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined) {
    if (Object.hasOwn(ERRNO_MESSAGES, code)) return new KernelError(code as ErrnoName, `zenfs: ${message}`);
    const mapped = CODE_MAP[code];
    if (mapped !== undefined) return new KernelError(mapped, `zenfs ${code}: ${message}`);
  }
  return new KernelError("EIO", `zenfs: ${message}`);
}

/** `ms` (a double of milliseconds, as ZenFS stores times) as bigint nanoseconds, rounded. */
export function msToNs(ms: number): bigint {
  if (!Number.isFinite(ms)) return 0n;
  const whole = Math.floor(ms);
  // ms - floor(ms) is exact in binary floating point, so only the stored
  // double's own precision (about 0.24 µs at today's dates) is lost.
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** Nanoseconds as the nearest double of milliseconds. */
export function nsToMs(ns: bigint): number {
  const whole = ns / 1_000_000n;
  const rest = ns - whole * 1_000_000n;
  return Number(whole) + Number(rest) / 1e6;
}
