/**
 * {@link ReadOnlyFileSystem}: any driver, with every mutation refused (EROFS).
 *
 * @module
 */

import { KernelError } from "../../kernel/errno.ts";
import { type DirEntry, type Maybe, O, type SetAttr, type Stat, type StatFs } from "../../kernel/types.ts";
import type { FileHandle, FileSystem, MountContext, VNode } from "../../kernel/vfs/driver.ts";

function erofs(): never {
  throw new KernelError("EROFS");
}

/**
 * A read-only view of another driver. Reads pass through untouched (same
 * nodes, same handles, same inode numbers); every mutation (`create`, `mkdir`,
 * `symlink`, `link`, `unlink`, `rmdir`, `rename`, `setattr`, `write`,
 * `truncate`, and `open` with write access) throws EROFS before the inner
 * driver is called. Synchronous exactly when the inner driver is.
 *
 * @example
 * ```ts
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * import { ReadOnlyFileSystem } from "./readonly.ts";
 * import { O } from "../../kernel/types.ts";
 * const inner = new MemoryFileSystem();
 * const file = inner.create(inner.root(), "f", 0o644);
 * const fs = new ReadOnlyFileSystem(inner);
 * console.assert(fs.readOnly && fs.lookup(fs.root(), "f") === file);
 * let code = "";
 * try { fs.open(file, O.RDWR); } catch (e) { code = (e as { code: string }).code; }
 * console.assert(code === "EROFS");
 * ```
 */
export class ReadOnlyFileSystem implements FileSystem {
  /** `readonly:<inner name>`. */
  readonly name: string;
  /** The inner driver's. */
  readonly synchronous: boolean;
  /** Always true. */
  readonly readOnly: boolean = true;
  /** The driver this one wraps. */
  readonly inner: FileSystem;

  /**
   * Wraps `inner`.
   *
   * @throws {TypeError} if `inner` is not a driver.
   */
  constructor(inner: FileSystem) {
    if (inner === null || typeof inner !== "object" || typeof inner.root !== "function") {
      throw new TypeError("ReadOnlyFileSystem needs a FileSystem");
    }
    this.inner = inner;
    this.name = `readonly:${inner.name}`;
    this.synchronous = inner.synchronous;
  }

  /**
   * Passes the kernel's context to the inner driver.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * new ReadOnlyFileSystem(new MemoryFileSystem()).attach({ nowNs: () => 0n });
   * ```
   */
  attach(context: MountContext): void {
    this.inner.attach?.(context);
  }

  /**
   * The inner root.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const inner = new MemoryFileSystem();
   * console.assert(new ReadOnlyFileSystem(inner).root() === inner.root());
   * ```
   */
  root(): VNode {
    return this.inner.root();
  }

  /**
   * The inner lookup.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const inner = new MemoryFileSystem();
   * const dir = inner.mkdir(inner.root(), "d", 0o755);
   * console.assert(new ReadOnlyFileSystem(inner).lookup(inner.root(), "d") === dir);
   * ```
   */
  lookup(dir: VNode, name: string): Maybe<VNode | null> {
    return this.inner.lookup(dir, name);
  }

  /**
   * The inner stat.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const inner = new MemoryFileSystem();
   * const st = new ReadOnlyFileSystem(inner).stat(inner.root()) as { ino: number };
   * console.assert(st.ino === 1);
   * ```
   */
  stat(node: VNode): Maybe<Stat> {
    return this.inner.stat(node);
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.setattr(fs.root(), { mode: 0o700 }); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  setattr(_node: VNode, _attr: SetAttr): Maybe<void> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.create(fs.root(), "f", 0o644); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  create(_dir: VNode, _name: string, _mode: number): Maybe<VNode> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.mkdir(fs.root(), "d", 0o755); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  mkdir(_dir: VNode, _name: string, _mode: number): Maybe<VNode> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.symlink(fs.root(), "l", "t"); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  symlink(_dir: VNode, _name: string, _target: string): Maybe<VNode> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const inner = new MemoryFileSystem();
   * const file = inner.create(inner.root(), "f", 0o644);
   * const fs = new ReadOnlyFileSystem(inner);
   * let code = "";
   * try { fs.link(fs.root(), "g", file); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  link(_dir: VNode, _name: string, _node: VNode): Maybe<void> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.unlink(fs.root(), "f"); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  unlink(_dir: VNode, _name: string): Maybe<void> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.rmdir(fs.root(), "d"); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  rmdir(_dir: VNode, _name: string): Maybe<void> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * let code = "";
   * try { fs.rename(fs.root(), "a", fs.root(), "b"); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  rename(_oldDir: VNode, _oldName: string, _newDir: VNode, _newName: string): Maybe<void> {
    return erofs();
  }

  /**
   * The inner readlink.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const inner = new MemoryFileSystem();
   * const link = inner.symlink(inner.root(), "l", "target");
   * console.assert(new ReadOnlyFileSystem(inner).readlink(link) === "target");
   * ```
   */
  readlink(node: VNode): Maybe<string> {
    return this.inner.readlink(node);
  }

  /**
   * The inner readdir.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const inner = new MemoryFileSystem();
   * inner.create(inner.root(), "f", 0o644);
   * const entries = new ReadOnlyFileSystem(inner).readdir(inner.root(), 0, 10) as { name: string }[];
   * console.assert(entries[0].name === "f");
   * ```
   */
  readdir(dir: VNode, cookie: number, limit: number): Maybe<DirEntry[]> {
    return this.inner.readdir(dir, cookie, limit);
  }

  /**
   * The inner open for reading (and `O_PATH`); EROFS with write access.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * import { O } from "../../kernel/types.ts";
   * const inner = new MemoryFileSystem();
   * const fs = new ReadOnlyFileSystem(inner);
   * const handle = fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.close(handle);
   * ```
   */
  open(node: VNode, flags: number): Maybe<FileHandle> {
    const access = flags & O.ACCMODE;
    if ((flags & O.PATH) === 0 && (access === O.WRONLY || access === O.RDWR)) erofs();
    return this.inner.open(node, flags);
  }

  /**
   * The inner read.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * import { O } from "../../kernel/types.ts";
   * const inner = new MemoryFileSystem();
   * const file = inner.create(inner.root(), "f", 0o644);
   * const w = inner.open(file, O.WRONLY);
   * inner.write(w, new Uint8Array([1, 2]), 0);
   * const fs = new ReadOnlyFileSystem(inner);
   * const handle = fs.open(file, O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * console.assert(fs.read(handle, new Uint8Array(4), 0) === 2);
   * ```
   */
  read(handle: FileHandle, buffer: Uint8Array, position: number): Maybe<number> {
    return this.inner.read(handle, buffer, position);
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * import { O } from "../../kernel/types.ts";
   * const inner = new MemoryFileSystem();
   * const fs = new ReadOnlyFileSystem(inner);
   * const handle = fs.open(inner.create(inner.root(), "f", 0o644), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * let code = "";
   * try { fs.write(handle, new Uint8Array(1), 0); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  write(_handle: FileHandle, _buffer: Uint8Array, _position: number): Maybe<number> {
    return erofs();
  }

  /**
   * EROFS.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * import { O } from "../../kernel/types.ts";
   * const inner = new MemoryFileSystem();
   * const fs = new ReadOnlyFileSystem(inner);
   * const handle = fs.open(inner.create(inner.root(), "f", 0o644), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * let code = "";
   * try { fs.truncate(handle, 0); } catch (e) { code = (e as { code: string }).code; }
   * console.assert(code === "EROFS");
   * ```
   */
  truncate(_handle: FileHandle, _size: number): Maybe<void> {
    return erofs();
  }

  /**
   * The inner sync (nothing written through this wrapper, but the inner
   * driver may have a cache to flush).
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * const handle = fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle;
   * fs.sync(handle);
   * ```
   */
  sync(handle: FileHandle): Maybe<void> {
    return this.inner.sync(handle);
  }

  /**
   * The inner close.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * import { O } from "../../kernel/types.ts";
   * const fs = new ReadOnlyFileSystem(new MemoryFileSystem());
   * fs.close(fs.open(fs.root(), O.RDONLY) as import("../../kernel/vfs/driver.ts").FileHandle);
   * ```
   */
  close(handle: FileHandle): Maybe<void> {
    return this.inner.close(handle);
  }

  /**
   * The inner statfs.
   *
   * @example
   * ```ts
   * import { MemoryFileSystem } from "../memory/mod.ts";
   * import { ReadOnlyFileSystem } from "./readonly.ts";
   * const st = new ReadOnlyFileSystem(new MemoryFileSystem()).statfs() as { nameMax: number };
   * console.assert(st.nameMax === 255);
   * ```
   */
  statfs(): Maybe<StatFs> {
    return this.inner.statfs();
  }
}
