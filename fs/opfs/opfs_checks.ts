/**
 * Checks of what is particular to the OPFS driver, beyond the driver contract:
 * what lands in OPFS itself (read back with the plain OPFS API, as other code
 * of the origin would), directory renames, hard links whose data moves,
 * orphans, the handle LRU, remounts and adoption of foreign files.
 *
 * Each check takes an empty OPFS directory, so the same checks run on the
 * in-memory imitation under Deno and Bun (`opfs_fs_test.ts`) and on real OPFS
 * in headless Chromium (the browser demo's worker, driven by
 * `tests/browser/opfs_browser_test.ts`). No `node:` import.
 *
 * @example
 * ```ts
 * import { OPFS_CHECKS, runOpfsCheck } from "./opfs_checks.ts";
 * import { createFakeOpfs } from "./fake_opfs.ts";
 * for (const check of OPFS_CHECKS) await runOpfsCheck(check, () => createFakeOpfs());
 * ```
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import { FileType, O } from "../../kernel/types.ts";
import type { VNode } from "../../kernel/vfs/driver.ts";
import { deepEqual, equal, ok } from "../_contract/_assert.ts";
import type { OpfsDirectoryHandle } from "./_opfs_api.ts";
import { META_DIR_NAME, OpfsFileSystem, type OpfsFileSystemOptions } from "./opfs_fs.ts";

/** A directory handle: the DOM's, or the structural type the driver uses (the fake's). */
export type DirectoryHandle = OpfsDirectoryHandle | FileSystemDirectoryHandle;

/** One OPFS check: `run` gets an empty OPFS directory and throws on failure. */
export interface OpfsCheck {
  title: string;
  run: (dir: OpfsDirectoryHandle) => Promise<void>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function mount(
  dir: OpfsDirectoryHandle,
  options: Omit<OpfsFileSystemOptions, "root"> = {},
): Promise<OpfsFileSystem> {
  return OpfsFileSystem.open({ root: dir, ...options });
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
  const handle = fs.open(node, O.WRONLY);
  await fs.write(handle, enc(text), 0);
  await fs.close(handle);
  return node;
}

async function readFile(fs: OpfsFileSystem, node: VNode): Promise<string> {
  const handle = fs.open(node, O.RDONLY);
  const buffer = new Uint8Array((await fs.stat(node)).size);
  const n = await fs.read(handle, buffer, 0);
  await fs.close(handle);
  return dec(buffer.subarray(0, n));
}

/** Names in an OPFS directory, read with the plain OPFS API. */
async function opfsNames(dir: OpfsDirectoryHandle, ...path: string[]): Promise<string[]> {
  for (const name of path) dir = await dir.getDirectoryHandle(name);
  const names: string[] = [];
  for await (const [name] of dir.entries()) names.push(name);
  return names.sort();
}

/** A file's text, read with the plain OPFS API. */
async function opfsText(dir: OpfsDirectoryHandle, ...path: string[]): Promise<string> {
  for (const name of path.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
  const file = await (await dir.getFileHandle(path[path.length - 1])).getFile();
  return dec(new Uint8Array(await file.arrayBuffer()));
}

/** Every OPFS check. */
export const OPFS_CHECKS: readonly OpfsCheck[] = [
  {
    title: "files and directories are real OPFS objects; symlinks and the index are not",
    run: async (dir) => {
      const fs = await mount(dir);
      try {
        const docs = await fs.mkdir(fs.root(), "docs", 0o755);
        await writeFile(fs, docs, "a.txt", "alpha");
        await fs.symlink(fs.root(), "link", "docs/a.txt");
        deepEqual(await opfsNames(dir), [META_DIR_NAME, "docs"].sort());
        equal(await opfsText(dir, "docs", "a.txt"), "alpha");
        equal(await fs.lookup(fs.root(), META_DIR_NAME), null);
        deepEqual((await fs.readdir(fs.root(), 0, 10)).map((e) => e.name), ["docs", "link"]);
        let code = "";
        try {
          await fs.create(fs.root(), META_DIR_NAME, 0o644);
        } catch (error) {
          code = (error as KernelError).code;
        }
        equal(code, "EPERM", "the index directory's name is reserved");
      } finally {
        await fs.unmount();
      }
    },
  },
  {
    title: "a remount keeps names, data, modes, owners, times, symlinks, hard links and inode numbers",
    run: async (dir) => {
      const fs = await mount(dir, { uid: 1000, gid: 100 });
      const root = fs.root();
      const sub = await fs.mkdir(root, "dir", 0o750);
      const file = await writeFile(fs, sub, "file", "contents");
      await fs.setattr(file, { mode: 0o600, mtimeNs: 1_600_000_000_123_456_789n, uid: 7 });
      const sym = await fs.symlink(sub, "sym", "../elsewhere");
      await fs.link(root, "hard", file);
      const before = [await fs.stat(sub), await fs.stat(file), await fs.stat(sym)];
      await fs.unmount();

      const again = await mount(dir);
      try {
        const sub2 = await lookup(again, again.root(), "dir");
        const file2 = await lookup(again, sub2, "file");
        const sym2 = await lookup(again, sub2, "sym");
        deepEqual([await again.stat(sub2), await again.stat(file2), await again.stat(sym2)], before);
        equal(again.readlink(sym2), "../elsewhere");
        equal(await lookup(again, again.root(), "hard"), file2);
        equal(await readFile(again, file2), "contents");
        const fresh = await again.create(again.root(), "fresh", 0o644);
        ok(fresh.ino > file2.ino && fresh.ino > sym2.ino, "new inode numbers never repeat old ones");
      } finally {
        await again.unmount();
      }
    },
  },
  {
    title: "renaming a directory moves its tree in OPFS; an open file in it keeps working",
    run: async (dir) => {
      const fs = await mount(dir, { maxOpenHandles: 2 });
      const root = fs.root();
      const a = await fs.mkdir(root, "a", 0o701);
      const b = await fs.mkdir(a, "b", 0o702);
      const f = await writeFile(fs, b, "f", "deep");
      await writeFile(fs, a, "top", "top");
      await fs.symlink(b, "s", "f");
      const open = fs.open(f, O.RDWR);
      await fs.write(open, enc("d"), 0);
      const target = await fs.mkdir(root, "target", 0o755);
      await fs.rename(root, "a", target, "moved");
      deepEqual(await opfsNames(dir), [META_DIR_NAME, "target"].sort());
      deepEqual(await opfsNames(dir, "target", "moved"), ["b", "top"]);
      equal(await opfsText(dir, "target", "moved", "b", "f"), "deep");
      await fs.write(open, enc("DEEP"), 0);
      await fs.close(open);
      equal(await opfsText(dir, "target", "moved", "b", "f"), "DEEP");
      equal(await lookup(fs, root, "target", "moved", "b", "f"), f);
      equal(await fs.lookup(a, ".."), target);
      await fs.unmount();
      const again = await mount(dir);
      try {
        const b2 = await lookup(again, again.root(), "target", "moved", "b");
        equal((await again.stat(b2)).mode, 0o702);
        equal(again.readlink(await lookup(again, b2, "s")), "f");
        equal((await lookup(again, b2, "f")).ino, f.ino);
        equal(await readFile(again, await lookup(again, b2, "f")), "DEEP");
      } finally {
        await again.unmount();
      }
    },
  },
  {
    title: "unlinking the name that holds a hard-linked file's data moves the data to another name",
    run: async (dir) => {
      const fs = await mount(dir);
      const root = fs.root();
      const sub = await fs.mkdir(root, "sub", 0o755);
      const file = await writeFile(fs, root, "a", "shared");
      await fs.link(sub, "b", file);
      deepEqual(await opfsNames(dir, "sub"), [], "a second name lives in the index only");
      await fs.unlink(root, "a");
      deepEqual(await opfsNames(dir, "sub"), ["b"]);
      equal(await opfsText(dir, "sub", "b"), "shared");
      equal((await fs.stat(file)).nlink, 1);
      await fs.unmount();
      const again = await mount(dir);
      try {
        equal(await readFile(again, await lookup(again, again.root(), "sub", "b")), "shared");
      } finally {
        await again.unmount();
      }
    },
  },
  {
    title: "a file unlinked while open stays readable from the orphans directory until its last close",
    run: async (dir) => {
      const fs = await mount(dir, { maxOpenHandles: 1 });
      try {
        const file = await writeFile(fs, fs.root(), "f", "still here");
        const handle = fs.open(file, O.RDWR);
        await fs.unlink(fs.root(), "f");
        deepEqual(await opfsNames(dir, META_DIR_NAME, "orphans"), [String(file.ino)]);
        // Evict its sync access handle, then read through the orphans directory.
        const other = await writeFile(fs, fs.root(), "other", "x");
        equal(await readFile(fs, other), "x");
        const buffer = new Uint8Array(10);
        equal(await fs.read(handle, buffer, 0), 10);
        equal(dec(buffer), "still here");
        await fs.close(handle);
        deepEqual(await opfsNames(dir, META_DIR_NAME, "orphans"), []);
      } finally {
        await fs.unmount();
      }
    },
  },
  {
    title: "more open files than sync access handles: the least recently used is closed and reopened",
    run: async (dir) => {
      const fs = await mount(dir, { maxOpenHandles: 2 });
      try {
        const handles = [];
        for (let i = 0; i < 6; i++) handles.push(fs.open(await fs.create(fs.root(), `f${i}`, 0o644), O.RDWR));
        for (let round = 0; round < 3; round++) {
          for (const [i, handle] of handles.entries()) await fs.write(handle, enc(`${i}`), round);
        }
        ok(fs.openSyncHandles <= 2, `${fs.openSyncHandles} sync access handles open`);
        for (const [i, handle] of handles.entries()) {
          const buffer = new Uint8Array(3);
          equal(await fs.read(handle, buffer, 0), 3);
          equal(dec(buffer), `${i}${i}${i}`);
          await fs.close(handle);
        }
      } finally {
        await fs.unmount();
      }
    },
  },
  {
    title: "objects made behind the driver's back are adopted; vanished ones are dropped",
    run: async (dir) => {
      const fs = await mount(dir);
      await writeFile(fs, fs.root(), "gone", "x");
      await fs.symlink(fs.root(), "sym", "gone");
      await fs.mkdir(fs.root(), "d", 0o700);
      await fs.unmount();
      await dir.removeEntry("gone");
      const outside = await (await dir.getFileHandle("outside", { create: true })).createSyncAccessHandle();
      outside.write(enc("from the page"), { at: 0 });
      outside.close();
      await (await dir.getDirectoryHandle("newdir", { create: true })).getFileHandle("inner", {
        create: true,
      });

      const again = await mount(dir);
      let ino = 0;
      try {
        const root = again.root();
        deepEqual((await again.readdir(root, 0, 100)).map((e) => e.name).sort(), [
          "d",
          "newdir",
          "outside",
          "sym",
        ]);
        const node = await lookup(again, root, "outside");
        const st = await again.stat(node);
        equal(st.mode, 0o644);
        equal(st.size, 13);
        equal(st.type, FileType.RegularFile);
        equal(await readFile(again, node), "from the page");
        equal((await again.stat(await lookup(again, root, "newdir"))).mode, 0o755);
        equal((await again.stat(await lookup(again, root, "newdir", "inner"))).size, 0);
        equal((await again.stat(await lookup(again, root, "d"))).mode, 0o700);
        ino = node.ino;
      } finally {
        await again.unmount();
      }
      const third = await mount(dir);
      try {
        equal((await lookup(third, third.root(), "outside")).ino, ino, "adopted inode numbers are kept");
      } finally {
        await third.unmount();
      }
    },
  },
  {
    title: "operations issued together are applied in call order",
    run: async (dir) => {
      const fs = await mount(dir, { maxOpenHandles: 3 });
      const root = fs.root();
      const nodes = await Promise.all(Array.from({ length: 12 }, (_, i) => fs.create(root, `c${i}`, 0o644)));
      await Promise.all(nodes.map(async (node, i) => {
        const handle = fs.open(node, O.RDWR);
        await fs.write(handle, enc(`v${i}`), 0);
        if (i % 2 === 1) await fs.unlink(root, `c${i}`);
        else await fs.rename(root, `c${i}`, root, `r${i}`);
        const buffer = new Uint8Array(4);
        const n = await fs.read(handle, buffer, 0);
        equal(dec(buffer.subarray(0, n)), `v${i}`);
        await fs.close(handle);
      }));
      await fs.unmount();
      const expected = Array.from({ length: 6 }, (_, i) => `r${2 * i}`).sort();
      const again = await mount(dir);
      try {
        deepEqual((await again.readdir(again.root(), 0, 100)).map((e) => e.name).sort(), expected);
        for (const name of expected) {
          equal(await readFile(again, await lookup(again, again.root(), name)), `v${name.slice(1)}`);
        }
        deepEqual(await opfsNames(dir), [META_DIR_NAME, ...expected].sort());
      } finally {
        await again.unmount();
      }
    },
  },
];

/**
 * Runs one check in a fresh directory from `makeDir`, then `cleanup` (both optional to await).
 *
 * @example
 * ```ts
 * import { OPFS_CHECKS, runOpfsCheck } from "./opfs_checks.ts";
 * import { createFakeOpfs } from "./fake_opfs.ts";
 * await runOpfsCheck(OPFS_CHECKS[0], () => createFakeOpfs());
 * ```
 */
export async function runOpfsCheck(
  check: OpfsCheck,
  makeDir: () => DirectoryHandle | Promise<DirectoryHandle>,
  cleanup?: () => void | Promise<void>,
): Promise<void> {
  const dir = await makeDir();
  try {
    await check.run(dir as OpfsDirectoryHandle);
  } finally {
    await cleanup?.();
  }
}
