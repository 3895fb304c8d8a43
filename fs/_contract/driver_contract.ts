/**
 * The driver contract: one suite every filesystem driver passes. It talks to
 * the driver interface directly (one component at a time, as the kernel does)
 * and awaits every result, so synchronous and asynchronous drivers run the
 * same checks.
 *
 * @example
 * ```ts
 * import { driverContract } from "./driver_contract.ts";
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * driverContract("memory", () => ({ fs: new MemoryFileSystem() }));
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KernelError } from "../../kernel/errno.ts";
import { FileType, O } from "../../kernel/types.ts";
import type { FileSystem, VNode } from "../../kernel/vfs/driver.ts";

/** A fresh driver for one test, and how to dispose of it. */
export interface ContractSubject {
  fs: FileSystem;
  cleanup?: () => void | Promise<void>;
}

/** Contract checks a driver cannot pass, each with the reason (documented exceptions). */
export type ContractExceptions = Partial<Record<string, string>>;

async function errno(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    if (error instanceof KernelError) return error.code;
    throw error;
  }
}

const enc = (s: string) => new TextEncoder().encode(s);

/** `fs.lookup`, with "absent" (null or a thrown ENOENT) as ENOENT. */
async function lookup(fs: FileSystem, dir: VNode, name: string): Promise<VNode> {
  const node = await fs.lookup(dir, name);
  if (node === null) throw new KernelError("ENOENT");
  return node;
}

/**
 * Registers the contract tests for a driver.
 *
 * @param name shown in test names
 * @param make builds a fresh, empty filesystem for each test
 * @param exceptions checks to skip, by test name, with the reason
 */
export function driverContract(
  name: string,
  make: () => ContractSubject | Promise<ContractSubject>,
  exceptions: ContractExceptions = {},
): void {
  const check = (title: string, body: (fs: FileSystem, root: VNode) => Promise<void>) => {
    const reason = exceptions[title];
    test(title, { skip: reason ? `${name} cannot: ${reason}` : false }, async () => {
      const subject = await make();
      try {
        await body(subject.fs, subject.fs.root());
      } finally {
        await subject.cleanup?.();
      }
    });
  };

  describe(`driver contract: ${name}`, () => {
    check("root is a directory with a non-zero inode, its own parent", async (fs, root) => {
      assert.equal(root.type, FileType.Directory);
      assert.ok(root.ino > 0);
      const parent = await lookup(fs, root, "..");
      assert.equal(parent.ino, root.ino);
      assert.equal((await fs.stat(root)).type, FileType.Directory);
    });

    check("create, write, read back, stat size", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      assert.equal(f.type, FileType.RegularFile);
      const h = await fs.open(f, O.RDWR);
      assert.equal(await fs.write(h, enc("hello world"), 0), 11);
      const buf = new Uint8Array(32);
      assert.equal(await fs.read(h, buf, 6), 5);
      assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), "world");
      assert.equal(await fs.read(h, buf, 11), 0);
      assert.equal(await fs.read(h, buf, 100), 0);
      await fs.close(h);
      const st = await fs.stat(f);
      assert.equal(st.size, 11);
      assert.equal(st.type, FileType.RegularFile);
      assert.equal(st.nlink, 1);
      assert.equal(st.ino, f.ino);
      assert.equal((await lookup(fs, root, "f")).ino, f.ino);
    });

    check("writing past the end leaves a zero-filled hole", async (fs, root) => {
      const f = await fs.create(root, "hole", 0o644);
      const h = await fs.open(f, O.RDWR);
      await fs.write(h, enc("x"), 10);
      const buf = new Uint8Array(11).fill(7);
      assert.equal(await fs.read(h, buf, 0), 11);
      assert.deepEqual([...buf.subarray(0, 10)], new Array(10).fill(0));
      assert.equal(buf[10], 120);
      await fs.close(h);
    });

    check("truncate shrinks and grows with zeros", async (fs, root) => {
      const f = await fs.create(root, "t", 0o644);
      const h = await fs.open(f, O.RDWR);
      await fs.write(h, enc("abcdef"), 0);
      await fs.truncate(h, 2);
      assert.equal((await fs.stat(f)).size, 2);
      await fs.truncate(h, 4);
      const buf = new Uint8Array(4);
      assert.equal(await fs.read(h, buf, 0), 4);
      assert.deepEqual([...buf], [97, 98, 0, 0]);
      await fs.close(h);
    });

    check("existing names are EEXIST; missing ones ENOENT", async (fs, root) => {
      await fs.create(root, "a", 0o644);
      await fs.mkdir(root, "d", 0o755);
      assert.equal(await errno(() => fs.create(root, "a", 0o644)), "EEXIST");
      assert.equal(await errno(() => fs.mkdir(root, "a", 0o755)), "EEXIST");
      assert.equal(await errno(() => fs.symlink(root, "d", "x")), "EEXIST");
      assert.equal(await errno(() => lookup(fs, root, "missing")), "ENOENT");
      assert.equal(await errno(() => fs.unlink(root, "missing")), "ENOENT");
      assert.equal(await errno(() => fs.rmdir(root, "missing")), "ENOENT");
    });

    check("type errors: ENOTDIR, EISDIR, ENOTEMPTY", async (fs, root) => {
      const file = await fs.create(root, "file", 0o644);
      const dir = await fs.mkdir(root, "dir", 0o755);
      await fs.create(dir, "inner", 0o644);
      assert.equal(await errno(() => lookup(fs, file, "x")), "ENOTDIR");
      assert.equal(await errno(() => fs.unlink(root, "dir")), "EISDIR");
      assert.equal(await errno(() => fs.rmdir(root, "file")), "ENOTDIR");
      assert.equal(await errno(() => fs.rmdir(root, "dir")), "ENOTEMPTY");
      await fs.unlink(dir, "inner");
      await fs.rmdir(root, "dir");
      assert.equal(await errno(() => lookup(fs, root, "dir")), "ENOENT");
    });

    check("directories know their parent", async (fs, root) => {
      const a = await fs.mkdir(root, "a", 0o755);
      const b = await fs.mkdir(a, "b", 0o755);
      assert.equal((await lookup(fs, b, "..")).ino, a.ino);
      assert.equal((await lookup(fs, a, "..")).ino, root.ino);
    });

    check("symlinks store their target verbatim", async (fs, root) => {
      const l = await fs.symlink(root, "l", "../some/where");
      assert.equal(l.type, FileType.Symlink);
      assert.equal(await fs.readlink(l), "../some/where");
      assert.equal((await lookup(fs, root, "l")).type, FileType.Symlink);
      const f = await fs.create(root, "f", 0o644);
      assert.equal(await errno(() => fs.readlink(f)), "EINVAL");
    });

    check("hard links share the inode and count names", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.link(root, "g", f);
      const g = await lookup(fs, root, "g");
      assert.equal(g.ino, f.ino);
      assert.equal((await fs.stat(f)).nlink, 2);
      await fs.unlink(root, "f");
      assert.equal((await fs.stat(g)).nlink, 1);
      const d = await fs.mkdir(root, "d", 0o755);
      assert.equal(await errno(() => fs.link(root, "d2", d)), "EPERM");
    });

    check("rename moves, replaces, and refuses what POSIX refuses", async (fs, root) => {
      const a = await fs.create(root, "a", 0o644);
      await fs.create(root, "b", 0o644);
      await fs.rename(root, "a", root, "b");
      assert.equal((await lookup(fs, root, "b")).ino, a.ino);
      assert.equal(await errno(() => lookup(fs, root, "a")), "ENOENT");
      const d = await fs.mkdir(root, "d", 0o755);
      const e = await fs.mkdir(root, "e", 0o755);
      await fs.create(e, "x", 0o644);
      const sub = await fs.mkdir(d, "sub", 0o755);
      assert.equal(await errno(() => fs.rename(root, "d", sub, "inside")), "EINVAL");
      assert.equal(await errno(() => fs.rename(root, "d", root, "e")), "ENOTEMPTY");
      assert.equal(await errno(() => fs.rename(root, "b", root, "d")), "EISDIR");
      assert.equal(await errno(() => fs.rename(root, "d", root, "b")), "ENOTDIR");
      assert.equal(await errno(() => fs.rename(root, "nope", root, "z")), "ENOENT");
      await fs.rename(root, "d", e, "moved");
      assert.equal((await lookup(fs, sub, "..")).ino, d.ino);
      assert.equal((await lookup(fs, d, "..")).ino, e.ino);
      await fs.rename(e, "moved", e, "moved");
      assert.equal((await lookup(fs, e, "moved")).ino, d.ino);
    });

    check("rename of one inode's two names is a no-op", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.link(root, "g", f);
      await fs.rename(root, "f", root, "g");
      assert.equal((await lookup(fs, root, "f")).ino, f.ino);
      assert.equal((await lookup(fs, root, "g")).ino, f.ino);
    });

    check("readdir lists every name once and resumes from any cookie", async (fs, root) => {
      const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
      for (const n of names) await fs.create(root, n, 0o644);
      const seen: string[] = [];
      let cookie = 0;
      for (;;) {
        const batch = await fs.readdir(root, cookie, 7);
        if (batch.length === 0) break;
        assert.ok(batch.length <= 7);
        for (const e of batch) {
          seen.push(e.name);
          assert.equal(e.type, FileType.RegularFile);
          assert.equal(e.ino, (await lookup(fs, root, e.name)).ino);
        }
        cookie = batch[batch.length - 1].next;
      }
      assert.deepEqual(seen.sort(), [...names].sort());
      assert.ok(!seen.includes(".") && !seen.includes(".."));
    });

    check("readdir resumed after changes repeats nothing, skips nothing stable", async (fs, root) => {
      for (let i = 0; i < 20; i++) await fs.create(root, `s${i}`, 0o644);
      const first = await fs.readdir(root, 0, 5);
      await fs.unlink(root, "s19");
      await fs.create(root, "late", 0o644);
      const rest = [];
      let cookie = first[first.length - 1].next;
      for (;;) {
        const batch = await fs.readdir(root, cookie, 5);
        if (batch.length === 0) break;
        rest.push(...batch.map((e) => e.name));
        cookie = batch[batch.length - 1].next;
      }
      const all = [...first.map((e) => e.name), ...rest];
      assert.equal(new Set(all).size, all.length, "no name repeats");
      for (let i = 0; i < 19; i++) assert.ok(all.includes(`s${i}`), `s${i} listed`);
    });

    check("timestamps are nanoseconds and setattr sets them", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.setattr(f, { atimeNs: 1_500_000_000_123_456_789n, mtimeNs: 1_600_000_000_987_654_321n });
      const st = await fs.stat(f);
      assert.equal(st.atimeNs, 1_500_000_000_123_456_789n);
      assert.equal(st.mtimeNs, 1_600_000_000_987_654_321n);
    });

    check("timestamps round-trip within a microsecond", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.setattr(f, { mtimeNs: 1_600_000_000_987_654_321n });
      const diff = (await fs.stat(f)).mtimeNs - 1_600_000_000_987_654_321n;
      assert.ok(diff > -1000n && diff < 1000n, `off by ${diff} ns`);
    });

    check("setattr changes mode bits", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.setattr(f, { mode: 0o600 });
      assert.equal((await fs.stat(f)).mode & 0o777, 0o600);
    });

    check("an open file outlives its last name", async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      const h = await fs.open(f, O.RDWR);
      await fs.write(h, enc("kept"), 0);
      await fs.unlink(root, "f");
      const buf = new Uint8Array(4);
      assert.equal(await fs.read(h, buf, 0), 4);
      assert.equal(new TextDecoder().decode(buf), "kept");
      await fs.close(h);
    });

    check("inode numbers are unique", async (fs, root) => {
      const inos = new Set<number>([root.ino]);
      for (let i = 0; i < 20; i++) inos.add((await fs.create(root, `u${i}`, 0o644)).ino);
      for (let i = 0; i < 5; i++) inos.add((await fs.mkdir(root, `d${i}`, 0o755)).ino);
      assert.equal(inos.size, 26);
    });

    check("statfs reports a name limit", async (fs) => {
      const st = await fs.statfs();
      assert.ok(st.nameMax >= 255);
    });
  });
}
