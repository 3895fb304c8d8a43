/**
 * The `fd_*` family: I/O, positioning, metadata, flags, rights, preopen
 * names and directory listing on open file descriptors.
 *
 * Each function decodes its arguments, makes one kernel call (`sys.*`) and
 * encodes the result; facade-only state (rights, preopen names) lives in the
 * {@link WasiContext}.
 *
 * @module
 */

import { isPromise, then } from "../../kernel/_maybe.ts";
import type { OpenFile } from "../../kernel/open_file.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { type DirEntry, type Maybe, POLL, SEEK, type Stat } from "../../kernel/types.ts";
import {
  kernelStatusFlags,
  safeI64,
  safeU64,
  SYNC_FDFLAGS,
  timesFromFlags,
  u64,
  wasiFdflags,
  writeFilestat,
} from "./_encode.ts";
import { type Arg, define, i32, i64, iovecRanges, out, type Range, type WasiFunction } from "./_registry.ts";
import { ADVICE_MAX, ERRNO, LAYOUT, PREOPENTYPE, RIGHT_BITS, WHENCE } from "./abi.ts";
import { filetypeOf, isDirectory, type WasiContext, wasiFiletype } from "./context.ts";
import { fail, WasiError } from "./errno.ts";
import { gather, scatter, totalLength, utf8, writeU64 } from "./memory.ts";

const FD = (name = "fd") => i32(name);

/** One kernel read into the iovecs (directly for one iovec, through a buffer for several). */
function readInto(
  views: Uint8Array[],
  read: (buffer: Uint8Array) => number | Promise<number>,
  done: (n: number) => void,
): Maybe<number | void> {
  const direct = views.length === 1;
  const buffer = direct ? views[0] : new Uint8Array(totalLength(views));
  return then(read(buffer), (n: number) => {
    if (!direct) scatter(buffer, n, views);
    done(n);
  });
}

/**
 * Whether a stream call is going to wait (under JSPI): then the kernel must not
 * keep a live view of guest memory across the wait (the memory may grow and
 * detach it), so reads go through a buffer and writes hand over a copy.
 */
export function willWait(ctx: WasiContext, file: OpenFile, events: number): boolean {
  const stream = file.stream;
  return stream !== null && ctx.canBlock && !file.nonblocking
    && (stream.poll() & (events | POLL.HUP | POLL.ERR)) === 0;
}

function fdRead(ctx: WasiContext, fd: number, iovs: number, iovsLen: number, nreadPtr: number) {
  const file = ctx.fileWith(fd, RIGHT_BITS.FD_READ);
  const mem = ctx.memory;
  const one = mem.iovec1(iovs, iovsLen);
  const views = one === null ? mem.iovecs(iovs, iovsLen) : null;
  mem.check(nreadPtr, 4);
  ctx.assertReady(file, POLL.IN);
  if (file.stream !== null && willWait(ctx, file, POLL.IN)) {
    // Read into a buffer, then into the iovecs as they are after the wait.
    const buffer = new Uint8Array(one !== null ? one.length : totalLength(views!));
    return then(sys.read(ctx.proc, fd >>> 0, buffer), (n: number) => {
      scatter(buffer, n, mem.iovecs(iovs, iovsLen));
      mem.setU32(nreadPtr, n);
    });
  }
  if (one === null) {
    return readInto(views!, (b) => sys.read(ctx.proc, fd >>> 0, b), (n) => mem.setU32(nreadPtr, n));
  }
  const n = sys.read(ctx.proc, fd >>> 0, one);
  if (isPromise(n)) return n.then((count) => mem.setU32(nreadPtr, count));
  mem.setU32(nreadPtr, n);
}

function fdWrite(ctx: WasiContext, fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) {
  const file = ctx.fileWith(fd, RIGHT_BITS.FD_WRITE);
  const mem = ctx.memory;
  let data = mem.iovec1(iovs, iovsLen) ?? gather(mem.iovecs(iovs, iovsLen));
  mem.check(nwrittenPtr, 4);
  ctx.assertReady(file, POLL.OUT);
  if (file.stream !== null && willWait(ctx, file, POLL.OUT)) data = data.slice();
  const n = sys.write(ctx.proc, fd >>> 0, data);
  if (isPromise(n)) return n.then((count) => mem.setU32(nwrittenPtr, count));
  mem.setU32(nwrittenPtr, n);
}

/** Seeking a directory is EBADF in WASI (wasi-testsuite), whatever lseek would do. */
function seekable(ctx: WasiContext, fd: number): void {
  if (isDirectory(ctx.file(fd))) fail("EBADF", "seek on a directory");
}

function fdSeek(ctx: WasiContext, fd: number, offset: bigint, whence: number, resultPtr: number) {
  ctx.fileWith(fd, RIGHT_BITS.FD_SEEK);
  seekable(ctx, fd);
  if ((whence >>> 0) > WHENCE.END) fail("EINVAL", "bad whence");
  const delta = safeI64(offset);
  ctx.memory.check(resultPtr, 8);
  return then(
    sys.lseek(ctx.proc, fd >>> 0, delta, whence),
    (pos: number) => ctx.memory.setU64(resultPtr, pos),
  );
}

function fdReaddir(
  ctx: WasiContext,
  fd: number,
  buf: number,
  bufLen: number,
  cookie: bigint,
  usedPtr: number,
) {
  const mem = ctx.memory;
  const len = bufLen >>> 0;
  const base = mem.check(buf, len);
  mem.check(usedPtr, 4);
  const start = u64(cookie);
  const file = ctx.fileWith(fd, RIGHT_BITS.FD_READDIR);
  if (len === 0 || start > BigInt(Number.MAX_SAFE_INTEGER)) {
    // Nothing fits, or a cookie past any listing: an empty read (after the type check).
    if (!isDirectory(file)) fail("ENOTDIR");
    mem.setU32(usedPtr, 0);
    return;
  }
  // Every entry takes at least 25 bytes, so this many always fill the buffer.
  const limit = Math.floor(len / (LAYOUT.DIRENT_SIZE + 1)) + 1;
  return then(sys.getdents(ctx.proc, fd >>> 0, limit, Number(start)), (entries: DirEntry[]) => {
    let used = 0;
    for (const entry of entries) {
      const name = utf8(entry.name);
      const record = new Uint8Array(LAYOUT.DIRENT_SIZE + name.length);
      const view = new DataView(record.buffer);
      view.setBigUint64(0, BigInt(entry.next), true);
      view.setBigUint64(8, BigInt(entry.ino), true);
      view.setUint32(16, name.length, true);
      view.setUint8(20, wasiFiletype(entry.type));
      record.set(name, LAYOUT.DIRENT_SIZE);
      const k = Math.min(record.length, len - used);
      mem.write(base + used, k === record.length ? record : record.subarray(0, k));
      used += k;
      if (used === len) break;
    }
    mem.setU32(usedPtr, used);
  });
}

function fdFdstatGet(ctx: WasiContext, fd: number, ptr: number) {
  const file = ctx.file(fd);
  const state = ctx.state(file);
  const mem = ctx.memory;
  const p = mem.check(ptr, LAYOUT.FDSTAT_SIZE);
  const flags = wasiFdflags(sys.getfl(ctx.proc, fd >>> 0), state.syncFlags);
  const view = mem.view;
  view.setUint8(p, filetypeOf(file));
  view.setUint8(p + 1, 0);
  view.setUint16(p + 2, flags, true);
  view.setUint32(p + 4, 0, true);
  writeU64(view, p + 8, state.base);
  writeU64(view, p + 16, state.inheriting);
}

function fdFdstatSetFlags(ctx: WasiContext, fd: number, fdflags: number) {
  const file = ctx.file(fd);
  const flags = kernelStatusFlags(fdflags & 0xffff);
  sys.setfl(ctx.proc, fd >>> 0, flags);
  ctx.state(file).syncFlags = fdflags & SYNC_FDFLAGS;
}

function fdFdstatSetRights(ctx: WasiContext, fd: number, base: bigint, inheriting: bigint) {
  const state = ctx.state(ctx.file(fd));
  const b = u64(base), i = u64(inheriting);
  if ((b & ~BigInt(state.base)) !== 0n || (i & ~BigInt(state.inheriting)) !== 0n) {
    throw new WasiError(ERRNO.NOTCAPABLE, "rights can only be narrowed");
  }
  // Subsets of the stored rights: numbers of at most 30 bits.
  const nb = Number(b);
  state.dropped |= state.base & ~nb;
  state.base = nb;
  state.inheriting = Number(i);
}

function fdFilestatGet(ctx: WasiContext, fd: number, ptr: number) {
  const file = ctx.file(fd);
  ctx.memory.check(ptr, LAYOUT.FILESTAT_SIZE);
  const st = sys.fstat(ctx.proc, fd >>> 0);
  if (isPromise(st)) return st.then((s) => writeFilestat(ctx.memory, ptr, s, filetypeOf(file)));
  writeFilestat(ctx.memory, ptr, st, filetypeOf(file));
}

function fdPrestatGet(ctx: WasiContext, fd: number, ptr: number) {
  const entry = ctx.preopens.get(ctx.file(fd));
  if (!entry) fail("EBADF", "not a preopen");
  const mem = ctx.memory;
  mem.check(ptr, LAYOUT.PRESTAT_SIZE);
  mem.fill(ptr, LAYOUT.PRESTAT_SIZE, 0);
  mem.setU8(ptr, PREOPENTYPE.DIR);
  mem.setU32(ptr + 4, utf8(entry.name).length);
}

function fdPrestatDirName(ctx: WasiContext, fd: number, pathPtr: number, pathLen: number) {
  const entry = ctx.preopens.get(ctx.file(fd));
  if (!entry) fail("EBADF", "not a preopen");
  const name = utf8(entry.name);
  ctx.memory.check(pathPtr, pathLen >>> 0);
  if ((pathLen >>> 0) < name.length) fail("ENAMETOOLONG", "buffer shorter than the preopen name");
  ctx.memory.write(pathPtr, name);
}

function fdRenumber(ctx: WasiContext, from: number, to: number) {
  ctx.file(from);
  ctx.file(to); // the target must be open (as in wasmtime)
  if ((from >>> 0) === (to >>> 0)) return;
  return then(sys.dup2(ctx.proc, from >>> 0, to >>> 0), () => sys.close(ctx.proc, from >>> 0));
}

function fdAllocate(ctx: WasiContext, fd: number, offset: bigint, len: bigint) {
  const file = ctx.fileWith(fd, RIGHT_BITS.FD_ALLOCATE);
  if (file.stream) fail("ESPIPE");
  if (isDirectory(file) || !file.writable) fail("EBADF");
  const end = u64(offset) + u64(len);
  if (end > BigInt(Number.MAX_SAFE_INTEGER)) fail("EFBIG");
  return then(sys.fstat(ctx.proc, fd >>> 0), (st: Stat) => {
    if (st.size < Number(end)) return sys.ftruncate(ctx.proc, fd >>> 0, Number(end));
  });
}

function positional(
  ctx: WasiContext,
  fd: number,
  iovs: number,
  iovsLen: number,
  offset: bigint,
  resultPtr: number,
  write: boolean,
) {
  const file = ctx.fileWith(fd, write ? RIGHT_BITS.FD_WRITE : RIGHT_BITS.FD_READ);
  if (file.stream) fail("ESPIPE");
  const views = ctx.memory.iovecs(iovs, iovsLen);
  const position = safeU64(offset);
  ctx.memory.check(resultPtr, 4);
  if (write) {
    return then(
      sys.pwrite(ctx.proc, fd >>> 0, gather(views), position),
      (n: number) => ctx.memory.setU32(resultPtr, n),
    );
  }
  return readInto(
    views,
    (b) => sys.pread(ctx.proc, fd >>> 0, b, position),
    (n) => ctx.memory.setU32(resultPtr, n),
  );
}

const iovWrites =
  (iovsIndex: number, resultIndex: number) => (a: readonly Arg[], ctx: WasiContext): Range[] => [
    ...iovecRanges(ctx.memory, a[iovsIndex], a[iovsIndex + 1]),
    out(a[resultIndex], 4),
  ];

/** The 21 `fd_*` functions. */
export const FD_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "fd_advise",
    params: [FD(), i64("offset"), i64("len"), i32("advice")],
    status: "full",
    note: "validated (EBADF, ESPIPE on streams, EINVAL on bad advice), then no effect: advice is a hint",
    blocking: "never",
    impl: (ctx, fd: number, _offset: bigint, _len: bigint, advice: number) => {
      const file = ctx.file(fd);
      if ((advice >>> 0) > ADVICE_MAX) fail("EINVAL", "unknown advice");
      if (file.stream) fail("ESPIPE");
      if (isDirectory(file)) fail("EBADF");
    },
  }),
  define({
    name: "fd_allocate",
    params: [FD(), i64("offset"), i64("len")],
    status: "partial",
    note:
      "extends the file to offset+len (fstat + ftruncate: the kernel has no fallocate); no space reservation",
    blocking: "driver",
    impl: fdAllocate,
  }),
  define({
    name: "fd_close",
    params: [FD()],
    status: "full",
    note: "closes any fd, preopens included",
    blocking: "driver",
    impl: (ctx, fd: number) => sys.close(ctx.proc, fd >>> 0),
  }),
  define({
    name: "fd_datasync",
    params: [FD()],
    status: "full",
    note: "fsync (a superset); EINVAL on streams",
    blocking: "driver",
    impl: (ctx, fd: number) => sys.fsync(ctx.proc, fd >>> 0),
  }),
  define({
    name: "fd_fdstat_get",
    params: [FD(), i32("stat_ptr")],
    status: "full",
    note:
      "filetype (non-tty stdio and pipes: UNKNOWN; ttys: CHARACTER_DEVICE), fdflags round-trip, stored rights",
    blocking: "never",
    writes: (a) => [out(a[1], LAYOUT.FDSTAT_SIZE)],
    impl: fdFdstatGet,
  }),
  define({
    name: "fd_fdstat_set_flags",
    params: [FD(), i32("flags")],
    status: "full",
    note: "APPEND and NONBLOCK (stdin, pipes, sockets then give EAGAIN); DSYNC/RSYNC/SYNC recorded",
    blocking: "never",
    impl: fdFdstatSetFlags,
  }),
  define({
    name: "fd_fdstat_set_rights",
    params: [FD(), i64("fs_rights_base"), i64("fs_rights_inheriting")],
    status: "partial",
    note: "narrows the rights (widening is NOTCAPABLE); dropped rights are then enforced (NOTCAPABLE), "
      + "rights given at open are only reported (the access mode decides)",
    blocking: "never",
    impl: fdFdstatSetRights,
  }),
  define({
    name: "fd_filestat_get",
    params: [FD(), i32("buf")],
    status: "full",
    note: "dev, inode, nlink, size, ns timestamps",
    blocking: "driver",
    writes: (a) => [out(a[1], LAYOUT.FILESTAT_SIZE)],
    impl: fdFilestatGet,
  }),
  define({
    name: "fd_filestat_set_size",
    params: [FD(), i64("size")],
    status: "full",
    note: "ftruncate; EINVAL unless open for writing",
    blocking: "driver",
    impl: (ctx, fd: number, size: bigint) => {
      ctx.fileWith(fd, RIGHT_BITS.FD_FILESTAT_SET_SIZE);
      return sys.ftruncate(ctx.proc, fd >>> 0, safeU64(size, "EFBIG"));
    },
  }),
  define({
    name: "fd_filestat_set_times",
    params: [FD(), i64("atim"), i64("mtim"), i32("fst_flags")],
    status: "full",
    note: "ns precision; SET and NOW per field (both: EINVAL)",
    blocking: "driver",
    impl: (ctx, fd: number, atim: bigint, mtim: bigint, flags: number) => {
      const [a, m] = timesFromFlags(atim, mtim, flags & 0xffff);
      return sys.futimens(ctx.proc, fd >>> 0, a, m);
    },
  }),
  define({
    name: "fd_pread",
    params: [FD(), i32("iovs"), i32("iovs_len"), i64("offset"), i32("nread_ptr")],
    status: "full",
    note: "one kernel pread for all iovecs; ESPIPE on streams",
    blocking: "driver",
    writes: iovWrites(1, 4),
    impl: (ctx, fd: number, iovs: number, n: number, offset: bigint, ptr: number) =>
      positional(ctx, fd, iovs, n, offset, ptr, false),
  }),
  define({
    name: "fd_prestat_get",
    params: [FD(), i32("buf")],
    status: "full",
    note: "preopened directories from fd 3 in order; EBADF for every other fd (sockets too)",
    blocking: "never",
    writes: (a) => [out(a[1], LAYOUT.PRESTAT_SIZE)],
    impl: fdPrestatGet,
  }),
  define({
    name: "fd_prestat_dir_name",
    params: [FD(), i32("path"), i32("path_len")],
    status: "full",
    note: "the name without NUL; a short buffer is NAMETOOLONG",
    blocking: "never",
    writes: (a) => [out(a[1], Number(a[2]) >>> 0)],
    impl: fdPrestatDirName,
  }),
  define({
    name: "fd_pwrite",
    params: [FD(), i32("iovs"), i32("iovs_len"), i64("offset"), i32("nwritten_ptr")],
    status: "full",
    note: "one kernel pwrite; with APPEND the data goes to the end (as on Linux)",
    blocking: "driver",
    writes: (a) => [out(a[4], 4)],
    impl: (ctx, fd: number, iovs: number, n: number, offset: bigint, ptr: number) =>
      positional(ctx, fd, iovs, n, offset, ptr, true),
  }),
  define({
    name: "fd_read",
    params: [FD(), i32("iovs"), i32("iovs_len"), i32("nread_ptr")],
    status: "full",
    note: "blocks under JSPI; EAGAIN when NONBLOCK and empty; without JSPI a read that would block is NOTSUP",
    blocking: "stream",
    writes: iovWrites(1, 3),
    impl: fdRead,
  }),
  define({
    name: "fd_readdir",
    params: [FD(), i32("buf"), i32("buf_len"), i64("cookie"), i32("bufused_ptr")],
    status: "full",
    note:
      "`.` and `..`, resumable cookies (d_next), buffer filled with a truncated last entry, d_ino, d_type",
    blocking: "driver",
    writes: (a) => [out(a[1], Number(a[2]) >>> 0), out(a[4], 4)],
    impl: fdReaddir,
  }),
  define({
    name: "fd_renumber",
    params: [FD(), FD("to")],
    status: "full",
    note: "dup2 + close; both fds must be open (EBADF); preopen state moves with the file",
    blocking: "driver",
    impl: fdRenumber,
  }),
  define({
    name: "fd_seek",
    params: [FD(), i64("offset"), i32("whence"), i32("newoffset_ptr")],
    status: "full",
    note: "SET/CUR/END; ESPIPE on streams, EBADF on directories",
    blocking: "driver",
    writes: (a) => [out(a[3], 8)],
    impl: fdSeek,
  }),
  define({
    name: "fd_sync",
    params: [FD()],
    status: "full",
    note: "fsync through the driver; EINVAL on streams",
    blocking: "driver",
    impl: (ctx, fd: number) => sys.fsync(ctx.proc, fd >>> 0),
  }),
  define({
    name: "fd_tell",
    params: [FD(), i32("offset_ptr")],
    status: "full",
    note: "lseek(fd, 0, CUR); ESPIPE on streams, EBADF on directories",
    blocking: "never",
    writes: (a) => [out(a[1], 8)],
    impl: (ctx, fd: number, ptr: number) => {
      ctx.fileWith(fd, RIGHT_BITS.FD_TELL);
      seekable(ctx, fd);
      ctx.memory.check(ptr, 8);
      return then(sys.lseek(ctx.proc, fd >>> 0, 0, SEEK.CUR), (pos: number) => ctx.memory.setU64(ptr, pos));
    },
  }),
  define({
    name: "fd_write",
    params: [FD(), i32("iovs"), i32("iovs_len"), i32("nwritten_ptr")],
    status: "full",
    note: "one kernel write for all iovecs; short writes/EAGAIN when NONBLOCK; blocks under JSPI",
    blocking: "stream",
    writes: (a) => [out(a[3], 4)],
    impl: fdWrite,
  }),
];
