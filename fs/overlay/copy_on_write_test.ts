import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isKernelError } from "../../kernel/errno.ts";
import { FileType, O } from "../../kernel/types.ts";
import type { FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { MemoryFileSystem } from "../memory/mod.ts";
import { AsyncFileSystem, listAll, lookup, populate, snapshotTree, type TreeSpec } from "./_testing.ts";
import { CopyOnWriteFileSystem, OPAQUE_MARKER, ReadOnlyFileSystem, WHITEOUT_PREFIX } from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    if (isKernelError(error)) return error.code;
    throw error;
  }
}

async function readText(fs: FileSystem, file: VNode): Promise<string> {
  const handle = await fs.open(file, O.RDONLY);
  const buffer = new Uint8Array(1 << 16);
  const count = await fs.read(handle, buffer, 0);
  await fs.close(handle);
  return decoder.decode(buffer.subarray(0, count));
}

async function writeText(fs: FileSystem, file: VNode, text: string, position = 0): Promise<void> {
  const handle = await fs.open(file, O.RDWR);
  await fs.write(handle, encoder.encode(text), position);
  await fs.close(handle);
}

const TREE: TreeSpec = {
  "motd": "welcome",
  "etc": { "hosts": "127.0.0.1 localhost", "conf.d": { "a.conf": "a=1" } },
  "bin": { "sh": "#!", "link": { link: "sh" } },
  "empty-dir": {},
};

async function layers(spec: TreeSpec = TREE) {
  const lower = new MemoryFileSystem();
  await populate(lower, lower.root(), spec);
  const upper = new MemoryFileSystem();
  const fs = new CopyOnWriteFileSystem({ lower: new ReadOnlyFileSystem(lower), upper });
  return { lower, upper, fs, before: await snapshotTree(lower) };
}

async function path(fs: FileSystem, ...names: string[]): Promise<VNode> {
  let node = fs.root();
  for (const name of names) node = await lookup(fs, node, name);
  return node;
}

describe("CopyOnWriteFileSystem", () => {
  test("refuses bad layers", () => {
    assert.throws(() => new CopyOnWriteFileSystem({ lower: {} as never }), TypeError);
    const lower = new MemoryFileSystem();
    assert.throws(
      () => new CopyOnWriteFileSystem({ lower, upper: new ReadOnlyFileSystem(lower) }),
      TypeError,
    );
    const fs = new CopyOnWriteFileSystem({ lower });
    const other = new CopyOnWriteFileSystem({ lower });
    assert.throws(() => fs.stat(other.root()), TypeError);
    assert.equal(fs.synchronous, true);
    assert.equal(new CopyOnWriteFileSystem({ lower: new AsyncFileSystem(lower) }).synchronous, false);
  });

  test("reads the lower layer until written; a write copies up and leaves the lower file alone", async () => {
    const { lower, upper, fs, before } = await layers();
    const hosts = await path(fs, "etc", "hosts");
    const reader = await fs.open(hosts, O.RDONLY);
    assert.equal(await readText(fs, hosts), "127.0.0.1 localhost");
    assert.equal(await code(() => lookup(upper, upper.root(), "etc")), "ENOENT");
    await writeText(fs, hosts, "10.0.0.1 ", 0);
    assert.equal(await readText(fs, hosts), "10.0.0.1  localhost");
    // A handle opened for reading before the copy-up reads the copy.
    const buffer = new Uint8Array(8);
    assert.equal(await fs.read(reader, buffer, 0), 8);
    assert.equal(decoder.decode(buffer), "10.0.0.1");
    await fs.close(reader);
    assert.deepEqual(await snapshotTree(lower), before);
    assert.ok(await upper.lookup(await lookup(upper, upper.root(), "etc"), "hosts"));
  });

  test("copy-up keeps mode, owner, times and holes", async () => {
    const lower = new MemoryFileSystem();
    const file = lower.create(lower.root(), "sparse", 0o640);
    const h = lower.open(file, O.WRONLY);
    lower.write(h, new Uint8Array([1]), 1 << 20);
    lower.close(h);
    lower.setattr(file, { uid: 12, gid: 34, mtimeNs: 1_234_567_890_123_456_789n, atimeNs: 5n });
    const fs = new CopyOnWriteFileSystem({ lower });
    const node = await path(fs, "sparse");
    const inoBefore = (await fs.stat(node)).ino;
    await fs.setattr(node, { mode: 0o600 });
    const st = await fs.stat(node);
    assert.deepEqual([st.mode, st.uid, st.gid, st.size, st.mtimeNs], [
      0o600,
      12,
      34,
      (1 << 20) + 1,
      1_234_567_890_123_456_789n,
    ]);
    assert.equal(st.ino, inoBefore, "the inode number survives the copy-up");
    assert.ok(st.blocks < 1024, `the hole stays a hole (${st.blocks} blocks)`);
    assert.equal(lower.stat(file).mode, 0o640);
  });

  test("deletions are whiteouts in the upper layer; they persist when mounted again", async () => {
    const { lower, upper, fs, before } = await layers();
    await fs.unlink(fs.root(), "motd");
    await fs.unlink(await path(fs, "bin"), "link");
    assert.equal(await fs.lookup(fs.root(), "motd"), null);
    assert.ok(await upper.lookup(upper.root(), `${WHITEOUT_PREFIX}motd`));
    const names = (await listAll(fs, fs.root())).map((e) => e.name).sort();
    assert.deepEqual(names, ["bin", "empty-dir", "etc"]);
    const again = new CopyOnWriteFileSystem({ lower, upper });
    assert.equal(await again.lookup(again.root(), "motd"), null);
    assert.deepEqual((await listAll(again, await path(again, "bin"))).map((e) => e.name), ["sh"]);
    assert.deepEqual(await snapshotTree(lower), before);
  });

  test("a directory removed and made again is opaque", async () => {
    const { lower, upper, fs } = await layers();
    const etc = await path(fs, "etc");
    await fs.unlink(etc, "hosts");
    await fs.unlink(await path(fs, "etc", "conf.d"), "a.conf");
    await fs.rmdir(etc, "conf.d");
    assert.equal(await code(() => fs.rmdir(fs.root(), "etc")), "ok");
    const fresh = await fs.mkdir(fs.root(), "etc", 0o700);
    assert.deepEqual(await listAll(fs, fresh), []);
    assert.equal(await fs.lookup(fresh, "hosts"), null);
    const upperEtc = await lookup(upper, upper.root(), "etc");
    assert.ok(await upper.lookup(upperEtc, OPAQUE_MARKER));
    const again = new CopyOnWriteFileSystem({ lower, upper });
    assert.deepEqual(await listAll(again, await path(again, "etc")), []);
    assert.equal((await again.stat(await path(again, "etc"))).mode, 0o700);
  });

  test("creating over a whiteout removes it; the lower name does not come back after", async () => {
    const { upper, fs } = await layers();
    await fs.unlink(fs.root(), "motd");
    const motd = await fs.create(fs.root(), "motd", 0o600);
    assert.equal(await code(() => lookup(upper, upper.root(), `${WHITEOUT_PREFIX}motd`)), "ENOENT");
    assert.equal(await readText(fs, motd), "");
    await fs.unlink(fs.root(), "motd");
    assert.equal(await fs.lookup(fs.root(), "motd"), null);
  });

  test("names starting with .wh. are reserved", async () => {
    const { fs } = await layers();
    assert.equal(await code(() => fs.create(fs.root(), ".wh.x", 0o644)), "EINVAL");
    assert.equal(await code(() => fs.mkdir(fs.root(), ".wh.x", 0o755)), "EINVAL");
    assert.equal(await code(() => fs.rename(fs.root(), "motd", fs.root(), ".wh.motd")), "EINVAL");
    await fs.unlink(fs.root(), "motd");
    assert.equal(await fs.lookup(fs.root(), ".wh.motd"), null);
  });

  test("renaming a lower directory copies the tree up and makes it opaque", async () => {
    const { lower, upper, fs, before } = await layers();
    const etcIno = (await path(fs, "etc")).ino;
    await fs.rename(fs.root(), "etc", fs.root(), "etc2");
    assert.equal(await fs.lookup(fs.root(), "etc"), null);
    const moved = await path(fs, "etc2");
    assert.equal(moved.ino, etcIno);
    assert.equal(await readText(fs, await lookup(fs, moved, "hosts")), "127.0.0.1 localhost");
    assert.equal(await readText(fs, await path(fs, "etc2", "conf.d", "a.conf")), "a=1");
    assert.ok(await upper.lookup(await lookup(upper, upper.root(), "etc2"), OPAQUE_MARKER));
    // Moving it back over the whited-out lower name keeps the lower one hidden.
    await fs.unlink(moved, "hosts");
    await fs.rename(fs.root(), "etc2", fs.root(), "etc");
    assert.deepEqual((await listAll(fs, await path(fs, "etc"))).map((e) => e.name), ["conf.d"]);
    const again = new CopyOnWriteFileSystem({ lower, upper });
    assert.deepEqual((await listAll(again, await path(again, "etc"))).map((e) => e.name), ["conf.d"]);
    assert.deepEqual(await snapshotTree(lower), before);
  });

  test("linking to a lower file copies it up; the two names are one file", async () => {
    const { fs, lower, before } = await layers();
    const sh = await path(fs, "bin", "sh");
    await fs.link(fs.root(), "sh2", sh);
    assert.equal(await lookup(fs, fs.root(), "sh2"), sh);
    await writeText(fs, sh, "#!/bin/sh");
    assert.equal(await readText(fs, await lookup(fs, fs.root(), "sh2")), "#!/bin/sh");
    assert.equal((await fs.stat(sh)).nlink, 2);
    await fs.unlink(await path(fs, "bin"), "sh");
    assert.equal((await fs.stat(sh)).nlink, 1);
    assert.deepEqual(await snapshotTree(lower), before);
  });

  test("two names of one lower inode are separate copies (documented)", async () => {
    const lower = new MemoryFileSystem();
    const file = lower.create(lower.root(), "a", 0o644);
    lower.link(lower.root(), "b", file);
    const fs = new CopyOnWriteFileSystem({ lower });
    const a = await path(fs, "a");
    const b = await path(fs, "b");
    assert.notEqual(a.ino, b.ino);
    await writeText(fs, a, "changed");
    assert.equal(await readText(fs, b), "");
  });

  test("inode numbers are the overlay's: unique across layers and stable", async () => {
    const { fs } = await layers();
    const inos = new Set<number>();
    const visit = async (dir: VNode): Promise<void> => {
      inos.add(dir.ino);
      for (const entry of await listAll(fs, dir)) {
        const child = await lookup(fs, dir, entry.name);
        assert.equal(entry.ino, child.ino);
        assert.equal((await fs.stat(child)).ino, child.ino);
        if (child.type === FileType.Directory) await visit(child);
        else inos.add(child.ino);
      }
    };
    const created = await fs.create(fs.root(), "new", 0o644);
    await visit(fs.root());
    assert.equal(inos.size, 11);
    assert.ok(inos.has(created.ino));
    const motd = await path(fs, "motd");
    await writeText(fs, motd, "x");
    assert.equal((await path(fs, "motd")).ino, motd.ino);
  });

  test("an open lower file stays readable after its name is whited out", async () => {
    const { fs } = await layers();
    const motd = await path(fs, "motd");
    const handle = await fs.open(motd, O.RDONLY);
    await fs.unlink(fs.root(), "motd");
    const buffer = new Uint8Array(7);
    assert.equal(await fs.read(handle, buffer, 0), 7);
    assert.equal(decoder.decode(buffer), "welcome");
    assert.equal(await code(() => fs.write(handle, buffer, 0)), "EBADF");
    assert.equal(await code(() => fs.truncate(handle, 0)), "EINVAL");
    await fs.close(handle);
    assert.equal(await code(() => fs.close(handle)), "EBADF");
  });

  test("rmdir counts merged entries, not whiteouts", async () => {
    const { fs } = await layers();
    const bin = await path(fs, "bin");
    assert.equal(await code(() => fs.rmdir(fs.root(), "bin")), "ENOTEMPTY");
    await fs.unlink(bin, "sh");
    assert.equal(await code(() => fs.rmdir(fs.root(), "bin")), "ENOTEMPTY");
    await fs.unlink(bin, "link");
    await fs.rmdir(fs.root(), "bin");
    assert.equal(await fs.lookup(fs.root(), "bin"), null);
    assert.deepEqual(await fs.readdir(bin, 0, 10), []);
  });

  test("works over asynchronous layers", async () => {
    const lower = new MemoryFileSystem();
    await populate(lower, lower.root(), TREE);
    const before = await snapshotTree(lower);
    const fs = new CopyOnWriteFileSystem({
      lower: new AsyncFileSystem(lower),
      upper: new AsyncFileSystem(new MemoryFileSystem()),
    });
    const pending = fs.lookup(fs.root(), "etc");
    assert.ok(pending instanceof Promise);
    await writeText(fs, await path(fs, "etc", "hosts"), "changed");
    await fs.rename(fs.root(), "etc", fs.root(), "moved");
    assert.equal(await readText(fs, await path(fs, "moved", "hosts")), "changed.1 localhost");
    assert.deepEqual(await snapshotTree(lower), before);
  });
});
