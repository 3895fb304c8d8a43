/**
 * The OPFS driver for real: headless Chromium (Debian's `chromium`, driven by
 * `playwright-core`) loads the browser demo from a local server with COOP and
 * COEP headers; in its dedicated worker the driver contract runs on OPFS, a Go
 * and a C program write files into the OPFS mount at /data, and the files
 * (with a mode, a symbolic link and a hard link) are checked again after a
 * reload and after relaunching the browser on the same profile.
 *
 * Skipped, with the reason, only when there is no Chromium at
 * `$CHROMIUM_PATH` or `/usr/bin/chromium`.
 *
 * ```sh
 * deno test -A tests/browser/opfs_browser_test.ts
 * bun test --timeout 120000 ./tests/browser/opfs_browser_test.ts
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import type { BrowserContext } from "playwright-core";
import { browserDir, buildBrowserDemo } from "../../examples/browser/build.ts";
import { CHROMIUM_PATH, type DemoPage, launchChromium, openDemo } from "../../examples/browser/chromium.ts";
import type { OpfsEntry } from "../../examples/browser/main.ts";
import { serveStatic, type StaticServer } from "../../examples/browser/serve.ts";
import type { Capabilities, DemoResult, ListedFile } from "../../examples/browser/worker.ts";
import { CONTRACT_CHECKS, type ContractResult } from "../../fs/_contract/checks.ts";
import { OPFS_CHECKS } from "../../fs/opfs/opfs_checks.ts";

/** Contract checks that may fail on OPFS, with the reason (none: every check must pass). */
const CONTRACT_EXCEPTIONS: Record<string, string> = {};

const missing = fs.existsSync(CHROMIUM_PATH)
  ? false
  : `no Chromium at ${CHROMIUM_PATH} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
if (missing) console.log(`opfs_browser_test: skipped: ${missing}`);

const TIMEOUT = { timeout: 180_000 };

describe("OPFS driver in headless Chromium", { skip: missing }, () => {
  let server: StaticServer | undefined;
  let context: BrowserContext | undefined;
  let demo: DemoPage;
  let profile = "";
  let firstRun: DemoResult;

  const byPath = (files: ListedFile[]) => new Map(files.map((f) => [f.path, f]));
  const explain = () => `\npage and worker logs:\n${demo?.logs.join("\n") ?? "(none)"}`;

  before(async () => {
    const report = await buildBrowserDemo();
    const skipped = report.programs.filter((p) => p.status === "skipped");
    assert.equal(
      skipped.length,
      0,
      `demo programs not built: ${skipped.map((p) => `${p.name}: ${p.message}`).join("; ")}`,
    );
    server = await serveStatic(browserDir);
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "vkernel-chromium-"));
    context = await launchChromium(profile);
    demo = await openDemo(context, server.url);
  }, { timeout: 600_000 });

  after(async () => {
    await context?.close().catch(() => {});
    await server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test(
    "the worker has OPFS sync access handles, file move and JSPI, cross-origin isolated",
    TIMEOUT,
    async () => {
      const caps = await demo.call<Capabilities>("capabilities");
      console.log(`opfs_browser_test: ${JSON.stringify(caps)}`);
      assert.equal(caps.syncAccessHandle, "function");
      assert.equal(caps.fileMove, "function");
      assert.equal(caps.jspi, true);
      assert.equal(caps.crossOriginIsolated, true, "the server's COOP/COEP headers took effect");
      // caps.directoryMove is "undefined" in Chromium 156: directories are renamed by moving their files.
    },
  );

  test("the driver contract and the OPFS checks pass on OPFS in a dedicated worker", TIMEOUT, async () => {
    const results = await demo.call<ContractResult[]>("contract");
    const expected = CONTRACT_CHECKS.length + OPFS_CHECKS.length;
    assert.equal(results.length, expected, `${results.length} of ${expected} checks ran`);
    const failed = results.filter((r) => r.status === "failed" && !(r.title in CONTRACT_EXCEPTIONS));
    assert.deepEqual(failed.map((r) => `${r.title}: ${r.message}`), [], explain());
    assert.ok(results.every((r) => r.status === "passed"), "every check passed (no exceptions needed)");
  });

  test("a Go and a C program write into /data and the page lists their files", TIMEOUT, async () => {
    await demo.call("reset");
    firstRun = await demo.call<DemoResult>("runDemo");
    assert.equal(firstRun.go.exitCode, 0, `Go: ${firstRun.go.output}${firstRun.go.error ?? ""}${explain()}`);
    assert.equal(firstRun.c.exitCode, 0, `C: ${firstRun.c.output}${firstRun.c.error ?? ""}${explain()}`);
    assert.match(firstRun.go.output, /read through the symlink: hello from Go go1\./);
    assert.match(firstRun.c.output, /C read Go's file: hello from Go/);

    const files = byPath(firstRun.files);
    assert.equal(files.get("/data/go/hello.txt")?.mode, "-rw-------");
    assert.equal(files.get("/data/go/hello.txt")?.nlink, 2);
    assert.equal(files.get("/data/go/hello.hardlink")?.ino, files.get("/data/go/hello.txt")?.ino);
    assert.equal(files.get("/data/go/latest")?.type, "symlink");
    assert.equal(files.get("/data/go/latest")?.target, "hello.txt");
    assert.equal(files.get("/data/c/hello.txt")?.text, "hello from C (wasi-libc)\n");
    assert.equal(files.get("/data/c/hello.link")?.ino, files.get("/data/c/hello.txt")?.ino);
    assert.equal(files.get("/data/c/latest")?.target, "hello.txt");
    assert.match(files.get("/data/go/runs.log")?.text ?? "", /^go run at .*\n$/);

    // The page shows them.
    const shown = await demo.page.locator("#files").innerText();
    for (const name of ["/data/go/hello.txt", "/data/go/latest -> hello.txt", "/data/c/hello.link"]) {
      assert.ok(shown.includes(name), `the page lists ${name}:\n${shown}`);
    }
    // And they are real OPFS files, read by the page without the kernel: one OPFS file per
    // regular file (a hard link's second name and symlinks live only in the driver's index).
    const raw = await demo.call<OpfsEntry[]>("listOpfs");
    const rawPaths = raw.map((e) => e.path);
    for (const p of ["/go/hello.txt", "/go/runs.log", "/c/hello.txt", "/.vkernel-meta/index.0"]) {
      assert.ok(rawPaths.includes(p), `OPFS holds ${p}: ${rawPaths.join(", ")}`);
    }
    assert.ok(!rawPaths.includes("/go/latest") && !rawPaths.includes("/go/hello.hardlink"));
    assert.equal(raw.find((e) => e.path === "/c/hello.txt")?.size, 25);
  });

  const expectPersisted = (files: Map<string, ListedFile>) => {
    const before = byPath(firstRun.files);
    for (
      const name of ["/data/go/hello.txt", "/data/go/latest", "/data/go/hello.hardlink", "/data/c/hello.txt"]
    ) {
      const was = before.get(name)!;
      const now = files.get(name);
      assert.ok(now, `${name} is still there`);
      assert.equal(now.ino, was.ino, `${name} keeps its inode number`);
      assert.equal(now.mode, was.mode, `${name} keeps its mode`);
      assert.equal(now.nlink, was.nlink, `${name} keeps its link count`);
      assert.equal(now.mtimeNs, was.mtimeNs, `${name} keeps its mtime (in nanoseconds)`);
      assert.equal(now.target, was.target);
      assert.equal(now.text, was.text);
    }
    assert.equal(files.get("/data/go/hello.txt")?.mode, "-rw-------");
    assert.equal(files.get("/data/go/latest")?.target, "hello.txt");
    assert.equal(files.get("/data/go/hello.hardlink")?.nlink, 2);
  };

  test(
    "after a reload the files, the mode, the symlink and the hard link are still there",
    TIMEOUT,
    async () => {
      // A file still open (its sync access handle too) when the page goes away.
      await demo.call("write", "/data/unclosed.txt", "written, never closed\n", true);
      const written = byPath(await demo.call<ListedFile[]>("list")).get("/data/unclosed.txt")!;
      await new Promise((resolve) => setTimeout(resolve, 300)); // past the driver's 100 ms for times
      await demo.reload();
      const unclosed = byPath(await demo.call<ListedFile[]>("list")).get("/data/unclosed.txt");
      assert.equal(unclosed?.text, "written, never closed\n");
      assert.equal(unclosed?.mtimeNs, written.mtimeNs, "the time set by the write reached the index");
      assert.equal(unclosed?.ino, written.ino);
      expectPersisted(byPath(await demo.call<ListedFile[]>("list")));
      const shown = await demo.page.locator("#files").innerText();
      assert.ok(shown.includes("/data/go/latest -> hello.txt"), shown);
      // A second run appends to the log and relinks, on top of what persisted.
      const second = await demo.call<DemoResult>("runDemo");
      assert.equal(second.go.exitCode, 0, second.go.output);
      assert.equal(second.c.exitCode, 0, second.c.output);
      const log = byPath(second.files).get("/data/go/runs.log")?.text ?? "";
      assert.equal(log.split("\n").filter(Boolean).length, 2, log);
      firstRun = second;
    },
  );

  test("after relaunching the browser on the same profile they are still there", TIMEOUT, async () => {
    await context!.close();
    context = await launchChromium(profile);
    demo = await openDemo(context, server!.url);
    expectPersisted(byPath(await demo.call<ListedFile[]>("list")));
  });
});
