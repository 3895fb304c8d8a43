import assert from "node:assert/strict";
import { test } from "node:test";
import { collector, sinkStream, sourceStream } from "../../drivers/stdio.ts";
import { createPipe } from "../../kernel/pipe.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { O } from "../../kernel/types.ts";
import { type Harness, harness } from "./_test_support.ts";
import { ERRNO, FDFLAGS, FILETYPE, FSTFLAGS, OFLAGS, RIGHTS, WHENCE } from "./abi.ts";

const PATH = 100;
const OUT = 1024;
const IOV = 2048;
const BUF = 4096;
const RW = RIGHTS.FD_READ | RIGHTS.FD_WRITE | RIGHTS.FD_SEEK | RIGHTS.FD_TELL | RIGHTS.FD_FILESTAT_GET
  | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.FD_FILESTAT_SET_TIMES;

function open(h: Harness, path: string, oflags = 0, rights = RW, fdflags = 0, dirfd = 3, follow = 1): number {
  const len = h.put(PATH, path);
  const errno = h.call("path_open", dirfd, follow, PATH, len, oflags, rights, 0n, fdflags, OUT);
  if (errno !== 0) return -errno;
  return h.u32(OUT);
}

function write(h: Harness, fd: number, ...chunks: string[]): number {
  let at = BUF;
  const list: [number, number][] = [];
  for (const c of chunks) {
    const n = h.put(at, c);
    list.push([at, n]);
    at += n + 16;
  }
  h.iovecs(IOV, list);
  const errno = h.call("fd_write", fd, IOV, list.length, OUT);
  return errno === 0 ? h.u32(OUT) : -errno;
}

test("fd_write and fd_read with several iovecs, fd_seek, fd_tell", async () => {
  const h = await harness();
  const fd = open(h, "tmp/f.txt", OFLAGS.CREAT);
  assert.ok(fd > 3);
  assert.equal(write(h, fd, "hello ", "wide ", "world"), 16);
  assert.equal(h.call("fd_tell", fd, OUT), 0);
  assert.equal(h.u64(OUT), 16n);
  assert.equal(h.call("fd_seek", fd, 6n, WHENCE.SET, OUT), 0);
  assert.equal(h.u64(OUT), 6n);
  h.iovecs(IOV, [[BUF, 2], [BUF + 100, 3]]);
  assert.equal(h.call("fd_read", fd, IOV, 2, OUT), 0);
  assert.equal(h.u32(OUT), 5);
  assert.equal(h.text(BUF, 2) + h.text(BUF + 100, 3), "wide ");
  assert.equal(h.call("fd_seek", fd, -5n, WHENCE.END, OUT), 0);
  assert.equal(h.u64(OUT), 11n);
  assert.equal(h.call("fd_seek", fd, -100n, WHENCE.CUR, OUT), ERRNO.INVAL);
  assert.equal(h.call("fd_seek", fd, 0n, 3, OUT), ERRNO.INVAL);
  // pread / pwrite leave the offset alone
  h.iovecs(IOV, [[BUF, 5]]);
  assert.equal(h.call("fd_pread", fd, IOV, 1, 0n, OUT), 0);
  assert.equal(h.text(BUF, h.u32(OUT)), "hello");
  h.put(BUF, "HELLO");
  assert.equal(h.call("fd_pwrite", fd, IOV, 1, 0n, OUT), 0);
  assert.equal(h.call("fd_tell", fd, OUT), 0);
  assert.equal(h.u64(OUT), 11n);
  assert.equal(h.call("fd_pread", fd, IOV, 1, 2n ** 63n, OUT), ERRNO.INVAL);
});

test("directories: seek and tell are EBADF, read/write are EISDIR/EBADF", async () => {
  const h = await harness();
  assert.equal(h.call("fd_seek", 3, 0n, WHENCE.SET, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_tell", 3, OUT), ERRNO.BADF);
  h.iovecs(IOV, [[BUF, 8]]);
  assert.ok([ERRNO.ISDIR, ERRNO.BADF].includes(h.call("fd_read", 3, IOV, 1, OUT) as 31));
  assert.ok([ERRNO.ISDIR, ERRNO.BADF].includes(h.call("fd_write", 3, IOV, 1, OUT) as 31));
  assert.ok([ERRNO.ISDIR, ERRNO.BADF].includes(h.call("fd_allocate", 3, 0n, 1n) as 31));
  assert.ok([ERRNO.ISDIR, ERRNO.INVAL, ERRNO.BADF].includes(h.call("fd_filestat_set_size", 3, 0n) as 31));
  assert.equal(h.call("fd_fdstat_get", 3, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.DIRECTORY);
  assert.equal(h.u64(OUT + 8) & RIGHTS.FD_SEEK, 0n, "directories never carry FD_SEEK");
});

test("bad fds are EBADF everywhere, AT_FDCWD cannot be reached from the guest", async () => {
  const h = await harness();
  for (const fd of [99, -1, -100, 0x7fffffff]) {
    assert.equal(h.call("fd_close", fd), ERRNO.BADF);
    assert.equal(h.call("fd_fdstat_get", fd, OUT), ERRNO.BADF);
    assert.equal(h.call("fd_filestat_get", fd, OUT), ERRNO.BADF);
    const len = h.put(PATH, "tmp");
    assert.equal(h.call("path_filestat_get", fd, 0, PATH, len, OUT), ERRNO.BADF);
  }
});

test("preopens: from fd 3 in order, a preopen named /, EBADF after the last", async () => {
  const h = await harness({ preopens: ["/", { path: "/tmp", name: "/scratch" }] });
  assert.equal(h.call("fd_prestat_get", 3, OUT), 0);
  assert.equal(h.bytes()[OUT], 0);
  assert.equal(h.u32(OUT + 4), 1);
  assert.equal(h.call("fd_prestat_dir_name", 3, BUF, 1), 0);
  assert.equal(h.text(BUF, 1), "/");
  assert.equal(h.call("fd_prestat_get", 4, OUT), 0);
  assert.equal(h.u32(OUT + 4), 8);
  h.bytes().fill(0xaa, BUF, BUF + 16);
  assert.equal(h.call("fd_prestat_dir_name", 4, BUF, 16), 0);
  assert.equal(h.text(BUF, 8), "/scratch");
  assert.equal(h.bytes()[BUF + 8], 0xaa, "no NUL written");
  assert.equal(h.call("fd_prestat_dir_name", 4, BUF, 3), ERRNO.NAMETOOLONG);
  assert.equal(h.call("fd_prestat_get", 5, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_prestat_get", 0, OUT), ERRNO.BADF);
  // a file opened later is not a preopen
  const fd = open(h, "x", OFLAGS.CREAT, RW, 0, 4);
  assert.equal(fd, 5);
  assert.equal(h.call("fd_prestat_get", fd, OUT), ERRNO.BADF);
  // renumbering moves the preopen with its file
  assert.equal(h.call("fd_renumber", 4, fd), 0);
  assert.equal(h.call("fd_prestat_get", 4, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_prestat_get", fd, OUT), 0);
  assert.equal(h.u32(OUT + 4), 8);
});

test("fd_readdir: . and .., d_ino, d_type, resumable cookies, a truncated last entry", async () => {
  const h = await harness();
  const dir = open(h, "tmp/d", 0, RIGHTS.FD_READDIR, 0);
  assert.equal(dir, -ERRNO.NOENT);
  assert.equal(h.call("path_create_directory", 3, PATH, h.put(PATH, "tmp/d")), 0);
  const names = ["alpha", "beta", "gamma", "delta"];
  for (const n of names) assert.ok(open(h, `tmp/d/${n}`, OFLAGS.CREAT) > 0);
  const d = open(h, "tmp/d", OFLAGS.DIRECTORY, RIGHTS.FD_READDIR);
  assert.ok(d > 0);
  assert.equal(h.call("fd_filestat_get", d, OUT), 0);
  const dirIno = h.u64(OUT + 8);

  const list = (cookie: bigint, len: number) => {
    h.bytes().fill(0xee, BUF, BUF + len + 8);
    assert.equal(h.call("fd_readdir", d, BUF, len, cookie, OUT), 0);
    return h.u32(OUT);
  };
  const parse = (used: number) => {
    const v = h.view();
    const out: { name: string; next: bigint; ino: bigint; type: number; }[] = [];
    let at = BUF;
    while (at + 24 <= BUF + used) {
      const namlen = v.getUint32(at + 16, true);
      if (at + 24 + namlen > BUF + used) break;
      out.push({
        next: v.getBigUint64(at, true),
        ino: v.getBigUint64(at + 8, true),
        type: v.getUint8(at + 20),
        name: h.text(at + 24, namlen),
      });
      at += 24 + namlen;
    }
    return out;
  };
  const used = list(0n, 4000);
  assert.ok(used < 4000);
  const all = parse(used);
  assert.deepEqual(all.map((e) => e.name).sort(), [".", "..", ...names].sort());
  assert.equal(all[0].name, ".");
  assert.equal(all[0].ino, dirIno);
  assert.equal(all[1].name, "..");
  assert.ok(all.every((e) => e.ino > 0n));
  for (const e of all.slice(2)) {
    assert.equal(e.type, FILETYPE.REGULAR_FILE);
    assert.equal(h.call("path_filestat_get", d, 0, PATH, h.put(PATH, e.name), OUT), 0);
    assert.equal(h.u64(OUT + 8), e.ino, "d_ino is the inode");
  }
  // resume from each cookie
  for (let i = 0; i < all.length; i++) {
    const rest = parse(list(all[i].next, 4000)).map((e) => e.name);
    assert.deepEqual(rest, all.slice(i + 1).map((e) => e.name));
  }
  // a buffer that ends inside the third entry: full, last entry truncated
  const small = 24 + 1 + 24 + 2 + 10;
  assert.equal(list(0n, small), small);
  assert.equal(parse(small).length, 2);
  assert.notEqual(h.bytes()[BUF + small - 1], 0xee);
  assert.equal(h.bytes()[BUF + small], 0xee, "nothing written past the buffer");
  // past the end: 0 bytes
  assert.equal(list(all[all.length - 1].next, 4000), 0);
  assert.equal(list(2n ** 62n, 4000), 0);
  // not a directory
  const f = open(h, "tmp/d/alpha");
  assert.equal(h.call("fd_readdir", f, BUF, 100, 0n, OUT), ERRNO.NOTDIR);
});

test("fdflags round-trip; NONBLOCK stdin gives EAGAIN; non-tty stdio is UNKNOWN, a tty CHARACTER_DEVICE", async () => {
  const h = await harness({ stdin: new ReadableStream<Uint8Array>({ start() {} }) });
  assert.equal(h.call("fd_fdstat_get", 0, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.UNKNOWN);
  assert.equal(h.view().getUint16(OUT + 2, true), 0);
  assert.equal(h.u64(OUT + 8) & (RIGHTS.FD_SEEK | RIGHTS.FD_TELL), 0n);
  assert.notEqual(h.u64(OUT + 8) & RIGHTS.FD_READ, 0n);
  assert.equal(h.call("fd_fdstat_set_flags", 0, FDFLAGS.NONBLOCK), 0);
  assert.equal(h.call("fd_fdstat_get", 0, OUT), 0);
  assert.equal(h.view().getUint16(OUT + 2, true), FDFLAGS.NONBLOCK);
  h.iovecs(IOV, [[BUF, 16]]);
  assert.equal(h.call("fd_read", 0, IOV, 1, OUT), ERRNO.AGAIN);
  assert.equal(h.call("fd_fdstat_set_flags", 0, 0x20), ERRNO.INVAL);

  const tty = await harness({ stdout: sinkStream(() => {}, { isTerminal: true }) });
  assert.equal(tty.call("fd_fdstat_get", 1, OUT), 0);
  assert.equal(tty.bytes()[OUT], FILETYPE.CHARACTER_DEVICE);
  assert.equal(tty.u64(OUT + 8) & (RIGHTS.FD_SEEK | RIGHTS.FD_TELL), 0n);

  const file = open(h, "tmp/flags", OFLAGS.CREAT, RW, FDFLAGS.APPEND | FDFLAGS.SYNC | FDFLAGS.NONBLOCK);
  assert.equal(h.call("fd_fdstat_get", file, OUT), 0);
  assert.equal(h.view().getUint16(OUT + 2, true), FDFLAGS.APPEND | FDFLAGS.SYNC | FDFLAGS.NONBLOCK);
  for (const flags of [FDFLAGS.DSYNC, FDFLAGS.RSYNC, FDFLAGS.RSYNC | FDFLAGS.SYNC | FDFLAGS.DSYNC, 0]) {
    assert.equal(h.call("fd_fdstat_set_flags", file, flags), 0);
    assert.equal(h.call("fd_fdstat_get", file, OUT), 0);
    assert.equal(h.view().getUint16(OUT + 2, true), flags);
  }
  assert.equal(h.call("fd_fdstat_set_flags", file, FDFLAGS.APPEND), 0);
  assert.equal(h.call("fd_seek", file, 0n, WHENCE.SET, OUT), 0);
  assert.equal(write(h, file, "ab"), 2);
  assert.equal(write(h, file, "cd"), 2);
  assert.equal(h.call("fd_filestat_get", file, OUT), 0);
  assert.equal(h.u64(OUT + 32), 4n);
});

test("stdout goes to the sink; a pipe as stdin is UNKNOWN and NONBLOCK reads give EAGAIN then data", async () => {
  const out = collector();
  const [r, w] = createPipe();
  const h = await harness({ stdout: out.sink, stdin: r });
  assert.equal(write(h, 1, "to ", "stdout"), 9);
  assert.equal(out.text(), "to stdout");
  assert.equal(h.call("fd_fdstat_get", 0, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.UNKNOWN);
  assert.equal(h.call("fd_fdstat_set_flags", 0, FDFLAGS.NONBLOCK), 0);
  h.iovecs(IOV, [[BUF, 16]]);
  assert.equal(h.call("fd_read", 0, IOV, 1, OUT), ERRNO.AGAIN);
  w.write(new TextEncoder().encode("piped"), false);
  assert.equal(h.call("fd_read", 0, IOV, 1, OUT), 0);
  assert.equal(h.text(BUF, h.u32(OUT)), "piped");
  // blocking mode without JSPI: a read that would wait is NOTSUP, and nothing is left pending
  assert.equal(h.call("fd_fdstat_set_flags", 0, 0), 0);
  assert.equal(h.call("fd_read", 0, IOV, 1, OUT), ERRNO.NOTSUP);
  w.write(new TextEncoder().encode("later"), false);
  assert.equal(h.call("fd_read", 0, IOV, 1, OUT), 0);
  assert.equal(h.text(BUF, h.u32(OUT)), "later");
  // with JSPI (blocking allowed) the read waits for the writer
  const pending = h.callAsync("fd_read", 0, IOV, 1, OUT);
  setTimeout(() => w.write(new TextEncoder().encode("waited"), false), 5);
  assert.equal(await pending, 0);
  assert.equal(h.text(BUF, h.u32(OUT)), "waited");
});

test("timestamps: nanoseconds end to end; SET and NOW; both for one field is EINVAL", async () => {
  const h = await harness();
  const fd = open(h, "tmp/t", OFLAGS.CREAT);
  const atim = 1_234_567_890_123_456_789n, mtim = 987_654_321_987_654_321n;
  assert.equal(h.call("fd_filestat_set_times", fd, atim, mtim, FSTFLAGS.ATIM | FSTFLAGS.MTIM), 0);
  assert.equal(h.call("fd_filestat_get", fd, OUT), 0);
  assert.equal(h.u64(OUT + 40), atim);
  assert.equal(h.u64(OUT + 48), mtim);
  assert.equal(h.call("fd_filestat_set_times", fd, 1n, 2n, FSTFLAGS.ATIM | FSTFLAGS.ATIM_NOW), ERRNO.INVAL);
  assert.equal(h.call("fd_filestat_set_times", fd, 1n, 2n, FSTFLAGS.MTIM | FSTFLAGS.MTIM_NOW), ERRNO.INVAL);
  assert.equal(h.call("fd_filestat_set_times", fd, 1n, 2n, 0x10), ERRNO.INVAL);
  assert.equal(h.call("fd_filestat_get", fd, OUT), 0);
  assert.equal(h.u64(OUT + 48), mtim, "a rejected call changes nothing");
  // MTIM_NOW: the kernel clock; ATIM left alone
  const now = h.kernel.clock.now(0);
  assert.equal(h.call("fd_filestat_set_times", fd, 0n, 0n, FSTFLAGS.MTIM_NOW), 0);
  assert.equal(h.call("fd_filestat_get", fd, OUT), 0);
  assert.equal(h.u64(OUT + 40), atim);
  assert.ok(h.u64(OUT + 48) >= now);
  // path_filestat_set_times, not following a symlink
  assert.equal(h.call("path_symlink", PATH, h.put(PATH, "t"), 3, BUF, h.put(BUF, "tmp/ln")), 0);
  const len = h.put(PATH, "tmp/ln");
  assert.equal(h.call("path_filestat_set_times", 3, 0, PATH, len, 5n, 6n, FSTFLAGS.ATIM | FSTFLAGS.MTIM), 0);
  assert.equal(h.call("path_filestat_get", 3, 0, PATH, len, OUT), 0);
  assert.equal(h.bytes()[OUT + 16], FILETYPE.SYMBOLIC_LINK);
  assert.equal(h.u64(OUT + 48), 6n);
  assert.equal(h.call("path_filestat_get", 3, 1, PATH, len, OUT), 0);
  assert.equal(h.bytes()[OUT + 16], FILETYPE.REGULAR_FILE);
  assert.notEqual(h.u64(OUT + 48), 6n, "the target kept its own mtime");
});

test("fd_filestat_set_size, fd_allocate, fd_sync, fd_advise, fd_close", async () => {
  const h = await harness();
  const fd = open(h, "tmp/s", OFLAGS.CREAT, RW | RIGHTS.FD_ALLOCATE);
  assert.equal(h.call("fd_filestat_set_size", fd, 100n), 0);
  assert.equal(h.call("fd_allocate", fd, 90n, 20n), 0);
  assert.equal(h.call("fd_filestat_get", fd, OUT), 0);
  assert.equal(h.u64(OUT + 32), 110n);
  assert.equal(h.call("fd_allocate", fd, 0n, 10n), 0);
  assert.equal(h.call("fd_filestat_get", fd, OUT), 0);
  assert.equal(h.u64(OUT + 32), 110n);
  assert.equal(h.call("fd_sync", fd), 0);
  assert.equal(h.call("fd_datasync", fd), 0);
  assert.equal(h.call("fd_advise", fd, 0n, 10n, 1), 0);
  assert.equal(h.call("fd_advise", fd, 0n, 10n, 9), ERRNO.INVAL);
  assert.equal(h.call("fd_advise", 1, 0n, 10n, 0), ERRNO.SPIPE);
  assert.equal(h.call("fd_sync", 1), ERRNO.INVAL);
  const ro = open(h, "tmp/s", 0, RIGHTS.FD_READ | RIGHTS.FD_FILESTAT_SET_SIZE);
  assert.equal(h.call("fd_filestat_set_size", ro, 1n), ERRNO.INVAL, "read-only fd");
  assert.equal(h.call("fd_allocate", ro, 0n, 1000n), ERRNO.BADF);
  assert.equal(h.call("fd_close", fd), 0);
  assert.equal(h.call("fd_close", fd), ERRNO.BADF);
});

test("fd_renumber: both fds must be open; the target is replaced; rights follow", async () => {
  const h = await harness();
  const a = open(h, "tmp/a", OFLAGS.CREAT, RIGHTS.FD_READ | RIGHTS.FD_WRITE);
  const b = open(h, "tmp/b", OFLAGS.CREAT, RIGHTS.FD_READ);
  assert.equal(h.call("fd_fdstat_get", a, OUT), 0);
  const rights = h.u64(OUT + 8);
  assert.equal(h.call("fd_renumber", a, 77), ERRNO.BADF);
  assert.equal(h.call("fd_renumber", a, a), 0);
  assert.equal(h.call("fd_renumber", a, b), 0);
  assert.equal(h.call("fd_close", a), ERRNO.BADF);
  assert.equal(h.call("fd_fdstat_get", b, OUT), 0);
  assert.equal(h.u64(OUT + 8), rights);
  assert.equal(write(h, b, "x"), 1);
  // stdio can be renumbered too
  assert.equal(h.call("fd_renumber", 1, b), 0);
  assert.equal(h.call("fd_fdstat_get", 1, OUT), ERRNO.BADF);
});

test("fd_fdstat_set_rights narrows only; rights are reported masked to the file type", async () => {
  const h = await harness();
  assert.equal(h.call("fd_fdstat_get", 3, OUT), 0);
  const base = h.u64(OUT + 8), inheriting = h.u64(OUT + 16);
  for (
    const r of [RIGHTS.PATH_OPEN, RIGHTS.FD_READDIR, RIGHTS.PATH_CREATE_FILE, RIGHTS.PATH_FILESTAT_GET]
  ) assert.notEqual(base & r, 0n);
  assert.equal(base & (RIGHTS.FD_SEEK | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.FD_WRITE), 0n);
  assert.notEqual(inheriting & RIGHTS.FD_WRITE, 0n);
  assert.equal(h.call("fd_fdstat_set_rights", 3, base & ~RIGHTS.FD_READDIR, inheriting), 0);
  assert.equal(h.call("fd_fdstat_get", 3, OUT), 0);
  assert.equal(h.u64(OUT + 8), base & ~RIGHTS.FD_READDIR);
  assert.equal(h.call("fd_fdstat_set_rights", 3, base, inheriting), ERRNO.NOTCAPABLE);
  // a file opened with path rights does not report them
  const fd = open(h, "tmp/r", OFLAGS.CREAT, RIGHTS.FD_READ | RIGHTS.FD_WRITE | RIGHTS.PATH_FILESTAT_GET);
  assert.equal(h.call("fd_fdstat_get", fd, OUT), 0);
  assert.equal(h.u64(OUT + 8), RIGHTS.FD_READ | RIGHTS.FD_WRITE);
});

test("a kernel fd opened outside WASI still has sensible fdstat", async () => {
  const h = await harness();
  const fd = sys.openat(h.host.process, -100, "/tmp/k", O.CREAT | O.RDONLY, 0o644) as number;
  assert.equal(h.call("fd_fdstat_get", fd, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.REGULAR_FILE);
  assert.notEqual(h.u64(OUT + 8) & RIGHTS.FD_READ, 0n);
  assert.equal(h.u64(OUT + 8) & RIGHTS.FD_WRITE, 0n);
  const stdin = await harness({ stdin: sourceStream("x") });
  assert.equal(stdin.call("fd_fdstat_get", 0, OUT), 0);
  assert.equal(stdin.u64(OUT + 8) & RIGHTS.FD_WRITE, 0n);
});

test("rights dropped with fd_fdstat_set_rights are enforced (NOTCAPABLE); adding back is NOTCAPABLE", async () => {
  const h = await harness();
  const fd = open(h, "tmp/drop", OFLAGS.CREAT, RW);
  assert.equal(h.call("fd_fdstat_get", fd, OUT), 0);
  const base = h.u64(OUT + 8);
  assert.equal(h.call("fd_fdstat_set_rights", fd, base & ~RIGHTS.FD_WRITE, 0n), 0);
  assert.equal(write(h, fd, "x"), -ERRNO.NOTCAPABLE);
  h.iovecs(IOV, [[BUF, 4]]);
  assert.equal(h.call("fd_read", fd, IOV, 1, OUT), 0, "reading is still allowed");
  assert.equal(h.call("fd_fdstat_set_rights", fd, base, 0n), ERRNO.NOTCAPABLE);
});
