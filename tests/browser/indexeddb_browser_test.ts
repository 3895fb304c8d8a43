/**
 * The ZenFS adapter on `@zenfs/dom`'s IndexedDB backend for real: headless
 * Chromium (the harness of opfs_browser_test.ts) opens the browser demo,
 * whose page starts `dist/zenfs_worker.js`; in that worker IndexedDB is
 * mounted at `/idb` through `createZenFsFileSystem` (an asynchronous mount),
 * files are written through the kernel, and read back after a reload and
 * after relaunching the browser on the same profile.
 *
 * Skipped, with the reason, only when there is no Chromium at
 * `$CHROMIUM_PATH` or `/usr/bin/chromium`.
 *
 * ```sh
 * deno test -A tests/browser/indexeddb_browser_test.ts
 * bun test --timeout 120000 ./tests/browser/indexeddb_browser_test.ts
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { browserDir, buildBrowserDemo } from "../../examples/browser/build.ts";
import { CHROMIUM_PATH, type DemoPage, launchChromium, openDemo } from "../../examples/browser/chromium.ts";
import { serveStatic, type StaticServer } from "../../examples/browser/serve.ts";
import type {
  ZenFsMountInfo,
  ZenFsStatInfo,
  ZenFsWorkerRequest,
  ZenFsWorkerResponse,
} from "../../examples/browser/zenfs_worker.ts";

const missing = fs.existsSync(CHROMIUM_PATH)
  ? false
  : `no Chromium at ${CHROMIUM_PATH} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
if (missing) console.log(`indexeddb_browser_test: skipped: ${missing}`);

const TIMEOUT = { timeout: 180_000 };

type Request = ZenFsWorkerRequest extends infer R ? R extends unknown ? Omit<R, "id"> : never : never;

/** Sends `request` to the page's ZenFS worker (started on first use) and returns its answer. */
async function callZenFsWorker<T>(page: Page, request: Request): Promise<T> {
  const response = await page.evaluate(async (message) => {
    interface Bridge {
      worker: Worker;
      next: number;
      pending: Map<number, (response: ZenFsWorkerResponse) => void>;
    }
    const global = globalThis as unknown as { vkernelZenFs?: Bridge; };
    if (global.vkernelZenFs === undefined) {
      const bridge: Bridge = {
        worker: new Worker("./dist/zenfs_worker.js", { type: "module" }),
        next: 1,
        pending: new Map(),
      };
      bridge.worker.onmessage = (event: MessageEvent<ZenFsWorkerResponse>) => {
        bridge.pending.get(event.data.id)?.(event.data);
        bridge.pending.delete(event.data.id);
      };
      bridge.worker.onerror = (event) => {
        for (const resolve of bridge.pending.values()) {
          resolve({ id: 0, ok: false, error: `worker error: ${event.message}` });
        }
        bridge.pending.clear();
      };
      global.vkernelZenFs = bridge;
    }
    const bridge = global.vkernelZenFs;
    const id = bridge.next++;
    return await new Promise<ZenFsWorkerResponse>((resolve) => {
      bridge.pending.set(id, resolve);
      bridge.worker.postMessage({ ...message, id });
    });
  }, request);
  if (!response.ok) throw new Error(`zenfs worker: ${request.op}: ${response.error}`);
  return response.value as T;
}

describe("ZenFS IndexedDB (@zenfs/dom) mounted through the adapter in headless Chromium", {
  skip: missing,
}, () => {
  let server: StaticServer | undefined;
  let context: BrowserContext | undefined;
  let demo: DemoPage;
  let profile = "";
  let written: ZenFsStatInfo;

  const explain = () => `\npage and worker logs:\n${demo?.logs.join("\n") ?? "(none)"}`;
  const call = async <T>(request: Request): Promise<T> => {
    try {
      return await callZenFsWorker<T>(demo.page, request);
    } catch (error) {
      throw new Error(`${(error as Error).message}${explain()}`);
    }
  };

  before(async () => {
    await buildBrowserDemo({ programs: false });
    server = await serveStatic(browserDir);
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "vkernel-chromium-idb-"));
    context = await launchChromium(profile);
    demo = await openDemo(context, server.url);
  }, { timeout: 600_000 });

  after(async () => {
    await context?.close().catch(() => {});
    await server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test("IndexedDB mounts as an asynchronous, writable ZenFS file system", TIMEOUT, async () => {
    const info = await call<ZenFsMountInfo>({ op: "mount" });
    assert.deepEqual(info, { name: "zenfs:vkernel-zenfs", synchronous: false, readOnly: false });
  });

  test("files written through the kernel are read back", TIMEOUT, async () => {
    await call({ op: "write", path: "/idb/notes/hello.txt", text: "hello from IndexedDB\n" });
    await call({ op: "write", path: "/idb/top.txt", text: "x".repeat(10_000) });
    assert.equal(await call({ op: "read", path: "/idb/notes/hello.txt" }), "hello from IndexedDB\n");
    assert.deepEqual(await call({ op: "readdir", path: "/idb" }), ["notes", "top.txt"]);
    written = await call<ZenFsStatInfo>({ op: "stat", path: "/idb/notes/hello.txt" });
    assert.equal(written.type, "file");
    assert.equal(written.size, 21);
  });

  const expectPersisted = async () => {
    assert.equal(await call({ op: "read", path: "/idb/notes/hello.txt" }), "hello from IndexedDB\n");
    assert.equal(await call({ op: "read", path: "/idb/top.txt" }), "x".repeat(10_000));
    assert.deepEqual(await call({ op: "readdir", path: "/idb" }), ["notes", "top.txt"]);
    assert.deepEqual(await call({ op: "stat", path: "/idb/notes/hello.txt" }), written, "same metadata");
  };

  test("after a reload the files are still there", TIMEOUT, async () => {
    await demo.reload();
    await expectPersisted();
  });

  test("after relaunching the browser on the same profile they are still there", TIMEOUT, async () => {
    await context!.close();
    context = await launchChromium(profile);
    demo = await openDemo(context, server!.url);
    await expectPersisted();
  });
});
