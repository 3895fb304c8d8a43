import assert from "node:assert/strict";
import { test } from "node:test";
import { type Harness, harness } from "./_test_support.ts";
import { ERRNO, FDFLAGS, FILETYPE, OFLAGS, RIGHTS } from "./abi.ts";

const PATH = 100;
const PATH2 = 400;
const OUT = 1024;
const IOV = 2048;
const BUF = 4096;
const R = RIGHTS.FD_READ | RIGHTS.FD_READDIR;
const RW = R | RIGHTS.FD_WRITE;

function open(h: Harness, path: string, oflags = 0, rights = RW, fdflags = 0, follow = 1, dirfd = 3): number {
  const len = h.put(PATH, path);
  const errno = h.call("path_open", dirfd, follow, PATH, len, oflags, rights, 0n, fdflags, OUT);
  return errno === 0 ? h.u32(OUT) : -errno;
}

function p(h: Harness, name: string, path: string, ...rest: number[]): number {
  return h.call(name, 3, PATH, h.put(PATH, path), ...rest);
}

async function tree(): Promise<Harness> {
  const h = await harness();
  assert.equal(p(h, "path_create_directory", "tmp/dir"), 0);
  assert.ok(open(h, "tmp/file", OFLAGS.CREAT) > 0);
  assert.equal(h.call("path_symlink", PATH2, h.put(PATH2, "file"), 3, PATH, h.put(PATH, "tmp/link")), 0);
  assert.equal(h.call("path_symlink", PATH2, h.put(PATH2, "dir"), 3, PATH, h.put(PATH, "tmp/dirlink")), 0);
  assert.equal(h.call("path_symlink", PATH2, h.put(PATH2, "/tmp"), 3, PATH, h.put(PATH, "tmp/abs")), 0);
  return h;
}

test("path_open: CREAT, EXCL, TRUNC, DIRECTORY", async () => {
  const h = await tree();
  assert.equal(open(h, "tmp/file", OFLAGS.CREAT | OFLAGS.EXCL), -ERRNO.EXIST);
  assert.equal(open(h, "tmp/missing", 0), -ERRNO.NOENT);
  assert.equal(open(h, "tmp/file", OFLAGS.DIRECTORY), -ERRNO.NOTDIR);
  assert.ok(open(h, "tmp/dir", OFLAGS.DIRECTORY, R) > 0);
  const fd = open(h, "tmp/file");
  h.put(BUF, "12345");
  h.iovecs(IOV, [[BUF, 5]]);
  assert.equal(h.call("fd_write", fd, IOV, 1, OUT), 0);
  // TRUNC without any write right still truncates (as Linux does for O_RDONLY|O_TRUNC)
  assert.ok(open(h, "tmp/file", OFLAGS.TRUNC, 0n) > 0);
  assert.equal(
    p(h, "path_filestat_get", "tmp/file", OUT),
    ERRNO.INVAL,
    "flags come first: path_filestat_get",
  );
  assert.equal(h.call("path_filestat_get", 3, 0, PATH, h.put(PATH, "tmp/file"), OUT), 0);
  assert.equal(h.u64(OUT + 32), 0n);
  assert.equal(open(h, "tmp/x", 0x10), -ERRNO.INVAL, "unknown oflags");
  assert.equal(open(h, "tmp/x", OFLAGS.CREAT, RW, 0x40), -ERRNO.INVAL, "unknown fdflags");
  assert.equal(open(h, "tmp/x", OFLAGS.CREAT, RW, 0, 3), -ERRNO.INVAL, "unknown lookupflags");
});

test("path_open: symlinks, O_NOFOLLOW, O_DIRECTORY|O_NOFOLLOW on a symlink", async () => {
  const h = await tree();
  assert.ok(open(h, "tmp/link", 0, R, 0, 1) > 0);
  assert.equal(open(h, "tmp/link", 0, R, 0, 0), -ERRNO.LOOP);
  const e = -open(h, "tmp/dirlink", OFLAGS.DIRECTORY, R, 0, 0);
  assert.ok(e === ERRNO.LOOP || e === ERRNO.NOTDIR, `got ${e}`);
  assert.ok(open(h, "tmp/dirlink", OFLAGS.DIRECTORY, R, 0, 1) > 0);
  assert.ok(open(h, "tmp/dirlink/", OFLAGS.DIRECTORY, R, 0, 0) > 0, "a trailing slash follows");
});

test("path_open: access mode from rights; read-only writes are EBADF; no rights cannot read", async () => {
  const h = await tree();
  const ro = open(h, "tmp/file", 0, RIGHTS.FD_READ | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.FD_ALLOCATE);
  h.put(BUF, "x");
  h.iovecs(IOV, [[BUF, 1]]);
  assert.equal(h.call("fd_write", ro, IOV, 1, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_fdstat_get", ro, OUT), 0);
  assert.equal(h.u64(OUT + 8) & (RIGHTS.FD_WRITE | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.FD_ALLOCATE), 0n);
  const wo = open(h, "tmp/file", 0, RIGHTS.FD_WRITE);
  assert.equal(h.call("fd_read", wo, IOV, 1, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_write", wo, IOV, 1, OUT), 0);
  const none = open(h, "tmp/file", 0, 0n);
  assert.ok(none > 0);
  assert.equal(h.call("fd_read", none, IOV, 1, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_filestat_get", none, OUT), 0, "but it can be stat'ed");
  assert.equal(h.call("fd_fdstat_get", none, OUT), 0);
  assert.equal(h.u64(OUT + 8) & RIGHTS.FD_READ, 0n);
});

test("path_open on a directory: read rights open it; FD_WRITE is EISDIR (as open(dir, O_RDWR))", async () => {
  const h = await tree();
  const dir = open(h, "tmp/dir", 0, R | RIGHTS.PATH_OPEN | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.FD_SEEK);
  assert.ok(dir > 0, `got ${dir}`);
  assert.equal(h.call("fd_fdstat_get", dir, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.DIRECTORY);
  assert.equal(h.u64(OUT + 8) & (RIGHTS.FD_SEEK | RIGHTS.FD_FILESTAT_SET_SIZE), 0n);
  assert.equal(open(h, "tmp/dir", 0, RW), -ERRNO.ISDIR);
  assert.equal(open(h, "tmp/dir", OFLAGS.DIRECTORY, RW), -ERRNO.ISDIR);
  assert.equal(open(h, "tmp/dir", OFLAGS.TRUNC, RW), -ERRNO.ISDIR);
  assert.equal(open(h, "tmp/dir", 0, RW, FDFLAGS.APPEND), -ERRNO.ISDIR);
  assert.ok(open(h, ".", 0, 0n) > 0, "the preopen itself with no rights");
  assert.ok(open(h, ".", OFLAGS.DIRECTORY, RIGHTS.FD_READ) > 0);
});

test("beneath: .. above the directory and absolute symlinks are EPERM; below / it is a chroot", async () => {
  const h = await tree();
  const dir = open(h, "tmp/dir", OFLAGS.DIRECTORY, R);
  assert.equal(open(h, "../file", 0, R, 0, 1, dir), -ERRNO.PERM);
  assert.equal(open(h, "/tmp/file", 0, R, 0, 1, dir), -ERRNO.PERM);
  const tmp = open(h, "tmp", OFLAGS.DIRECTORY, R);
  assert.equal(open(h, "abs/file", 0, R, 0, 1, tmp), -ERRNO.PERM);
  assert.ok(open(h, "dir/../file", 0, R, 0, 1, tmp) > 0);
  // from the root preopen, .. stays at / and absolute symlinks resolve inside the kernel root
  assert.ok(open(h, "../../tmp/file", 0, R) > 0);
  assert.ok(open(h, "tmp/abs/file", 0, R) > 0);
});

test("path_readlink: exact, short buffer truncates with errno 0, not a link is EINVAL", async () => {
  const h = await tree();
  h.bytes().fill(0, BUF, BUF + 10);
  assert.equal(h.call("path_readlink", 3, PATH, h.put(PATH, "tmp/link"), BUF, 10, OUT), 0);
  assert.equal(h.u32(OUT), 4);
  assert.equal(h.text(BUF, 4), "file");
  assert.deepEqual([...h.bytes().subarray(BUF + 4, BUF + 10)], [0, 0, 0, 0, 0, 0]);
  h.bytes().fill(0xcc, BUF, BUF + 8);
  assert.equal(h.call("path_readlink", 3, PATH, h.put(PATH, "tmp/link"), BUF, 2, OUT), 0);
  assert.equal(h.u32(OUT), 2);
  assert.equal(h.text(BUF, 2), "fi");
  assert.equal(h.bytes()[BUF + 2], 0xcc);
  assert.equal(h.call("path_readlink", 3, PATH, h.put(PATH, "tmp/file"), BUF, 10, OUT), ERRNO.INVAL);
});

test("names: create, link, rename, unlink, remove; errnos", async () => {
  const h = await tree();
  const two = (name: string, a: string, b: string, mid: number[] = []) =>
    name === "path_link"
      ? h.call(name, 3, mid[0] ?? 0, PATH, h.put(PATH, a), 3, PATH2, h.put(PATH2, b))
      : h.call(name, 3, PATH, h.put(PATH, a), 3, PATH2, h.put(PATH2, b));
  assert.equal(p(h, "path_create_directory", "tmp/dir"), ERRNO.EXIST);
  assert.equal(two("path_link", "tmp/file", "tmp/hard"), 0);
  assert.equal(h.call("path_filestat_get", 3, 0, PATH, h.put(PATH, "tmp/hard"), OUT), 0);
  assert.equal(h.u64(OUT + 24), 2n, "nlink");
  assert.equal(two("path_link", "tmp/dir", "tmp/dirhard"), ERRNO.PERM);
  assert.equal(two("path_link", "tmp/link", "tmp/l2", [1]), 0);
  assert.equal(h.call("path_filestat_get", 3, 0, PATH, h.put(PATH, "tmp/l2"), OUT), 0);
  assert.equal(h.bytes()[OUT + 16], FILETYPE.REGULAR_FILE, "SYMLINK_FOLLOW linked the target");
  assert.equal(two("path_rename", "tmp/hard", "tmp/dir/moved"), 0);
  assert.equal(two("path_rename", "tmp/missing", "tmp/x"), ERRNO.NOENT);
  assert.equal(p(h, "path_remove_directory", "tmp/dir"), ERRNO.NOTEMPTY);
  assert.equal(p(h, "path_unlink_file", "tmp/dir"), ERRNO.ISDIR);
  assert.equal(p(h, "path_unlink_file", "tmp/file/"), ERRNO.NOTDIR);
  assert.equal(p(h, "path_remove_directory", "tmp/file"), ERRNO.NOTDIR);
  assert.equal(p(h, "path_unlink_file", "tmp/dir/moved"), 0);
  assert.equal(p(h, "path_remove_directory", "tmp/dir"), 0);
  assert.equal(p(h, "path_unlink_file", "tmp/nothing"), ERRNO.NOENT);
  assert.equal(p(h, "path_create_directory", ""), ERRNO.NOENT);
  // invalid UTF-8 in a path
  h.put(PATH, new Uint8Array([0x61, 0xff]));
  assert.equal(h.call("path_create_directory", 3, PATH, 2), ERRNO.ILSEQ);
  // a path outside memory
  assert.equal(h.call("path_create_directory", 3, 65530, 100), ERRNO.FAULT);
  // a file as the directory fd
  const f = open(h, "tmp/file");
  assert.equal(h.call("path_create_directory", f, PATH, h.put(PATH, "x")), ERRNO.NOTDIR);
});
