/**
 * An in-memory imitation of the Origin Private File System, close enough to
 * Chromium's to run the OPFS driver under Deno and Bun: handles are locators
 * (a path from the root, re-resolved on every call, as in Chromium), one sync
 * access handle per file locks it (a second one, `removeEntry` and `move` of
 * a locked file throw NoModificationAllowedError), only file handles have
 * `move` unless `directoryMove` is set, and errors are `DOMException`s with the
 * names the real API uses. The real thing is tested in headless Chromium
 * (tests/browser).
 *
 * @module
 */

import type {
  OpfsDirectoryHandle,
  OpfsFileHandle,
  OpfsFileSnapshot,
  OpfsStorageManager,
  OpfsSyncAccessHandle,
} from "./_opfs_api.ts";

/** Options of {@link createFakeOpfs}. */
export interface FakeOpfsOptions {
  /** Give directory handles a `move` method (Chromium 156 has none). Default false. */
  directoryMove?: boolean;
}

/** Counters a test can read. */
export interface FakeOpfsStats {
  /** Sync access handles open right now. */
  openSyncHandles: number;
  /** `flush()` calls so far. */
  flushes: number;
}

class FakeFile {
  readonly kind = "file";
  data = new Uint8Array(0);
  size = 0;
  lastModified = Date.now();
  locked = false;
}

class FakeDir {
  readonly kind = "directory";
  readonly children = new Map<string, FakeFile | FakeDir>();
}

class World {
  readonly root = new FakeDir();
  readonly stats: FakeOpfsStats = { openSyncHandles: 0, flushes: 0 };
  constructor(readonly options: FakeOpfsOptions) {}

  resolve(path: readonly string[]): FakeFile | FakeDir {
    let node: FakeFile | FakeDir = this.root;
    for (const name of path) {
      if (!(node instanceof FakeDir)) throw domError("TypeMismatchError", "not a directory");
      const child: FakeFile | FakeDir | undefined = node.children.get(name);
      if (child === undefined) throw domError("NotFoundError", `${name} not found`);
      node = child;
    }
    return node;
  }

  dir(path: readonly string[]): FakeDir {
    const node = this.resolve(path);
    if (!(node instanceof FakeDir)) throw domError("TypeMismatchError", "not a directory");
    return node;
  }

  file(path: readonly string[]): FakeFile {
    const node = this.resolve(path);
    if (!(node instanceof FakeFile)) throw domError("TypeMismatchError", "not a file");
    return node;
  }
}

function domError(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

function checkName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/")) {
    throw new TypeError(`Name is not allowed: ${JSON.stringify(name)}`);
  }
}

function hasLock(node: FakeFile | FakeDir): boolean {
  if (node instanceof FakeFile) return node.locked;
  for (const child of node.children.values()) if (hasLock(child)) return true;
  return false;
}

/** Settles after a macrotask-free tick, as the real API never answers synchronously. */
function tick(): Promise<void> {
  return Promise.resolve();
}

class FakeSyncAccessHandle implements OpfsSyncAccessHandle {
  private open = true;
  constructor(private readonly world: World, private readonly file: FakeFile) {
    world.stats.openSyncHandles++;
  }

  private check(): FakeFile {
    if (!this.open) throw domError("InvalidStateError", "the access handle is closed");
    return this.file;
  }

  read(buffer: Uint8Array, options: { at?: number; } = {}): number {
    const file = this.check();
    const at = options.at ?? 0;
    if (at >= file.size) return 0;
    const n = Math.min(buffer.length, file.size - at);
    buffer.set(file.data.subarray(at, at + n));
    return n;
  }

  write(buffer: Uint8Array, options: { at?: number; } = {}): number {
    const file = this.check();
    const at = options.at ?? 0;
    const end = at + buffer.length;
    this.reserve(end);
    file.data.set(buffer, at);
    if (end > file.size) file.size = end;
    file.lastModified = Date.now();
    return buffer.length;
  }

  truncate(size: number): void {
    const file = this.check();
    if (size > file.size) this.reserve(size);
    else file.data.fill(0, size, file.size);
    file.size = size;
    file.lastModified = Date.now();
  }

  getSize(): number {
    return this.check().size;
  }

  flush(): void {
    this.check();
    this.world.stats.flushes++;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.file.locked = false;
    this.world.stats.openSyncHandles--;
  }

  private reserve(size: number): void {
    const file = this.file;
    if (size <= file.data.length) return;
    const grown = new Uint8Array(Math.max(size, Math.min(file.data.length * 2, size + (64 << 20))));
    grown.set(file.data.subarray(0, file.size));
    file.data = grown;
  }
}

class FakeFileHandle implements OpfsFileHandle {
  readonly kind = "file";
  constructor(private readonly world: World, private path: string[]) {}

  get name(): string {
    return this.path[this.path.length - 1];
  }

  async getFile(): Promise<OpfsFileSnapshot> {
    await tick();
    const file = this.world.file(this.path);
    const copy = file.data.slice(0, file.size);
    return {
      size: file.size,
      lastModified: file.lastModified,
      arrayBuffer: () => Promise.resolve(copy.buffer),
    };
  }

  async createSyncAccessHandle(): Promise<OpfsSyncAccessHandle> {
    await tick();
    const file = this.world.file(this.path);
    if (file.locked) {
      throw domError("NoModificationAllowedError", "the file is locked by another access handle");
    }
    file.locked = true;
    return new FakeSyncAccessHandle(this.world, file);
  }

  async move(nameOrParent: string | OpfsDirectoryHandle, name?: string): Promise<void> {
    await tick();
    const parentPath = typeof nameOrParent === "string" ? this.path.slice(0, -1) : pathOf(nameOrParent);
    const newName = typeof nameOrParent === "string" ? nameOrParent : name ?? this.name;
    checkName(newName);
    const file = this.world.file(this.path);
    const from = this.world.dir(this.path.slice(0, -1));
    const to = this.world.dir(parentPath);
    if (file.locked) throw domError("NoModificationAllowedError", "the file is locked");
    const existing = to.children.get(newName);
    if (existing === file) return;
    if (existing instanceof FakeDir) throw domError("InvalidModificationError", "a directory is in the way");
    if (existing !== undefined && existing.locked) {
      throw domError("NoModificationAllowedError", "target locked");
    }
    from.children.delete(this.name);
    to.children.set(newName, file);
    this.path = [...parentPath, newName];
  }
}

class FakeDirectoryHandle implements OpfsDirectoryHandle {
  readonly kind = "directory";
  constructor(private readonly world: World, private path: string[]) {
    if (world.options.directoryMove) {
      (this as { move?: OpfsDirectoryHandle["move"]; }).move = (a, b) => this.moveDirectory(a, b);
    }
  }

  get name(): string {
    return this.path.length === 0 ? "" : this.path[this.path.length - 1];
  }

  /** The path from the root, for `move` targets. */
  get locator(): string[] {
    return this.path;
  }

  async getDirectoryHandle(name: string, options: { create?: boolean; } = {}): Promise<OpfsDirectoryHandle> {
    await tick();
    checkName(name);
    const dir = this.world.dir(this.path);
    const child = dir.children.get(name);
    if (child instanceof FakeFile) throw domError("TypeMismatchError", `${name} is a file`);
    if (child === undefined) {
      if (!options.create) throw domError("NotFoundError", `${name} not found`);
      dir.children.set(name, new FakeDir());
    }
    return new FakeDirectoryHandle(this.world, [...this.path, name]);
  }

  async getFileHandle(name: string, options: { create?: boolean; } = {}): Promise<OpfsFileHandle> {
    await tick();
    checkName(name);
    const dir = this.world.dir(this.path);
    const child = dir.children.get(name);
    if (child instanceof FakeDir) throw domError("TypeMismatchError", `${name} is a directory`);
    if (child === undefined) {
      if (!options.create) throw domError("NotFoundError", `${name} not found`);
      dir.children.set(name, new FakeFile());
    }
    return new FakeFileHandle(this.world, [...this.path, name]);
  }

  async removeEntry(name: string, options: { recursive?: boolean; } = {}): Promise<void> {
    await tick();
    checkName(name);
    const dir = this.world.dir(this.path);
    const child = dir.children.get(name);
    if (child === undefined) throw domError("NotFoundError", `${name} not found`);
    if (child instanceof FakeDir && child.children.size > 0 && !options.recursive) {
      throw domError("InvalidModificationError", `${name} is not empty`);
    }
    if (hasLock(child)) throw domError("NoModificationAllowedError", `${name} is locked`);
    dir.children.delete(name);
  }

  async *entries(): AsyncIterableIterator<[string, OpfsFileHandle | OpfsDirectoryHandle]> {
    await tick();
    const dir = this.world.dir(this.path);
    for (const [name, child] of [...dir.children]) {
      yield [
        name,
        child instanceof FakeDir
          ? new FakeDirectoryHandle(this.world, [...this.path, name])
          : new FakeFileHandle(this.world, [...this.path, name]),
      ];
    }
  }

  private async moveDirectory(nameOrParent: string | OpfsDirectoryHandle, name?: string): Promise<void> {
    await tick();
    const parentPath = typeof nameOrParent === "string" ? this.path.slice(0, -1) : pathOf(nameOrParent);
    const newName = typeof nameOrParent === "string" ? nameOrParent : name ?? this.name;
    checkName(newName);
    const dir = this.world.dir(this.path);
    if (parentPath.length >= this.path.length && this.path.every((p, i) => parentPath[i] === p)) {
      throw domError("InvalidModificationError", "cannot move a directory into itself");
    }
    if (hasLock(dir)) throw domError("NoModificationAllowedError", "a file inside is locked");
    const from = this.world.dir(this.path.slice(0, -1));
    const to = this.world.dir(parentPath);
    const existing = to.children.get(newName);
    if (existing === dir) return;
    if (existing !== undefined) throw domError("InvalidModificationError", "the target exists");
    from.children.delete(this.name);
    to.children.set(newName, dir);
    this.path = [...parentPath, newName];
  }
}

function pathOf(handle: OpfsDirectoryHandle): string[] {
  if (!(handle instanceof FakeDirectoryHandle)) throw new TypeError("not a fake OPFS directory handle");
  return handle.locator;
}

/** A fake OPFS: its root directory handle, a `navigator.storage` look-alike, and counters. */
export interface FakeOpfs extends OpfsDirectoryHandle {
  /** Counters of the whole fake. */
  readonly stats: FakeOpfsStats;
  /** A `navigator.storage` look-alike whose `getDirectory()` is this root. */
  readonly storage: OpfsStorageManager;
}

/**
 * A new, empty fake OPFS; returns its root directory handle.
 *
 * @example
 * ```ts
 * import { createFakeOpfs } from "./fake_opfs.ts";
 * const root = createFakeOpfs();
 * const file = await root.getFileHandle("a", { create: true });
 * const sah = await file.createSyncAccessHandle();
 * sah.write(new Uint8Array([1, 2]), { at: 3 });
 * console.assert(sah.getSize() === 5);
 * sah.close();
 * ```
 */
export function createFakeOpfs(options: FakeOpfsOptions = {}): FakeOpfs {
  const world = new World(options);
  const root = new FakeDirectoryHandle(world, []) as FakeDirectoryHandle & {
    stats: FakeOpfsStats;
    storage: OpfsStorageManager;
  };
  root.stats = world.stats;
  root.storage = {
    getDirectory: () => Promise.resolve(new FakeDirectoryHandle(world, [])),
    estimate: () => Promise.resolve({ quota: 1 << 30, usage: 0 }),
  };
  return root;
}
