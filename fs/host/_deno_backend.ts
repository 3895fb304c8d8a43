/**
 * The `Deno.*Sync` backend of the host-directory driver.
 *
 * What the Deno API lacks, and how the driver copes:
 *
 * - No `O_NOFOLLOW`: `Deno.openSync` follows a final symlink. The driver opens
 *   only names it has just `lstat`ed as a regular file or directory, then
 *   compares the opened file's `fstat` device and inode with the node's and
 *   closes it on a mismatch, so a symlink swapped in by another host process is
 *   never read or written through. (Opening it may still have side effects: a
 *   FIFO swapped in at that instant would block the open.)
 * - No `fchmod`, `fchown`, `lchown`, `lutimes`: `chmodSync`, `chownSync` and
 *   `utimeSync` follow a final symlink. The driver verifies the name with
 *   `lstat` just before, changes times through `FsFile.utimeSync` where it can,
 *   and refuses owner and time changes on a symlink itself (ENOSYS).
 * - Times are milliseconds both ways: `FileInfo` holds `Date`s (ctime only
 *   seconds on Linux in Deno 2.9), and `utimeSync` truncates its seconds to
 *   milliseconds.
 * - No `statfs`: the driver reports fixed figures.
 *
 * @module
 */

import { FileType } from "../../kernel/types.ts";
import { fileTypeOfMode, type HostBackend, type HostFile, type HostStat } from "./_backend.ts";

type DenoApi = typeof Deno;

/** The `Deno` namespace, when this runtime is Deno; `null` otherwise. */
export function loadDeno(): DenoApi | null {
  const deno = (globalThis as { Deno?: DenoApi; }).Deno;
  return deno && typeof deno.lstatSync === "function" ? deno : null;
}

function typeOf(info: Deno.FileInfo): FileType {
  if (info.mode !== null && (info.mode & 0o170000) !== 0) return fileTypeOfMode(info.mode);
  if (info.isFile) return FileType.RegularFile;
  if (info.isDirectory) return FileType.Directory;
  if (info.isSymlink) return FileType.Symlink;
  if (info.isFifo) return FileType.Fifo;
  if (info.isCharDevice) return FileType.CharDevice;
  if (info.isBlockDevice) return FileType.BlockDevice;
  if (info.isSocket) return FileType.Socket;
  return FileType.Unknown;
}

const ns = (date: Date | null | undefined): bigint | undefined =>
  date ? BigInt(date.getTime()) * 1_000_000n : undefined;

function fromInfo(info: Deno.FileInfo): HostStat {
  const mtimeNs = ns(info.mtime) ?? 0n;
  return {
    dev: BigInt(info.dev),
    ino: BigInt(info.ino ?? 0),
    type: typeOf(info),
    mode: (info.mode ?? 0) & 0o7777,
    nlink: info.nlink ?? 1,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    rdev: info.rdev ?? 0,
    size: info.size,
    blksize: info.blksize ?? 4096,
    blocks: info.blocks ?? Math.ceil(info.size / 512),
    atimeNs: ns(info.atime) ?? mtimeNs,
    mtimeNs,
    ctimeNs: ns(info.ctime) ?? mtimeNs,
    birthtimeNs: ns(info.birthtime),
  };
}

const file = (handle: HostFile): Deno.FsFile => handle as unknown as Deno.FsFile;

/**
 * Creates the `Deno.*Sync` backend.
 *
 * @throws {TypeError} when this runtime is not Deno.
 */
export function createDenoBackend(): HostBackend {
  const D = loadDeno();
  if (!D) throw new TypeError("the deno backend needs the Deno namespace, which is missing");
  return {
    name: "deno",
    backslashIsSeparator: D.build.os === "windows",
    timeResolutionNs: 1_000_000n,

    realpath: (path) => D.realPathSync(path),
    lstat: (path) => fromInfo(D.lstatSync(path)),
    lstatIfExists(path) {
      try {
        return fromInfo(D.lstatSync(path));
      } catch (error) {
        if (error instanceof D.errors.NotFound) return null;
        throw error;
      }
    },
    readdir: (path) =>
      Array.from(D.readDirSync(path), (entry) => ({
        name: entry.name,
        type: entry.isFile
          ? FileType.RegularFile
          : entry.isDirectory
          ? FileType.Directory
          : entry.isSymlink
          ? FileType.Symlink
          : FileType.Unknown,
      })),
    readlink: (path) => D.readLinkSync(path),
    mkdir: (path, mode) => D.mkdirSync(path, { mode }),
    symlink: (target, path) => D.symlinkSync(target, path),
    link: (existing, path) => D.linkSync(existing, path),
    unlink: (path) => D.removeSync(path),
    rmdir: (path) => D.removeSync(path),
    rename: (from, to) => D.renameSync(from, to),

    chmod: (path, mode) => D.chmodSync(path, mode),
    chown: (path, uid, gid) => D.chownSync(path, uid, gid),
    chownFollows: true,
    utimes: (path, atime, mtime) => D.utimeSync(path, atime, mtime),
    utimesFollows: true,

    open: (path, access) =>
      D.openSync(path, { read: access !== "w", write: access !== "r" }) as unknown as HostFile,
    createExclusive: (path, mode) =>
      D.openSync(path, { write: true, createNew: true, mode }) as unknown as HostFile,
    fstat: (handle) => fromInfo(file(handle).statSync()),
    futimes: (handle, atime, mtime) => file(handle).utimeSync(atime, mtime),
    read(handle, buffer, position) {
      const f = file(handle);
      f.seekSync(position, D.SeekMode.Start);
      return f.readSync(buffer) ?? 0;
    },
    write(handle, buffer, position) {
      const f = file(handle);
      f.seekSync(position, D.SeekMode.Start);
      return f.writeSync(buffer);
    },
    ftruncate: (handle, size) => file(handle).truncateSync(size),
    fsync: (handle) => file(handle).syncSync(),
    close: (handle) => file(handle).close(),
    statfs: () => null,
  };
}
