/**
 * Test helpers for the overlay drivers: an asynchronous view of a synchronous
 * driver, a tree builder and a byte-exact tree snapshot.
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import {
  type DirEntry,
  FileType,
  type Maybe,
  O,
  type SetAttr,
  type Stat,
  type StatFs,
} from "../../kernel/types.ts";
import type { FileHandle, FileSystem, MountContext, VNode } from "../../kernel/vfs/driver.ts";

/** Every call answered with a Promise (settled on a later microtask), as an async driver would. */
export class AsyncFileSystem implements FileSystem {
  readonly name: string;
  readonly synchronous: boolean = false;
  readonly readOnly: boolean;

  constructor(readonly inner: FileSystem) {
    this.name = `async:${inner.name}`;
    this.readOnly = inner.readOnly;
  }

  private later<T>(fn: () => Maybe<T>): Promise<T> {
    return Promise.resolve().then(fn);
  }

  attach(context: MountContext): void {
    this.inner.attach?.(context);
  }
  root(): VNode {
    return this.inner.root();
  }
  lookup(dir: VNode, name: string): Promise<VNode | null> {
    return this.later(() => this.inner.lookup(dir, name));
  }
  stat(node: VNode): Promise<Stat> {
    return this.later(() => this.inner.stat(node));
  }
  setattr(node: VNode, attr: SetAttr): Promise<void> {
    return this.later(() => this.inner.setattr(node, attr));
  }
  create(dir: VNode, name: string, mode: number): Promise<VNode> {
    return this.later(() => this.inner.create(dir, name, mode));
  }
  mkdir(dir: VNode, name: string, mode: number): Promise<VNode> {
    return this.later(() => this.inner.mkdir(dir, name, mode));
  }
  symlink(dir: VNode, name: string, target: string): Promise<VNode> {
    return this.later(() => this.inner.symlink(dir, name, target));
  }
  link(dir: VNode, name: string, node: VNode): Promise<void> {
    return this.later(() => this.inner.link(dir, name, node));
  }
  unlink(dir: VNode, name: string): Promise<void> {
    return this.later(() => this.inner.unlink(dir, name));
  }
  rmdir(dir: VNode, name: string): Promise<void> {
    return this.later(() => this.inner.rmdir(dir, name));
  }
  rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): Promise<void> {
    return this.later(() => this.inner.rename(oldDir, oldName, newDir, newName));
  }
  readlink(node: VNode): Promise<string> {
    return this.later(() => this.inner.readlink(node));
  }
  readdir(dir: VNode, cookie: number, limit: number): Promise<DirEntry[]> {
    return this.later(() => this.inner.readdir(dir, cookie, limit));
  }
  open(node: VNode, flags: number): Promise<FileHandle> {
    return this.later(() => this.inner.open(node, flags));
  }
  read(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
    return this.later(() => this.inner.read(handle, buffer, position));
  }
  write(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
    return this.later(() => this.inner.write(handle, buffer, position));
  }
  truncate(handle: FileHandle, size: number): Promise<void> {
    return this.later(() => this.inner.truncate(handle, size));
  }
  sync(handle: FileHandle): Promise<void> {
    return this.later(() => this.inner.sync(handle));
  }
  close(handle: FileHandle): Promise<void> {
    return this.later(() => this.inner.close(handle));
  }
  statfs(): Promise<StatFs> {
    return this.later(() => this.inner.statfs());
  }
}

/** A tree to build: a string is a file's content, `{ link }` a symlink, an object a directory. */
export type TreeSpec = { [name: string]: string | { link: string; } | TreeSpec; };

/** Builds `spec` under `dir` (through any driver). */
export async function populate(fs: FileSystem, dir: VNode, spec: TreeSpec): Promise<void> {
  for (const [name, value] of Object.entries(spec)) {
    if (typeof value === "string") {
      const file = await fs.create(dir, name, 0o644);
      if (value.length > 0) {
        const handle = await fs.open(file, O.WRONLY);
        await fs.write(handle, new TextEncoder().encode(value), 0);
        await fs.close(handle);
      }
    } else if (typeof value.link === "string") {
      await fs.symlink(dir, name, value.link);
    } else {
      await populate(fs, await fs.mkdir(dir, name, 0o755), value as TreeSpec);
    }
  }
}

/** `fs.lookup`, with absence as ENOENT. */
export async function lookup(fs: FileSystem, dir: VNode, name: string): Promise<VNode> {
  const node = await fs.lookup(dir, name);
  if (node === null) throw new KernelError("ENOENT");
  return node;
}

/** Every entry of a directory, read `batch` at a time through cookies. */
export async function listAll(fs: FileSystem, dir: VNode, batch = 2): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  let cookie = 0;
  for (;;) {
    const entries = await fs.readdir(dir, cookie, batch);
    if (entries.length === 0) return out;
    out.push(...entries);
    cookie = entries[entries.length - 1].next;
  }
}

/**
 * Every name under the root with its type, permission bits, size and bytes
 * (files), target (symlinks), sorted; directory sizes and link counts left out.
 */
export async function snapshotTree(fs: FileSystem, withModes = true): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: VNode, prefix: string): Promise<void> => {
    const entries = await listAll(fs, dir, 64);
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const entry of entries) {
      const path = `${prefix}/${entry.name}`;
      const node = await lookup(fs, dir, entry.name);
      const st = await fs.stat(node);
      const mode = withModes ? ` ${st.mode.toString(8)}` : "";
      if (entry.type === FileType.Directory) {
        out.push(`${path}/${mode}`);
        await visit(node, path);
      } else if (entry.type === FileType.Symlink) {
        out.push(`${path} -> ${await fs.readlink(node)}`);
      } else {
        const handle = await fs.open(node, O.RDONLY);
        const buffer = new Uint8Array(st.size + 1);
        const count = await fs.read(handle, buffer, 0);
        await fs.close(handle);
        out.push(`${path}${mode} ${st.size} [${buffer.subarray(0, count)}]`);
      }
    }
  };
  await visit(fs.root(), "");
  return out;
}

/** Removes everything under `dir`. */
export async function removeAll(fs: FileSystem, dir: VNode): Promise<void> {
  for (const entry of await listAll(fs, dir, 64)) {
    if (entry.type === FileType.Directory) {
      await removeAll(fs, await lookup(fs, dir, entry.name));
      await fs.rmdir(dir, entry.name);
    } else {
      await fs.unlink(dir, entry.name);
    }
  }
}
