/**
 * The mount table: which filesystem is mounted on which directory.
 *
 * A {@link Location} (mount + node) is how the kernel names a file: the path
 * walker crosses down into a mount when it reaches a mount point and back up
 * when it takes `..` at a mount's root.
 *
 * @module
 */

import { KernelError } from "../errno.ts";
import { FileType } from "../types.ts";
import type { FileSystem, MountContext, VNode } from "./driver.ts";

/** A mounted filesystem. */
export class Mount {
  /** Children mounted on directories of this mount, by the mount point's inode. */
  readonly children: Map<number, Mount> = new Map();
  /** Open files, working directories and roots that reference this mount. */
  refs = 0;

  constructor(
    /** The device number `stat` reports for files on this mount. */
    readonly id: number,
    readonly fs: FileSystem,
    readonly root: VNode,
    /** Where it is mounted (null for the root mount). */
    readonly mountpoint: Location | null,
  ) {}
}

/** A node on a particular mount: the kernel's name for a file. */
export interface Location {
  readonly mount: Mount;
  readonly node: VNode;
}

/** Whether two locations name the same file. */
export function sameLocation(a: Location, b: Location): boolean {
  return a.mount === b.mount && a.node.ino === b.node.ino;
}

/**
 * Every mount of one kernel.
 *
 * @example
 * ```ts
 * import { MountTable } from "./mount_table.ts";
 * // const table = new MountTable(new MemoryFileSystem(), { nowNs: () => 0n });
 * ```
 */
export class MountTable {
  readonly root: Mount;
  #nextId = 1;
  readonly #context: MountContext;

  constructor(rootFs: FileSystem, context: MountContext) {
    this.#context = context;
    rootFs.attach?.(context);
    this.root = new Mount(this.#nextId++, rootFs, rootFs.root(), null);
  }

  /** The mount stacked on `location`, if it is a mount point. */
  mountedOn(location: Location): Mount | undefined {
    const children = location.mount.children;
    return children.size === 0 ? undefined : children.get(location.node.ino);
  }

  /** Follows mount points down from `location` to the topmost mounted root. */
  crossDown(location: Location): Location {
    let loc = location;
    for (;;) {
      const child = this.mountedOn(loc);
      if (!child) return loc;
      loc = { mount: child, node: child.root };
    }
  }

  /** Mounts `fs` on the directory `at`; EBUSY if something is mounted there already. */
  mount(at: Location, fs: FileSystem): Mount {
    if (at.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
    if (at.mount.children.has(at.node.ino)) throw new KernelError("EBUSY");
    fs.attach?.(this.#context);
    const mount = new Mount(this.#nextId++, fs, fs.root(), at);
    at.mount.children.set(at.node.ino, mount);
    at.mount.refs++;
    return mount;
  }

  /** Unmounts `mount`; EBUSY while anything references it; EINVAL for the root mount. */
  unmount(mount: Mount): void {
    if (!mount.mountpoint) throw new KernelError("EINVAL", "cannot unmount the root");
    if (mount.refs > 0 || mount.children.size > 0) throw new KernelError("EBUSY");
    mount.mountpoint.mount.children.delete(mount.mountpoint.node.ino);
    mount.mountpoint.mount.refs--;
  }

  /** Every mount, root first. */
  *all(): Iterable<Mount> {
    const stack: Mount[] = [this.root];
    while (stack.length) {
      const m = stack.shift()!;
      yield m;
      stack.push(...m.children.values());
    }
  }
}
