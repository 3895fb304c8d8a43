/**
 * devfs: the device filesystem mounted at `/dev`: null, zero, full, random,
 * urandom, tty, and stdin/stdout/stderr (which open the opening process's fd
 * 0, 1 or 2, like Linux's `/proc/self/fd` links).
 *
 * @module
 */

import { KernelError } from "../kernel/errno.ts";
import type { RandomSource } from "../kernel/random.ts";
import type { Stream } from "../kernel/stream.ts";
import { type DirEntry, FileType, type SetAttr, type Stat, type StatFs } from "../kernel/types.ts";
import type { FileHandle, FileSystem, MountContext, VNode } from "../kernel/vfs/driver.ts";

/** What a character device does on read and write. */
interface DeviceOps {
  read(buffer: Uint8Array): number;
  write(buffer: Uint8Array): number;
}

interface DevNode extends VNode {
  readonly name: string;
  readonly rdev: number;
  readonly ops?: DeviceOps;
  readonly fdAlias?: number;
}

/** Options for {@link DevFileSystem}. */
export interface DevFsOptions {
  /** Source for /dev/random and /dev/urandom (the kernel's, so deterministic kernels stay deterministic). */
  random: RandomSource;
  /** The terminal behind /dev/tty; without one, opening /dev/tty is ENXIO. */
  tty?: Stream;
}

const makedev = (major: number, minor: number) => major * 256 + minor;

/**
 * The device filesystem.
 *
 * @example
 * ```ts
 * import { DevFileSystem } from "./devfs.ts";
 * import { CryptoRandom } from "../kernel/random.ts";
 * const dev = new DevFileSystem({ random: new CryptoRandom() });
 * console.assert(dev.name === "devfs");
 * ```
 */
export class DevFileSystem implements FileSystem {
  readonly name = "devfs";
  readonly synchronous = true;
  readonly readOnly = false;
  readonly #root: DevNode = { ino: 1, type: FileType.Directory, name: "", rdev: 0 };
  readonly #nodes = new Map<string, DevNode>();
  readonly #tty?: Stream;
  #nowNs: () => bigint = () => BigInt(Date.now()) * 1_000_000n;
  readonly #bootNs: bigint;

  constructor(options: DevFsOptions) {
    if (!options?.random) throw new TypeError("DevFileSystem needs a random source");
    const random = options.random;
    this.#tty = options.tty;
    this.#bootNs = this.#nowNs();
    const devices: Array<[string, number, DeviceOps | undefined, number | undefined]> = [
      ["null", makedev(1, 3), { read: () => 0, write: (b) => b.length }, undefined],
      ["zero", makedev(1, 5), { read: (b) => (b.fill(0), b.length), write: (b) => b.length }, undefined],
      ["full", makedev(1, 7), {
        read: (b) => (b.fill(0), b.length),
        write: () => {
          throw new KernelError("ENOSPC");
        },
      }, undefined],
      [
        "random",
        makedev(1, 8),
        { read: (b) => (random.fill(b), b.length), write: (b) => b.length },
        undefined,
      ],
      [
        "urandom",
        makedev(1, 9),
        { read: (b) => (random.fill(b), b.length), write: (b) => b.length },
        undefined,
      ],
      ["tty", makedev(5, 0), this.#ttyOps(), undefined],
      ["stdin", 0, undefined, 0],
      ["stdout", 0, undefined, 1],
      ["stderr", 0, undefined, 2],
    ];
    let ino = 2;
    for (const [name, rdev, ops, fdAlias] of devices) {
      const node: DevNode = fdAlias === undefined
        ? { ino: ino++, type: FileType.CharDevice, name, rdev, ops }
        : { ino: ino++, type: FileType.CharDevice, name, rdev, fdAlias };
      this.#nodes.set(name, node);
    }
  }

  #ttyOps(): DeviceOps {
    return {
      read: (b) => {
        const n = this.#tty?.read(b, true);
        if (typeof n !== "number") throw new KernelError("EAGAIN");
        return n;
      },
      write: (b) => {
        const n = this.#tty?.write(b, true);
        if (typeof n !== "number") throw new KernelError("EAGAIN");
        return n;
      },
    };
  }

  attach(context: MountContext): void {
    this.#nowNs = () => context.nowNs();
  }

  root(): VNode {
    return this.#root;
  }

  lookup(dir: VNode, name: string): VNode {
    if (dir !== this.#root) throw new KernelError("ENOTDIR");
    if (name === "..") return this.#root;
    const node = this.#nodes.get(name);
    if (!node) throw new KernelError("ENOENT");
    return node;
  }

  stat(node: VNode): Stat {
    const dev = node as DevNode;
    const isDir = node === this.#root;
    return {
      dev: 0,
      ino: node.ino,
      type: node.type,
      mode: isDir ? 0o755 : 0o666,
      nlink: isDir ? 2 : 1,
      uid: 0,
      gid: 0,
      rdev: dev.rdev,
      size: 0,
      blksize: 4096,
      blocks: 0,
      atimeNs: this.#bootNs,
      mtimeNs: this.#bootNs,
      ctimeNs: this.#bootNs,
    };
  }

  setattr(_node: VNode, _attr: SetAttr): void {
    throw new KernelError("EPERM");
  }

  create(): never {
    throw new KernelError("EACCES");
  }
  mkdir(): never {
    throw new KernelError("EACCES");
  }
  symlink(): never {
    throw new KernelError("EACCES");
  }
  link(): never {
    throw new KernelError("EPERM");
  }
  unlink(): never {
    throw new KernelError("EACCES");
  }
  rmdir(): never {
    throw new KernelError("EACCES");
  }
  rename(): never {
    throw new KernelError("EACCES");
  }

  readlink(): never {
    throw new KernelError("EINVAL");
  }

  readdir(dir: VNode, cookie: number, limit: number): DirEntry[] {
    if (dir !== this.#root) throw new KernelError("ENOTDIR");
    const all = [...this.#nodes.values()];
    return all.slice(cookie, cookie + limit).map((node, i) => ({
      name: node.name,
      ino: node.ino,
      type: node.type,
      next: cookie + i + 1,
    }));
  }

  open(node: VNode, _flags: number): FileHandle {
    if ((node as DevNode).name === "tty" && !this.#tty) throw new KernelError("ENXIO");
    return { node };
  }

  read(handle: FileHandle, buffer: Uint8Array, _position: number): number {
    const ops = (handle.node as DevNode).ops;
    if (!ops) throw new KernelError("EISDIR");
    return ops.read(buffer);
  }

  write(handle: FileHandle, buffer: Uint8Array, _position: number): number {
    const ops = (handle.node as DevNode).ops;
    if (!ops) throw new KernelError("EISDIR");
    return ops.write(buffer);
  }

  truncate(_handle: FileHandle, _size: number): void {
    // Truncating a character device is allowed and does nothing (O_TRUNC on /dev/null).
  }

  sync(): void {}
  close(): void {}

  statfs(): StatFs {
    return { blockSize: 4096, totalBlocks: 0, freeBlocks: 0, totalInodes: 16, freeInodes: 0, nameMax: 255 };
  }
}
