/**
 * The driver contract's checks, as data: each has a title and a body that
 * takes a fresh filesystem and its root. This module imports neither
 * `node:test` nor `node:assert`, so the same checks run under `node:test`
 * ({@link driverContract} in `driver_contract.ts` registers them) and in a
 * browser worker ({@link runContractChecks}), e.g. on OPFS in Chromium.
 *
 * The checks talk to the driver interface directly (one component at a time,
 * as the kernel does) and await every result, so synchronous and asynchronous
 * drivers run the same checks.
 *
 * @example
 * ```ts
 * import { runContractChecks } from "./checks.ts";
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * const results = await runContractChecks(() => ({ fs: new MemoryFileSystem() }));
 * console.assert(results.every((r) => r.status === "passed"));
 * ```
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import { FileType, O } from "../../kernel/types.ts";
import type { FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { deepEqual, equal, ok } from "./_assert.ts";

/** A fresh driver for one test, and how to dispose of it. */
export interface ContractSubject {
  fs: FileSystem;
  cleanup?: () => void | Promise<void>;
}

/** Contract checks a driver cannot pass, each with the reason (documented exceptions). */
export type ContractExceptions = Partial<Record<string, string>>;

/** One contract check. */
export interface ContractCheck {
  /** The test name (also the key of {@link ContractExceptions}). */
  title: string;
  /** Throws (an assertion or a driver error) when the driver fails the check. */
  run: (fs: FileSystem, root: VNode) => Promise<void>;
}

/** The outcome of one check in {@link runContractChecks}. */
export interface ContractResult {
  title: string;
  status: "passed" | "failed" | "skipped";
  /** The failure's message, or the exception's reason. */
  message?: string;
  ms: number;
}

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

/** Every contract check, in order. */
export const CONTRACT_CHECKS: readonly ContractCheck[] = [
  {
    title: "root is a directory with a non-zero inode, its own parent",
    run: async (fs, root) => {
      equal(root.type, FileType.Directory);
      ok(root.ino > 0);
      const parent = await lookup(fs, root, "..");
      equal(parent.ino, root.ino);
      equal((await fs.stat(root)).type, FileType.Directory);
    },
  },

  {
    title: "create, write, read back, stat size",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      equal(f.type, FileType.RegularFile);
      const h = await fs.open(f, O.RDWR);
      equal(await fs.write(h, enc("hello world"), 0), 11);
      const buf = new Uint8Array(32);
      equal(await fs.read(h, buf, 6), 5);
      equal(new TextDecoder().decode(buf.subarray(0, 5)), "world");
      equal(await fs.read(h, buf, 11), 0);
      equal(await fs.read(h, buf, 100), 0);
      await fs.close(h);
      const st = await fs.stat(f);
      equal(st.size, 11);
      equal(st.type, FileType.RegularFile);
      equal(st.nlink, 1);
      equal(st.ino, f.ino);
      equal((await lookup(fs, root, "f")).ino, f.ino);
    },
  },

  {
    title: "writing past the end leaves a zero-filled hole",
    run: async (fs, root) => {
      const f = await fs.create(root, "hole", 0o644);
      const h = await fs.open(f, O.RDWR);
      await fs.write(h, enc("x"), 10);
      const buf = new Uint8Array(11).fill(7);
      equal(await fs.read(h, buf, 0), 11);
      deepEqual([...buf.subarray(0, 10)], new Array(10).fill(0));
      equal(buf[10], 120);
      await fs.close(h);
    },
  },

  {
    title: "truncate shrinks and grows with zeros",
    run: async (fs, root) => {
      const f = await fs.create(root, "t", 0o644);
      const h = await fs.open(f, O.RDWR);
      await fs.write(h, enc("abcdef"), 0);
      await fs.truncate(h, 2);
      equal((await fs.stat(f)).size, 2);
      await fs.truncate(h, 4);
      const buf = new Uint8Array(4);
      equal(await fs.read(h, buf, 0), 4);
      deepEqual([...buf], [97, 98, 0, 0]);
      await fs.close(h);
    },
  },

  {
    title: "existing names are EEXIST; missing ones ENOENT",
    run: async (fs, root) => {
      await fs.create(root, "a", 0o644);
      await fs.mkdir(root, "d", 0o755);
      equal(await errno(() => fs.create(root, "a", 0o644)), "EEXIST");
      equal(await errno(() => fs.mkdir(root, "a", 0o755)), "EEXIST");
      equal(await errno(() => fs.symlink(root, "d", "x")), "EEXIST");
      equal(await errno(() => lookup(fs, root, "missing")), "ENOENT");
      equal(await errno(() => fs.unlink(root, "missing")), "ENOENT");
      equal(await errno(() => fs.rmdir(root, "missing")), "ENOENT");
    },
  },

  {
    title: "type errors: ENOTDIR, EISDIR, ENOTEMPTY",
    run: async (fs, root) => {
      const file = await fs.create(root, "file", 0o644);
      const dir = await fs.mkdir(root, "dir", 0o755);
      await fs.create(dir, "inner", 0o644);
      equal(await errno(() => lookup(fs, file, "x")), "ENOTDIR");
      equal(await errno(() => fs.unlink(root, "dir")), "EISDIR");
      equal(await errno(() => fs.rmdir(root, "file")), "ENOTDIR");
      equal(await errno(() => fs.rmdir(root, "dir")), "ENOTEMPTY");
      await fs.unlink(dir, "inner");
      await fs.rmdir(root, "dir");
      equal(await errno(() => lookup(fs, root, "dir")), "ENOENT");
    },
  },

  {
    title: "directories know their parent",
    run: async (fs, root) => {
      const a = await fs.mkdir(root, "a", 0o755);
      const b = await fs.mkdir(a, "b", 0o755);
      equal((await lookup(fs, b, "..")).ino, a.ino);
      equal((await lookup(fs, a, "..")).ino, root.ino);
    },
  },

  {
    title: "symlinks store their target verbatim",
    run: async (fs, root) => {
      const l = await fs.symlink(root, "l", "../some/where");
      equal(l.type, FileType.Symlink);
      equal(await fs.readlink(l), "../some/where");
      equal((await lookup(fs, root, "l")).type, FileType.Symlink);
      const f = await fs.create(root, "f", 0o644);
      equal(await errno(() => fs.readlink(f)), "EINVAL");
    },
  },

  {
    title: "hard links share the inode and count names",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.link(root, "g", f);
      const g = await lookup(fs, root, "g");
      equal(g.ino, f.ino);
      equal((await fs.stat(f)).nlink, 2);
      await fs.unlink(root, "f");
      equal((await fs.stat(g)).nlink, 1);
      const d = await fs.mkdir(root, "d", 0o755);
      equal(await errno(() => fs.link(root, "d2", d)), "EPERM");
    },
  },

  {
    title: "rename moves, replaces, and refuses what POSIX refuses",
    run: async (fs, root) => {
      const a = await fs.create(root, "a", 0o644);
      await fs.create(root, "b", 0o644);
      await fs.rename(root, "a", root, "b");
      equal((await lookup(fs, root, "b")).ino, a.ino);
      equal(await errno(() => lookup(fs, root, "a")), "ENOENT");
      const d = await fs.mkdir(root, "d", 0o755);
      const e = await fs.mkdir(root, "e", 0o755);
      await fs.create(e, "x", 0o644);
      const sub = await fs.mkdir(d, "sub", 0o755);
      equal(await errno(() => fs.rename(root, "d", sub, "inside")), "EINVAL");
      equal(await errno(() => fs.rename(root, "d", root, "e")), "ENOTEMPTY");
      equal(await errno(() => fs.rename(root, "b", root, "d")), "EISDIR");
      equal(await errno(() => fs.rename(root, "d", root, "b")), "ENOTDIR");
      equal(await errno(() => fs.rename(root, "nope", root, "z")), "ENOENT");
      await fs.rename(root, "d", e, "moved");
      equal((await lookup(fs, sub, "..")).ino, d.ino);
      equal((await lookup(fs, d, "..")).ino, e.ino);
      await fs.rename(e, "moved", e, "moved");
      equal((await lookup(fs, e, "moved")).ino, d.ino);
    },
  },

  {
    title: "rename of one inode's two names is a no-op",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.link(root, "g", f);
      await fs.rename(root, "f", root, "g");
      equal((await lookup(fs, root, "f")).ino, f.ino);
      equal((await lookup(fs, root, "g")).ino, f.ino);
    },
  },

  {
    title: "readdir lists every name once and resumes from any cookie",
    run: async (fs, root) => {
      const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
      for (const n of names) await fs.create(root, n, 0o644);
      const seen: string[] = [];
      let cookie = 0;
      for (;;) {
        const batch = await fs.readdir(root, cookie, 7);
        if (batch.length === 0) break;
        ok(batch.length <= 7);
        for (const e of batch) {
          seen.push(e.name);
          equal(e.type, FileType.RegularFile);
          equal(e.ino, (await lookup(fs, root, e.name)).ino);
        }
        cookie = batch[batch.length - 1].next;
      }
      deepEqual(seen.sort(), [...names].sort());
      ok(!seen.includes(".") && !seen.includes(".."));
    },
  },

  {
    title: "readdir resumed after changes repeats nothing, skips nothing stable",
    run: async (fs, root) => {
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
      equal(new Set(all).size, all.length, "no name repeats");
      for (let i = 0; i < 19; i++) ok(all.includes(`s${i}`), `s${i} listed`);
    },
  },

  {
    title: "timestamps are nanoseconds and setattr sets them",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.setattr(f, { atimeNs: 1_500_000_000_123_456_789n, mtimeNs: 1_600_000_000_987_654_321n });
      const st = await fs.stat(f);
      equal(st.atimeNs, 1_500_000_000_123_456_789n);
      equal(st.mtimeNs, 1_600_000_000_987_654_321n);
    },
  },

  {
    title: "timestamps round-trip within a microsecond",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.setattr(f, { mtimeNs: 1_600_000_000_987_654_321n });
      const diff = (await fs.stat(f)).mtimeNs - 1_600_000_000_987_654_321n;
      ok(diff > -1000n && diff < 1000n, `off by ${diff} ns`);
    },
  },

  {
    title: "setattr changes mode bits",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      await fs.setattr(f, { mode: 0o600 });
      equal((await fs.stat(f)).mode & 0o777, 0o600);
    },
  },

  {
    title: "an open file outlives its last name",
    run: async (fs, root) => {
      const f = await fs.create(root, "f", 0o644);
      const h = await fs.open(f, O.RDWR);
      await fs.write(h, enc("kept"), 0);
      await fs.unlink(root, "f");
      const buf = new Uint8Array(4);
      equal(await fs.read(h, buf, 0), 4);
      equal(new TextDecoder().decode(buf), "kept");
      await fs.close(h);
    },
  },

  {
    title: "inode numbers are unique",
    run: async (fs, root) => {
      const inos = new Set<number>([root.ino]);
      for (let i = 0; i < 20; i++) inos.add((await fs.create(root, `u${i}`, 0o644)).ino);
      for (let i = 0; i < 5; i++) inos.add((await fs.mkdir(root, `d${i}`, 0o755)).ino);
      equal(inos.size, 26);
    },
  },

  {
    title: "statfs reports a name limit",
    run: async (fs) => {
      const st = await fs.statfs();
      ok(st.nameMax >= 255);
    },
  },
];

/**
 * Runs every check (each on a fresh subject from `make`, cleaned up after)
 * and reports each outcome; never throws for a failing check. Checks named in
 * `exceptions` are skipped with their reason.
 *
 * @example
 * ```ts
 * import { runContractChecks } from "./checks.ts";
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * const results = await runContractChecks(() => ({ fs: new MemoryFileSystem() }), {
 *   "statfs reports a name limit": "an example of a documented exception",
 * });
 * console.assert(results.filter((r) => r.status === "skipped").length === 1);
 * ```
 */
export async function runContractChecks(
  make: () => ContractSubject | Promise<ContractSubject>,
  exceptions: ContractExceptions = {},
  onResult?: (result: ContractResult) => void,
): Promise<ContractResult[]> {
  const results: ContractResult[] = [];
  for (const check of CONTRACT_CHECKS) {
    const reason = exceptions[check.title];
    const started = performance.now();
    let result: ContractResult;
    if (reason) {
      result = { title: check.title, status: "skipped", message: reason, ms: 0 };
    } else {
      try {
        await runCheck(check, make);
        result = { title: check.title, status: "passed", ms: performance.now() - started };
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        result = { title: check.title, status: "failed", message, ms: performance.now() - started };
      }
    }
    results.push(result);
    onResult?.(result);
  }
  return results;
}

/** Runs one check on a fresh subject and cleans it up; throws what the check threw. */
export async function runCheck(
  check: ContractCheck,
  make: () => ContractSubject | Promise<ContractSubject>,
): Promise<void> {
  const subject = await make();
  try {
    await check.run(subject.fs, subject.fs.root());
  } finally {
    await subject.cleanup?.();
  }
}
