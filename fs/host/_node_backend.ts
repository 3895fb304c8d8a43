/**
 * The `node:fs` backend of the host-directory driver: Node, Bun, and Deno's
 * `node:fs` compatibility layer.
 *
 * `node:fs` is reached through `process.getBuiltinModule` rather than a static
 * import, so importing the driver never loads `node:fs` (the module stays
 * loadable in a browser bundle; only constructing a node backend needs it).
 *
 * Files are opened with `O_NOFOLLOW | O_NONBLOCK`: a final symlink is refused
 * by the host and a FIFO swapped in by another host process cannot block the
 * runtime. Owner and times change through `lchown` / `lutimes`, which never
 * follow a symlink; only `chmod` by path follows one (there is no `lchmod` on
 * Linux), so the driver prefers `fchmod`.
 *
 * Times: `{ bigint: true }` stat gives nanoseconds on Node and Bun, and
 * milliseconds under Deno's `node:fs`. `utimes`-style calls take seconds as a
 * double: nanosecond-exact for small times, about 0.24 µs steps for present-day
 * times (Deno's `lutimesSync`: milliseconds). Times before 1970 go as numeric
 * strings, since a negative number means "now" to `node:fs`; Deno's `node:fs`
 * cannot set them at all (EINVAL).
 *
 * @module
 */

import type * as NodeFs from "node:fs";
import { KernelError } from "../../kernel/errno.ts";
import type { StatFs } from "../../kernel/types.ts";
import { FileType } from "../../kernel/types.ts";
import {
  fileTypeOfMode,
  type HostAccess,
  type HostBackend,
  type HostDirent,
  type HostFile,
  type HostStat,
} from "./_backend.ts";

type Fs = typeof NodeFs;

/** `node:fs`, when this runtime has it; `null` otherwise. */
export function loadNodeFs(): Fs | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; }; }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as Fs | undefined;
  return fs && typeof fs.lstatSync === "function" ? fs : null;
}

function fromStats(st: NodeFs.BigIntStats): HostStat {
  const mode = Number(st.mode);
  return {
    dev: st.dev,
    ino: st.ino,
    type: fileTypeOfMode(mode),
    mode: mode & 0o7777,
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: Number(st.rdev),
    size: Number(st.size),
    blksize: Number(st.blksize),
    blocks: Number(st.blocks),
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    birthtimeNs: st.birthtimeNs > 0n ? st.birthtimeNs : undefined,
  };
}

function direntType(entry: NodeFs.Dirent): FileType {
  if (entry.isFile()) return FileType.RegularFile;
  if (entry.isDirectory()) return FileType.Directory;
  if (entry.isSymbolicLink()) return FileType.Symlink;
  if (entry.isFIFO()) return FileType.Fifo;
  if (entry.isCharacterDevice()) return FileType.CharDevice;
  if (entry.isBlockDevice()) return FileType.BlockDevice;
  if (entry.isSocket()) return FileType.Socket;
  return FileType.Unknown;
}

const fd = (file: HostFile): number => file as unknown as number;

/**
 * Creates the `node:fs` backend.
 *
 * @throws {TypeError} when this runtime has no `node:fs`.
 */
export function createNodeBackend(): HostBackend {
  const fs = loadNodeFs();
  if (!fs) throw new TypeError("the node backend needs node:fs (process.getBuiltinModule), which is missing");
  const C = fs.constants;
  const base = C.O_NOFOLLOW | C.O_NONBLOCK;
  const accessFlags: Record<HostAccess, number> = { r: C.O_RDONLY, w: C.O_WRONLY, rw: C.O_RDWR };
  const proc = (globalThis as { process?: { platform?: string; }; }).process;
  const isDeno = typeof (globalThis as { Deno?: unknown; }).Deno !== "undefined";
  const id = (value: number | null): number => value ?? -1;
  // node:fs takes a negative number of seconds as "now"; a numeric string is taken as is
  // (Node, Bun). Deno's node:fs takes both as "now": refuse rather than set the wrong time.
  const time = (seconds: number): number | string => {
    if (seconds >= 0) return seconds;
    if (isDeno) throw new KernelError("EINVAL", "Deno's node:fs cannot set times before 1970");
    return String(seconds);
  };

  return {
    name: "node",
    backslashIsSeparator: proc?.platform === "win32",
    timeResolutionNs: isDeno ? 1_000_000n : 1n,

    realpath: (path) => fs.realpathSync(path),
    lstat: (path) => fromStats(fs.lstatSync(path, { bigint: true })),
    lstatIfExists(path) {
      const st = fs.lstatSync(path, { bigint: true, throwIfNoEntry: false });
      return st ? fromStats(st) : null;
    },
    readdir: (path) =>
      fs.readdirSync(path, { withFileTypes: true }).map((entry) => ({
        name: entry.name,
        type: direntType(entry),
      } satisfies HostDirent)),
    readlink: (path) => fs.readlinkSync(path),
    mkdir: (path, mode) => fs.mkdirSync(path, { mode }),
    symlink: (target, path) => fs.symlinkSync(target, path),
    link: (existing, path) => fs.linkSync(existing, path),
    unlink: (path) => fs.unlinkSync(path),
    rmdir: (path) => fs.rmdirSync(path),
    rename: (from, to) => fs.renameSync(from, to),

    chmod: (path, mode) => fs.chmodSync(path, mode),
    chown: (path, uid, gid) => fs.lchownSync(path, id(uid), id(gid)),
    chownFollows: false,
    utimes: (path, atime, mtime) => fs.lutimesSync(path, time(atime), time(mtime)),
    utimesFollows: false,

    open: (path, access) => fs.openSync(path, accessFlags[access] | base) as unknown as HostFile,
    createExclusive: (path, mode) =>
      fs.openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | base, mode) as unknown as HostFile,
    fstat: (file) => fromStats(fs.fstatSync(fd(file), { bigint: true })),
    fchmod: (file, mode) => fs.fchmodSync(fd(file), mode),
    fchown: (file, uid, gid) => fs.fchownSync(fd(file), id(uid), id(gid)),
    futimes: (file, atime, mtime) => fs.futimesSync(fd(file), time(atime), time(mtime)),
    read: (file, buffer, position) => fs.readSync(fd(file), buffer, 0, buffer.byteLength, position),
    write: (file, buffer, position) => fs.writeSync(fd(file), buffer, 0, buffer.byteLength, position),
    ftruncate: (file, size) => fs.ftruncateSync(fd(file), size),
    fsync: (file) => fs.fsyncSync(fd(file)),
    close: (file) => fs.closeSync(fd(file)),
    statfs(path): StatFs | null {
      if (typeof fs.statfsSync !== "function") return null;
      const s = fs.statfsSync(path);
      return {
        blockSize: Number(s.bsize),
        totalBlocks: Number(s.blocks),
        freeBlocks: Number(s.bavail),
        totalInodes: Number(s.files),
        freeInodes: Number(s.ffree),
        nameMax: 255,
      };
    },
  };
}
