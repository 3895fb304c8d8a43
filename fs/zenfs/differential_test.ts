/**
 * Differential test: random sequences of driver-level operations over a tiny
 * name alphabet run on {@link MemoryFileSystem} and on the ZenFS adapter; every
 * result (errno name, sizes, bytes, listings as sets, types, modes, link
 * targets, which names share an inode) must agree, and so must the whole tree
 * at the end.
 *
 * Documented divergences, not compared: directory sizes and directory link
 * counts (ZenFS reports its listing's byte size and nlink 1), times (ZenFS
 * keeps milliseconds; see the contract exception), inode numbers themselves
 * (only which names share one), and the root's mode (ZenFS makes it 0777; the
 * model is built so). Names are `a`, `b`, `c`: ZenFS cannot create names that
 * are `Object.prototype` properties (`constructor`, ...), see the adapter.
 *
 * Found by this test and fixed in the adapter: ZenFS's StoreFS keeps a removed
 * name of a hard-linked file in its path table (it still stats, and later
 * takes a directory created at that path with it when the inode goes).
 */

import { CopyOnWrite, InMemory, resolveMountConfig } from "@zenfs/core";
import { driverDifferential } from "../_contract/_test_driver_differential.ts";
import { MemoryFileSystem } from "../memory/mod.ts";
import { ZenFsFileSystem } from "./mod.ts";

// ZenFS creates its root with mode 0777.
const model = { model: () => new MemoryFileSystem({ rootMode: 0o777 }) };

driverDifferential("ZenFS InMemory (sync)", async () => ({
  fs: new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory })),
}), model);

driverDifferential("ZenFS InMemory through its async methods", async () => ({
  fs: new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }), { synchronous: false }),
}), model);

driverDifferential("ZenFS CopyOnWrite (empty lower layer)", async () => ({
  fs: new ZenFsFileSystem(
    await resolveMountConfig({
      backend: CopyOnWrite,
      readable: { backend: InMemory },
      writable: { backend: InMemory },
    }),
  ),
}), model);
