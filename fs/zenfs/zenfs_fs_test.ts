import {
  CopyOnWrite,
  Fetch,
  fs as zenApi,
  type IndexData,
  InMemory,
  mount,
  resolveMountConfig,
  SingleBuffer,
  umount,
} from "@zenfs/core";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { type ErrnoName, isKernelError } from "../../kernel/errno.ts";
import { FileType, O, UTIME } from "../../kernel/types.ts";
import type { FileHandle, FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { forgetRemovedName, msToNs, nsToMs, toKernelError } from "./_backend.ts";
import { createZenFsFileSystem, ZenFsFileSystem } from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function errno(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    if (isKernelError(error)) return error.code;
    throw error;
  }
}

async function expectCode(fn: () => unknown, code: ErrnoName): Promise<void> {
  assert.equal(await errno(fn), code);
}

async function inMemory(options: ConstructorParameters<typeof ZenFsFileSystem>[1] = {}) {
  const zen = await resolveMountConfig({ backend: InMemory, disableAsyncCache: true });
  return { zen, fs: new ZenFsFileSystem(zen, options) };
}

async function node(fs: FileSystem, dir: VNode, name: string): Promise<VNode> {
  const found = await fs.lookup(dir, name);
  assert.ok(found, `${name} exists`);
  return found;
}

async function writeText(fs: FileSystem, file: VNode, text: string, position = 0): Promise<void> {
  const handle = await fs.open(file, O.RDWR);
  await fs.write(handle, encoder.encode(text), position);
  await fs.close(handle);
}

async function readText(fs: FileSystem, file: VNode): Promise<string> {
  const handle = await fs.open(file, O.RDONLY);
  const buffer = new Uint8Array(1 << 16);
  const count = await fs.read(handle, buffer, 0);
  await fs.close(handle);
  return decoder.decode(buffer.subarray(0, count));
}

let mountCounter = 0;
/** Mounts `zen` in ZenFS's own VFS for the duration of `body`. */
async function withZenMount(zen: Parameters<typeof mount>[1], body: (at: string) => unknown): Promise<void> {
  const at = `/vkernel-test-${++mountCounter}`;
  mount(at, zen);
  try {
    await body(at);
  } finally {
    umount(at);
  }
}

describe("ZenFsFileSystem", () => {
  test("detects synchronous backends and inode sources", async () => {
    const { fs } = await inMemory();
    assert.equal(fs.synchronous, true);
    assert.equal(fs.name, "zenfs:tmpfs");
    const single = new ZenFsFileSystem(
      await resolveMountConfig({ backend: SingleBuffer, buffer: new ArrayBuffer(1 << 20) }),
    );
    assert.equal(single.synchronous, true);
    const cow = new ZenFsFileSystem(
      await resolveMountConfig({
        backend: CopyOnWrite,
        readable: { backend: InMemory },
        writable: { backend: InMemory },
      }),
    );
    assert.equal(cow.synchronous, true);
    const forced = new ZenFsFileSystem((await inMemory()).zen, { synchronous: false });
    const result = forced.lookup(forced.root(), "x");
    assert.ok(result instanceof Promise);
    assert.equal(await result, null);
  });

  test("rejects what is not a ZenFS file system and bad options", async () => {
    assert.throws(() => new ZenFsFileSystem({} as never), TypeError);
    const { zen } = await inMemory();
    assert.throws(() => new ZenFsFileSystem(zen, { uid: -1 }), RangeError);
    assert.throws(() => new ZenFsFileSystem(zen, { inodes: "x" as never }), RangeError);
    const { fs } = await inMemory();
    const other = (await inMemory()).fs;
    assert.throws(() => fs.stat(other.root()), TypeError);
  });

  test("symlinks are stored as ZenFS stores them, both ways", async () => {
    const { zen, fs } = await inMemory();
    const root = fs.root();
    const link = await fs.symlink(root, "mine", "../some/where");
    const st = zen.statSync("/mine");
    assert.equal(st.mode & 0o170000, 0o120000);
    assert.equal(st.size, 13);
    await withZenMount(zen, (at) => {
      assert.equal(zenApi.readlinkSync(`${at}/mine`), "../some/where");
      assert.ok(zenApi.lstatSync(`${at}/mine`).isSymbolicLink());
      zenApi.symlinkSync("théirs/target", `${at}/theirs`);
    });
    const theirs = await node(fs, root, "theirs");
    assert.equal(theirs.type, FileType.Symlink);
    assert.equal(await fs.readlink(theirs), "théirs/target");
    assert.equal((await fs.stat(theirs)).size, encoder.encode("théirs/target").length);
    assert.equal(await fs.readlink(link), "../some/where");
    await expectCode(() => fs.symlink(root, "empty", ""), "ENOENT");
  });

  test("files written by ZenFS's own API read back, and the other way", async () => {
    const { zen, fs } = await inMemory();
    const root = fs.root();
    const file = await fs.create(root, "a.txt", 0o640);
    await writeText(fs, file, "from vkernel");
    await withZenMount(zen, (at) => {
      assert.equal(zenApi.readFileSync(`${at}/a.txt`, "utf8"), "from vkernel");
      assert.equal(zenApi.statSync(`${at}/a.txt`).mode & 0o777, 0o640);
      zenApi.mkdirSync(`${at}/dir`);
      zenApi.writeFileSync(`${at}/dir/b.txt`, "from zenfs");
    });
    const dir = await node(fs, root, "dir");
    assert.equal(await readText(fs, await node(fs, dir, "b.txt")), "from zenfs");
  });

  test("inode numbers: backend + 1 for stores, allocated per node otherwise, stable across renames", async () => {
    const { zen, fs } = await inMemory();
    const root = fs.root();
    const file = await fs.create(root, "f", 0o644);
    assert.equal(file.ino, zen.statSync("/f").ino + 1);
    const dir = await fs.mkdir(root, "d", 0o755);
    await fs.rename(root, "f", dir, "g");
    assert.equal((await node(fs, dir, "g")).ino, file.ino);
    assert.equal((await fs.stat(file)).ino, file.ino);

    const paths = new ZenFsFileSystem((await inMemory()).zen, { inodes: "paths" });
    const a = await paths.create(paths.root(), "a", 0o644);
    const b = await paths.create(paths.root(), "b", 0o644);
    assert.deepEqual([paths.root().ino, a.ino, b.ino], [1, 2, 3]);
    await paths.rename(paths.root(), "a", paths.root(), "c");
    assert.equal((await node(paths, paths.root(), "c")).ino, 2);
  });

  test("hard links made outside the adapter are one node; the node survives losing the name it was found by", async () => {
    const { zen, fs } = await inMemory();
    const root = fs.root();
    const sub = await fs.mkdir(root, "sub", 0o755);
    const file = await fs.create(sub, "f", 0o644);
    await writeText(fs, file, "shared");
    await withZenMount(zen, (at) => zenApi.linkSync(`${at}/sub/f`, `${at}/other`));
    await fs.unlink(sub, "f");
    // Its only known name is gone, but another remains: found by a scan.
    assert.equal(await readText(fs, file), "shared");
    assert.equal((await fs.stat(file)).nlink, 1);
    assert.equal(await node(fs, root, "other"), file);
    assert.equal(await fs.lookup(sub, "f"), null);
    await fs.mkdir(sub, "f", 0o755);
    await fs.unlink(root, "other");
    // ZenFS's path table must not take the new directory with the inode.
    assert.equal((await node(fs, sub, "f")).type, FileType.Directory);
  });

  test("an open file keeps its bytes after unlink, rename over it, and through writes and truncates", async () => {
    const { fs } = await inMemory();
    const root = fs.root();
    const file = await fs.create(root, "f", 0o644);
    await writeText(fs, file, "hello");
    const handle = await fs.open(file, O.RDWR);
    const other = await fs.create(root, "g", 0o644);
    await writeText(fs, other, "replacement");
    await fs.rename(root, "g", root, "f");
    assert.equal(await readText(fs, await node(fs, root, "f")), "replacement");
    assert.equal((await fs.stat(file)).nlink, 0);
    await fs.write(handle, encoder.encode("!"), 7);
    const buffer = new Uint8Array(16);
    assert.equal(await fs.read(handle, buffer, 0), 8);
    assert.deepEqual([...buffer.subarray(0, 8)], [...encoder.encode("hello"), 0, 0, 33]);
    await fs.truncate(handle, 2);
    await fs.truncate(handle, 4);
    assert.equal(await fs.read(handle, buffer, 0), 4);
    assert.deepEqual([...buffer.subarray(0, 4)], [104, 101, 0, 0]);
    assert.equal((await fs.stat(file)).size, 4);
    await fs.close(handle);
    await expectCode(() => fs.open(file, O.RDONLY), "ENOENT");
  });

  test("handles follow renamed directories", async () => {
    const { fs } = await inMemory();
    const root = fs.root();
    const a = await fs.mkdir(root, "a", 0o755);
    const file = await fs.create(a, "f", 0o644);
    const handle = await fs.open(file, O.RDWR);
    const b = await fs.mkdir(root, "b", 0o755);
    await fs.rename(root, "a", b, "moved");
    await fs.write(handle, encoder.encode("after"), 0);
    await fs.close(handle);
    assert.equal(await readText(fs, await node(fs, await node(fs, b, "moved"), "f")), "after");
    assert.equal(await fs.lookup(a, ".."), b);
  });

  test("reads are clamped to the size; EFBIG past ZenFS's 4 GiB - 1", async () => {
    const { fs } = await inMemory();
    const file = await fs.create(fs.root(), "f", 0o644);
    const handle = await fs.open(file, O.RDWR);
    await fs.write(handle, encoder.encode("abc"), 0);
    const buffer = new Uint8Array(100).fill(9);
    assert.equal(await fs.read(handle, buffer, 1), 2);
    assert.equal(buffer[2], 9);
    await expectCode(() => fs.write(handle, new Uint8Array(2), 2 ** 32 - 2), "EFBIG");
    await expectCode(() => fs.truncate(handle, 2 ** 32), "EFBIG");
    await expectCode(() => fs.read(handle, buffer, -1), "EINVAL");
    await fs.close(handle);
    await expectCode(() => fs.read(handle, buffer, 0), "EBADF");
    await expectCode(() => fs.close(handle), "EBADF");
  });

  test("access modes are enforced on handles", async () => {
    const { fs } = await inMemory();
    const file = await fs.create(fs.root(), "f", 0o644);
    const reader = await fs.open(file, O.RDONLY);
    await expectCode(() => fs.write(reader, new Uint8Array(1), 0), "EBADF");
    await expectCode(() => fs.truncate(reader, 0), "EINVAL");
    const writer = await fs.open(file, O.WRONLY);
    await expectCode(() => fs.read(writer, new Uint8Array(1), 0), "EBADF");
    await expectCode(() => fs.open(fs.root(), O.RDWR), "EISDIR");
    const dir = await fs.open(fs.root(), O.RDONLY);
    await expectCode(() => fs.read(dir, new Uint8Array(1), 0), "EISDIR");
    for (const h of [reader, writer, dir]) await fs.close(h);
  });

  test("setattr: mode, owner, size, times (UTIME_NOW / UTIME_OMIT), and its errors", async () => {
    const { zen, fs } = await inMemory();
    const root = fs.root();
    const file = await fs.create(root, "f", 0o644);
    await fs.setattr(file, { mode: 0o4755, uid: 7, gid: 8, size: 5 });
    let st = await fs.stat(file);
    assert.deepEqual([st.mode, st.uid, st.gid, st.size, st.type], [0o4755, 7, 8, 5, FileType.RegularFile]);
    assert.equal(zen.statSync("/f").mode, 0o104755);
    await fs.setattr(file, { uid: -1, gid: 9, atimeNs: 1_000_000_000n, mtimeNs: UTIME.OMIT });
    st = await fs.stat(file);
    assert.deepEqual([st.uid, st.gid, st.atimeNs], [7, 9, 1_000_000_000n]);
    const before = BigInt(Date.now()) * 1_000_000n;
    await fs.setattr(file, { mtimeNs: UTIME.NOW });
    assert.ok((await fs.stat(file)).mtimeNs >= before - 1_000_000n);
    await expectCode(() => fs.setattr(root, { size: 0 }), "EISDIR");
    const link = await fs.symlink(root, "l", "f");
    await expectCode(() => fs.setattr(link, { size: 0 }), "EINVAL");
    await expectCode(() => fs.setattr(file, { size: -1 }), "EINVAL");
    await expectCode(() => fs.setattr(file, { size: 2 ** 32 }), "EFBIG");
  });

  test("readdir: cookies survive changes, removed names vanish, ENOTDIR on a file", async () => {
    const { fs } = await inMemory();
    const root = fs.root();
    for (const n of ["a", "b", "c", "d"]) await fs.create(root, n, 0o644);
    const first = await fs.readdir(root, 0, 2);
    assert.deepEqual(first.map((e) => e.name), ["a", "b"]);
    await fs.unlink(root, "c");
    await fs.create(root, "e", 0o644);
    const rest = await fs.readdir(root, first[1].next, 10);
    assert.deepEqual(rest.map((e) => e.name), ["d", "e"]);
    assert.deepEqual(await fs.readdir(root, rest[1].next, 10), []);
    await expectCode(() => fs.readdir(root, -1, 1), "EINVAL");
    await expectCode(async () => fs.readdir(await node(fs, root, "a"), 0, 1), "ENOTDIR");
  });

  test("a removed directory: lookup finds nothing, '..' still works, creating in it is ENOENT", async () => {
    const { fs } = await inMemory();
    const root = fs.root();
    const dir = await fs.mkdir(root, "d", 0o755);
    await fs.rmdir(root, "d");
    assert.equal(await fs.lookup(dir, "x"), null);
    assert.equal(await fs.lookup(dir, ".."), root);
    assert.deepEqual(await fs.readdir(dir, 0, 10), []);
    assert.equal((await fs.stat(dir)).nlink, 0);
    await expectCode(() => fs.create(dir, "x", 0o644), "ENOENT");
  });

  test("read-only mounts refuse every mutation with EROFS", async () => {
    const { zen, fs: writer } = await inMemory();
    const file = await writer.create(writer.root(), "f", 0o644);
    await writeText(writer, file, "kept");
    const fs = new ZenFsFileSystem(zen, { readOnly: true });
    const root = fs.root();
    const f = await node(fs, root, "f");
    assert.equal(await readText(fs, f), "kept");
    await expectCode(() => fs.create(root, "x", 0o644), "EROFS");
    await expectCode(() => fs.mkdir(root, "x", 0o755), "EROFS");
    await expectCode(() => fs.symlink(root, "x", "y"), "EROFS");
    await expectCode(() => fs.link(root, "x", f), "EROFS");
    await expectCode(() => fs.unlink(root, "f"), "EROFS");
    await expectCode(() => fs.rmdir(root, "f"), "EROFS");
    await expectCode(() => fs.rename(root, "f", root, "g"), "EROFS");
    await expectCode(() => fs.setattr(f, { mode: 0o600 }), "EROFS");
    await expectCode(() => fs.open(f, O.WRONLY), "EROFS");
    assert.equal(fs.readOnly, true);
  });

  test("ZenFS errors become KernelErrors; nothing else escapes", async () => {
    assert.equal(toKernelError(Object.assign(new Error("x"), { code: "EBUSY" })).code, "EBUSY");
    assert.equal(toKernelError(Object.assign(new Error("x"), { code: "ENODATA" })).code, "EIO");
    assert.equal(toKernelError(new SyntaxError("bad JSON")).code, "EIO");
    assert.equal(toKernelError("weird").code, "EIO");
    const { zen, fs } = await inMemory();
    const file = await fs.create(fs.root(), "f", 0o644);
    zen.statSync = () => {
      throw new SyntaxError("Unexpected token");
    };
    await expectCode(() => fs.stat(file), "EIO");
    const asyncFs = new ZenFsFileSystem((await inMemory()).zen, { synchronous: false });
    const asyncFile = await asyncFs.create(asyncFs.root(), "f", 0o644);
    asyncFs.backend.stat = () => Promise.reject(Object.assign(new Error("gone"), { code: "ESTALE" }));
    const pending = asyncFs.stat(asyncFile);
    assert.ok(pending instanceof Promise);
    await expectCode(() => pending, "ENOENT");
  });

  test("async mode runs operations one at a time, in call order", async () => {
    const { zen } = await inMemory();
    const fs = new ZenFsFileSystem(zen, { synchronous: false });
    const root = fs.root();
    const created = Promise.resolve(fs.create(root, "f", 0o644));
    const opened = created.then((f) => fs.open(f, O.RDWR));
    const results = await Promise.all([
      created,
      fs.lookup(root, "f"),
      fs.rename(root, "f", root, "g"),
      fs.lookup(root, "f"),
      fs.lookup(root, "g"),
      errno(() => fs.unlink(root, "f")),
    ]);
    assert.equal(results[1], results[0]);
    assert.equal(results[3], null);
    assert.equal(results[4], results[0]);
    assert.equal(results[5], "ENOENT");
    const handle: FileHandle = await opened;
    assert.equal(await fs.write(handle, encoder.encode("x"), 0), 1);
    await fs.close(handle);
  });

  test("times: ms doubles to ns and back within 0.25 µs", () => {
    assert.equal(msToNs(1.5), 1_500_000n);
    assert.equal(msToNs(Number.NaN), 0n);
    assert.equal(nsToMs(-1_500_000n), -1.5);
    const ns = 1_600_000_000_987_654_321n;
    const diff = msToNs(nsToMs(ns)) - ns;
    assert.ok(diff > -250n && diff < 250n, `${diff}`);
  });

  test("forgetRemovedName leaves other file systems alone", async () => {
    const zen = await resolveMountConfig({
      backend: Fetch,
      baseUrl: "http://127.0.0.1:1",
      index: emptyIndex(),
    });
    assert.equal(forgetRemovedName(zen, "/x"), false);
  });

  test("createZenFsFileSystem resolves a configuration or a bare backend", async () => {
    const fs = await createZenFsFileSystem({ backend: InMemory, label: "x" });
    assert.equal(fs.synchronous, true);
    const bare = await createZenFsFileSystem(InMemory);
    assert.ok(bare.root().ino === 1);
    await assert.rejects(
      createZenFsFileSystem({ backend: SingleBuffer } as never),
      (error: unknown) => isKernelError(error),
    );
  });

  test("statfs reports ZenFS usage in blocks", async () => {
    const zen = await resolveMountConfig({ backend: InMemory, maxSize: 1 << 20 });
    const st = await new ZenFsFileSystem(zen).statfs();
    assert.equal(st.blockSize, 4096);
    assert.equal(st.totalBlocks, 256);
    assert.ok(st.freeBlocks <= 256);
  });
});

function emptyIndex(entries: IndexData["entries"] = {}): IndexData {
  const now = Date.now();
  const base = {
    atimeMs: now,
    mtimeMs: now,
    ctimeMs: now,
    birthtimeMs: now,
    uid: 0,
    gid: 0,
    nlink: 1,
    rdev: 0,
  };
  return {
    version: 1,
    entries: { "/": { ...base, ino: 0, size: 0, mode: 0o40755 }, ...entries },
  };
}

describe("ZenFsFileSystem over Fetch (asynchronous, read over HTTP)", () => {
  test("reads files served over HTTP through the async methods; no hard links", async () => {
    const files: Record<string, string> = { "/hello.txt": "hello over http", "/docs/readme.md": "# readme" };
    const server = createServer((request, response) => {
      const body = files[decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)];
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      const bytes = encoder.encode(body);
      response.writeHead(200, { "Content-Length": String(bytes.length) });
      response.end(request.method === "HEAD" ? undefined : bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const now = Date.now();
      const base = {
        atimeMs: now,
        mtimeMs: now,
        ctimeMs: now,
        birthtimeMs: now,
        uid: 0,
        gid: 0,
        nlink: 1,
        rdev: 0,
      };
      const index = emptyIndex({
        "/hello.txt": { ...base, ino: 2, size: 15, mode: 0o100644 },
        "/docs": { ...base, ino: 4, size: 0, mode: 0o40755 },
        "/docs/readme.md": { ...base, ino: 6, size: 8, mode: 0o100644 },
      });
      const fs = await createZenFsFileSystem({ backend: Fetch, baseUrl: `http://127.0.0.1:${port}`, index });
      assert.equal(fs.synchronous, false);
      const root = fs.root();
      const lookup = fs.lookup(root, "hello.txt");
      assert.ok(lookup instanceof Promise);
      const hello = await lookup;
      assert.ok(hello);
      assert.equal(await readText(fs, hello), "hello over http");
      const names = (await fs.readdir(root, 0, 10)).map((e) => `${e.name}:${e.type}`).sort();
      assert.deepEqual(names, [`docs:${FileType.Directory}`, `hello.txt:${FileType.RegularFile}`]);
      const docs = await node(fs, root, "docs");
      assert.equal(await readText(fs, await node(fs, docs, "readme.md")), "# readme");
      assert.equal(await fs.lookup(docs, ".."), root);
      await expectCode(() => fs.link(root, "again", hello), "ENOSYS");
      const inos = new Set([root.ino, hello.ino, docs.ino]);
      assert.equal(inos.size, 3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
