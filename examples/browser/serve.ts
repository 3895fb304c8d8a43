/**
 * A tiny static file server for the browser demo (Deno and Bun, through
 * `node:http`), listening on 127.0.0.1 only. Every response carries
 * `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`, so the page is cross-origin
 * isolated (SharedArrayBuffer available).
 *
 * ```sh
 * deno run -A examples/browser/serve.ts        # builds, then serves on http://127.0.0.1:8000/
 * bun examples/browser/serve.ts 8080
 * ```
 *
 * @example
 * ```ts
 * import { serveStatic } from "./serve.ts";
 * const server = await serveStatic(new URL(".", import.meta.url).pathname);
 * const response = await fetch(`${server.url}index.html`);
 * console.assert(response.headers.get("cross-origin-embedder-policy") === "require-corp");
 * await response.body?.cancel();
 * await server.close();
 * ```
 *
 * @module
 */

import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A running {@link serveStatic} server. */
export interface StaticServer {
  /** Its base URL, ending in `/`. */
  url: string;
  /** Stops it (open connections are closed). */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** The headers every response carries. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/**
 * Serves the files under `root` (GET and HEAD; `/` is `index.html`) on
 * `127.0.0.1` at `port` (default 0: any free port).
 */
export function serveStatic(root: string, port = 0): Promise<StaticServer> {
  const base = path.resolve(root);
  const server = http.createServer((request, response) => {
    const headers: Record<string, string> = { ...ISOLATION_HEADERS };
    const fail = (status: number, text: string) => {
      response.writeHead(status, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
      response.end(text);
    };
    if (request.method !== "GET" && request.method !== "HEAD") return fail(405, "method not allowed\n");
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    } catch {
      return fail(400, "bad path\n");
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = path.resolve(base, "." + pathname);
    if (file !== base && !file.startsWith(base + path.sep)) return fail(403, "forbidden\n");
    fs.readFile(file, (error, data) => {
      if (error) return fail(404, "not found\n");
      headers["Content-Type"] = TYPES[path.extname(file)] ?? "application/octet-stream";
      headers["Content-Length"] = String(data.length);
      response.writeHead(200, headers);
      response.end(request.method === "HEAD" ? undefined : data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void; }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

if ((import.meta as { main?: boolean; }).main) {
  const { buildBrowserDemo } = await import("./build.ts");
  const report = await buildBrowserDemo({ log: (line) => console.log(line) });
  for (const program of report.programs) {
    if (program.status === "skipped") console.log(`${program.name} skipped: ${program.message}`);
  }
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8000);
  const server = await serveStatic(path.dirname(fileURLToPath(import.meta.url)), port);
  console.log(`vkernel browser demo: ${server.url} (Ctrl-C to stop)`);
}
