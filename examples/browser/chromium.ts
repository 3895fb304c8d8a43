/**
 * Drives the browser demo in headless Chromium with `playwright-core` (the
 * Debian `chromium` package; no browser download): launches a persistent
 * context (its profile keeps OPFS across reloads and relaunches), opens the
 * demo page, and calls the page's `window.vkernelDemo` API.
 *
 * Used by tests/browser/opfs_browser_test.ts and by `bench.ts`.
 *
 * @example
 * ```ts
 * import { CHROMIUM_PATH, launchChromium, openDemo } from "./chromium.ts";
 * import { serveStatic } from "./serve.ts";
 * import { browserDir } from "./build.ts";
 * import * as fs from "node:fs";
 * if (fs.existsSync(CHROMIUM_PATH) && fs.existsSync(`${browserDir}/dist/main.js`)) {
 *   const server = await serveStatic(browserDir);
 *   const profile = fs.mkdtempSync("/tmp/vkernel-chromium-");
 *   const context = await launchChromium(profile);
 *   const demo = await openDemo(context, server.url);
 *   console.log(await demo.call("list"));
 *   await context.close();
 *   await server.close();
 * }
 * ```
 *
 * @module
 */

import process from "node:process";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** The Chromium binary: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH: string = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a quiet, sandbox-free headless Chromium that talks to no server of its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches headless Chromium with the profile in `userDataDir` (a persistent context: OPFS survives). */
export async function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

/** The demo page, opened, with what its page and worker logged. */
export interface DemoPage {
  page: Page;
  /** Console messages and page errors so far (for failure messages). */
  logs: string[];
  /** Calls `window.vkernelDemo[method](...args)` in the page and returns its result. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  /** Reloads the page and waits until it listed /data again. */
  reload(): Promise<void>;
}

/** Opens the demo at `url` in `context` (reusing its first tab) and waits for its first listing. */
export async function openDemo(context: BrowserContext, url: string): Promise<DemoPage> {
  const page = context.pages()[0] ?? await context.newPage();
  const logs: string[] = [];
  page.on("console", (message) => logs.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => logs.push(`page error: ${error.message}`));
  const ready = async () => {
    await page.waitForFunction(() => "vkernelDemo" in globalThis, undefined, { timeout: 30_000 });
    await page.evaluate(() =>
      (globalThis as unknown as { vkernelDemo: { ready: Promise<void>; }; }).vkernelDemo.ready
    );
  };
  await page.goto(url);
  await ready();
  return {
    page,
    logs,
    call: <T>(method: string, ...args: unknown[]) =>
      page.evaluate(
        ([name, values]) => {
          const api =
            (globalThis as unknown as { vkernelDemo: Record<string, (...a: unknown[]) => unknown>; })
              .vkernelDemo;
          return api[name as string](...(values as unknown[]));
        },
        [method, args] as const,
      ) as Promise<T>,
    reload: async () => {
      await page.reload();
      await ready();
    },
  };
}
