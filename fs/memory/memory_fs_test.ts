import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ErrnoName, isKernelError } from "../../kernel/errno.ts";
import { FileType, O, UTIME } from "../../kernel/types.ts";
import type { FileHandle, FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { PAGE_SIZE } from "./file_data.ts";
import { MemoryFileSystem, type MemoryFileSystemOptions } from "./memory_fs.ts";

const GiB = 2 ** 30;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A filesystem whose clock advances by 1 ns on every reading. */
function ticking(options: MemoryFileSystemOptions = {}): { fs: MemoryFileSystem; now: () => bigint; } {
  let time = 1_000n;
  const fs = new MemoryFileSystem({ ...options, clock: () => ++time });
  return { fs, now: () => time };
}

function throwsCode(fn: () => unknown, code: ErrnoName): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isKernelError(error), `expected KernelError ${code}, got ${error}`);
    assert.equal(error.code, code);
    return true;
  });
}

function writeText(fs: FileSystem, node: VNode, text: string, position = 0): void {
  const handle = fs.open(node, O.RDWR) as FileHandle;
  fs.write(handle, encoder.encode(text), position);
  fs.close(handle);
}

function readText(fs: FileSystem, node: VNode): string {
  const handle = fs.open(node, O.RDONLY) as FileHandle;
  const buffer = new Uint8Array(1 << 16);
  const count = fs.read(handle, buffer, 0) as number;
  fs.close(handle);
  return decoder.decode(buffer.subarray(0, count));
}

function names(fs: MemoryFileSystem, dir: VNode): string[] {
  return fs.readdir(dir, 0, 1_000_000).map((e) => e.name);
}

describe("MemoryFileSystem: basics", () => {
  test("identity and root", () => {
    const fs = new MemoryFileSystem();
    assert.equal(fs.name, "memory");
    assert.equal(fs.synchronous, true);
    assert.equal(fs.readOnly, false);
    const root = fs.root();
    assert.equal(root.ino, 1);
    assert.equal(root.type, FileType.Directory);
    assert.equal(fs.lookup(root, ".."), root);
    const st = fs.stat(root);
    assert.equal(st.nlink, 2);
    assert.equal(st.mode, 0o755);
    assert.equal(st.type, FileType.Directory);
  });

  test("constructor options and RangeError for bad ones", () => {
    const fs = new MemoryFileSystem({ uid: 7, gid: 8, rootMode: 0o40700 });
    const st = fs.stat(fs.root());
    assert.equal(st.uid, 7);
    assert.equal(st.gid, 8);
    assert.equal(st.mode, 0o700);
    assert.equal(fs.stat(fs.create(fs.root(), "f", 0o644)).uid, 7);
    assert.throws(() => new MemoryFileSystem({ quotaBytes: -1 }), RangeError);
    assert.throws(() => new MemoryFileSystem({ uid: -5 }), RangeError);
    assert.throws(() => new MemoryFileSystem({ gid: 1.5 }), RangeError);
  });

  test("foreign nodes and handles are TypeErrors", () => {
    const fs = new MemoryFileSystem();
    const fake = { ino: 9, type: FileType.RegularFile };
    assert.throws(() => fs.stat(fake), TypeError);
    assert.throws(() => fs.lookup(fake, "x"), TypeError);
    assert.throws(() => fs.read({ node: fake }, new Uint8Array(1), 0), TypeError);
  });

  test("inode numbers are unique, non-zero and stable", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const seen = new Set<number>([root.ino]);
    const dir = fs.mkdir(root, "d", 0o755);
    const nodes = [dir, fs.create(dir, "f", 0o644), fs.symlink(dir, "l", "f")];
    for (let i = 0; i < 100; i++) nodes.push(fs.create(root, `x${i}`, 0o644));
    for (const node of nodes) {
      assert.ok(node.ino > 0);
      assert.ok(!seen.has(node.ino));
      seen.add(node.ino);
      assert.equal(fs.stat(node).ino, node.ino);
    }
    fs.unlink(root, "x0");
    assert.ok(!seen.has(fs.create(root, "x0", 0o644).ino), "numbers are not reused");
  });

  test("create, lookup, stat of files, directories and symlinks", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const file = fs.create(root, "file", 0o100644);
    assert.equal(file.type, FileType.RegularFile);
    assert.equal(fs.lookup(root, "file"), file);
    const st = fs.stat(file);
    assert.equal(st.mode, 0o644, "permission bits only");
    assert.equal(st.size, 0);
    assert.equal(st.blocks, 0);
    assert.equal(st.nlink, 1);
    const dir = fs.mkdir(root, "dir", 0o755);
    assert.equal(dir.type, FileType.Directory);
    assert.equal(fs.lookup(dir, ".."), root);
    const link = fs.symlink(root, "link", "dir/é€😀");
    assert.equal(link.type, FileType.Symlink);
    assert.equal(fs.readlink(link), "dir/é€😀");
    assert.equal(fs.stat(link).size, 4 + 2 + 3 + 4);
    assert.deepEqual(names(fs, root), ["file", "dir", "link"]);
  });

  test("read/write round trip and blocks", () => {
    const fs = new MemoryFileSystem();
    const file = fs.create(fs.root(), "f", 0o644);
    writeText(fs, file, "hello world");
    assert.equal(readText(fs, file), "hello world");
    writeText(fs, file, "W", 6);
    assert.equal(readText(fs, file), "hello World");
    const st = fs.stat(file);
    assert.equal(st.size, 11);
    assert.equal(st.blocks, 1);
    assert.equal(st.blksize, 4096);
  });
});

describe("MemoryFileSystem: errors", () => {
  test("lookup", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    assert.equal(fs.lookup(root, "missing"), null);
    const file = fs.create(root, "f", 0o644);
    throwsCode(() => fs.lookup(file, "x"), "ENOTDIR");
    throwsCode(() => fs.lookup(file, ".."), "ENOTDIR");
  });

  test("creation in a non-directory, existing names", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const file = fs.create(root, "f", 0o644);
    fs.mkdir(root, "d", 0o755);
    throwsCode(() => fs.create(file, "x", 0o644), "ENOTDIR");
    throwsCode(() => fs.mkdir(file, "x", 0o755), "ENOTDIR");
    throwsCode(() => fs.symlink(file, "x", "t"), "ENOTDIR");
    throwsCode(() => fs.link(file, "x", file), "ENOTDIR");
    for (const name of ["f", "d"]) {
      throwsCode(() => fs.create(root, name, 0o644), "EEXIST");
      throwsCode(() => fs.mkdir(root, name, 0o755), "EEXIST");
      throwsCode(() => fs.symlink(root, name, "t"), "EEXIST");
      throwsCode(() => fs.link(root, name, file), "EEXIST");
    }
    throwsCode(() => fs.symlink(root, "empty", ""), "ENOENT");
  });

  test("creation in a removed directory is ENOENT", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const dir = fs.mkdir(root, "d", 0o755);
    const file = fs.create(root, "f", 0o644);
    fs.rmdir(root, "d");
    throwsCode(() => fs.create(dir, "x", 0o644), "ENOENT");
    throwsCode(() => fs.mkdir(dir, "x", 0o755), "ENOENT");
    throwsCode(() => fs.symlink(dir, "x", "t"), "ENOENT");
    throwsCode(() => fs.link(dir, "x", file), "ENOENT");
    throwsCode(() => fs.rename(root, "f", dir, "f"), "ENOENT");
    assert.deepEqual(fs.readdir(dir, 0, 10), []);
    assert.equal(fs.lookup(dir, ".."), root);
  });

  test("unlink and rmdir", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const dir = fs.mkdir(root, "d", 0o755);
    fs.create(dir, "inner", 0o644);
    fs.create(root, "f", 0o644);
    throwsCode(() => fs.unlink(root, "missing"), "ENOENT");
    throwsCode(() => fs.unlink(root, "d"), "EISDIR");
    throwsCode(() => fs.rmdir(root, "missing"), "ENOENT");
    throwsCode(() => fs.rmdir(root, "f"), "ENOTDIR");
    throwsCode(() => fs.rmdir(root, "d"), "ENOTEMPTY");
    throwsCode(() => fs.unlink(fs.lookup(root, "f")!, "x"), "ENOTDIR");
    fs.unlink(dir, "inner");
    fs.rmdir(root, "d");
    assert.equal(fs.lookup(root, "d"), null);
  });

  test("link of a directory is EPERM; link of an unlinked file is ENOENT", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const dir = fs.mkdir(root, "d", 0o755);
    throwsCode(() => fs.link(root, "d2", dir), "EPERM");
    throwsCode(() => fs.link(root, "root2", root), "EPERM");
    const file = fs.create(root, "f", 0o644);
    const handle = fs.open(file, O.RDWR);
    fs.unlink(root, "f");
    throwsCode(() => fs.link(root, "back", file), "ENOENT");
    fs.close(handle);
  });

  test("readlink of a non-symlink is EINVAL", () => {
    const fs = new MemoryFileSystem();
    throwsCode(() => fs.readlink(fs.root()), "EINVAL");
    throwsCode(() => fs.readlink(fs.create(fs.root(), "f", 0o644)), "EINVAL");
  });

  test("I/O on directory handles is EISDIR; setattr size on a directory is EISDIR", () => {
    const fs = new MemoryFileSystem();
    const dir = fs.mkdir(fs.root(), "d", 0o755);
    const handle = fs.open(dir, O.RDONLY);
    throwsCode(() => fs.read(handle, new Uint8Array(4), 0), "EISDIR");
    throwsCode(() => fs.write(handle, new Uint8Array(4), 0), "EISDIR");
    throwsCode(() => fs.truncate(handle, 0), "EISDIR");
    fs.close(handle);
    throwsCode(() => fs.open(dir, O.WRONLY), "EISDIR");
    throwsCode(() => fs.open(dir, O.RDWR), "EISDIR");
    throwsCode(() => fs.setattr(dir, { size: 0 }), "EISDIR");
    throwsCode(() => fs.setattr(fs.symlink(fs.root(), "l", "d"), { size: 0 }), "EINVAL");
  });

  test("bad sizes and positions", () => {
    const fs = new MemoryFileSystem();
    const file = fs.create(fs.root(), "f", 0o644);
    const handle = fs.open(file, O.RDWR);
    throwsCode(() => fs.setattr(file, { size: -1 }), "EINVAL");
    throwsCode(() => fs.setattr(file, { size: 1.5 }), "EINVAL");
    throwsCode(() => fs.truncate(handle, -1), "EINVAL");
    throwsCode(() => fs.truncate(handle, 2 ** 60), "EFBIG");
    throwsCode(() => fs.write(handle, new Uint8Array(1), -1), "EINVAL");
    throwsCode(() => fs.read(handle, new Uint8Array(1), -1), "EINVAL");
    throwsCode(() => fs.write(handle, new Uint8Array(2), Number.MAX_SAFE_INTEGER), "EFBIG");
    throwsCode(() => fs.readdir(fs.root(), -1, 10), "EINVAL");
    throwsCode(() => fs.setattr(file, { uid: -7 }), "EINVAL");
    assert.equal(fs.stat(file).size, 0);
    fs.close(handle);
  });

  test("handle access modes and closed handles", () => {
    const fs = new MemoryFileSystem();
    const file = fs.create(fs.root(), "f", 0o644);
    const readOnly = fs.open(file, O.RDONLY);
    throwsCode(() => fs.write(readOnly, new Uint8Array(1), 0), "EBADF");
    throwsCode(() => fs.truncate(readOnly, 0), "EINVAL");
    const writeOnly = fs.open(file, O.WRONLY | O.CREAT | O.TRUNC);
    fs.write(writeOnly, new Uint8Array([1]), 0);
    throwsCode(() => fs.read(writeOnly, new Uint8Array(1), 0), "EBADF");
    const pathOnly = fs.open(file, O.PATH | O.RDWR);
    throwsCode(() => fs.read(pathOnly, new Uint8Array(1), 0), "EBADF");
    throwsCode(() => fs.write(pathOnly, new Uint8Array(1), 0), "EBADF");
    for (const handle of [readOnly, writeOnly, pathOnly]) {
      fs.close(handle);
      throwsCode(() => fs.close(handle), "EBADF");
      throwsCode(() => fs.read(handle, new Uint8Array(1), 0), "EBADF");
      throwsCode(() => fs.write(handle, new Uint8Array(1), 0), "EBADF");
      throwsCode(() => fs.sync(handle), "EBADF");
    }
  });
});

describe("MemoryFileSystem: nlink", () => {
  test("directories count 2 + subdirectories", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const a = fs.mkdir(root, "a", 0o755);
    fs.mkdir(root, "b", 0o755);
    fs.create(root, "f", 0o644);
    assert.equal(fs.stat(root).nlink, 4);
    fs.mkdir(a, "c", 0o755);
    assert.equal(fs.stat(a).nlink, 3);
    fs.rmdir(root, "b");
    assert.equal(fs.stat(root).nlink, 3);
    fs.rename(a, "c", root, "c");
    assert.equal(fs.stat(a).nlink, 2);
    assert.equal(fs.stat(root).nlink, 4);
  });

  test("hard links", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const dir = fs.mkdir(root, "d", 0o755);
    const file = fs.create(root, "f", 0o644);
    writeText(fs, file, "shared");
    fs.link(dir, "g", file);
    fs.link(root, "h", file);
    assert.equal(fs.stat(file).nlink, 3);
    assert.equal(fs.lookup(dir, "g"), file);
    assert.equal(readText(fs, fs.lookup(root, "h")!), "shared");
    fs.unlink(root, "f");
    assert.equal(fs.stat(file).nlink, 2);
    assert.equal(readText(fs, fs.lookup(dir, "g")!), "shared");
    fs.unlink(dir, "g");
    fs.unlink(root, "h");
    assert.equal(fs.stat(file).nlink, 0);
    throwsCode(() => fs.open(file, O.RDONLY), "ENOENT");
  });

  test("a removed directory has nlink 0", () => {
    const fs = new MemoryFileSystem();
    const dir = fs.mkdir(fs.root(), "d", 0o755);
    fs.rmdir(fs.root(), "d");
    assert.equal(fs.stat(dir).nlink, 0);
  });
});

describe("MemoryFileSystem: unlink while open", () => {
  test("the data outlives the last name until the last close", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const file = fs.create(root, "f", 0o644);
    const handle = fs.open(file, O.RDWR);
    const second = fs.open(file, O.RDONLY);
    fs.write(handle, encoder.encode("still here"), 0);
    const inodesBefore = fs.statfs().freeInodes;
    fs.unlink(root, "f");
    assert.equal(fs.lookup(root, "f"), null);
    assert.equal(fs.stat(file).nlink, 0);
    fs.write(handle, encoder.encode("!"), 10);
    fs.write(handle, new Uint8Array(PAGE_SIZE * 8), PAGE_SIZE * 8);
    const buffer = new Uint8Array(11);
    assert.equal(fs.read(second, buffer, 0), 11);
    assert.equal(decoder.decode(buffer), "still here!");
    const used = fs.statfs().freeBlocks;
    fs.close(handle);
    assert.equal(fs.statfs().freeBlocks, used, "still open once");
    assert.equal(fs.statfs().freeInodes, inodesBefore);
    fs.close(second);
    assert.equal(fs.statfs().freeInodes, inodesBefore + 1, "inode freed");
    assert.ok(fs.statfs().freeBlocks > used, "data freed");
  });

  test("an open directory survives rmdir", () => {
    const fs = new MemoryFileSystem();
    const dir = fs.mkdir(fs.root(), "d", 0o755);
    const handle = fs.open(dir, O.RDONLY);
    fs.rmdir(fs.root(), "d");
    assert.deepEqual(fs.readdir(dir, 0, 10), []);
    fs.close(handle);
    const again = fs.open(dir, O.RDONLY);
    fs.close(again);
  });
});

describe("MemoryFileSystem: rename", () => {
  test("errors", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const a = fs.mkdir(root, "a", 0o755);
    const b = fs.mkdir(a, "b", 0o755);
    fs.mkdir(root, "full", 0o755);
    fs.create(fs.lookup(root, "full")!, "x", 0o644);
    fs.mkdir(root, "empty", 0o755);
    const file = fs.create(root, "file", 0o644);
    throwsCode(() => fs.rename(root, "missing", root, "x"), "ENOENT");
    throwsCode(() => fs.rename(root, "a", root, "file"), "ENOTDIR");
    throwsCode(() => fs.rename(root, "file", root, "empty"), "EISDIR");
    throwsCode(() => fs.rename(root, "a", root, "full"), "ENOTEMPTY");
    throwsCode(() => fs.rename(root, "a", b, "a"), "EINVAL");
    throwsCode(() => fs.rename(root, "a", a, "x"), "EINVAL");
    throwsCode(() => fs.rename(root, "a", b, "x"), "EINVAL");
    throwsCode(() => fs.rename(file, "x", root, "y"), "ENOTDIR");
    throwsCode(() => fs.rename(root, "file", file, "y"), "ENOTDIR");
    // Target is an ancestor of the source: a non-empty directory.
    throwsCode(() => fs.rename(a, "b", root, "a"), "ENOTEMPTY");
    // Nothing changed.
    assert.deepEqual(names(fs, root), ["a", "full", "empty", "file"]);
    assert.equal(fs.lookup(a, "b"), b);
  });

  test("same node under both names is a no-op", () => {
    const { fs } = ticking();
    const root = fs.root();
    const file = fs.create(root, "f", 0o644);
    fs.link(root, "g", file);
    const before = fs.stat(root);
    fs.rename(root, "f", root, "g");
    fs.rename(root, "f", root, "f");
    assert.deepEqual(fs.stat(root), before);
    assert.equal(fs.stat(file).nlink, 2);
    assert.deepEqual(names(fs, root), ["f", "g"]);
  });

  test("rename within a directory", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const file = fs.create(root, "old", 0o644);
    fs.rename(root, "old", root, "new");
    assert.equal(fs.lookup(root, "old"), null);
    assert.equal(fs.lookup(root, "new"), file);
    assert.equal(fs.stat(file).nlink, 1);
  });

  test("replacing a file drops its nlink and frees it when unopened", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const source = fs.create(root, "src", 0o644);
    writeText(fs, source, "source");
    const victim = fs.create(root, "dst", 0o644);
    fs.link(root, "dst-link", victim);
    writeText(fs, victim, "x".repeat(100_000));
    fs.rename(root, "src", root, "dst");
    assert.equal(fs.stat(victim).nlink, 1, "still linked as dst-link");
    assert.equal(readText(fs, fs.lookup(root, "dst")!), "source");
    const inodes = fs.statfs().freeInodes;
    const free = fs.statfs().freeBlocks;
    const other = fs.create(root, "src2", 0o644);
    fs.rename(root, "src2", root, "dst-link");
    assert.equal(fs.stat(victim).nlink, 0);
    assert.equal(fs.statfs().freeInodes, inodes, "one created, one freed");
    assert.ok(fs.statfs().freeBlocks > free, "victim's data freed");
    assert.equal(fs.lookup(root, "dst-link"), other);
    assert.deepEqual(names(fs, root), ["dst", "dst-link"]);
  });

  test("replacing an open file keeps it readable", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const victim = fs.create(root, "dst", 0o644);
    writeText(fs, victim, "victim");
    const handle = fs.open(victim, O.RDONLY);
    fs.create(root, "src", 0o644);
    fs.rename(root, "src", root, "dst");
    const buffer = new Uint8Array(6);
    fs.read(handle, buffer, 0);
    assert.equal(decoder.decode(buffer), "victim");
    fs.close(handle);
  });

  test("moving a directory updates parent pointers and both parents' nlink", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const from = fs.mkdir(root, "from", 0o755);
    const to = fs.mkdir(root, "to", 0o755);
    const moved = fs.mkdir(from, "moved", 0o755);
    fs.create(moved, "content", 0o644);
    assert.equal(fs.stat(from).nlink, 3);
    fs.rename(from, "moved", to, "renamed");
    assert.equal(fs.lookup(moved, ".."), to);
    assert.equal(fs.lookup(to, "renamed"), moved);
    assert.equal(fs.stat(from).nlink, 2);
    assert.equal(fs.stat(to).nlink, 3);
    assert.equal(fs.stat(moved).nlink, 2);
    assert.deepEqual(names(fs, moved), ["content"]);
    // And it can move back up under the root.
    fs.rename(to, "renamed", root, "top");
    assert.equal(fs.lookup(moved, ".."), root);
    assert.equal(fs.stat(root).nlink, 5);
  });

  test("a directory replaces an empty directory", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const a = fs.mkdir(root, "a", 0o755);
    const sub = fs.mkdir(root, "sub", 0o755);
    const source = fs.mkdir(a, "src", 0o755);
    const target = fs.mkdir(sub, "dst", 0o755);
    const inodes = fs.statfs().freeInodes;
    fs.rename(a, "src", sub, "dst");
    assert.equal(fs.lookup(sub, "dst"), source);
    assert.equal(fs.lookup(source, ".."), sub);
    assert.equal(fs.stat(target).nlink, 0);
    assert.equal(fs.stat(a).nlink, 2);
    assert.equal(fs.stat(sub).nlink, 3);
    assert.equal(fs.statfs().freeInodes, inodes + 1);
    // Same parent: replacing a sibling directory.
    fs.mkdir(root, "x", 0o755);
    fs.mkdir(root, "y", 0o755);
    const before = fs.stat(root).nlink;
    fs.rename(root, "x", root, "y");
    assert.equal(fs.stat(root).nlink, before - 1);
  });

  test("renaming over a name keeps its listing position (no repeat mid-listing)", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    for (const name of ["a", "b", "c", "d"]) fs.create(root, name, 0o644);
    const first = fs.readdir(root, 0, 2); // a, b
    fs.rename(root, "d", root, "a");
    const rest = fs.readdir(root, first[1].next, 10).map((e) => e.name);
    assert.deepEqual(rest, ["c"]);
  });
});

describe("MemoryFileSystem: sparse files and truncate", () => {
  test("one byte at 5 GiB", () => {
    const fs = new MemoryFileSystem();
    const file = fs.create(fs.root(), "sparse", 0o644);
    const handle = fs.open(file, O.RDWR);
    assert.equal(fs.write(handle, new Uint8Array([42]), 5 * GiB), 1);
    const st = fs.stat(file);
    assert.equal(st.size, 5 * GiB + 1);
    assert.ok(st.blocks <= (PAGE_SIZE / 512) * 2, `blocks ${st.blocks}`);
    const buffer = new Uint8Array(8).fill(1);
    assert.equal(fs.read(handle, buffer, 4 * GiB), 8);
    assert.deepEqual([...buffer], [0, 0, 0, 0, 0, 0, 0, 0]);
    const tail = new Uint8Array(8).fill(1);
    assert.equal(fs.read(handle, tail, 5 * GiB - 3), 4);
    assert.deepEqual([...tail.subarray(0, 4)], [0, 0, 0, 42]);
    assert.equal(fs.read(handle, tail, 5 * GiB + 1), 0);
    fs.close(handle);
  });

  test("truncate grows with a hole and shrinks freeing data", () => {
    const fs = new MemoryFileSystem();
    const file = fs.create(fs.root(), "f", 0o644);
    const handle = fs.open(file, O.RDWR);
    fs.write(handle, encoder.encode("abcdef"), 0);
    fs.truncate(handle, 3);
    assert.equal(fs.stat(file).size, 3);
    fs.truncate(handle, 6 * GiB);
    assert.equal(fs.stat(file).size, 6 * GiB);
    assert.equal(fs.stat(file).blocks, 1);
    const buffer = new Uint8Array(6).fill(9);
    fs.read(handle, buffer, 0);
    assert.deepEqual([...buffer], [97, 98, 99, 0, 0, 0]);
    fs.write(handle, new Uint8Array(3 * PAGE_SIZE).fill(5), GiB);
    fs.setattr(file, { size: GiB + 10 });
    assert.equal(fs.stat(file).size, GiB + 10);
    const check = new Uint8Array(20).fill(9);
    assert.equal(fs.read(handle, check, GiB), 10);
    assert.deepEqual([...check.subarray(0, 10)], Array(10).fill(5));
    fs.setattr(file, { size: GiB + 20 });
    fs.read(handle, check, GiB);
    assert.deepEqual([...check], [...Array(10).fill(5), ...Array(10).fill(0)]);
    fs.setattr(file, { size: 0 });
    assert.equal(fs.stat(file).blocks, 0);
    assert.equal(fs.read(handle, check, 0), 0);
    fs.close(handle);
  });

  test("setattr size on a never-written file", () => {
    const fs = new MemoryFileSystem();
    const file = fs.create(fs.root(), "f", 0o644);
    fs.setattr(file, { size: 100 });
    assert.equal(fs.stat(file).size, 100);
    assert.equal(readText(fs, file), "\0".repeat(100));
    fs.setattr(file, { size: 0 });
    assert.equal(fs.stat(file).size, 0);
  });
});

describe("MemoryFileSystem: timestamps", () => {
  test("create sets the node's times and the parent's m/ctime", () => {
    const { fs, now } = ticking();
    const root = fs.root();
    const rootBefore = fs.stat(root);
    const file = fs.create(root, "f", 0o644);
    const t = now();
    const st = fs.stat(file);
    assert.equal(st.atimeNs, t);
    assert.equal(st.mtimeNs, t);
    assert.equal(st.ctimeNs, t);
    assert.equal(st.birthtimeNs, t);
    const rootAfter = fs.stat(root);
    assert.equal(rootAfter.mtimeNs, t);
    assert.equal(rootAfter.ctimeNs, t);
    assert.equal(rootAfter.atimeNs, rootBefore.atimeNs);
    for (const make of [() => fs.mkdir(root, "d", 0o755), () => fs.symlink(root, "l", "f")]) {
      const node = make();
      assert.equal(fs.stat(node).mtimeNs, now());
      assert.equal(fs.stat(root).mtimeNs, now());
    }
  });

  test("write and truncate set m/ctime; read sets atime", () => {
    const { fs, now } = ticking();
    const file = fs.create(fs.root(), "f", 0o644);
    const created = fs.stat(file);
    const handle = fs.open(file, O.RDWR);
    fs.write(handle, encoder.encode("data"), 0);
    let st = fs.stat(file);
    assert.equal(st.mtimeNs, now());
    assert.equal(st.ctimeNs, now());
    assert.ok(st.mtimeNs > created.mtimeNs);
    assert.equal(st.atimeNs, created.atimeNs);
    fs.read(handle, new Uint8Array(4), 0);
    st = fs.stat(file);
    assert.equal(st.atimeNs, now());
    assert.ok(st.mtimeNs < st.atimeNs);
    fs.truncate(handle, 1);
    st = fs.stat(file);
    assert.equal(st.mtimeNs, now());
    assert.equal(st.ctimeNs, now());
    fs.close(handle);
    assert.equal(st.birthtimeNs, created.birthtimeNs);
  });

  test("link, unlink and rename set the node's ctime and the directories' m/ctime", () => {
    const { fs, now } = ticking();
    const root = fs.root();
    const dir = fs.mkdir(root, "d", 0o755);
    const file = fs.create(root, "f", 0o644);
    const mtime = fs.stat(file).mtimeNs;
    fs.link(dir, "g", file);
    assert.equal(fs.stat(file).ctimeNs, now());
    assert.equal(fs.stat(file).mtimeNs, mtime);
    assert.equal(fs.stat(dir).mtimeNs, now());
    fs.unlink(root, "f");
    assert.equal(fs.stat(file).ctimeNs, now());
    assert.equal(fs.stat(root).mtimeNs, now());
    assert.equal(fs.stat(root).ctimeNs, now());
    const other = fs.mkdir(root, "o", 0o755);
    fs.rename(dir, "g", other, "h");
    const t = now();
    assert.equal(fs.stat(file).ctimeNs, t);
    assert.equal(fs.stat(dir).mtimeNs, t);
    assert.equal(fs.stat(other).mtimeNs, t);
    assert.equal(fs.stat(other).ctimeNs, t);
    assert.equal(fs.stat(file).mtimeNs, mtime);
    fs.rmdir(root, "d");
    assert.equal(fs.stat(root).mtimeNs, now());
  });

  test("setattr: mode/uid/gid set ctime; times set their fields and ctime", () => {
    const { fs, now } = ticking();
    const file = fs.create(fs.root(), "f", 0o644);
    const before = fs.stat(file);
    fs.setattr(file, { mode: 0o4755 });
    let st = fs.stat(file);
    assert.equal(st.mode, 0o4755);
    assert.equal(st.ctimeNs, now());
    assert.equal(st.mtimeNs, before.mtimeNs);
    fs.setattr(file, { uid: 5, gid: 6 });
    st = fs.stat(file);
    assert.equal(st.uid, 5);
    assert.equal(st.gid, 6);
    assert.equal(st.ctimeNs, now());
    fs.setattr(file, { uid: -1, gid: 9 });
    assert.equal(fs.stat(file).uid, 5);
    assert.equal(fs.stat(file).gid, 9);
    fs.setattr(file, { atimeNs: 10n, mtimeNs: 20n });
    st = fs.stat(file);
    assert.equal(st.atimeNs, 10n);
    assert.equal(st.mtimeNs, 20n);
    assert.equal(st.ctimeNs, now());
    fs.setattr(file, { atimeNs: UTIME.NOW, mtimeNs: UTIME.OMIT });
    st = fs.stat(file);
    assert.equal(st.atimeNs, now());
    assert.equal(st.mtimeNs, 20n);
    const ctime = st.ctimeNs;
    fs.setattr(file, {});
    assert.equal(fs.stat(file).ctimeNs, ctime, "no change, no ctime");
  });

  test("attach switches to the kernel clock", () => {
    const fs = new MemoryFileSystem({ clock: () => 5n });
    assert.equal(fs.stat(fs.create(fs.root(), "a", 0o644)).mtimeNs, 5n);
    fs.attach({ nowNs: () => 77n });
    assert.equal(fs.stat(fs.create(fs.root(), "b", 0o644)).mtimeNs, 77n);
  });

  test("the default clock is the wall clock in nanoseconds", () => {
    const fs = new MemoryFileSystem();
    const before = BigInt(Date.now()) * 1_000_000n;
    const file = fs.create(fs.root(), "f", 0o644);
    const after = BigInt(Date.now()) * 1_000_000n;
    const mtime = fs.stat(file).mtimeNs;
    assert.ok(mtime >= before && mtime <= after);
  });
});

describe("MemoryFileSystem: quota", () => {
  test("ENOSPC beyond the quota, nothing written, space returned on unlink", () => {
    const fs = new MemoryFileSystem({ quotaBytes: 100_000 });
    const root = fs.root();
    const file = fs.create(root, "f", 0o644);
    const handle = fs.open(file, O.RDWR);
    fs.write(handle, new Uint8Array(60_000).fill(1), 0);
    throwsCode(() => fs.write(handle, new Uint8Array(50_000).fill(2), 60_000), "ENOSPC");
    assert.equal(fs.stat(file).size, 60_000);
    const check = new Uint8Array(10);
    assert.equal(fs.read(handle, check, 59_995), 5);
    assert.deepEqual([...check.subarray(0, 5)], [1, 1, 1, 1, 1]);
    // Overwriting in place needs no new space.
    fs.write(handle, new Uint8Array(60_000).fill(3), 0);
    // Another file competes for the rest.
    const other = fs.create(root, "g", 0o644);
    const otherHandle = fs.open(other, O.WRONLY);
    fs.write(otherHandle, new Uint8Array(40_000), 0);
    throwsCode(() => fs.write(otherHandle, new Uint8Array(1), 40_000), "ENOSPC");
    fs.close(otherHandle);
    fs.close(handle);
    fs.unlink(root, "f");
    const reopened = fs.open(other, O.WRONLY);
    fs.write(reopened, new Uint8Array(50_000), 40_000);
    fs.close(reopened);
  });

  test("sparse writes are charged by page; truncate never needs space", () => {
    const fs = new MemoryFileSystem({ quotaBytes: 4 * PAGE_SIZE });
    const file = fs.create(fs.root(), "f", 0o644);
    const handle = fs.open(file, O.RDWR);
    fs.write(handle, new Uint8Array([1]), 100 * GiB);
    fs.write(handle, new Uint8Array([1]), 200 * GiB);
    fs.truncate(handle, 1000 * GiB);
    fs.write(handle, new Uint8Array(2 * PAGE_SIZE), 300 * GiB);
    throwsCode(() => fs.write(handle, new Uint8Array([1]), 400 * GiB), "ENOSPC");
    fs.truncate(handle, 150 * GiB);
    fs.write(handle, new Uint8Array([1]), 400 * GiB);
    fs.close(handle);
  });

  test("statfs agrees with the quota", () => {
    const fs = new MemoryFileSystem({ quotaBytes: 1 << 20 });
    let st = fs.statfs();
    assert.equal(st.blockSize, 4096);
    assert.equal(st.totalBlocks, 256);
    assert.equal(st.freeBlocks, 256);
    assert.equal(st.nameMax, 255);
    const file = fs.create(fs.root(), "f", 0o644);
    const handle = fs.open(file, O.WRONLY);
    fs.write(handle, new Uint8Array(10_000), 0);
    st = fs.statfs();
    assert.equal(st.freeBlocks, 256 - 3);
    fs.write(handle, new Uint8Array((1 << 20) - 10_000), 10_000);
    assert.equal(fs.statfs().freeBlocks, 0);
    throwsCode(() => fs.write(handle, new Uint8Array(1), 1 << 20), "ENOSPC");
    fs.truncate(handle, 0);
    assert.equal(fs.statfs().freeBlocks, 256);
    fs.close(handle);
  });

  test("statfs without a quota and inode counts", () => {
    const fs = new MemoryFileSystem();
    const st = fs.statfs();
    assert.ok(st.totalBlocks > 2 ** 40);
    assert.equal(st.freeBlocks, st.totalBlocks);
    const free = st.freeInodes;
    fs.create(fs.root(), "a", 0o644);
    fs.mkdir(fs.root(), "b", 0o755);
    assert.equal(fs.statfs().freeInodes, free - 2);
    fs.unlink(fs.root(), "a");
    fs.rmdir(fs.root(), "b");
    assert.equal(fs.statfs().freeInodes, free);
  });
});

describe("MemoryFileSystem: readdir", () => {
  test("batches resume from cookies and never include . or ..", () => {
    const fs = new MemoryFileSystem();
    const root = fs.root();
    const expected: string[] = [];
    for (let i = 0; i < 50; i++) {
      fs.create(root, `f${i}`, 0o644);
      expected.push(`f${i}`);
    }
    const seen: string[] = [];
    let cookie = 0;
    for (;;) {
      const batch = fs.readdir(root, cookie, 7);
      if (batch.length === 0) break;
      assert.ok(batch.length <= 7);
      for (const entry of batch) {
        assert.equal(entry.ino, fs.lookup(root, entry.name)!.ino);
        assert.equal(entry.type, FileType.RegularFile);
        seen.push(entry.name);
      }
      cookie = batch[batch.length - 1].next;
    }
    assert.deepEqual(seen, expected);
    throwsCode(() => fs.readdir(fs.lookup(root, "f0")!, 0, 10), "ENOTDIR");
  });

  test("resumption while adding and removing between batches (seeded property)", () => {
    let seed = 2024;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 40; round++) {
      const fs = new MemoryFileSystem();
      const dir = fs.mkdir(fs.root(), "d", 0o755);
      let fresh = 0;
      const initial = Math.floor(random() * 200);
      for (let i = 0; i < initial; i++) fs.create(dir, `n${fresh++}`, 0o644);
      const removed = new Set<string>();
      const returned: string[] = [];
      let cookie = 0;
      for (;;) {
        const batch = fs.readdir(dir, cookie, 1 + Math.floor(random() * 16));
        if (batch.length === 0) break;
        for (const entry of batch) {
          assert.ok(!removed.has(entry.name), `${entry.name} returned after removal`);
          returned.push(entry.name);
        }
        cookie = batch[batch.length - 1].next;
        for (let c = Math.floor(random() * 20); c > 0; c--) {
          const present = names(fs, dir);
          if (random() < 0.5 && present.length > 0) {
            const victim = present[Math.floor(random() * present.length)];
            if (random() < 0.5) fs.unlink(dir, victim);
            else fs.rename(dir, victim, fs.root(), `moved-${victim}`);
            removed.add(victim);
          } else if (random() < 0.8) {
            fs.create(dir, `n${fresh++}`, 0o644);
          } else if (present.length > 1) {
            // Rename over an existing name: the target keeps its place.
            const from = present[Math.floor(random() * present.length)];
            const onto = present[Math.floor(random() * present.length)];
            if (from !== onto) {
              fs.rename(dir, from, dir, onto);
              removed.add(from);
            }
          }
        }
      }
      assert.equal(new Set(returned).size, returned.length, "no name repeats");
      for (let i = 0; i < initial; i++) {
        if (!removed.has(`n${i}`)) assert.ok(returned.includes(`n${i}`), `n${i} present throughout`);
      }
    }
  });

  test("100,000 files: create, stat, list in batches, unlink", () => {
    const fs = new MemoryFileSystem();
    const dir = fs.mkdir(fs.root(), "big", 0o755);
    const count = 100_000;
    for (let i = 0; i < count; i++) fs.create(dir, `file-${i}`, 0o644);
    for (let i = 0; i < count; i += 997) assert.equal(fs.stat(fs.lookup(dir, `file-${i}`)!).size, 0);
    let listed = 0;
    let cookie = 0;
    for (;;) {
      const batch = fs.readdir(dir, cookie, 64);
      if (batch.length === 0) break;
      listed += batch.length;
      cookie = batch[batch.length - 1].next;
    }
    assert.equal(listed, count);
    for (let i = 0; i < count; i++) fs.unlink(dir, `file-${i}`);
    assert.deepEqual(fs.readdir(dir, 0, 10), []);
    fs.rmdir(fs.root(), "big");
  });
});
