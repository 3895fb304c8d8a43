import assert from "node:assert/strict";
import { test } from "node:test";
import { EscapeError, FsModel, LINUX_O as O, ModelError } from "./fs_model.ts";

/** The errno `fn` fails with in the model, or "ok". */
function errno(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof ModelError) return error.code;
    throw error;
  }
}

function tree(): FsModel {
  const m = new FsModel({ dirs: [["/tmp", 0o1777]] });
  m.mkdir("d", 0o777);
  m.close(m.open("f", O.CREAT | O.WRONLY, 0o666));
  m.symlink("d", "s");
  m.symlink("missing", "dangling");
  return m;
}

// Each of these was checked on Linux 6.18 (ext4) while writing the model.

test("the last component of name operations is never followed, even with a trailing slash", () => {
  const m = tree();
  assert.equal(errno(() => m.rmdir("s/")), "ENOTDIR");
  assert.equal(errno(() => m.unlink("s/")), "ENOTDIR");
  assert.equal(errno(() => m.unlink("dangling/")), "ENOTDIR");
  assert.equal(errno(() => m.mkdir("dangling/", 0o777)), "EEXIST");
  assert.equal(errno(() => m.mkdir("f/", 0o777)), "EEXIST");
  assert.equal(errno(() => m.symlink("x", "f/")), "EEXIST");
  assert.equal(errno(() => m.symlink("x", "new/")), "ENOENT");
  assert.equal(errno(() => m.rename("s/", "t")), "ENOTDIR");
  assert.equal(m.stat("d", false).type, "dir");
});

test("open: O_CREAT with a trailing slash is EISDIR, O_DIRECTORY is checked before O_NOFOLLOW", () => {
  const m = tree();
  assert.equal(errno(() => m.open("f/", O.CREAT | O.RDWR, 0o666)), "EISDIR");
  assert.equal(errno(() => m.open("d/", O.CREAT | O.EXCL | O.RDWR, 0o666)), "EISDIR");
  assert.equal(errno(() => m.open("s", O.RDONLY | O.DIRECTORY | O.NOFOLLOW, 0)), "ENOTDIR");
  assert.equal(errno(() => m.open("s", O.RDONLY | O.NOFOLLOW, 0)), "ELOOP");
  assert.equal(errno(() => m.open("s/", O.RDONLY | O.NOFOLLOW, 0)), "ok");
  assert.equal(errno(() => m.open("new", O.CREAT | O.DIRECTORY, 0o666)), "EINVAL");
  // A dangling symlink is created through, unless O_EXCL.
  assert.equal(errno(() => m.open("dangling", O.CREAT | O.EXCL | O.WRONLY, 0o666)), "EEXIST");
  assert.equal(errno(() => m.open("dangling", O.CREAT | O.WRONLY, 0o666)), "ok");
  assert.equal(m.stat("missing", false).type, "file");
});

test("rename, link, rmdir check in Linux's order", () => {
  const m = tree();
  m.close(m.open("d/g", O.CREAT | O.WRONLY, 0o666));
  assert.equal(errno(() => m.rename("d/g", "d")), "ENOTEMPTY");
  assert.equal(errno(() => m.rename("d", "d/x")), "EINVAL");
  assert.equal(errno(() => m.rename("missing", ".")), "EBUSY");
  assert.equal(errno(() => m.link("d", "f", false)), "EEXIST");
  assert.equal(errno(() => m.link("d", "nowhere/x", false)), "ENOENT");
  assert.equal(errno(() => m.link("d", "x", false)), "EPERM");
  assert.equal(errno(() => m.rmdir("/")), "EBUSY");
  assert.equal(errno(() => m.rmdir("d/..")), "ENOTEMPTY");
  assert.equal(errno(() => m.rmdir("d/.")), "EINVAL");
  m.link("f", "f2", false);
  m.rename("f", "f2"); // two names of one file: nothing happens
  assert.equal(m.stat("f", false).nlink, 2);
});

test("a removed cwd: nothing can be created in it, .. still leads out", () => {
  const m = tree();
  m.mkdir("d/e", 0o777);
  m.chdir("d/e");
  m.rmdir("../e");
  assert.equal(m.stat(".", true).nlink, 0);
  assert.equal(errno(() => m.mkdir("x", 0o777)), "ENOENT");
  assert.equal(errno(() => m.rename("../../f/", "x/")), "ENOENT");
  assert.equal(errno(() => m.listable(m.open(".", O.RDONLY, 0))), "ENOENT");
  assert.equal(m.sameFile("..", "/d"), true);
});

test("zero-byte writes leave the offset alone, even with O_APPEND", () => {
  const m = tree();
  const fd = m.open("f", O.RDWR | O.APPEND, 0);
  m.write(fd, new Uint8Array([1, 2, 3]));
  assert.equal(m.lseek(fd, 0, 0), 0);
  m.write(fd, new Uint8Array(0));
  assert.equal(m.lseek(fd, 0, 1), 0);
  m.pwrite(fd, new Uint8Array([4]), 0); // O_APPEND: at the end
  assert.deepEqual([...m.read(fd, 10)], [1, 2, 3, 4]);
});

test("beneath walks and the escape detector", () => {
  const m = tree();
  m.symlink("..", "d/up");
  m.symlink("/d", "d/abs");
  const d = m.resolve(m.cwd, "d", { follow: true });
  assert.equal(errno(() => m.resolve(d, "up", { follow: true, beneath: true })), "EPERM");
  assert.equal(errno(() => m.resolve(d, "abs", { follow: true, beneath: true })), "EPERM");
  assert.equal(errno(() => m.resolve(d, "up", { follow: false, beneath: true })), "ok");
  assert.equal(errno(() => m.resolve(d, "/d", { follow: true, beneath: true })), "EPERM");
  const strict = new FsModel({ dotDotAtRoot: "throw" });
  assert.throws(() => strict.resolve(strict.root, "..", { follow: true }), EscapeError);
});
