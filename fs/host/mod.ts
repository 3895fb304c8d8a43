/**
 * The host-directory driver: a real host directory mounted in the kernel, over
 * `Deno.*Sync` or `node:fs`, confined to that directory (see
 * {@link HostFileSystem}).
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { HostFileSystem } from "./mod.ts";
 * const dir = mkdtempSync(`${tmpdir()}/vkernel-doc-`);
 * const fs = new HostFileSystem({ root: dir, readOnly: true });
 * console.assert(fs.readdir(fs.root(), 0, 10).length === 0);
 * rmSync(dir, { recursive: true });
 * ```
 *
 * @module
 */

export type { HostBackendName } from "./_backend.ts";
export {
  type HostBackendChoice,
  type HostFileHandle,
  HostFileSystem,
  type HostFileSystemOptions,
  type HostNode,
} from "./host_fs.ts";
