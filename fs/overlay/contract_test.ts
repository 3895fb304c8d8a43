import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isKernelError } from "../../kernel/errno.ts";
import { FileType, O } from "../../kernel/types.ts";
import type { FileSystem } from "../../kernel/vfs/driver.ts";
import { driverContract } from "../_contract/driver_contract.ts";
import { MemoryFileSystem } from "../memory/mod.ts";
import {
  AsyncFileSystem,
  listAll,
  lookup,
  populate,
  removeAll,
  snapshotTree,
  type TreeSpec,
} from "./_testing.ts";
import { CopyOnWriteFileSystem, ReadOnlyFileSystem } from "./mod.ts";

/** Lower-layer content with the names the contract uses, so whiteouts and opaque directories are exercised. */
const SHADOWED: TreeSpec = {
  f: "lower f",
  a: "lower a",
  b: { link: "lower-target" },
  d: { inner: "x", deeper: { y: "y" } },
  e: {},
  dir: { inner: "z" },
  n0: "n0",
  s3: "s3",
  u1: "u1",
  hole: "zz",
};

async function populated(spec: TreeSpec): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  await populate(fs, fs.root(), spec);
  return fs;
}

driverContract("copy-on-write (empty lower)", () => ({
  fs: new CopyOnWriteFileSystem({ lower: new MemoryFileSystem() }),
}));

driverContract("copy-on-write (populated lower, every name removed through the overlay)", async () => {
  const lower = await populated(SHADOWED);
  const before = await snapshotTree(lower);
  const fs = new CopyOnWriteFileSystem({ lower: new ReadOnlyFileSystem(lower) });
  await removeAll(fs, fs.root());
  return {
    fs,
    cleanup: async () => assert.deepEqual(await snapshotTree(lower), before, "the lower layer is unchanged"),
  };
});

driverContract("copy-on-write (asynchronous populated lower, asynchronous upper)", async () => {
  const lower = await populated(SHADOWED);
  const fs = new CopyOnWriteFileSystem({
    lower: new AsyncFileSystem(new ReadOnlyFileSystem(lower)),
    upper: new AsyncFileSystem(new MemoryFileSystem()),
  });
  assert.equal(fs.synchronous, false);
  await removeAll(fs, fs.root());
  return { fs };
});

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    if (isKernelError(error)) return error.code;
    throw error;
  }
}

const READ_ONLY_TREE: TreeSpec = {
  "hello.txt": "hello, world",
  empty: "",
  docs: { "a.md": "# a", "b.md": "# b", nested: { deep: "deep" } },
  link: { link: "docs/a.md" },
};

/**
 * The read-only driver's contract: the driver contract's reading checks over
 * a populated memory filesystem, and every mutation the contract makes
 * replaced by an EROFS check that leaves the inner driver byte-for-byte as it
 * was.
 */
function readOnlyContract(name: string, wrap: (inner: FileSystem) => FileSystem): void {
  const subject = async () => {
    const inner = new MemoryFileSystem();
    await populate(inner, inner.root(), READ_ONLY_TREE);
    return { inner, fs: new ReadOnlyFileSystem(wrap(inner)), before: await snapshotTree(inner) };
  };

  describe(`read-only contract: ${name}`, () => {
    test("reads pass through: root, lookup, '..', stat, read, readlink", async () => {
      const { inner, fs } = await subject();
      const root = fs.root();
      assert.equal(root, inner.root());
      assert.equal(fs.readOnly, true);
      assert.equal((await lookup(fs, root, "..")).ino, root.ino);
      const docs = await lookup(fs, root, "docs");
      assert.equal((await lookup(fs, docs, "..")).ino, root.ino);
      const file = await lookup(fs, root, "hello.txt");
      const st = await fs.stat(file);
      assert.equal(st.size, 12);
      assert.equal(st.type, FileType.RegularFile);
      const handle = await fs.open(file, O.RDONLY);
      const buffer = new Uint8Array(32);
      assert.equal(await fs.read(handle, buffer, 7), 5);
      assert.equal(new TextDecoder().decode(buffer.subarray(0, 5)), "world");
      assert.equal(await fs.read(handle, buffer, 12), 0);
      await fs.sync(handle);
      await fs.close(handle);
      assert.equal(await fs.readlink(await lookup(fs, root, "link")), "docs/a.md");
      assert.equal(await code(() => fs.readlink(file)), "EINVAL");
      assert.equal(await code(() => lookup(fs, root, "missing")), "ENOENT");
      assert.equal(await code(() => lookup(fs, file, "x")), "ENOTDIR");
      assert.ok((await fs.statfs()).nameMax >= 255);
    });

    test("readdir lists every name once through cookies", async () => {
      const { fs } = await subject();
      const names = (await listAll(fs, fs.root(), 1)).map((e) => e.name).sort();
      assert.deepEqual(names, ["docs", "empty", "hello.txt", "link"]);
      const docs = await listAll(fs, await lookup(fs, fs.root(), "docs"), 2);
      assert.deepEqual(docs.map((e) => e.name).sort(), ["a.md", "b.md", "nested"]);
    });

    test("every mutation is EROFS and leaves the inner driver unchanged", async () => {
      const { inner, fs, before } = await subject();
      const root = fs.root();
      const file = await lookup(fs, root, "hello.txt");
      const docs = await lookup(fs, root, "docs");
      const mutations: [string, () => unknown][] = [
        ["create", () => fs.create(root, "new", 0o644)],
        ["create existing", () => fs.create(root, "hello.txt", 0o644)],
        ["mkdir", () => fs.mkdir(root, "new", 0o755)],
        ["symlink", () => fs.symlink(root, "new", "x")],
        ["link", () => fs.link(root, "new", file)],
        ["unlink", () => fs.unlink(root, "hello.txt")],
        ["rmdir", () => fs.rmdir(docs, "nested")],
        ["rename", () => fs.rename(root, "hello.txt", docs, "moved")],
        ["setattr mode", () => fs.setattr(file, { mode: 0o600 })],
        ["setattr size", () => fs.setattr(file, { size: 0 })],
        ["setattr times", () => fs.setattr(file, { mtimeNs: 0n })],
        ["open O_WRONLY", () => fs.open(file, O.WRONLY)],
        ["open O_RDWR", () => fs.open(file, O.RDWR)],
        ["open O_RDWR|O_TRUNC", () => fs.open(file, O.RDWR | O.TRUNC)],
      ];
      for (const [label, mutate] of mutations) assert.equal(await code(mutate), "EROFS", label);
      const handle = await fs.open(file, O.RDONLY);
      assert.equal(await code(() => fs.write(handle, new Uint8Array([1]), 0)), "EROFS");
      assert.equal(await code(() => fs.truncate(handle, 0)), "EROFS");
      await fs.close(handle);
      const pathOnly = await fs.open(file, O.RDWR | O.PATH);
      await fs.close(pathOnly);
      assert.deepEqual(await snapshotTree(inner), before);
    });

    test("synchronous exactly when the inner driver is", async () => {
      const { fs } = await subject();
      assert.equal(fs.synchronous, (fs as ReadOnlyFileSystem).inner.synchronous);
    });
  });
}

readOnlyContract("over a populated memory filesystem", (inner) => inner);
readOnlyContract("over an asynchronous driver", (inner) => new AsyncFileSystem(inner));
