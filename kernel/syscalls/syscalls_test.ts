import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryFileSystem } from "../../fs/memory/mod.ts";
import { bytes, errnoOf, setup, sync, text } from "../../tests/_support/kernel.ts";
import type { Process } from "../process.ts";
import { AT, FileType, O, SEEK, UTIME } from "../types.ts";
import {
  chdir,
  close,
  dup,
  dup2,
  fstat,
  fstatat,
  ftruncate,
  getcwd,
  getdents,
  linkat,
  lseek,
  mkdirat,
  openat,
  pipe,
  pread,
  pwrite,
  read,
  readlinkat,
  renameat,
  setfl,
  symlinkat,
  unlinkat,
  utimensat,
  write,
} from "./mod.ts";

const CWD = AT.FDCWD;

function writeFile(proc: Process, path: string, content: string): void {
  const fd = sync(openat(proc, CWD, path, O.CREAT | O.WRONLY | O.TRUNC, 0o644));
  sync(write(proc, fd, bytes(content)));
  sync(close(proc, fd));
}

function readFile(proc: Process, path: string): string {
  const fd = sync(openat(proc, CWD, path, O.RDONLY));
  const buf = new Uint8Array(4096);
  const n = sync(read(proc, fd, buf));
  sync(close(proc, fd));
  return text(buf.subarray(0, n));
}

describe("fd table", () => {
  test("allocates the lowest free fd", () => {
    const { proc } = setup();
    const a = sync(openat(proc, CWD, "/a", O.CREAT | O.RDWR));
    const b = sync(openat(proc, CWD, "/b", O.CREAT | O.RDWR));
    assert.deepEqual([a, b], [0, 1]);
    sync(close(proc, a));
    assert.equal(sync(openat(proc, CWD, "/b", O.RDONLY)), 0);
  });

  test("dup shares the offset; dup2 replaces", () => {
    const { proc } = setup();
    const fd = sync(openat(proc, CWD, "/f", O.CREAT | O.RDWR));
    const twin = dup(proc, fd);
    sync(write(proc, fd, bytes("hello")));
    assert.equal(sync(lseek(proc, twin, 0, SEEK.CUR)), 5);
    assert.equal(sync(dup2(proc, fd, 7)), 7);
    assert.equal(sync(lseek(proc, 7, 0, SEEK.CUR)), 5);
    assert.equal(errnoOf(() => dup(proc, 99)), "EBADF");
  });

  test("EMFILE at the limit", () => {
    const { kernel } = setup();
    const proc = kernel.createProcess({ maxFds: 3 });
    for (let i = 0; i < 3; i++) sync(openat(proc, CWD, "/", O.RDONLY));
    assert.equal(errnoOf(() => openat(proc, CWD, "/", O.RDONLY)), "EMFILE");
  });
});

describe("reading and writing", () => {
  test("O_APPEND writes go to the end, positional ones too", () => {
    const { proc } = setup();
    writeFile(proc, "/log", "abc");
    const fd = sync(openat(proc, CWD, "/log", O.WRONLY | O.APPEND));
    sync(lseek(proc, fd, 0, SEEK.SET));
    sync(write(proc, fd, bytes("d")));
    sync(pwrite(proc, fd, bytes("e"), 0));
    assert.equal(readFile(proc, "/log"), "abcde");
  });

  test("SEEK_END past the end leaves a hole", () => {
    const { proc } = setup();
    const fd = sync(openat(proc, CWD, "/h", O.CREAT | O.RDWR));
    sync(write(proc, fd, bytes("ab")));
    assert.equal(sync(lseek(proc, fd, 3, SEEK.END)), 5);
    sync(write(proc, fd, bytes("z")));
    const buf = new Uint8Array(6);
    assert.equal(sync(pread(proc, fd, buf, 0)), 6);
    assert.deepEqual([...buf], [97, 98, 0, 0, 0, 122]);
    assert.equal(errnoOf(() => lseek(proc, fd, -100, SEEK.CUR)), "EINVAL");
  });

  test("write on a read-only fd is EBADF; read on a directory is EISDIR", () => {
    const { proc } = setup();
    writeFile(proc, "/r", "x");
    const fd = sync(openat(proc, CWD, "/r", O.RDONLY));
    assert.equal(errnoOf(() => write(proc, fd, bytes("y"))), "EBADF");
    const dir = sync(openat(proc, CWD, "/tmp", O.RDONLY));
    assert.equal(errnoOf(() => read(proc, dir, new Uint8Array(1))), "EISDIR");
    assert.equal(errnoOf(() => openat(proc, CWD, "/tmp", O.WRONLY)), "EISDIR");
  });

  test("O_TRUNC, O_EXCL, ftruncate", () => {
    const { proc } = setup();
    writeFile(proc, "/t", "hello");
    assert.equal(errnoOf(() => openat(proc, CWD, "/t", O.CREAT | O.EXCL | O.WRONLY)), "EEXIST");
    const fd = sync(openat(proc, CWD, "/t", O.RDWR | O.TRUNC));
    assert.equal(sync(fstat(proc, fd)).size, 0);
    sync(ftruncate(proc, fd, 10));
    assert.equal(sync(fstat(proc, fd)).size, 10);
    const ro = sync(openat(proc, CWD, "/t", O.RDONLY));
    assert.equal(errnoOf(() => ftruncate(proc, ro, 0)), "EINVAL");
  });

  test("an open file outlives the unlink of its name", () => {
    const { proc } = setup();
    writeFile(proc, "/gone", "still here");
    const fd = sync(openat(proc, CWD, "/gone", O.RDONLY));
    sync(unlinkat(proc, CWD, "/gone", 0));
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/gone", 0)), "ENOENT");
    const buf = new Uint8Array(32);
    assert.equal(text(buf.subarray(0, sync(read(proc, fd, buf)))), "still here");
    assert.equal(sync(fstat(proc, fd)).nlink, 0);
  });
});

describe("path walk", () => {
  test("., .. and never above the root", () => {
    const { proc } = setup();
    sync(mkdirat(proc, CWD, "/a", 0o755));
    sync(mkdirat(proc, CWD, "/a/b", 0o755));
    writeFile(proc, "/a/b/f", "x");
    assert.equal(readFile(proc, "/a/./b/../b/f"), "x");
    assert.equal(readFile(proc, "/../../a/b/f"), "x");
    assert.equal(sync(fstatat(proc, CWD, "/..", 0)).ino, sync(fstatat(proc, CWD, "/", 0)).ino);
  });

  test("ENOENT and ENOTDIR in Linux order, trailing slashes", () => {
    const { proc } = setup();
    writeFile(proc, "/file", "x");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/missing/x", 0)), "ENOENT");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/file/x", 0)), "ENOTDIR");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/file/", 0)), "ENOTDIR");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/tmp/", 0)), "ok");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "", 0)), "ENOENT");
    assert.equal(errnoOf(() => openat(proc, CWD, "/new/", O.CREAT | O.WRONLY)), "EISDIR");
  });

  test("symlinks: relative, absolute, loops, nofollow", () => {
    const { proc } = setup();
    sync(mkdirat(proc, CWD, "/d", 0o755));
    writeFile(proc, "/d/target", "T");
    sync(symlinkat(proc, "target", CWD, "/d/rel"));
    sync(symlinkat(proc, "/d/target", CWD, "/abs"));
    sync(symlinkat(proc, "/d", CWD, "/dirlink"));
    sync(symlinkat(proc, "loop", CWD, "/loop"));
    assert.equal(readFile(proc, "/d/rel"), "T");
    assert.equal(readFile(proc, "/abs"), "T");
    assert.equal(readFile(proc, "/dirlink/rel"), "T");
    assert.equal(sync(readlinkat(proc, CWD, "/d/rel")), "target");
    assert.equal(errnoOf(() => openat(proc, CWD, "/loop", O.RDONLY)), "ELOOP");
    assert.equal(errnoOf(() => openat(proc, CWD, "/abs", O.RDONLY | O.NOFOLLOW)), "ELOOP");
    assert.equal(sync(fstatat(proc, CWD, "/abs", AT.SYMLINK_NOFOLLOW)).type, FileType.Symlink);
    assert.equal(sync(fstatat(proc, CWD, "/dirlink/", AT.SYMLINK_NOFOLLOW)).type, FileType.Directory);
  });

  test("40 symlinks resolve, 41 are ELOOP", () => {
    const { proc } = setup();
    writeFile(proc, "/l0", "end");
    for (let i = 1; i <= 41; i++) sync(symlinkat(proc, `l${i - 1}`, CWD, `/l${i}`));
    assert.equal(readFile(proc, "/l40"), "end");
    assert.equal(errnoOf(() => openat(proc, CWD, "/l41", O.RDONLY)), "ELOOP");
  });

  test("ENAMETOOLONG for a long component and a long path", () => {
    const { proc } = setup();
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/" + "x".repeat(256), 0)), "ENAMETOOLONG");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/" + "x".repeat(255), 0)), "ENOENT");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/a".repeat(2100), 0)), "ENAMETOOLONG");
  });

  test("beneath walks cannot leave their start", () => {
    const { proc } = setup();
    sync(mkdirat(proc, CWD, "/box", 0o755));
    sync(mkdirat(proc, CWD, "/box/in", 0o755));
    writeFile(proc, "/secret", "s");
    sync(symlinkat(proc, "../secret", CWD, "/box/up"));
    sync(symlinkat(proc, "/secret", CWD, "/box/abs"));
    sync(symlinkat(proc, "in/..", CWD, "/box/ok"));
    const box = sync(openat(proc, CWD, "/box", O.RDONLY | O.DIRECTORY));
    const opts = { beneath: true };
    assert.equal(errnoOf(() => openat(proc, box, "../secret", O.RDONLY, 0, opts)), "EPERM");
    assert.equal(errnoOf(() => openat(proc, box, "up", O.RDONLY, 0, opts)), "EPERM");
    assert.equal(errnoOf(() => openat(proc, box, "abs", O.RDONLY, 0, opts)), "EPERM");
    assert.equal(errnoOf(() => openat(proc, box, "/secret", O.RDONLY, 0, opts)), "EPERM");
    assert.equal(errnoOf(() => openat(proc, box, "in/../ok", O.RDONLY, 0, opts)), "ok");
  });
});

describe("names", () => {
  test("rename replaces files and empty directories; subtree is EINVAL", () => {
    const { proc } = setup();
    writeFile(proc, "/x", "1");
    writeFile(proc, "/y", "2");
    sync(renameat(proc, CWD, "/x", CWD, "/y"));
    assert.equal(readFile(proc, "/y"), "1");
    sync(mkdirat(proc, CWD, "/p", 0o755));
    sync(mkdirat(proc, CWD, "/q", 0o755));
    sync(mkdirat(proc, CWD, "/p/c", 0o755));
    assert.equal(errnoOf(() => renameat(proc, CWD, "/p", CWD, "/p/c/d")), "EINVAL");
    assert.equal(errnoOf(() => renameat(proc, CWD, "/q", CWD, "/p")), "ENOTEMPTY");
    assert.equal(errnoOf(() => renameat(proc, CWD, "/y", CWD, "/q")), "EISDIR");
    assert.equal(errnoOf(() => renameat(proc, CWD, "/q", CWD, "/y")), "ENOTDIR");
    sync(renameat(proc, CWD, "/p/c", CWD, "/q"));
    assert.equal(sync(fstatat(proc, CWD, "/q", 0)).type, FileType.Directory);
  });

  test("hard links count names; unlink and rmdir errors", () => {
    const { proc } = setup();
    writeFile(proc, "/f", "x");
    sync(linkat(proc, CWD, "/f", CWD, "/g", 0));
    assert.equal(sync(fstatat(proc, CWD, "/f", 0)).nlink, 2);
    assert.equal(errnoOf(() => linkat(proc, CWD, "/tmp", CWD, "/t2", 0)), "EPERM");
    assert.equal(errnoOf(() => unlinkat(proc, CWD, "/tmp", 0)), "EISDIR");
    assert.equal(errnoOf(() => unlinkat(proc, CWD, "/f", AT.REMOVEDIR)), "ENOTDIR");
    assert.equal(errnoOf(() => unlinkat(proc, CWD, "/tmp/.", AT.REMOVEDIR)), "EINVAL");
    sync(unlinkat(proc, CWD, "/g", 0));
    assert.equal(sync(fstatat(proc, CWD, "/f", 0)).nlink, 1);
  });

  test("utimensat with nanoseconds, UTIME_NOW and UTIME_OMIT", () => {
    const { kernel, proc } = setup();
    writeFile(proc, "/t", "x");
    sync(utimensat(proc, CWD, "/t", 1_234_567_890_123_456_789n, UTIME.OMIT, 0));
    const st = sync(fstatat(proc, CWD, "/t", 0));
    assert.equal(st.atimeNs, 1_234_567_890_123_456_789n);
    sync(utimensat(proc, CWD, "/t", UTIME.OMIT, UTIME.NOW, 0));
    assert.equal(sync(fstatat(proc, CWD, "/t", 0)).mtimeNs, kernel.clock.now(0));
    assert.equal(sync(fstatat(proc, CWD, "/t", 0)).atimeNs, 1_234_567_890_123_456_789n);
  });
});

describe("directories", () => {
  test("getdents lists . and .. and resumes from cookies", () => {
    const { proc } = setup();
    sync(mkdirat(proc, CWD, "/d", 0o755));
    for (const n of ["a", "b", "c", "d"]) writeFile(proc, `/d/${n}`, n);
    const fd = sync(openat(proc, CWD, "/d", O.RDONLY | O.DIRECTORY));
    const first = sync(getdents(proc, fd, 3));
    assert.deepEqual(first.map((e) => e.name), [".", "..", "a"]);
    const rest = sync(getdents(proc, fd, 100, first[2].next));
    assert.deepEqual(rest.map((e) => e.name), ["b", "c", "d"]);
    assert.deepEqual(sync(getdents(proc, fd, 100)), []);
    sync(lseek(proc, fd, 0, SEEK.SET));
    assert.equal(sync(getdents(proc, fd, 100)).length, 6);
  });

  test("chdir, getcwd, and a cwd follows its directory through renames", () => {
    const { proc } = setup();
    sync(mkdirat(proc, CWD, "/w", 0o755));
    sync(mkdirat(proc, CWD, "/w/in", 0o755));
    sync(chdir(proc, "/w/in"));
    assert.equal(sync(getcwd(proc)), "/w/in");
    sync(renameat(proc, CWD, "/w", CWD, "/moved"));
    assert.equal(sync(getcwd(proc)), "/moved/in");
    writeFile(proc, "rel", "r");
    assert.equal(readFile(proc, "/moved/in/rel"), "r");
    assert.equal(errnoOf(() => chdir(proc, "rel")), "ENOTDIR");
  });
});

describe("mounts", () => {
  test("crossing down, .. back up, EXDEV, EBUSY", () => {
    const { kernel, proc } = setup();
    sync(mkdirat(proc, CWD, "/mnt", 0o755));
    kernel.mount("/mnt", new MemoryFileSystem());
    writeFile(proc, "/mnt/inside", "i");
    writeFile(proc, "/outside", "o");
    assert.equal(readFile(proc, "/mnt/../outside"), "o");
    assert.notEqual(
      sync(fstatat(proc, CWD, "/mnt/inside", 0)).dev,
      sync(fstatat(proc, CWD, "/outside", 0)).dev,
    );
    assert.equal(errnoOf(() => renameat(proc, CWD, "/outside", CWD, "/mnt/o")), "EXDEV");
    assert.equal(errnoOf(() => linkat(proc, CWD, "/outside", CWD, "/mnt/o", 0)), "EXDEV");
    assert.equal(errnoOf(() => unlinkat(proc, CWD, "/mnt", AT.REMOVEDIR)), "EBUSY");
    const fd = sync(openat(proc, CWD, "/mnt/inside", O.RDONLY));
    assert.equal(errnoOf(() => kernel.unmount("/mnt")), "EBUSY");
    sync(close(proc, fd));
    kernel.unmount("/mnt");
    assert.equal(errnoOf(() => fstatat(proc, CWD, "/mnt/inside", 0)), "ENOENT");
  });

  test("getcwd names a directory inside a mount", () => {
    const { kernel, proc } = setup();
    sync(mkdirat(proc, CWD, "/mnt", 0o755));
    kernel.mount("/mnt", new MemoryFileSystem());
    sync(mkdirat(proc, CWD, "/mnt/sub", 0o755));
    sync(chdir(proc, "/mnt/sub"));
    assert.equal(sync(getcwd(proc)), "/mnt/sub");
    sync(chdir(proc, ".."));
    assert.equal(sync(getcwd(proc)), "/mnt");
  });
});

describe("pipes", () => {
  test("EOF when writers close, EPIPE when readers close, across processes", async () => {
    const { kernel, proc } = setup();
    const [r, w] = pipe(proc);
    const other = kernel.createProcess();
    const file = proc.fds.get(w);
    file.refs++;
    other.fds.install(1, file);
    sync(close(proc, w));
    const pending = read(proc, r, new Uint8Array(8));
    assert.ok(pending instanceof Promise);
    sync(write(other, 1, bytes("hey")));
    assert.equal(await pending, 3);
    setfl(proc, r, O.NONBLOCK);
    assert.equal(errnoOf(() => read(proc, r, new Uint8Array(8))), "EAGAIN");
    sync(close(other, 1));
    assert.equal(sync(read(proc, r, new Uint8Array(8))), 0);
    const [r2, w2] = pipe(proc);
    sync(close(proc, r2));
    assert.equal(errnoOf(() => write(proc, w2, bytes("x"))), "EPIPE");
  });
});

describe("kernels", () => {
  test("two kernels in one realm are independent", () => {
    const a = setup();
    const b = setup();
    writeFile(a.proc, "/only-a", "a");
    assert.equal(errnoOf(() => fstatat(b.proc, CWD, "/only-a", 0)), "ENOENT");
    assert.equal(a.proc.pid, b.proc.pid);
  });

  test("deterministic kernels have a virtual clock and seeded random", async () => {
    const { kernel } = setup({ seed: 7 });
    const before = kernel.clock.now(1);
    await kernel.clock.sleep(1_000_000_000n);
    assert.equal(kernel.clock.now(1) - before, 1_000_000_000n);
    const x = new Uint8Array(16), y = new Uint8Array(16);
    kernel.random.fill(x);
    setup({ seed: 7 }).kernel.random.fill(y);
    assert.deepEqual(x, y);
  });
});

describe("O_CREAT and trailing slashes (found by the property tests)", () => {
  test("a final symlink whose target ends in / is EISDIR under O_CREAT, not a loop", () => {
    const { proc } = setup();
    sync(symlinkat(proc, "b/", CWD, "/b"));
    assert.equal(errnoOf(() => openat(proc, CWD, "/b", O.CREAT | O.WRONLY)), "EISDIR");
    assert.equal(errnoOf(() => openat(proc, CWD, "/b", O.RDONLY)), "ELOOP");
    sync(symlinkat(proc, "new/", CWD, "/n"));
    assert.equal(errnoOf(() => openat(proc, CWD, "/n", O.CREAT | O.WRONLY)), "EISDIR");
    assert.equal(errnoOf(() => openat(proc, CWD, "/missing/x/", O.CREAT | O.WRONLY)), "ENOENT");
    assert.equal(errnoOf(() => openat(proc, CWD, "/tmp/", O.CREAT | O.EXCL | O.WRONLY)), "EISDIR");
    assert.equal(errnoOf(() => openat(proc, CWD, "/tmp/.", O.CREAT | O.EXCL | O.RDONLY)), "EEXIST");
  });
});
