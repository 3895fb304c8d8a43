/**
 * The `path_*` family. Every path is resolved by the kernel *beneath* its
 * directory fd (`{ beneath: true }`): `..` above it and absolute symlinks are
 * EPERM (ERRNO_PERM, 63). Beneath the process root (a preopen named `/`) that
 * is an ordinary walk, as in a chroot.
 *
 * @module
 */

import { isPromise, then } from "../../kernel/_maybe.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, O, type Stat } from "../../kernel/types.ts";
import { kernelStatusFlags, SYNC_FDFLAGS, timesFromFlags, writeFilestat } from "./_encode.ts";
import { define, i32, i64, out, type WasiFunction } from "./_registry.ts";
import { LAYOUT, LOOKUPFLAGS, OFLAGS, OFLAGS_ALL, READ_RIGHTS, RIGHT_BITS } from "./abi.ts";
import {
  accessMask,
  maxInheriting,
  maxRights,
  rightsBits,
  type WasiContext,
  wasiFiletype,
} from "./context.ts";
import { fail } from "./errno.ts";
import { utf8 } from "./memory.ts";

const BENEATH = { beneath: true } as const;
const READ_BITS = Number(READ_RIGHTS);
// Programs open with the same rights again and again: the last conversions, by argument.
let lastBase = 0n;
let lastBaseBits = 0;
let lastInheriting = 0n;
let lastInheritingBits = 0;
const FD = (name = "fd") => i32(name);

function follows(lookupflags: number): boolean {
  if ((lookupflags >>> 0) & ~LOOKUPFLAGS.SYMLINK_FOLLOW) fail("EINVAL", "unknown lookupflags");
  return (lookupflags & LOOKUPFLAGS.SYMLINK_FOLLOW) !== 0;
}

/**
 * Kernel open flags for `path_open`. The access mode comes from the rights:
 * read rights (FD_READ, FD_READDIR) make it readable; FD_WRITE or
 * OFLAGS_TRUNC make it writable; neither gives an O_PATH-like descriptor that
 * can be stat'ed but not read. FD_ALLOCATE and FD_FILESTAT_SET_SIZE alone do
 * not make a file writable: Go's O_RDONLY keeps FD_FILESTAT_SET_SIZE (its
 * writeRights mask names PATH_FILESTAT_SET_SIZE instead), and ftruncate on a
 * read-only fd must fail.
 *
 * A directory opened with FD_WRITE is EISDIR, as `open(dir, O_RDWR)` on
 * POSIX, wasmtime and node:wasi: Go and wasi-libc drop FD_WRITE from the base
 * rights of a read-only open (their broad masks are the *inheriting* rights),
 * so FD_WRITE on a directory means the program asked to write it.
 */
function openFlags(
  dirflags: number,
  oflags: number,
  base: number,
  fdflags: number,
  writable: boolean,
): number {
  const readable = (base & READ_BITS) !== 0;
  let flags = readable && writable ? O.RDWR : writable ? O.WRONLY : readable ? O.RDONLY : O.RDONLY | O.PATH;
  if (oflags & OFLAGS.CREAT) flags |= O.CREAT;
  if (oflags & OFLAGS.DIRECTORY) flags |= O.DIRECTORY;
  if (oflags & OFLAGS.EXCL) flags |= O.EXCL;
  if (oflags & OFLAGS.TRUNC) flags |= O.TRUNC;
  if (!(dirflags & LOOKUPFLAGS.SYMLINK_FOLLOW)) flags |= O.NOFOLLOW;
  return flags | kernelStatusFlags(fdflags);
}

function pathOpen(
  ctx: WasiContext,
  dirfd: number,
  dirflags: number,
  pathPtr: number,
  pathLen: number,
  oflags: number,
  rightsBase: bigint,
  rightsInheriting: bigint,
  fdflags: number,
  fdPtr: number,
) {
  follows(dirflags);
  if ((oflags >>> 0) & ~OFLAGS_ALL) fail("EINVAL", "unknown oflags");
  const path = ctx.memory.string(pathPtr, pathLen >>> 0);
  ctx.memory.check(fdPtr, 4);
  // Every defined right is in the low 32 bits (rights above them are dropped by the masks below).
  const base = rightsBase === lastBase ? lastBaseBits : (lastBaseBits = rightsBits(lastBase = rightsBase));
  const writable = (base & RIGHT_BITS.FD_WRITE) !== 0 || (oflags & OFLAGS.TRUNC) !== 0;
  const flags = openFlags(dirflags, oflags, base, fdflags & 0xffff, writable);
  const opened = sys.openat(ctx.proc, dirfd >>> 0, path, flags, 0o666, BENEATH);
  if (isPromise(opened)) {
    return opened.then((fd) => recordOpen(ctx, fd, base, rightsInheriting, fdflags, fdPtr));
  }
  recordOpen(ctx, opened, base, rightsInheriting, fdflags, fdPtr);
}

/** Stores the new fd's rights and sync flags, and the fd for the guest. */
function recordOpen(
  ctx: WasiContext,
  fd: number,
  base: number,
  inheriting: bigint,
  fdflags: number,
  fdPtr: number,
) {
  const file = ctx.proc.fds.get(fd);
  const bits = inheriting === lastInheriting
    ? lastInheritingBits
    : (lastInheritingBits = rightsBits(lastInheriting = inheriting));
  const kept = bits & maxInheriting(file);
  ctx.setState(file, base & maxRights(file) & accessMask(file), kept, fdflags & SYNC_FDFLAGS);
  ctx.memory.setU32(fdPtr, fd);
}

function pathReadlink(
  ctx: WasiContext,
  dirfd: number,
  pathPtr: number,
  pathLen: number,
  buf: number,
  bufLen: number,
  usedPtr: number,
) {
  const path = ctx.memory.string(pathPtr, pathLen >>> 0);
  ctx.memory.check(buf, bufLen >>> 0);
  ctx.memory.check(usedPtr, 4);
  return then(sys.readlinkat(ctx.proc, dirfd >>> 0, path, BENEATH), (target: string) => {
    const bytes = utf8(target);
    const n = Math.min(bytes.length, bufLen >>> 0);
    ctx.memory.write(buf, bytes.subarray(0, n));
    ctx.memory.setU32(usedPtr, n);
  });
}

/** The 10 `path_*` functions. */
export const PATH_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "path_create_directory",
    params: [FD(), i32("path"), i32("path_len")],
    status: "full",
    note: "mkdirat, mode 0777 less the umask",
    blocking: "driver",
    impl: (ctx, fd: number, p: number, n: number) =>
      sys.mkdirat(ctx.proc, fd >>> 0, ctx.memory.string(p, n >>> 0), 0o777, BENEATH),
  }),
  define({
    name: "path_filestat_get",
    params: [FD(), i32("flags"), i32("path"), i32("path_len"), i32("buf")],
    status: "full",
    note: "fstatat, SYMLINK_FOLLOW or not; ns timestamps",
    blocking: "driver",
    writes: (a) => [out(a[4], LAYOUT.FILESTAT_SIZE)],
    impl: (ctx, fd: number, flags: number, p: number, n: number, buf: number) => {
      const follow = follows(flags);
      const path = ctx.memory.string(p, n >>> 0);
      ctx.memory.check(buf, LAYOUT.FILESTAT_SIZE);
      const r = sys.fstatat(ctx.proc, fd >>> 0, path, follow ? 0 : AT.SYMLINK_NOFOLLOW, BENEATH);
      return then(r, (st: Stat) => writeFilestat(ctx.memory, buf, st, wasiFiletype(st.type)));
    },
  }),
  define({
    name: "path_filestat_set_times",
    params: [FD(), i32("flags"), i32("path"), i32("path_len"), i64("atim"), i64("mtim"), i32("fst_flags")],
    status: "full",
    note: "utimensat with ns precision; SET and NOW per field (both: EINVAL)",
    blocking: "driver",
    impl: (ctx, fd: number, flags: number, p: number, n: number, atim: bigint, mtim: bigint, fst: number) => {
      const follow = follows(flags);
      const [a, m] = timesFromFlags(atim, mtim, fst & 0xffff);
      const path = ctx.memory.string(p, n >>> 0);
      return sys.utimensat(ctx.proc, fd >>> 0, path, a, m, follow ? 0 : AT.SYMLINK_NOFOLLOW, BENEATH);
    },
  }),
  define({
    name: "path_link",
    params: [
      FD("old_fd"),
      i32("old_flags"),
      i32("old_path"),
      i32("old_path_len"),
      FD("new_fd"),
      i32("new_path"),
      i32(
        "new_path_len",
      ),
    ],
    status: "full",
    note: "linkat (SYMLINK_FOLLOW follows a final symlink in the source); EXDEV across mounts",
    blocking: "driver",
    impl: (
      ctx,
      oldFd: number,
      flags: number,
      op: number,
      on: number,
      newFd: number,
      np: number,
      nn: number,
    ) => {
      const follow = follows(flags);
      const oldPath = ctx.memory.string(op, on >>> 0);
      const newPath = ctx.memory.string(np, nn >>> 0);
      const at = follow ? AT.SYMLINK_FOLLOW : 0;
      return sys.linkat(ctx.proc, oldFd >>> 0, oldPath, newFd >>> 0, newPath, at, BENEATH);
    },
  }),
  define({
    name: "path_open",
    params: [
      FD(),
      i32("dirflags"),
      i32("path"),
      i32("path_len"),
      i32("oflags"),
      i64("fs_rights_base"),
      i64("fs_rights_inheriting"),
      i32("fdflags"),
      i32("fd_ptr"),
    ],
    status: "full",
    note: "all oflags and fdflags; access mode from rights (FD_READ/FD_READDIR: readable; FD_WRITE or TRUNC: "
      + "writable; FD_WRITE on a directory is EISDIR, as open(dir, O_RDWR)); O_DIRECTORY|O_NOFOLLOW on a "
      + "symlink fails (ENOTDIR/ELOOP); rights stored and reported (enforced only once dropped)",
    blocking: "driver",
    writes: (a) => [out(a[8], 4)],
    impl: pathOpen,
  }),
  define({
    name: "path_readlink",
    params: [FD(), i32("path"), i32("path_len"), i32("buf"), i32("buf_len"), i32("bufused_ptr")],
    status: "full",
    note: "a short buffer gets the truncated target and errno 0",
    blocking: "driver",
    writes: (a) => [out(a[3], Number(a[4]) >>> 0), out(a[5], 4)],
    impl: pathReadlink,
  }),
  define({
    name: "path_remove_directory",
    params: [FD(), i32("path"), i32("path_len")],
    status: "full",
    note: "unlinkat(AT_REMOVEDIR): ENOTEMPTY, ENOTDIR, EBUSY on a mount point",
    blocking: "driver",
    impl: (ctx, fd: number, p: number, n: number) =>
      sys.unlinkat(ctx.proc, fd >>> 0, ctx.memory.string(p, n >>> 0), AT.REMOVEDIR, BENEATH),
  }),
  define({
    name: "path_rename",
    params: [FD(), i32("old_path"), i32("old_path_len"), FD("new_fd"), i32("new_path"), i32("new_path_len")],
    status: "full",
    note: "renameat with POSIX replacement rules; EXDEV across mounts",
    blocking: "driver",
    impl: (ctx, fd: number, op: number, on: number, newFd: number, np: number, nn: number) => {
      const oldPath = ctx.memory.string(op, on >>> 0);
      const newPath = ctx.memory.string(np, nn >>> 0);
      return sys.renameat(ctx.proc, fd >>> 0, oldPath, newFd >>> 0, newPath, BENEATH);
    },
  }),
  define({
    name: "path_symlink",
    params: [i32("old_path"), i32("old_path_len"), FD(), i32("new_path"), i32("new_path_len")],
    status: "full",
    note:
      "symlinkat; the target is stored as given (an absolute one is EPERM when followed beneath a preopen)",
    blocking: "driver",
    impl: (ctx, op: number, on: number, fd: number, np: number, nn: number) => {
      const target = ctx.memory.string(op, on >>> 0);
      const linkPath = ctx.memory.string(np, nn >>> 0);
      return sys.symlinkat(ctx.proc, target, fd >>> 0, linkPath, BENEATH);
    },
  }),
  define({
    name: "path_unlink_file",
    params: [FD(), i32("path"), i32("path_len")],
    status: "full",
    note: "unlinkat; EISDIR for a directory, ENOTDIR for a trailing slash on a file",
    blocking: "driver",
    impl: (ctx, fd: number, p: number, n: number) =>
      sys.unlinkat(ctx.proc, fd >>> 0, ctx.memory.string(p, n >>> 0), 0, BENEATH),
  }),
];
