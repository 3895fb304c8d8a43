import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isPromise } from "../../kernel/_maybe.ts";
import { KernelError } from "../../kernel/errno.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, FileType, O } from "../../kernel/types.ts";
import type { VNode } from "../../kernel/vfs/driver.ts";
import { createKernel } from "../../mod.ts";
import {
  createFakeOpfs,
  type FakeOpfs,
  META_DIR_NAME,
  OpfsFileSystem,
  type OpfsFileSystemOptions,
} from "./mod.ts";
import { OPFS_CHECKS, runOpfsCheck } from "./opfs_checks.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function mount(
  opfs: FakeOpfs,
  options: Omit<OpfsFileSystemOptions, "root"> = {},
): Promise<OpfsFileSystem> {
  return await OpfsFileSystem.open({ root: opfs, ...options });
}

async function lookup(fs: OpfsFileSystem, dir: VNode, ...names: string[]): Promise<VNode> {
  let node = dir;
  for (const name of names) {
    const next = await fs.lookup(node, name);
    if (next === null) throw new KernelError("ENOENT", names.join("/"));
    node = next;
  }
  return node;
}

async function writeFile(fs: OpfsFileSystem, dir: VNode, name: string, text: string): Promise<VNode> {
  const node = await fs.create(dir, name, 0o644);
  const handle = await fs.open(node, O.WRONLY);
  await fs.write(handle, enc(text), 0);
  await fs.close(handle);
  return node;
}

/** Names in an OPFS directory of the fake (the real tree, not the index). */
async function opfsNames(
  dir: FakeOpfs | Awaited<ReturnType<FakeOpfs["getDirectoryHandle"]>>,
): Promise<string[]> {
  const names: string[] = [];
  for await (const [name] of dir.entries()) names.push(name);
  return names.sort();
}

async function opfsText(opfs: FakeOpfs, ...path: string[]): Promise<string> {
  let dir = opfs as Awaited<ReturnType<FakeOpfs["getDirectoryHandle"]>>;
  for (const name of path.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
  const file = await (await dir.getFileHandle(path[path.length - 1])).getFile();
  return dec(new Uint8Array(await file.arrayBuffer()));
}

// The OPFS-specific checks also run on real OPFS in headless Chromium (tests/browser).
for (const directoryMove of [false, true]) {
  describe(`opfs checks (in-memory imitation${directoryMove ? ", directory move" : ""})`, () => {
    for (const check of OPFS_CHECKS) {
      test(check.title, () => runOpfsCheck(check, () => createFakeOpfs({ directoryMove })));
    }
  });
}

describe("opfs driver: mounting", () => {
  test("a path root is created below the OPFS root; without OPFS, open needs a handle", async () => {
    await assert.rejects(OpfsFileSystem.open({ root: "a/b" }), TypeError);
    await assert.rejects(OpfsFileSystem.open({ root: createFakeOpfs(), maxOpenHandles: 0 }), RangeError);
    await assert.rejects(OpfsFileSystem.open({ root: 42 as never }), TypeError);
  });

  test("a second mount of the same directory is EBUSY", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs);
    await assert.rejects(mount(opfs), (e: unknown) => e instanceof KernelError && e.code === "EBUSY");
    await fs.unmount();
    const again = await mount(opfs);
    await again.unmount();
  });
});

describe("opfs driver: the index", () => {
  test("times changed by writes reach the index after the delay, or at sync/unmount", async () => {
    const opfs = createFakeOpfs();
    let now = 1_000n;
    const fs = await mount(opfs, { clock: () => now, timesDelayMs: 5 });
    const file = await fs.create(fs.root(), "f", 0o644);
    const handle = await fs.open(file, O.RDWR);
    now = 2_000n;
    fs.write(handle, enc("x"), 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Read the index as a second mount would, without unmounting: copy the fake's files.
    await fs.close(handle);
    await fs.unmount();
    const again = await mount(opfs);
    assert.equal((await again.stat(await lookup(again, again.root(), "f"))).mtimeNs, 2_000n);
    await again.unmount();
  });

  test("the index is compacted and still loads", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs, { durability: "write" });
    const root = fs.root();
    // Enough churn to pass the 1 MiB log threshold several times.
    for (let i = 0; i < 3000; i++) {
      const name = i % 50 === 49 ? `kept-${i}` : `file-with-a-long-name-${i % 50}-${"x".repeat(100)}`;
      const f = await fs.create(root, name, 0o644);
      await fs.setattr(f, { mode: 0o600 });
      if (i % 50 !== 49) await fs.unlink(root, name);
    }
    const names = (await fs.readdir(root, 0, 1000)).map((e) => e.name).sort();
    assert.equal(names.length, 60);
    await fs.unmount();
    const meta = await opfs.getDirectoryHandle(META_DIR_NAME);
    for (const name of ["index.0", "index.1"]) {
      const size = (await (await meta.getFileHandle(name)).getFile()).size;
      assert.ok(size < 3 << 20, `${name} is ${size} bytes`);
      // The first snapshot goes to index.1; a compaction since then wrote index.0.
      assert.ok(size > 0, `${name} is empty: no compaction happened`);
    }
    const again = await mount(opfs);
    assert.deepEqual((await again.readdir(again.root(), 0, 1000)).map((e) => e.name).sort(), names);
    await again.unmount();
  });

  test("a torn last line of the index is ignored", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs);
    await fs.mkdir(fs.root(), "kept", 0o700);
    await fs.unmount();
    const meta = await opfs.getDirectoryHandle(META_DIR_NAME);
    for (const name of ["index.0", "index.1"]) {
      const sah = await (await meta.getFileHandle(name)).createSyncAccessHandle();
      const size = sah.getSize();
      if (size > 0) sah.write(enc('["E",1,"torn'), { at: size });
      sah.close();
    }
    const again = await mount(opfs);
    assert.equal((await again.stat(await lookup(again, again.root(), "kept"))).mode, 0o700);
    await again.mkdir(again.root(), "after", 0o711);
    await again.unmount();
    const third = await mount(opfs);
    assert.equal((await third.stat(await lookup(third, third.root(), "after"))).mode, 0o711);
    await third.unmount();
  });
});

describe("opfs driver: orphans and renames", () => {
  test("orphans left by a reload are deleted at the next mount", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs);
    const file = await writeFile(fs, fs.root(), "f", "x");
    await fs.open(file, O.RDONLY);
    await fs.unlink(fs.root(), "f");
    await fs.unmount(); // the open handle is abandoned, as a reload would
    const again = await mount(opfs);
    assert.deepEqual(await opfsNames(await opfs.getDirectoryHandle(META_DIR_NAME)), ["index.0", "index.1"]);
    await again.unmount();
  });

  test("renaming over an open file keeps it readable", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs);
    const old = await writeFile(fs, fs.root(), "old", "old data");
    await writeFile(fs, fs.root(), "new", "new data");
    const handle = await fs.open(old, O.RDONLY);
    await fs.rename(fs.root(), "new", fs.root(), "old");
    const buffer = new Uint8Array(8);
    assert.equal(await fs.read(handle, buffer, 0), 8);
    assert.equal(dec(buffer), "old data");
    assert.equal(await opfsText(opfs, "old"), "new data");
    await fs.close(handle);
    await fs.unmount();
  });
});

describe("opfs driver: sync access handles", () => {
  test("at most maxOpenHandles are open; I/O is synchronous while a file's handle is open", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs, { maxOpenHandles: 3 });
    const handles = [];
    for (let i = 0; i < 5; i++) {
      const file = await fs.create(fs.root(), `f${i}`, 0o644);
      const handle = fs.open(file, O.RDWR);
      assert.equal(fs.openSyncHandles, Math.min(i, 3), "open itself touches no OPFS file");
      assert.equal(await fs.write(handle, enc("x"), 0), 1);
      handles.push(handle);
    }
    assert.equal(fs.openSyncHandles, 3);
    assert.equal(opfs.stats.openSyncHandles, 3 + 2, "three files and the two index files");
    // f4 was opened last: synchronous. f0 was evicted: a Promise.
    const sync = fs.write(handles[4], enc("now"), 0);
    assert.equal(sync, 3);
    const later = fs.write(handles[0], enc("later"), 0);
    assert.ok(isPromise(later));
    assert.equal(await later, 5);
    assert.equal(fs.openSyncHandles, 3);
    for (const handle of handles) await fs.close(handle);
    await fs.releaseHandles();
    assert.equal(opfs.stats.openSyncHandles, 2);
    await fs.unmount();
    assert.equal(opfs.stats.openSyncHandles, 0);
  });

  test("lookup, stat and readdir are synchronous once a directory is verified", async () => {
    const opfs = createFakeOpfs();
    const fs = await mount(opfs);
    await writeFile(fs, fs.root(), "f", "abc");
    await fs.unmount();
    const again = await mount(opfs);
    const first = again.lookup(again.root(), "f");
    assert.ok(isPromise(first), "the first access compares with OPFS");
    const node = (await first)!;
    assert.ok(!isPromise(again.lookup(again.root(), "f")));
    assert.ok(!isPromise(again.readdir(again.root(), 0, 10)));
    assert.ok(isPromise(again.stat(node)), "the size is read from OPFS once");
    assert.equal((await again.stat(node)).size, 3);
    assert.equal((again.stat(node) as { size: number; }).size, 3);
    await again.unmount();
  });

  test("durability flush flushes the index on every change; write does not", async () => {
    for (const durability of ["flush", "write"] as const) {
      const opfs = createFakeOpfs();
      const fs = await mount(opfs, { durability });
      const before = opfs.stats.flushes;
      for (let i = 0; i < 10; i++) await fs.mkdir(fs.root(), `d${i}`, 0o755);
      const flushes = opfs.stats.flushes - before;
      if (durability === "flush") assert.ok(flushes >= 10, `${flushes} flushes`);
      else assert.equal(flushes, 0);
      await fs.unmount();
    }
  });
});

describe("opfs driver under the kernel", () => {
  test("mounted at /data: POSIX calls, symlinks, hard links, modes, then a remount", async () => {
    const opfs = createFakeOpfs();
    const kernel = createKernel();
    const fs = await mount(opfs);
    await sys.mkdirat(kernel.createProcess(), AT.FDCWD, "/data", 0o755);
    await kernel.mount("/data", fs);
    const proc = kernel.createProcess({ umask: 0o022 });
    await sys.mkdirat(proc, AT.FDCWD, "/data/out", 0o777);
    const fd = await sys.openat(proc, AT.FDCWD, "/data/out/hello.txt", O.CREAT | O.WRONLY | O.TRUNC, 0o666);
    await sys.write(proc, fd, enc("hello from the kernel\n"));
    await sys.close(proc, fd);
    await sys.symlinkat(proc, "hello.txt", AT.FDCWD, "/data/out/latest");
    await sys.linkat(proc, AT.FDCWD, "/data/out/hello.txt", AT.FDCWD, "/data/out/hello-again.txt", 0);
    await sys.fchmodat(proc, AT.FDCWD, "/data/out/hello.txt", 0o640, 0);
    const viaLink = await sys.openat(proc, AT.FDCWD, "/data/out/latest", O.RDONLY);
    const buffer = new Uint8Array(64);
    const n = await sys.read(proc, viaLink, buffer);
    assert.equal(dec(buffer.subarray(0, n)), "hello from the kernel\n");
    await sys.close(proc, viaLink);
    await kernel.unmount("/data");
    await fs.unmount();

    const kernel2 = createKernel();
    await sys.mkdirat(kernel2.createProcess(), AT.FDCWD, "/data", 0o755);
    await kernel2.mount("/data", await mount(opfs));
    const proc2 = kernel2.createProcess();
    const st = await sys.fstatat(proc2, AT.FDCWD, "/data/out/hello.txt", AT.SYMLINK_NOFOLLOW);
    assert.equal(st.mode, 0o640);
    assert.equal(st.nlink, 2);
    const again = await sys.fstatat(proc2, AT.FDCWD, "/data/out/hello-again.txt", 0);
    assert.equal(again.ino, st.ino);
    assert.equal(await sys.readlinkat(proc2, AT.FDCWD, "/data/out/latest"), "hello.txt");
    const dir = await sys.fstatat(proc2, AT.FDCWD, "/data/out", 0);
    assert.equal(dir.mode, 0o755);
    assert.equal(dir.type, FileType.Directory);
  });
});
