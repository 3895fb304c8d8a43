/**
 * Inode numbers of the host-directory driver.
 *
 * The kernel wants one non-zero JavaScript number per file, unique within the
 * mount. The host gives a device and an inode number: the mounted directory may
 * contain other mounts (same inode numbers on another device), some hosts
 * report inode 0, and some filesystems use 64-bit inode numbers past 2^53.
 *
 * @module
 */

/** Host inode numbers at or above this are replaced by synthetic ones. */
export const SYNTHETIC_BASE: number = 2 ** 52;

/**
 * Maps host (device, inode) pairs to kernel inode numbers: the host's own
 * number on the root's device when it is in `(0, 2^52)`; otherwise a synthetic
 * number, stable for the life of the map, counting down from 2^53 - 1 so it
 * cannot meet a host number. Files the host gives inode 0 are keyed by path.
 *
 * @example
 * ```ts
 * import { InodeNumbers } from "./_inodes.ts";
 * const inodes = new InodeNumbers(1n);
 * const key = inodes.key({ dev: 1n, ino: 42n }, "/r/a");
 * console.assert(inodes.number({ dev: 1n, ino: 42n }, key) === 42);
 * const other = inodes.key({ dev: 2n, ino: 42n }, "/r/m");
 * console.assert(inodes.number({ dev: 2n, ino: 42n }, other) === Number.MAX_SAFE_INTEGER);
 * ```
 */
export class InodeNumbers {
  readonly #rootDev: bigint;
  readonly #synthetic = new Map<string, number>();
  #next = Number.MAX_SAFE_INTEGER;

  /** @param rootDev the host device of the mounted directory. */
  constructor(rootDev: bigint) {
    this.#rootDev = rootDev;
  }

  /** A string identifying the host file: `dev:ino`, or `path:...` when the host reports inode 0. */
  key(id: { dev: bigint; ino: bigint; }, path: string): string {
    return id.ino === 0n ? `path:${path}` : `${id.dev}:${id.ino}`;
  }

  /** The kernel inode number of the file with this `key` (from {@link key}). */
  number(id: { dev: bigint; ino: bigint; }, key: string): number {
    if (id.dev === this.#rootDev && id.ino > 0n && id.ino < BigInt(SYNTHETIC_BASE)) return Number(id.ino);
    let ino = this.#synthetic.get(key);
    if (ino === undefined) {
      ino = this.#next--;
      this.#synthetic.set(key, ino);
    }
    return ino;
  }
}
