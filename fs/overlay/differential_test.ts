/**
 * Differential test of the copy-on-write overlay: random sequences of
 * driver-level operations over a tiny name alphabet run on a
 * {@link CopyOnWriteFileSystem} over a populated lower layer and on a plain
 * {@link MemoryFileSystem} that starts with the same content. Every result
 * (errno name, sizes, bytes, listings as sets, types, modes, link targets,
 * which names share an inode) must agree, and so must the whole tree at the
 * end; and the lower layer must be unchanged byte for byte (names, types,
 * modes, sizes, data, link targets, inode numbers, link counts, mtime and
 * ctime; only atime moves, as reading a memory filesystem sets it).
 *
 * No divergence is expected. Two names of one lower inode would be one (see
 * the class documentation), so the lower content has no hard links.
 */

import assert from "node:assert/strict";
import { FileType, O } from "../../kernel/types.ts";
import type { FileSystem, VNode } from "../../kernel/vfs/driver.ts";
import {
  type DifferentialSubject,
  driverDifferential,
  listAll,
  lookup,
  snapshot,
  walk,
} from "../_contract/_test_driver_differential.ts";
import { MemoryFileSystem } from "../memory/mod.ts";
import { AsyncFileSystem, populate, type TreeSpec } from "./_testing.ts";
import { CopyOnWriteFileSystem, ReadOnlyFileSystem } from "./mod.ts";

/** The lower content: every name of the alphabet, files, directories, a symlink, a hole. */
const LOWER: TreeSpec = {
  a: "lower a",
  b: { a: "b/a", b: { link: "../a" }, c: { a: "b/c/a", b: {} } },
  c: {},
};

async function populatedMemory(): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  await populate(fs, fs.root(), LOWER);
  const holey = await fs.create(await walk(fs, ["c"]), "b", 0o600);
  const handle = await fs.open(holey, O.WRONLY);
  await fs.write(handle, new Uint8Array([1, 2, 3]), 70_000);
  await fs.close(handle);
  return fs;
}

/** Everything of the lower layer except atimes. */
async function lowerImage(fs: FileSystem): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: VNode, prefix: string): Promise<void> => {
    const st = await fs.stat(dir);
    out.push(`${prefix}/ ino=${st.ino} mode=${st.mode} nlink=${st.nlink} m=${st.mtimeNs} c=${st.ctimeNs}`);
    for (const [entryName] of (await listAll(fs, dir)).sort()) {
      const node = await lookup(fs, dir, entryName);
      const path = `${prefix}/${entryName}`;
      if (node.type === FileType.Directory) {
        await visit(node, path);
        continue;
      }
      const s = await fs.stat(node);
      let body = "";
      if (node.type === FileType.Symlink) body = await fs.readlink(node);
      else {
        const handle = await fs.open(node, O.RDONLY);
        const buffer = new Uint8Array(s.size);
        await fs.read(handle, buffer, 0);
        await fs.close(handle);
        body = buffer.join(",");
      }
      out.push(
        `${path} ino=${s.ino} mode=${s.mode} nlink=${s.nlink} size=${s.size} m=${s.mtimeNs} c=${s.ctimeNs} ${body}`,
      );
    }
  };
  await visit(fs.root(), "");
  return out;
}

/**
 * An overlay over a fresh populated lower layer, mounted by `mount`. After the
 * run, the same two layers mounted again must show the model's tree (whiteouts
 * and opaque markers persist in the upper layer), and the lower layer must be
 * unchanged.
 */
async function overlay(mount: (lower: MemoryFileSystem) => () => FileSystem): Promise<DifferentialSubject> {
  const lower = await populatedMemory();
  const remount = mount(lower);
  const fs = remount();
  const before = await lowerImage(lower);
  return {
    fs,
    after: async (expected) => {
      assert.deepEqual(await snapshot(remount()), expected, "mounted again over the same layers");
      assert.deepEqual(await lowerImage(lower), before, "the lower layer is unchanged");
    },
  };
}

const model = { model: populatedMemory };

driverDifferential("copy-on-write over a populated lower layer", () =>
  overlay((lower) => {
    const upper = new MemoryFileSystem();
    return () => new CopyOnWriteFileSystem({ lower: new ReadOnlyFileSystem(lower), upper });
  }), model);

driverDifferential("copy-on-write over asynchronous layers", () =>
  overlay((lower) => {
    const upper = new AsyncFileSystem(new MemoryFileSystem());
    return () =>
      new CopyOnWriteFileSystem({ lower: new AsyncFileSystem(new ReadOnlyFileSystem(lower)), upper });
  }), model);
