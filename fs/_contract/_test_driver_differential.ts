/**
 * Driver-level differential testing: random sequences of driver operations
 * over a tiny name alphabet (`a`, `b`, `c`) run on a model (a
 * {@link MemoryFileSystem} by default) and on a driver under test. Every
 * result (errno name, sizes, bytes, listings as sets, types, modes, link
 * targets, which names share an inode) must agree, and so must the whole tree
 * at the end.
 *
 * Not compared, by design: directory sizes and directory link counts, times,
 * and inode numbers themselves (only which names share one).
 *
 * A test-support module (fast-check, `node:test`): the `_test_` prefix keeps it
 * out of the published package.
 *
 * @example
 * ```ts
 * import { driverDifferential } from "./_test_driver_differential.ts";
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * driverDifferential("memory", async () => ({ fs: new MemoryFileSystem() }));
 * ```
 *
 * @module
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelError } from "../../kernel/errno.ts";
import { FileType, O } from "../../kernel/types.ts";
import type { FileHandle, FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import { propertyRuns } from "../../tests/_support/property_runs.ts";
import { MemoryFileSystem } from "../memory/mod.ts";

/** A path from the root, one name a component. */
export type Path = string[];

/** One driver operation; `slot` names one of two open handles kept across operations. */
export type Op =
  | { op: "create"; path: Path; mode: number; }
  | { op: "mkdir"; path: Path; }
  | { op: "write"; path: Path; offset: number; data: number[]; }
  | { op: "truncate"; path: Path; size: number; }
  | { op: "setattr"; path: Path; mode?: number; size?: number; }
  | { op: "rename"; from: Path; to: Path; }
  | { op: "unlink"; path: Path; }
  | { op: "rmdir"; path: Path; }
  | { op: "symlink"; path: Path; target: string; }
  | { op: "readlink"; path: Path; }
  | { op: "link"; from: Path; to: Path; }
  | { op: "readdir"; path: Path; }
  | { op: "stat"; path: Path; }
  | { op: "read"; path: Path; offset: number; length: number; }
  | { op: "open"; slot: number; path: Path; }
  | { op: "hwrite"; slot: number; offset: number; data: number[]; }
  | { op: "hread"; slot: number; offset: number; length: number; }
  | { op: "htruncate"; slot: number; size: number; }
  | { op: "hstat"; slot: number; }
  | { op: "close"; slot: number; };

const name = fc.constantFrom("a", "b", "c");
const path: fc.Arbitrary<Path> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name) },
  { weight: 3, arbitrary: fc.tuple(name, name) },
  { weight: 1, arbitrary: fc.tuple(name, name, name) },
);
const anyPath: fc.Arbitrary<Path> = fc.oneof(
  { weight: 1, arbitrary: fc.constant([] as Path) },
  { weight: 4, arbitrary: path },
);
const slot = fc.integer({ min: 0, max: 1 });
const offset = fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 5000 }));
const data = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 24 });
const length = fc.integer({ min: 0, max: 64 });

/** The operation generator: every driver call, weighted towards the mutating ones. */
export const DRIVER_OPS: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("create" as const), path, mode: fc.constantFrom(0o644, 0o600) }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("mkdir" as const), path }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("write" as const), path, offset, data }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("truncate" as const), path, size: offset }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("setattr" as const),
      path,
      mode: fc.option(fc.constantFrom(0o600, 0o755), { nil: undefined }),
      size: fc.option(offset, { nil: undefined }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("rename" as const), from: path, to: path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unlink" as const), path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("rmdir" as const), path }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("symlink" as const),
      path,
      target: fc.constantFrom("a", "../b", "/c/a", "é"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("readlink" as const), path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("link" as const), from: path, to: path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("readdir" as const), path: anyPath }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("stat" as const), path: anyPath }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("read" as const), path, offset, length }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("open" as const), slot, path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("hwrite" as const), slot, offset, data }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("hread" as const), slot, offset, length }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("htruncate" as const), slot, size: offset }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("hstat" as const), slot }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), slot }) },
);

/** One filesystem under test and its open handles. */
export interface Side {
  fs: FileSystem;
  handles: (FileHandle | null)[];
}

/** `fs.lookup`, with a missing name as ENOENT. */
export async function lookup(fs: FileSystem, dir: VNode, name: string): Promise<VNode> {
  const node = await fs.lookup(dir, name);
  if (node === null) throw new KernelError("ENOENT");
  return node;
}

/** The node at `path`; ENOENT (or the driver's error) when a component is missing. */
export async function walk(fs: FileSystem, path: Path): Promise<VNode> {
  let node = fs.root();
  for (const part of path) node = await lookup(fs, node, part);
  return node;
}

async function parent(fs: FileSystem, path: Path): Promise<[VNode, string]> {
  return [await walk(fs, path.slice(0, -1)), path[path.length - 1]];
}

function statSummary(st: { type: number; size: number; nlink: number; mode: number; }): string {
  const directory = st.type === FileType.Directory;
  return `type=${st.type} mode=${st.mode.toString(8)}${
    directory ? "" : ` size=${st.size} nlink=${st.nlink}`
  }`;
}

async function apply(side: Side, op: Op): Promise<string> {
  const { fs, handles } = side;
  switch (op.op) {
    case "create": {
      const [dir, name] = await parent(fs, op.path);
      await fs.create(dir, name, op.mode);
      return "ok";
    }
    case "mkdir": {
      const [dir, name] = await parent(fs, op.path);
      await fs.mkdir(dir, name, 0o755);
      return "ok";
    }
    case "write": {
      const node = await walk(fs, op.path);
      const handle = await fs.open(node, O.RDWR);
      try {
        return `wrote ${await fs.write(handle, new Uint8Array(op.data), op.offset)}`;
      } finally {
        await fs.close(handle);
      }
    }
    case "truncate": {
      const node = await walk(fs, op.path);
      const handle = await fs.open(node, O.RDWR);
      try {
        await fs.truncate(handle, op.size);
        return "ok";
      } finally {
        await fs.close(handle);
      }
    }
    case "setattr": {
      const node = await walk(fs, op.path);
      await fs.setattr(node, { mode: op.mode, size: op.size });
      return "ok";
    }
    case "rename": {
      const [from, oldName] = await parent(fs, op.from);
      const [to, newName] = await parent(fs, op.to);
      await fs.rename(from, oldName, to, newName);
      return "ok";
    }
    case "unlink": {
      const [dir, name] = await parent(fs, op.path);
      await fs.unlink(dir, name);
      return "ok";
    }
    case "rmdir": {
      const [dir, name] = await parent(fs, op.path);
      await fs.rmdir(dir, name);
      return "ok";
    }
    case "symlink": {
      const [dir, name] = await parent(fs, op.path);
      await fs.symlink(dir, name, op.target);
      return "ok";
    }
    case "readlink":
      return `target ${await fs.readlink(await walk(fs, op.path))}`;
    case "link": {
      const node = await walk(fs, op.from);
      const [dir, name] = await parent(fs, op.to);
      await fs.link(dir, name, node);
      return "ok";
    }
    case "readdir": {
      const node = await walk(fs, op.path);
      return `entries ${(await listAll(fs, node)).map(([n, t]) => `${n}:${t}`).sort().join(",")}`;
    }
    case "stat":
      return statSummary(await fs.stat(await walk(fs, op.path)));
    case "read": {
      const node = await walk(fs, op.path);
      const handle = await fs.open(node, O.RDONLY);
      try {
        const buffer = new Uint8Array(op.length);
        const count = await fs.read(handle, buffer, op.offset);
        return `read ${[...buffer.subarray(0, count)]}`;
      } finally {
        await fs.close(handle);
      }
    }
    case "open": {
      const node = await walk(fs, op.path);
      const handle = await fs.open(node, node.type === FileType.Directory ? O.RDONLY : O.RDWR);
      const previous = handles[op.slot];
      handles[op.slot] = handle;
      if (previous) await fs.close(previous);
      return "opened";
    }
    case "hwrite": {
      const handle = handles[op.slot];
      if (!handle) return "no handle";
      return `wrote ${await fs.write(handle, new Uint8Array(op.data), op.offset)}`;
    }
    case "hread": {
      const handle = handles[op.slot];
      if (!handle) return "no handle";
      const buffer = new Uint8Array(op.length);
      const count = await fs.read(handle, buffer, op.offset);
      return `read ${[...buffer.subarray(0, count)]}`;
    }
    case "htruncate": {
      const handle = handles[op.slot];
      if (!handle) return "no handle";
      await fs.truncate(handle, op.size);
      return "ok";
    }
    case "hstat": {
      const handle = handles[op.slot];
      if (!handle) return "no handle";
      return statSummary(await fs.stat(handle.node));
    }
    case "close": {
      const handle = handles[op.slot];
      if (!handle) return "no handle";
      handles[op.slot] = null;
      await fs.close(handle);
      return "closed";
    }
  }
}

/** Every entry of a directory, read through cookies two at a time. */
export async function listAll(fs: FileSystem, dir: VNode): Promise<[string, number, number][]> {
  const out: [string, number, number][] = [];
  let cookie = 0;
  for (;;) {
    const batch = await fs.readdir(dir, cookie, 2);
    if (batch.length === 0) return out;
    for (const entry of batch) out.push([entry.name, entry.type, entry.ino]);
    cookie = batch[batch.length - 1].next;
  }
}

/** The result of `op` on `side` as text: its value, or `error CODE` for a {@link KernelError}. */
export async function outcome(side: Side, op: Op): Promise<string> {
  try {
    return await apply(side, op);
  } catch (error) {
    if (error instanceof KernelError) return `error ${error.code}`;
    throw error;
  }
}

/** A whole tree as {@link snapshot} records it. */
export interface Snapshot {
  /** One line a name: type, mode, size, link count, bytes or link target. */
  tree: string[];
  /** The groups of names that share an inode, `a=b/c` each. */
  sharing: string[];
}

/** The whole tree: types, modes, sizes, bytes, targets, and which names share an inode. */
export async function snapshot(fs: FileSystem): Promise<Snapshot> {
  const tree: string[] = [];
  const byIno = new Map<number, string[]>();
  const visit = async (dir: VNode, prefix: string): Promise<void> => {
    const entries = await listAll(fs, dir);
    entries.sort((a, b) => a[0] < b[0] ? -1 : 1);
    for (const [entryName, type, ino] of entries) {
      const path = `${prefix}/${entryName}`;
      const node = await lookup(fs, dir, entryName);
      assert.equal(node.type, type, `${path}: readdir type`);
      assert.equal(node.ino, ino, `${path}: readdir ino`);
      const st = await fs.stat(node);
      assert.equal(st.ino, ino, `${path}: stat ino`);
      if (type === FileType.Directory) {
        tree.push(`${path}/ ${st.mode.toString(8)}`);
        await visit(node, path);
        continue;
      }
      byIno.set(ino, [...(byIno.get(ino) ?? []), path]);
      if (type === FileType.Symlink) {
        tree.push(`${path} -> ${await fs.readlink(node)}`);
        continue;
      }
      const handle = await fs.open(node, O.RDONLY);
      const buffer = new Uint8Array(st.size + 1);
      const count = await fs.read(handle, buffer, 0);
      await fs.close(handle);
      assert.equal(count, st.size, `${path}: read all`);
      tree.push(`${path} ${statSummary(st)} [${buffer.subarray(0, count)}]`);
    }
  };
  await visit(fs.root(), "");
  const sharing = [...byIno.values()].filter((names) => names.length > 1).map((names) =>
    names.sort().join("=")
  );
  return { tree, sharing: sharing.sort() };
}

/** A driver under test, and checks to run after the operations. */
export interface DifferentialSubject {
  fs: FileSystem;
  /**
   * Runs once the subject's tree has matched the model's: further checks (a
   * remount, an untouched lower layer, ...), given the model's final tree.
   */
  after?: (expected: Snapshot) => Promise<void>;
}

/** How {@link differentialProperty} runs; every field has a default. */
export interface DifferentialOptions {
  /** Builds a fresh model for every run: an empty {@link MemoryFileSystem} unless given. */
  model?: () => FileSystem | Promise<FileSystem>;
  /** The operation generator: {@link DRIVER_OPS} unless given. */
  ops?: fc.Arbitrary<Op>;
}

/**
 * Checks with fast-check that random operation sequences give the same
 * results on a fresh subject and a fresh model, and the same tree at the end.
 *
 * @param makeSubject builds a fresh driver (and its after-checks) for every run
 */
export async function differentialProperty(
  makeSubject: () => Promise<DifferentialSubject>,
  options: DifferentialOptions = {},
): Promise<void> {
  const makeModel = options.model ?? (() => new MemoryFileSystem());
  await fc.assert(
    fc.asyncProperty(
      fc.array(options.ops ?? DRIVER_OPS, { minLength: 1, maxLength: 60, size: "max" }),
      async (ops) => {
        const model: Side = { fs: await makeModel(), handles: [null, null] };
        const { fs, after } = await makeSubject();
        const subject: Side = { fs, handles: [null, null] };
        for (const [i, op] of ops.entries()) {
          const expected = await outcome(model, op);
          const actual = await outcome(subject, op);
          assert.equal(actual, expected, `op ${i}: ${JSON.stringify(op)}`);
        }
        for (const side of [model, subject]) {
          for (const handle of side.handles) if (handle) await side.fs.close(handle);
        }
        const expected = await snapshot(model.fs);
        assert.deepEqual(await snapshot(subject.fs), expected);
        await after?.(expected);
      },
    ),
    { numRuns: propertyRuns() },
  );
}

/**
 * Registers `differential: NAME agrees with memfs` with `node:test`: a
 * {@link differentialProperty} run with a five-minute timeout.
 *
 * @param name shown in the test name
 * @param makeSubject builds a fresh driver (and its after-checks) for every run
 * @param options the model and operations, for a driver's documented divergences
 */
export function driverDifferential(
  name: string,
  makeSubject: () => Promise<DifferentialSubject>,
  options: DifferentialOptions = {},
): void {
  test(`differential: ${name} agrees with memfs`, { timeout: 300_000 }, async () => {
    await differentialProperty(makeSubject, options);
  });
}
