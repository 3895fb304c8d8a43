/**
 * Measures the OPFS driver in headless Chromium beside memfs in the same
 * worker and run: 64 KiB sequential write and read of a 32 MiB file, and
 * small files created, stat'ed and unlinked per second, all through kernel
 * system calls. Prints a Markdown table.
 *
 * ```sh
 * deno run -A examples/browser/bench.ts [fileMiB] [smallFiles]
 * bun examples/browser/bench.ts
 * ```
 *
 * @module
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { browserDir, buildBrowserDemo } from "./build.ts";
import { CHROMIUM_PATH, launchChromium, openDemo } from "./chromium.ts";
import { serveStatic } from "./serve.ts";
import type { BenchRow } from "./worker.ts";

/** Runs the benchmark page in headless Chromium and returns its rows. */
export async function benchInChromium(
  fileMiB = 32,
  smallFiles = 500,
): Promise<{ rows: BenchRow[]; version: string; }> {
  await buildBrowserDemo({ programs: false });
  const server = await serveStatic(browserDir);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "vkernel-bench-"));
  try {
    const context = await launchChromium(profile);
    try {
      const demo = await openDemo(context, server.url);
      const version = await demo.page.evaluate(() => navigator.userAgent);
      return { rows: await demo.call<BenchRow[]>("bench", { fileMiB, smallFiles }), version };
    } finally {
      await context.close();
    }
  } finally {
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

if ((import.meta as { main?: boolean; }).main) {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    console.error(`no Chromium at ${CHROMIUM_PATH}`);
    process.exit(1);
  }
  const fileMiB = Number(process.argv[2] ?? 32);
  const smallFiles = Number(process.argv[3] ?? 500);
  const { rows, version } = await benchInChromium(fileMiB, smallFiles);
  console.log(
    `${version}\n${fileMiB} MiB file in 64 KiB writes and reads; create+stat+unlink of empty files\n`,
  );
  console.log("| filesystem | write MB/s | read MB/s | create+stat+unlink /s |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.fs} | ${r.writeMBps.toFixed(0)} | ${r.readMBps.toFixed(0)} | ${
        r.smallFileOpsPerSecond.toFixed(0)
      } |`,
    );
  }
}
