import assert from "node:assert/strict";
import { test } from "node:test";
import { createKernel, MemoryFileSystem, type Process, sys } from "../../mod.ts";
import { asyncFileSystem } from "./_testing.ts";
import { GO_ERRNO_CODES } from "./errno.ts";
import { createFs, FS_CONSTANTS, type FsHost } from "./fs.ts";
import type { GoStats } from "./stat.ts";

type Cb = (err: { code: string; } | null, result?: unknown) => void;
type FsObject = Record<string, (...args: unknown[]) => unknown>;

function setup(options: { syncCallbacks?: boolean; asyncRoot?: boolean; } = {}) {
  const kernel = createKernel();
  if (options.asyncRoot) {
    const init = kernel.createProcess();
    sys.mkdirat(init, -100, "/slow", 0o755);
    init.exit(0);
    kernel.mount("/slow", asyncFileSystem(new MemoryFileSystem()));
  }
  const proc = kernel.createProcess();
  let pending = 0;
  const host: FsHost = {
    proc,
    syncCallbacks: options.syncCallbacks,
    track(p) {
      pending++;
      p.then(() => pending--, () => pending--);
      return p;
    },
    deliver: (fn) => fn(),
    soon: (fn) => queueMicrotask(fn),
    barrier: () => null,
  };
  const fs = createFs(host) as unknown as FsObject;
  /** Calls fs[name](...args, cb) and resolves with [err, result] and whether it was called back synchronously. */
  const call = (name: string, ...args: unknown[]) =>
    new Promise<{ err: { code: string; } | null; result: unknown; sync: boolean; }>((resolve) => {
      let inside = true;
      fs[name](...args, ((err, result) => resolve({ err, result, sync: inside })) as Cb);
      inside = false;
    });
  return { kernel, proc, fs, call, pending: () => pending };
}

test("fs: fs.constants has the open flags Go reads, O_DIRECTORY included", () => {
  for (const name of ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_EXCL", "O_DIRECTORY"]) {
    assert.equal(typeof FS_CONSTANTS[name], "number", name);
  }
});

test("fs: success is (null, result); failure is an error with a Go errno code; nothing throws", async () => {
  const { call } = setup();
  const open = await call("open", "/tmp/a.txt", FS_CONSTANTS.O_CREAT | FS_CONSTANTS.O_WRONLY, 0o644);
  assert.equal(open.err, null);
  assert.equal(typeof open.result, "number");
  const again = await call(
    "open",
    "/tmp/a.txt",
    FS_CONSTANTS.O_CREAT | FS_CONSTANTS.O_EXCL | FS_CONSTANTS.O_WRONLY,
    0o644,
  );
  assert.equal(again.err?.code, "EEXIST");
  assert.ok(again.err instanceof Error);
  for (
    const [name, args, code] of [
      ["open", ["/missing/x", 0, 0], "ENOENT"],
      ["stat", ["/nope"], "ENOENT"],
      ["read", [999, new Uint8Array(4), 0, 4, null], "EBADF"],
      ["rmdir", ["/tmp/a.txt"], "ENOTDIR"],
      ["unlink", ["/tmp"], "EISDIR"],
      ["readlink", ["/tmp/a.txt"], "EINVAL"],
      ["mkdir", ["/tmp", 0o755], "EEXIST"],
      ["read", ["not a number", new Uint8Array(1), 0, 1, null], "EINVAL"],
      ["write", [1, "not bytes", 0, 1, null], "EINVAL"],
    ] as const
  ) {
    const r = await call(name, ...args);
    assert.equal(r.err?.code, code, `${name} ${JSON.stringify(args)}`);
    assert.ok(GO_ERRNO_CODES.has(r.err!.code));
  }
});

test("fs: a missing callback is a TypeError (the only throw)", () => {
  const { fs } = setup();
  assert.throws(() => fs.stat("/"), TypeError);
});

test("fs: callbacks come in a microtask by default, inside the call with syncCallbacks", async () => {
  const a = setup();
  assert.equal((await a.call("stat", "/")).sync, false);
  assert.equal((await a.call("stat", "/missing")).sync, false);
  const b = setup({ syncCallbacks: true });
  assert.equal((await b.call("stat", "/")).sync, true);
  assert.equal((await b.call("stat", "/missing")).sync, true);
});

test("fs: an asynchronous filesystem calls back in .then and counts as pending work", async () => {
  const { call, pending } = setup({ syncCallbacks: true, asyncRoot: true });
  const p = call("mkdir", "/slow/d", 0o755);
  assert.equal(pending(), 1);
  const r = await p;
  assert.equal(r.err, null);
  assert.equal(r.sync, false);
  const fd = (await call("open", "/slow/d/f", FS_CONSTANTS.O_CREAT | FS_CONSTANTS.O_RDWR, 0o600))
    .result as number;
  assert.equal((await call("write", fd, new TextEncoder().encode("async!"), 0, 6, null)).result, 6);
  const buf = new Uint8Array(16);
  assert.equal((await call("read", fd, buf, 2, 10, 0)).result, 6);
  assert.equal(new TextDecoder().decode(buf.subarray(2, 8)), "async!");
  assert.deepEqual((await call("readdir", "/slow/d")).result, ["f"]);
  assert.equal((await call("stat", "/slow/missing")).err?.code, "ENOENT");
  assert.equal((await call("close", fd)).err, null);
});

test("fs: stats carry type bits, ms times, and isDirectory()", async () => {
  const { call, proc } = setup();
  sys.mkdirat(proc, -100, "/tmp/dir", 0o750);
  const st = (await call("stat", "/tmp/dir")).result as GoStats;
  assert.equal(st.mode, 0o040000 | (0o750 & ~proc.umask));
  assert.equal(st.isDirectory(), true);
  assert.equal(st.isFile(), false);
  for (
    const key of [
      "dev",
      "ino",
      "nlink",
      "uid",
      "gid",
      "rdev",
      "size",
      "blksize",
      "blocks",
      "atimeMs",
      "mtimeMs",
      "ctimeMs",
    ]
  ) {
    assert.equal(typeof (st as unknown as Record<string, unknown>)[key], "number", key);
  }
  sys.symlinkat(proc, "dir", -100, "/tmp/link");
  const l = (await call("lstat", "/tmp/link")).result as GoStats;
  assert.equal(l.mode & 0o170000, 0o120000);
  assert.equal(l.isSymbolicLink(), true);
  const s = (await call("stat", "/tmp/link")).result as GoStats;
  assert.equal(s.ino, st.ino);
});

test("fs: read/write with offset, length and position; O_APPEND appends even with a position", async () => {
  const { call } = setup();
  const C = FS_CONSTANTS;
  const fd = (await call("open", "/tmp/f", C.O_CREAT | C.O_RDWR, 0o644)).result as number;
  const data = new TextEncoder().encode("__hello__");
  assert.equal((await call("write", fd, data, 2, 5, null)).result, 5);
  assert.equal((await call("write", fd, new TextEncoder().encode("J"), 0, 1, 0)).result, 1);
  const buf = new Uint8Array(8);
  assert.equal((await call("read", fd, buf, 0, 8, 0)).result, 5);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), "Jello");
  await call("close", fd);
  const afd = (await call("open", "/tmp/f", C.O_WRONLY | C.O_APPEND, 0)).result as number;
  await call("write", afd, new TextEncoder().encode("!"), 0, 1, 0);
  await call("write", afd, new TextEncoder().encode("?"), 0, 1, null);
  await call("close", afd);
  const rfd = (await call("open", "/tmp/f", 0, 0)).result as number;
  const all = new Uint8Array(16);
  const n = (await call("read", rfd, all, 0, 16, null)).result as number;
  assert.equal(new TextDecoder().decode(all.subarray(0, n)), "Jello!?");
});

test("fs: readdir lists names without . and ..; rename, link, symlink, readlink, truncate, utimes, chmod", async () => {
  const { call, proc } = setup();
  const C = FS_CONSTANTS;
  await call("mkdir", "/tmp/d", 0o755);
  for (const name of ["a", "b", "c"]) {
    const fd = (await call("open", `/tmp/d/${name}`, C.O_CREAT | C.O_WRONLY, 0o644)).result as number;
    await call("close", fd);
  }
  assert.deepEqual(((await call("readdir", "/tmp/d")).result as string[]).sort(), ["a", "b", "c"]);
  assert.equal((await call("readdir", "/tmp/d/a")).err?.code, "ENOTDIR");
  assert.equal((await call("rename", "/tmp/d/a", "/tmp/d/z")).err, null);
  assert.equal((await call("link", "/tmp/d/z", "/tmp/d/y")).err, null);
  assert.equal(((await call("stat", "/tmp/d/y")).result as GoStats).nlink, 2);
  assert.equal((await call("symlink", "z", "/tmp/d/s")).err, null);
  assert.equal((await call("readlink", "/tmp/d/s")).result, "z");
  const fd = (await call("open", "/tmp/d/z", C.O_WRONLY, 0)).result as number;
  await call("write", fd, new Uint8Array(100), 0, 100, null);
  assert.equal((await call("truncate", "/tmp/d/z", 10)).err, null);
  assert.equal(((await call("fstat", fd)).result as GoStats).size, 10);
  assert.equal((await call("ftruncate", fd, 3)).err, null);
  assert.equal(((await call("fstat", fd)).result as GoStats).size, 3);
  assert.equal((await call("ftruncate", fd, -1)).err?.code, "EINVAL");
  assert.equal((await call("utimes", "/tmp/d/z", 1000.5, 2000)).err, null);
  const st = (await call("stat", "/tmp/d/z")).result as GoStats;
  assert.equal(st.atimeMs, 1000500);
  assert.equal(st.mtimeMs, 2000000);
  assert.equal((await call("chmod", "/tmp/d/z", 0o600)).err, null);
  assert.equal((await call("fchmod", fd, 0o640)).err, null);
  assert.equal(((await call("stat", "/tmp/d/z")).result as GoStats).mode & 0o777, 0o640);
  assert.equal((await call("chown", "/tmp/d/z", 5, 6)).err, null);
  const owned = (await call("stat", "/tmp/d/z")).result as GoStats;
  assert.deepEqual([owned.uid, owned.gid], [5, 6]);
  assert.equal((await call("fsync", fd)).err, null);
  assert.equal((await call("close", fd)).err, null);
  assert.equal((await call("close", fd)).err?.code, "EBADF");
  assert.equal(proc.fds.size, 0);
});

test("fs: writeSync writes to the process's fds (runtime output)", () => {
  const { fs, proc } = setup();
  const fd = sys.openat(proc, -100, "/tmp/out", 0o100 | 1, 0o644) as number;
  assert.equal(fs.writeSync(fd, new TextEncoder().encode("runtime says hi")), 15);
  assert.equal((sys.fstat(proc, fd) as { size: number; }).size, 15);
  assert.throws(() => fs.writeSync(99, new Uint8Array(1)), { code: "EBADF" });
});

test("fs: two processes have their own fds on one kernel", async () => {
  const a = setup();
  const procB: Process = a.kernel.createProcess();
  const fsB = createFs({
    proc: procB,
    syncCallbacks: true,
    track: (p) => p,
    deliver: (f) => f(),
    soon: (f) => queueMicrotask(f),
    barrier: () => null,
  });
  const fdA = (await a.call("open", "/tmp/shared", FS_CONSTANTS.O_CREAT | FS_CONSTANTS.O_RDWR, 0o644)).result;
  let fdB: unknown;
  (fsB.open as (...a: unknown[]) => void)("/tmp/shared", 0, 0, (_e: unknown, fd: unknown) => (fdB = fd));
  assert.equal(fdA, 0);
  assert.equal(fdB, 0);
});
