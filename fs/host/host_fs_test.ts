import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import { tmpdir } from "node:os";
import { describe, test } from "node:test";
import { type ErrnoName, KernelError } from "../../kernel/errno.ts";
import { FileType, O, UTIME } from "../../kernel/types.ts";
import type { FileHandle, VNode } from "../../kernel/vfs/driver.ts";
import { HostFileSystem, type HostFileSystemOptions, type HostNode } from "./host_fs.ts";

const hasDeno = typeof (globalThis as { Deno?: unknown; }).Deno !== "undefined";
const BACKENDS = hasDeno ? (["deno", "node"] as const) : (["node"] as const);
const isRoot = (globalThis as { process?: { getuid?: () => number; }; }).process?.getuid?.() === 0;

function throwsErrno(fn: () => unknown, code: ErrnoName, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KernelError, `expected KernelError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, message ?? error.message);
    return true;
  });
}

/** `fs.lookup`, asserting the name exists. */
function get(fs: HostFileSystem, dir: VNode, name: string): HostNode {
  const node = fs.lookup(dir, name);
  assert.ok(node, `${name} should exist`);
  return node;
}

/** A temp dir holding `root/` (mounted) and, beside it, things a guest must never reach. */
interface Fixture {
  outer: string;
  dir: string;
  fs: HostFileSystem;
}

function withFs(
  backend: "deno" | "node",
  body: (fx: Fixture) => void,
  options: Partial<HostFileSystemOptions> = {},
  prepare?: (dir: string, outer: string) => void,
): void {
  const outer = nodeFs.realpathSync(nodeFs.mkdtempSync(`${tmpdir()}/vkernel-host-test-`));
  try {
    const dir = `${outer}/root`;
    nodeFs.mkdirSync(dir);
    nodeFs.writeFileSync(`${outer}/secret.txt`, "TOP SECRET");
    nodeFs.chmodSync(`${outer}/secret.txt`, 0o640);
    nodeFs.mkdirSync(`${outer}/secretdir`);
    nodeFs.writeFileSync(`${outer}/secretdir/inside`, "HIDDEN");
    prepare?.(dir, outer);
    const fs = new HostFileSystem({ root: dir, backend, ...options });
    body({ outer, dir, fs });
  } finally {
    nodeFs.rmSync(outer, { recursive: true, force: true });
  }
}

function names(fs: HostFileSystem, dir: VNode): string[] {
  const out: string[] = [];
  let cookie = 0;
  for (;;) {
    const batch = fs.readdir(dir, cookie, 3);
    if (batch.length === 0) return out.sort();
    for (const entry of batch) out.push(entry.name);
    cookie = batch[batch.length - 1].next;
  }
}

function writeAll(fs: HostFileSystem, node: VNode, text: string): void {
  const handle = fs.open(node, O.WRONLY);
  try {
    fs.write(handle, new TextEncoder().encode(text), 0);
  } finally {
    fs.close(handle);
  }
}

function readAll(fs: HostFileSystem, node: VNode): string {
  const handle = fs.open(node, O.RDONLY);
  try {
    const buffer = new Uint8Array(fs.stat(node).size);
    const n = fs.read(handle, buffer, 0);
    return new TextDecoder().decode(buffer.subarray(0, n));
  } finally {
    fs.close(handle);
  }
}

describe("HostFileSystem construction", () => {
  test("rejects bad options with TypeError / RangeError, never errno", () => {
    const dir = nodeFs.mkdtempSync(`${tmpdir()}/vkernel-host-test-`);
    try {
      nodeFs.writeFileSync(`${dir}/file`, "x");
      assert.throws(() => new HostFileSystem(undefined as unknown as HostFileSystemOptions), TypeError);
      assert.throws(() => new HostFileSystem({ root: 42 as unknown as string }), TypeError);
      assert.throws(() => new HostFileSystem({ root: "" }), TypeError);
      assert.throws(
        () => new HostFileSystem({ root: dir, readOnly: "yes" as unknown as boolean }),
        TypeError,
      );
      assert.throws(() => new HostFileSystem({ root: `${dir}/missing` }), RangeError);
      assert.throws(() => new HostFileSystem({ root: `${dir}/file` }), RangeError);
      assert.throws(
        () => new HostFileSystem({ root: dir, backend: "opfs" as unknown as "node" }),
        RangeError,
      );
      if (!hasDeno) assert.throws(() => new HostFileSystem({ root: dir, backend: "deno" }), TypeError);
    } finally {
      nodeFs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("auto picks Deno's API under Deno and node:fs elsewhere; root is realpath'd", () => {
    const dir = nodeFs.mkdtempSync(`${tmpdir()}/vkernel-host-test-`);
    try {
      nodeFs.mkdirSync(`${dir}/real`);
      nodeFs.symlinkSync("real", `${dir}/alias`);
      const fs = new HostFileSystem({ root: `${dir}/alias` });
      assert.equal(fs.backend, hasDeno ? "deno" : "node");
      assert.equal(fs.rootPath, nodeFs.realpathSync(`${dir}/real`));
      assert.equal(fs.name, "host");
      assert.equal(fs.synchronous, true);
      assert.equal(fs.readOnly, false);
    } finally {
      nodeFs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const backend of BACKENDS) {
  describe(`HostFileSystem (${backend} backend)`, () => {
    test("root, lookup and '..' never leave the root", () => {
      withFs(backend, ({ fs }) => {
        const root = fs.root();
        assert.equal(root.type, FileType.Directory);
        assert.ok(root.ino > 0);
        assert.equal(get(fs, root, ".."), root);
        const a = fs.mkdir(root, "a", 0o755);
        const b = fs.mkdir(a, "b", 0o755);
        assert.equal(get(fs, b, ".."), a);
        assert.equal(get(fs, get(fs, b, ".."), ".."), root);
        assert.equal(get(fs, root, "a"), a, "nodes are interned");
        assert.deepEqual((b as HostNode).rel, ["a", "b"]);
      });
    });

    test("confinement: host symlinks are never followed", () => {
      withFs(backend, ({ fs, outer, dir }) => {
        const targets: Record<string, string> = {
          etc: "/etc",
          up: "..",
          upup: "../..",
          upfile: "../secret.txt",
          abs: `${outer}/secret.txt`,
          absdir: `${outer}/secretdir`,
          loop: "loop",
        };
        for (const [name, target] of Object.entries(targets)) nodeFs.symlinkSync(target, `${dir}/${name}`);
        nodeFs.mkdirSync(`${dir}/sub`);
        nodeFs.symlinkSync("../../secret.txt", `${dir}/sub/deep`);
        targets["sub/deep"] = "../../secret.txt";
        const root = fs.root();
        const sub = get(fs, root, "sub");
        const secretBefore = nodeFs.statSync(`${outer}/secret.txt`);
        for (const [path, target] of Object.entries(targets)) {
          const parent = path.startsWith("sub/") ? sub : root;
          const link = get(fs, parent, path.replace("sub/", ""));
          assert.equal(link.type, FileType.Symlink, path);
          assert.equal(fs.readlink(link), target, path);
          assert.equal(fs.stat(link).size, new TextEncoder().encode(target).length);
          assert.equal(fs.stat(link).type, FileType.Symlink);
          throwsErrno(() => fs.lookup(link, "secretdir"), "ENOTDIR", path);
          throwsErrno(() => fs.lookup(link, "inside"), "ENOTDIR", path);
          throwsErrno(() => fs.open(link, O.RDONLY), "ELOOP", path);
          throwsErrno(() => fs.open(link, O.RDWR), "ELOOP", path);
          throwsErrno(() => fs.readdir(link, 0, 10), "ENOTDIR", path);
          throwsErrno(() => fs.create(link, "x", 0o644), "ENOTDIR", path);
          throwsErrno(() => fs.mkdir(link, "x", 0o755), "ENOTDIR", path);
          throwsErrno(() => fs.setattr(link, { mode: 0o777 }), "ENOTSUP", path);
          throwsErrno(() => fs.setattr(link, { size: 0 }), "EINVAL", path);
          if (backend === "node") {
            fs.setattr(link, { mtimeNs: 1_000_000_000n, atimeNs: 1_000_000_000n });
            assert.equal(fs.stat(link).mtimeNs, 1_000_000_000n);
            const own = fs.stat(link);
            fs.setattr(link, { uid: own.uid, gid: own.gid });
          } else {
            throwsErrno(() => fs.setattr(link, { mtimeNs: 1_000_000_000n }), "ENOSYS", path);
            throwsErrno(() => fs.setattr(link, { uid: 0 }), "ENOSYS", path);
          }
        }
        // A hard link to a symlink links the symlink itself.
        fs.link(root, "hard", get(fs, root, "abs"));
        assert.ok(nodeFs.lstatSync(`${dir}/hard`).isSymbolicLink());
        // Nothing outside changed.
        const secretAfter = nodeFs.statSync(`${outer}/secret.txt`);
        assert.equal(nodeFs.readFileSync(`${outer}/secret.txt`, "utf8"), "TOP SECRET");
        assert.equal(secretAfter.mode, secretBefore.mode);
        assert.equal(secretAfter.mtimeMs, secretBefore.mtimeMs);
        assert.deepEqual(nodeFs.readdirSync(`${outer}/secretdir`), ["inside"]);
        // Listing shows symlinks as symlinks.
        const types = new Map(fs.readdir(root, 0, 100).map((e) => [e.name, e.type]));
        assert.equal(types.get("absdir"), FileType.Symlink);
        assert.equal(types.get("etc"), FileType.Symlink);
      });
    });

    test("confinement: guest symlinks are stored raw and never followed", () => {
      withFs(backend, ({ fs, outer, dir }) => {
        const link = fs.symlink(fs.root(), "g", `${outer}/secret.txt`);
        assert.equal(link.type, FileType.Symlink);
        assert.equal(nodeFs.readlinkSync(`${dir}/g`), `${outer}/secret.txt`);
        assert.equal(fs.readlink(get(fs, fs.root(), "g")), `${outer}/secret.txt`);
        fs.symlink(fs.root(), "dotdot", "../../..");
        assert.equal(nodeFs.readlinkSync(`${dir}/dotdot`), "../../..");
        throwsErrno(() => fs.open(link, O.RDONLY), "ELOOP");
        throwsErrno(() => fs.symlink(fs.root(), "empty", ""), "ENOENT");
        throwsErrno(() => fs.symlink(fs.root(), "nul", "a\0b"), "EINVAL");
        throwsErrno(() => fs.symlink(fs.root(), "g", "x"), "EEXIST");
      });
    });

    test("confinement: a node whose name the host swapped for a symlink is refused", () => {
      withFs(backend, ({ fs, outer, dir }) => {
        const root = fs.root();
        const victim = fs.create(root, "victim", 0o644);
        const sub = fs.mkdir(root, "sub", 0o755);
        fs.create(sub, "inner", 0o644);
        // The host replaces both names by symlinks to things outside the root.
        nodeFs.unlinkSync(`${dir}/victim`);
        nodeFs.symlinkSync(`${outer}/secret.txt`, `${dir}/victim`);
        nodeFs.rmSync(`${dir}/sub`, { recursive: true });
        nodeFs.symlinkSync(`${outer}/secretdir`, `${dir}/sub`);

        throwsErrno(() => fs.stat(victim), "ENOENT");
        for (const flags of [O.RDONLY, O.WRONLY, O.RDWR]) {
          assert.throws(() => fs.open(victim, flags), (e: unknown) => {
            assert.ok(e instanceof KernelError && (e.code === "ELOOP" || e.code === "ENOENT"), String(e));
            return true;
          });
        }
        throwsErrno(() => fs.setattr(victim, { mode: 0o666 }), "ENOENT");
        throwsErrno(() => fs.setattr(victim, { size: 0 }), "ENOENT");
        throwsErrno(() => fs.setattr(victim, { mtimeNs: 5n, atimeNs: 5n }), "ENOENT");
        throwsErrno(() => fs.link(root, "copy", victim), "ENOENT");
        throwsErrno(() => fs.readdir(sub, 0, 10), "ENOENT");
        throwsErrno(() => fs.lookup(sub, "inside"), "ENOENT");
        throwsErrno(() => fs.create(sub, "planted", 0o644), "ENOENT");
        throwsErrno(() => fs.mkdir(sub, "planted", 0o755), "ENOENT");
        throwsErrno(() => fs.symlink(sub, "planted", "x"), "ENOENT");
        throwsErrno(() => fs.unlink(sub, "inside"), "ENOENT");
        throwsErrno(() => fs.rename(sub, "inside", root, "stolen"), "ENOENT");
        throwsErrno(() => fs.open(sub, O.RDONLY), "ENOENT");

        assert.equal(nodeFs.readFileSync(`${outer}/secret.txt`, "utf8"), "TOP SECRET");
        assert.equal(nodeFs.statSync(`${outer}/secret.txt`).mode & 0o777, 0o640);
        assert.deepEqual(nodeFs.readdirSync(`${outer}/secretdir`), ["inside"]);
        // Looking the names up again gives the symlinks, as symlinks.
        assert.equal(get(fs, root, "victim").type, FileType.Symlink);
        assert.equal(get(fs, root, "sub").type, FileType.Symlink);
      });
    });

    test("names are re-validated: /, NUL, '.', '..', empty, too long", () => {
      withFs(backend, ({ fs }) => {
        const root = fs.root();
        fs.mkdir(root, "d", 0o755);
        for (
          const op of [
            (name: string) => fs.lookup(root, name),
            (name: string) => fs.create(root, name, 0o644),
            (name: string) => fs.mkdir(root, name, 0o755),
            (name: string) => fs.unlink(root, name),
            (name: string) => fs.rename(root, "d", root, name),
          ]
        ) {
          throwsErrno(() => op("a/b"), "EINVAL");
          throwsErrno(() => op("../d"), "EINVAL");
          throwsErrno(() => op("a\0b"), "EINVAL");
          throwsErrno(() => op(""), "ENOENT");
          throwsErrno(() => op("x".repeat(256)), "ENAMETOOLONG");
        }
        for (const name of [".", ".."]) {
          throwsErrno(() => fs.create(root, name, 0o644), "EINVAL");
          throwsErrno(() => fs.unlink(root, name), "EINVAL");
        }
        // A tampered node path is refused too.
        const node = get(fs, root, "d") as HostNode & { rel: string[]; };
        node.rel = ["..", "etc"];
        throwsErrno(() => fs.stat(node), "EINVAL");
        throwsErrno(() => fs.readdir(node, 0, 10), "EINVAL");
        node.rel = ["d"];
        assert.equal(fs.stat(node).type, FileType.Directory);
      });
    });

    test("error codes: missing, exists, not-dir, is-dir, not-empty", () => {
      withFs(backend, ({ fs }) => {
        const root = fs.root();
        const file = fs.create(root, "file", 0o644);
        const dir = fs.mkdir(root, "dir", 0o755);
        fs.create(dir, "child", 0o644);
        const empty = fs.mkdir(root, "empty", 0o755);
        // ENOENT
        assert.equal(fs.lookup(root, "missing"), null);
        throwsErrno(() => fs.unlink(root, "missing"), "ENOENT");
        throwsErrno(() => fs.rmdir(root, "missing"), "ENOENT");
        throwsErrno(() => fs.rename(root, "missing", root, "x"), "ENOENT");
        // EEXIST
        throwsErrno(() => fs.create(root, "file", 0o644), "EEXIST");
        throwsErrno(() => fs.create(root, "dir", 0o644), "EEXIST");
        throwsErrno(() => fs.mkdir(root, "file", 0o755), "EEXIST");
        throwsErrno(() => fs.mkdir(root, "dir", 0o755), "EEXIST");
        throwsErrno(() => fs.symlink(root, "file", "t"), "EEXIST");
        throwsErrno(() => fs.link(root, "dir", file), "EEXIST");
        // ENOTDIR
        throwsErrno(() => fs.lookup(file, "x"), "ENOTDIR");
        throwsErrno(() => fs.create(file, "x", 0o644), "ENOTDIR");
        throwsErrno(() => fs.readdir(file, 0, 10), "ENOTDIR");
        throwsErrno(() => fs.rmdir(root, "file"), "ENOTDIR");
        // EISDIR
        throwsErrno(() => fs.unlink(root, "dir"), "EISDIR");
        throwsErrno(() => fs.unlink(root, "empty"), "EISDIR");
        throwsErrno(() => fs.open(dir, O.WRONLY), "EISDIR");
        throwsErrno(() => fs.open(dir, O.RDWR), "EISDIR");
        throwsErrno(() => fs.setattr(dir, { size: 0 }), "EISDIR");
        // ENOTEMPTY
        throwsErrno(() => fs.rmdir(root, "dir"), "ENOTEMPTY");
        // EPERM, EINVAL
        throwsErrno(() => fs.link(root, "dirlink", dir), "EPERM");
        throwsErrno(() => fs.readlink(file), "EINVAL");
        throwsErrno(() => fs.readlink(dir), "EINVAL");
        throwsErrno(() => fs.open(file, O.ACCMODE), "EINVAL");
        // Everything that failed changed nothing.
        assert.deepEqual(names(fs, root), ["dir", "empty", "file"]);
        fs.rmdir(root, "empty");
        throwsErrno(() => fs.stat(empty), "ENOENT");
        throwsErrno(() => fs.lookup(empty, "x"), "ENOENT");
      });
    });

    test("foreign nodes and handles are refused with errno", () => {
      withFs(backend, ({ fs, dir }) => {
        const other = new HostFileSystem({ root: dir, backend });
        const theirs = other.create(other.root(), "theirs", 0o644);
        throwsErrno(() => fs.stat(theirs), "EINVAL");
        throwsErrno(() => fs.stat({ ino: 1, type: FileType.Directory }), "EINVAL");
        throwsErrno(() => fs.link(fs.root(), "x", theirs), "EXDEV");
        throwsErrno(() => fs.rename(fs.root(), "theirs", other.root(), "y"), "EXDEV");
        const handle = other.open(theirs, O.RDONLY);
        throwsErrno(() => fs.read(handle, new Uint8Array(1), 0), "EBADF");
        throwsErrno(() => fs.close({ node: theirs } as FileHandle), "EBADF");
        other.close(handle);
      });
    });

    test("rename: files, directories, replacement and POSIX errors", () => {
      withFs(backend, ({ fs, dir }) => {
        const root = fs.root();
        const a = fs.create(root, "a", 0o644);
        writeAll(fs, a, "A");
        const b = fs.create(root, "b", 0o644);
        writeAll(fs, b, "B");
        // A file replaces a file; the moved node keeps working under its new name.
        fs.rename(root, "a", root, "b");
        assert.equal(nodeFs.readFileSync(`${dir}/b`, "utf8"), "A");
        assert.equal(get(fs, root, "b"), a);
        assert.equal(readAll(fs, a), "A");
        throwsErrno(() => fs.stat(b), "ENOENT");
        assert.equal(fs.lookup(root, "a"), null);
        // Two links to one file: a no-op.
        fs.link(root, "b2", a);
        fs.rename(root, "b", root, "b2");
        assert.ok(nodeFs.existsSync(`${dir}/b`) && nodeFs.existsSync(`${dir}/b2`));
        // Same name: a no-op.
        fs.rename(root, "b2", root, "b2");
        // Directories.
        const d1 = fs.mkdir(root, "d1", 0o755);
        const deep = fs.mkdir(fs.mkdir(d1, "x", 0o755), "y", 0o755);
        const leaf = fs.create(deep, "leaf", 0o644);
        const empty = fs.mkdir(root, "empty", 0o755);
        const full = fs.mkdir(root, "full", 0o755);
        fs.create(full, "f", 0o644);
        throwsErrno(() => fs.rename(root, "d1", root, "full"), "ENOTEMPTY");
        throwsErrno(() => fs.rename(root, "d1", root, "b"), "ENOTDIR");
        throwsErrno(() => fs.rename(root, "b", root, "empty"), "EISDIR");
        throwsErrno(() => fs.rename(root, "d1", deep, "inside"), "EINVAL");
        fs.rename(root, "d1", root, "empty");
        throwsErrno(() => fs.stat(empty), "ENOENT");
        // Nodes below the moved directory moved with it.
        assert.deepEqual((deep as HostNode).rel, ["empty", "x", "y"]);
        assert.equal(fs.stat(leaf).type, FileType.RegularFile);
        assert.equal(get(fs, deep, "leaf"), leaf);
        assert.equal(get(fs, get(fs, deep, ".."), ".."), d1);
        // Across directories.
        fs.rename(deep, "leaf", root, "leaf2");
        assert.deepEqual((leaf as HostNode).rel, ["leaf2"]);
        assert.equal(fs.stat(leaf).ino, get(fs, root, "leaf2").ino);
        assert.deepEqual(names(fs, root), ["b", "b2", "empty", "full", "leaf2"]);
      });
    });

    test("readdir: snapshot cookies resume without repeats or skips", () => {
      withFs(backend, ({ fs }) => {
        const root = fs.root();
        assert.deepEqual(fs.readdir(root, 0, 10), []);
        const created = new Map<string, number>();
        for (let i = 0; i < 25; i++) {
          const name = `f${String(i).padStart(2, "0")}`;
          created.set(name, i % 3 === 0 ? fs.mkdir(root, name, 0o755).ino : fs.create(root, name, 0o644).ino);
        }
        fs.symlink(root, "zz-link", "f00");
        const first = fs.readdir(root, 0, 7);
        assert.equal(first.length, 7);
        // Cookies name the snapshot and the index in it: consecutive within one listing.
        first.forEach((entry, i) => assert.equal(entry.next, first[0].next + i));
        // Change the directory in the middle of the listing.
        const seen = new Set(first.map((e) => e.name));
        const removed = [...created.keys()].find((n) => !seen.has(n))!;
        if (created.get(removed)! && get(fs, root, removed).type === FileType.Directory) {
          fs.rmdir(root, removed);
        } else fs.unlink(root, removed);
        fs.create(root, "late", 0o644);
        const all = [...first];
        let cookie = first[first.length - 1].next;
        for (;;) {
          const batch = fs.readdir(root, cookie, 4);
          if (batch.length === 0) break;
          all.push(...batch);
          cookie = batch[batch.length - 1].next;
        }
        const listed = all.map((e) => e.name);
        assert.equal(new Set(listed).size, listed.length, "no repeats");
        for (const name of created.keys()) {
          if (name !== removed) assert.ok(listed.includes(name), `missing ${name}`);
        }
        assert.ok(!listed.includes(removed));
        for (const entry of all) {
          const node = get(fs, root, entry.name);
          assert.equal(entry.ino, node.ino, entry.name);
          assert.equal(entry.type, node.type, entry.name);
        }
        assert.ok(listed.includes("zz-link"));
        assert.equal(all.find((e) => e.name === "zz-link")!.type, FileType.Symlink);
        assert.deepEqual(fs.readdir(root, cookie, 10), []);
        assert.deepEqual(fs.readdir(root, 1000, 10), []);
        assert.deepEqual(fs.readdir(root, 0, 0), []);
        throwsErrno(() => fs.readdir(root, -1, 10), "EINVAL");
        throwsErrno(() => fs.readdir(root, 0.5, 10), "EINVAL");
        // A fresh cookie 0 sees the new name.
        assert.ok(names(fs, root).includes("late"));
      });
    });

    test("I/O: positional reads and writes, holes, truncate, sync, close", () => {
      withFs(backend, ({ fs, dir }) => {
        const file = fs.create(fs.root(), "data", 0o644);
        const handle = fs.open(file, O.RDWR);
        assert.equal(fs.write(handle, new TextEncoder().encode("hello"), 0), 5);
        assert.equal(fs.write(handle, new TextEncoder().encode("world"), 10), 5);
        assert.equal(fs.stat(file).size, 15);
        const buffer = new Uint8Array(15);
        assert.equal(fs.read(handle, buffer, 0), 15);
        assert.deepEqual([...buffer.subarray(5, 10)], [0, 0, 0, 0, 0]);
        assert.equal(new TextDecoder().decode(buffer.subarray(10)), "world");
        assert.equal(fs.read(handle, new Uint8Array(4), 15), 0);
        assert.equal(fs.read(handle, new Uint8Array(4), 100), 0);
        assert.equal(fs.read(handle, new Uint8Array(0), 0), 0);
        fs.truncate(handle, 3);
        assert.equal(nodeFs.readFileSync(`${dir}/data`, "utf8"), "hel");
        fs.truncate(handle, 8);
        assert.equal(fs.stat(file).size, 8);
        fs.sync(handle);
        throwsErrno(() => fs.read(handle, new Uint8Array(1), -1), "EINVAL");
        throwsErrno(() => fs.truncate(handle, -1), "EINVAL");
        fs.close(handle);
        throwsErrno(() => fs.close(handle), "EBADF");
        throwsErrno(() => fs.read(handle, new Uint8Array(1), 0), "EBADF");
        // Access modes.
        const ro = fs.open(file, O.RDONLY);
        throwsErrno(() => fs.write(ro, new Uint8Array(1), 0), "EBADF");
        throwsErrno(() => fs.truncate(ro, 0), "EINVAL");
        fs.close(ro);
        const wo = fs.open(file, O.WRONLY);
        throwsErrno(() => fs.read(wo, new Uint8Array(1), 0), "EBADF");
        fs.close(wo);
        // Directory handles: stat only.
        const dh = fs.open(fs.root(), O.RDONLY);
        throwsErrno(() => fs.read(dh, new Uint8Array(1), 0), "EISDIR");
        fs.sync(dh);
        fs.close(dh);
      });
    });

    test("open files survive unlink and rename of their name", () => {
      withFs(backend, ({ fs }) => {
        const root = fs.root();
        const file = fs.create(root, "f", 0o644);
        const handle = fs.open(file, O.RDWR);
        fs.write(handle, new TextEncoder().encode("still here"), 0);
        fs.rename(root, "f", root, "g");
        fs.unlink(root, "g");
        fs.create(root, "g", 0o644); // a new file where the old name was
        const buffer = new Uint8Array(10);
        assert.equal(fs.read(handle, buffer, 0), 10);
        assert.equal(new TextDecoder().decode(buffer), "still here");
        const st = fs.stat(file);
        assert.equal(st.size, 10);
        assert.equal(st.nlink, 0);
        fs.setattr(file, { size: 5 });
        assert.equal(fs.stat(file).size, 5);
        fs.close(handle);
        throwsErrno(() => fs.stat(file), "ENOENT");
      });
    });

    test("setattr: mode, owner, size, and create modes are exact", () => {
      withFs(backend, ({ fs, dir }) => {
        const root = fs.root();
        const file = fs.create(root, "f", 0o666);
        assert.equal(fs.stat(file).mode, 0o666, "host umask undone");
        assert.equal(nodeFs.statSync(`${dir}/f`).mode & 0o7777, 0o666);
        const sub = fs.mkdir(root, "d", 0o777);
        assert.equal(fs.stat(sub).mode, 0o777);
        assert.equal(fs.stat(fs.create(root, "ro", 0o400)).mode, 0o400);
        fs.setattr(file, { mode: 0o600 });
        assert.equal(fs.stat(file).mode, 0o600);
        fs.setattr(sub, { mode: 0o1700 });
        assert.equal(fs.stat(sub).mode, 0o1700);
        // Set-id bits are dropped unless allowed.
        fs.setattr(file, { mode: 0o4755 });
        assert.equal(fs.stat(file).mode, 0o755);
        assert.equal(fs.stat(fs.create(root, "suid", 0o6755)).mode, 0o755);
        const setId = new HostFileSystem({ root: dir, backend, allowSetId: true });
        setId.setattr(get(setId, setId.root(), "f"), { mode: 0o4755 });
        assert.equal(fs.stat(file).mode, 0o4755);
        // Owner: to what it already is (allowed without privilege).
        const { uid, gid } = fs.stat(file);
        fs.setattr(file, { uid, gid });
        fs.setattr(file, { gid });
        assert.equal(fs.stat(file).uid, uid);
        if (!isRoot) throwsErrno(() => fs.setattr(file, { uid: uid + 1 }), "EPERM");
        // Size grows and shrinks.
        fs.setattr(file, { size: 4096 });
        assert.equal(fs.stat(file).size, 4096);
        fs.setattr(file, { size: 1 });
        assert.equal(nodeFs.statSync(`${dir}/f`).size, 1);
        // A file its owner may not read or write.
        const locked = fs.create(root, "locked", 0o644);
        fs.setattr(locked, { mode: 0 });
        assert.equal(fs.stat(locked).mode, 0);
        fs.setattr(locked, { mode: 0o640 });
        assert.equal(fs.stat(locked).mode, 0o640);
        throwsErrno(() => fs.setattr(file, { mode: 0o10000 }), "EINVAL");
        throwsErrno(() => fs.setattr(file, { size: -1 }), "EINVAL");
        throwsErrno(() => fs.create(root, "bad", -1), "EINVAL");
      });
    });

    test("timestamps round trip in nanoseconds", () => {
      withFs(backend, ({ fs, dir }) => {
        const file = fs.create(fs.root(), "t", 0o644);
        const hostTimes = () => {
          const st = nodeFs.lstatSync(`${dir}/t`, { bigint: true });
          return [st.atimeNs, st.mtimeNs];
        };
        // What the host stores: within its precision (a double of seconds, or milliseconds).
        const slack = fs.timeResolutionNs > 1000n ? fs.timeResolutionNs : 1000n;
        for (
          const [a, m] of [[1_123_456_789n, 2_987_654_321n], [
            1_790_000_000_123_456_789n,
            1_600_000_000_987_654_321n,
          ]]
        ) {
          fs.setattr(file, { atimeNs: a, mtimeNs: m });
          const st = fs.stat(file);
          assert.equal(st.atimeNs, a, "exact through the driver");
          assert.equal(st.mtimeNs, m, "exact through the driver");
          const [ha, hm] = hostTimes();
          for (const [got, want] of [[ha, a], [hm, m]]) {
            const diff = got > want ? got - want : want - got;
            assert.ok(diff < slack, `host off by ${diff} ns`);
          }
        }
        // Only mtime: atime stays.
        fs.setattr(file, { mtimeNs: 3_000_000_007n, atimeNs: UTIME.OMIT });
        let st = fs.stat(file);
        assert.equal(st.atimeNs, 1_790_000_000_123_456_789n);
        assert.equal(st.mtimeNs, 3_000_000_007n);
        // A change made on the host shows through.
        nodeFs.utimesSync(`${dir}/t`, 100, 200);
        st = fs.stat(file);
        assert.equal(st.atimeNs, 100_000_000_000n);
        assert.equal(st.mtimeNs, 200_000_000_000n);
        // So does a write through the driver.
        fs.setattr(file, { mtimeNs: 5_000_000_001n });
        writeAll(fs, file, "x");
        assert.ok(fs.stat(file).mtimeNs > 1_000_000_000_000_000_000n);
        // Before 1970 (not possible through Deno's node:fs: refused, never silently wrong).
        if (backend === "node" && hasDeno) {
          throwsErrno(() => fs.setattr(file, { mtimeNs: -1_500_000_000n }), "EINVAL");
        } else {
          fs.setattr(file, { mtimeNs: -1_500_000_000n });
          assert.equal(fs.stat(file).mtimeNs, -1_500_000_000n);
          assert.equal(hostTimes()[1], -1_500_000_000n);
        }
        // UTIME.NOW uses the kernel's clock once attached.
        fs.attach({ nowNs: () => 4_000_000_000n });
        fs.setattr(file, { mtimeNs: UTIME.NOW });
        assert.equal(fs.stat(file).mtimeNs, 4_000_000_000n);
        // Directories too.
        fs.setattr(fs.root(), { mtimeNs: 5_000_000_000n });
        assert.equal(fs.stat(fs.root()).mtimeNs, 5_000_000_000n);
        assert.ok(fs.stat(file).ctimeNs > 0n);
        throwsErrno(() => fs.setattr(file, { mtimeNs: 5 as unknown as bigint }), "EINVAL");
      });
    });

    test("readOnly: every mutation throws EROFS; reads work", () => {
      withFs(
        backend,
        ({ fs, dir }) => {
          const root = fs.root();
          const file = get(fs, root, "file");
          const sub = get(fs, root, "sub");
          const link = get(fs, root, "link");
          assert.equal(fs.readOnly, true);
          throwsErrno(() => fs.setattr(file, { mode: 0o600 }), "EROFS");
          throwsErrno(() => fs.setattr(file, { size: 0 }), "EROFS");
          throwsErrno(() => fs.setattr(file, { mtimeNs: 1n }), "EROFS");
          throwsErrno(() => fs.setattr(file, { uid: 0 }), "EROFS");
          throwsErrno(() => fs.create(root, "new", 0o644), "EROFS");
          throwsErrno(() => fs.create(root, "file", 0o644), "EROFS");
          throwsErrno(() => fs.mkdir(root, "newdir", 0o755), "EROFS");
          throwsErrno(() => fs.symlink(root, "newlink", "x"), "EROFS");
          throwsErrno(() => fs.link(root, "hard", file), "EROFS");
          throwsErrno(() => fs.unlink(root, "file"), "EROFS");
          throwsErrno(() => fs.rmdir(root, "sub"), "EROFS");
          throwsErrno(() => fs.rename(root, "file", root, "moved"), "EROFS");
          throwsErrno(() => fs.open(file, O.WRONLY), "EROFS");
          throwsErrno(() => fs.open(file, O.RDWR), "EROFS");
          const handle = fs.open(file, O.RDONLY);
          throwsErrno(() => fs.truncate(handle, 0), "EROFS");
          throwsErrno(() => fs.write(handle, new Uint8Array(1), 0), "EBADF");
          assert.equal(readAll(fs, file), "content");
          fs.close(handle);
          assert.equal(fs.readlink(link), "file");
          assert.deepEqual(names(fs, root), ["file", "link", "sub"]);
          assert.equal(fs.stat(sub).type, FileType.Directory);
          assert.ok(fs.statfs().blockSize > 0);
          assert.deepEqual(nodeFs.readdirSync(dir).sort(), ["file", "link", "sub"]);
          assert.equal(nodeFs.readFileSync(`${dir}/file`, "utf8"), "content");
        },
        { readOnly: true },
        (dir) => {
          nodeFs.writeFileSync(`${dir}/file`, "content");
          nodeFs.mkdirSync(`${dir}/sub`);
          nodeFs.symlinkSync("file", `${dir}/link`);
        },
      );
    });

    test("host special files are listed but not opened", () => {
      withFs(
        backend,
        ({ fs }) => {
          const fifo = get(fs, fs.root(), "fifo");
          assert.equal(fifo.type, FileType.Fifo);
          assert.equal(fs.readdir(fs.root(), 0, 10)[0].type, FileType.Fifo);
          throwsErrno(() => fs.open(fifo, O.RDONLY), "ENXIO");
        },
        {},
        (dir) => {
          const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; }; }).process;
          const cp = proc?.getBuiltinModule?.("node:child_process") as typeof import("node:child_process");
          cp.execFileSync("mkfifo", [`${dir}/fifo`]);
        },
      );
    });

    test("statfs, and no method returns a Promise", () => {
      withFs(backend, ({ fs }) => {
        const figures = fs.statfs();
        assert.ok(figures.blockSize > 0 && figures.totalBlocks > 0 && figures.nameMax === 255);
        const root = fs.root();
        const results: unknown[] = [
          get(fs, root, ".."),
          fs.stat(root),
          fs.create(root, "f", 0o644),
          fs.mkdir(root, "d", 0o755),
          fs.symlink(root, "l", "f"),
          fs.link(root, "h", get(fs, root, "f")),
          fs.readdir(root, 0, 10),
          fs.readlink(get(fs, root, "l")),
          fs.setattr(get(fs, root, "f"), { size: 1 }),
          fs.rename(root, "h", root, "h2"),
          fs.unlink(root, "h2"),
          fs.rmdir(root, "d"),
          figures,
        ];
        const handle = fs.open(get(fs, root, "f"), O.RDWR);
        results.push(handle, fs.read(handle, new Uint8Array(1), 0), fs.write(handle, new Uint8Array(1), 0));
        results.push(fs.truncate(handle, 0), fs.sync(handle), fs.close(handle));
        for (const result of results) {
          assert.ok(typeof (result as { then?: unknown; } | undefined)?.then !== "function");
        }
      });
    });
  });
}
