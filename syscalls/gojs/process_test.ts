import assert from "node:assert/strict";
import posix from "node:path/posix";
import { test } from "node:test";
import { createKernel, MemoryFileSystem, sys } from "../../mod.ts";
import { asyncFileSystem } from "./_testing.ts";
import {
  createPathObject,
  createProcessObject,
  CwdCache,
  normalizeAbsolute,
  resolvePath,
} from "./process.ts";

test("process: path.resolve matches node:path/posix against the process cwd", () => {
  const cases = [
    [],
    [""],
    ["a"],
    ["a", "b"],
    ["/x", "y"],
    ["/x/", "../y/"],
    ["a", "/b", "c/.."],
    ["..", ".."],
    ["a//b/./c/"],
    [
      "/",
      "..",
    ],
  ];
  const path = createPathObject(() => "/home/go/work");
  for (const segs of cases) {
    assert.equal(path.resolve(...segs), posix.resolve("/home/go/work", ...segs), JSON.stringify(segs));
  }
  assert.equal(resolvePath("/", ["a/../../b"]), "/b");
  assert.equal(normalizeAbsolute("//a//b/../c/."), "/a/c");
  for (const p of ["", ".", "a/b/..", "/a/b/", "../x", "a//b"]) {
    assert.equal(path.normalize(p), posix.normalize(p), p);
  }
  for (const p of ["/a/b", "a", "/", "a/b/", "/a"]) {
    assert.equal(path.dirname(p), posix.dirname(p), p);
    assert.equal(path.basename(p), posix.basename(p), p);
  }
  assert.equal(path.join("a", "", "../b", "c/"), posix.join("a", "", "../b", "c/"));
  assert.equal(path.isAbsolute("/a"), true);
});

test("process: cwd/chdir/umask/ids come from the kernel process", () => {
  const kernel = createKernel();
  const parent = kernel.createProcess();
  const proc = kernel.createProcess({ args: ["prog", "x"], uid: 1000, gid: 50, umask: 0o027, parent });
  sys.mkdirat(proc, -100, "/tmp/w", 0o755);
  const p = createProcessObject({ proc, setBarrier: () => {} }, new CwdCache(proc));
  assert.equal(p.cwd(), "/");
  p.chdir("/tmp/w");
  assert.equal(p.cwd(), "/tmp/w");
  p.chdir("..");
  assert.equal(p.cwd(), "/tmp");
  assert.throws(() => p.chdir("nope"), { code: "ENOENT" });
  sys.openat(proc, -100, "/tmp/file", 0o100, 0o644);
  assert.throws(() => p.chdir("/tmp/file"), { code: "ENOTDIR" });
  assert.equal(p.umask(0o022), 0o027);
  assert.equal(proc.umask, 0o022);
  assert.deepEqual([p.getuid(), p.geteuid(), p.getgid(), p.getegid()], [1000, 1000, 50, 50]);
  assert.deepEqual(p.getgroups(), [50]);
  assert.equal(p.pid, proc.pid);
  assert.equal(p.ppid, parent.pid);
  assert.equal(p.argv0.startsWith("node"), false);
  assert.deepEqual(p.argv.slice(1), ["prog", "x"]);
});

test("process: a removed cwd makes process.cwd() throw ENOENT (Go's Getwd reports it)", () => {
  const kernel = createKernel();
  const proc = kernel.createProcess();
  sys.mkdirat(proc, -100, "/tmp/gone", 0o755);
  const p = createProcessObject({ proc, setBarrier: () => {} }, new CwdCache(proc));
  p.chdir("/tmp/gone");
  sys.unlinkat(proc, -100, "/tmp/gone", 0x200);
  assert.throws(() => p.cwd(), { code: "ENOENT" });
});

test("process: on an asynchronous filesystem chdir answers at once and later calls wait for it", async () => {
  const kernel = createKernel();
  const init = kernel.createProcess();
  sys.mkdirat(init, -100, "/slow", 0o755);
  init.exit(0);
  kernel.mount("/slow", asyncFileSystem(new MemoryFileSystem()));
  const proc = kernel.createProcess();
  await sys.mkdirat(proc, -100, "/slow/d", 0o755);
  const barriers: Promise<unknown>[] = [];
  const p = createProcessObject({ proc, setBarrier: (b) => barriers.push(b) }, new CwdCache(proc));
  p.chdir("/slow/d");
  assert.equal(barriers.length, 1);
  assert.equal(p.cwd(), "/slow/d");
  await barriers[0];
  assert.equal(p.cwd(), "/slow/d");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(p.cwd(), "/slow/d");
  // A chdir that fails there cannot be reported (Go's chdir is synchronous): the cwd stays.
  p.chdir("/slow/missing");
  await barriers[1];
  p.cwd();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(p.cwd(), "/slow/d");
});
