/**
 * A dedicated worker for the browser tests of the ZenFS adapter
 * (tests/browser/indexeddb_browser_test.ts): a vkernel with `@zenfs/dom`'s
 * IndexedDB backend mounted at `/idb` through `createZenFsFileSystem`
 * (asynchronous: the adapter uses the backend's Promise methods).
 *
 * Kept apart from `worker.ts` so that the demo's worker does not bundle
 * ZenFS (LGPL). Bundled by `build.ts` into `dist/zenfs_worker.js`; the page
 * starts it on demand (see `callZenFsWorker` in the test).
 *
 * @module
 */

import { IndexedDB } from "@zenfs/dom";
import { MemoryFileSystem } from "../../fs/memory/mod.ts";
import { createZenFsFileSystem, type ZenFsFileSystem } from "../../fs/zenfs/mod.ts";
import { isKernelError } from "../../kernel/errno.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { FileType } from "../../kernel/types.ts";

/** The IndexedDB database (ZenFS store name) mounted at `/idb`. */
export const ZENFS_STORE = "vkernel-zenfs";

/** A request to the ZenFS worker; `id` pairs it with its answer. */
export type ZenFsWorkerRequest =
  & { id: number; }
  & (
    | { op: "mount"; }
    | { op: "write"; path: string; text: string; }
    | { op: "read"; path: string; }
    | { op: "readdir"; path: string; }
    | { op: "stat"; path: string; }
  );

/** The ZenFS worker's answer. */
export type ZenFsWorkerResponse =
  | { id: number; ok: true; value: unknown; }
  | { id: number; ok: false; error: string; };

/** What `mount` reports about the mount. */
export interface ZenFsMountInfo {
  name: string;
  synchronous: boolean;
  readOnly: boolean;
}

/** What `stat` reports. */
export interface ZenFsStatInfo {
  type: "file" | "directory" | "other";
  size: number;
  mode: number;
  ino: number;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<ZenFsWorkerRequest>) => void) | null;
  postMessage(message: ZenFsWorkerResponse): void;
}

const scope = globalThis as unknown as WorkerScope;

let mounted: Promise<{ kernel: Kernel; fs: ZenFsFileSystem; }> | null = null;

function kernelWithIdb(): Promise<{ kernel: Kernel; fs: ZenFsFileSystem; }> {
  mounted ??= (async () => {
    const fs = await createZenFsFileSystem({ backend: IndexedDB, storeName: ZENFS_STORE });
    const kernel = new Kernel({ root: new MemoryFileSystem() });
    await kernel.files.mkdir("/idb");
    await kernel.mount("/idb", fs);
    return { kernel, fs };
  })();
  return mounted;
}

async function handle(request: ZenFsWorkerRequest): Promise<unknown> {
  const { kernel, fs } = await kernelWithIdb();
  switch (request.op) {
    case "mount":
      return { name: fs.name, synchronous: fs.synchronous, readOnly: fs.readOnly } satisfies ZenFsMountInfo;
    case "write":
      return await kernel.files.writeFile(request.path, request.text, { recursive: true });
    case "read":
      return await kernel.files.readText(request.path);
    case "readdir":
      return (await kernel.files.readdir(request.path)).sort();
    case "stat": {
      const st = await kernel.files.stat(request.path);
      const type = st.type === FileType.RegularFile
        ? "file"
        : st.type === FileType.Directory
        ? "directory"
        : "other";
      return { type, size: st.size, mode: st.mode, ino: st.ino } satisfies ZenFsStatInfo;
    }
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  handle(request).then(
    (value) => scope.postMessage({ id: request.id, ok: true, value }),
    (error) => {
      const text = isKernelError(error)
        ? `${error.code}: ${error.message}`
        : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
      scope.postMessage({ id: request.id, ok: false, error: text });
    },
  );
};
