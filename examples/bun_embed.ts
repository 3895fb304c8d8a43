/// <reference types="bun-types" />
/**
 * Embedding vkernel in a Bun script (typed with bun-types). Run:
 * `bun examples/bun_embed.ts`.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePaths, walkThrough } from "./_embed_common.ts";

const paths = await fixturePaths();
const hostDir = mkdtempSync(join(tmpdir(), "vkernel-embed-"));
try {
  const lines = await walkThrough({
    demo: new URL("./demo/demo.wasm", import.meta.url),
    helloWasip1: new Uint8Array(await Bun.file(paths.helloWasip1).arrayBuffer()),
    helloJsPath: paths.helloJs,
    echoLines: new Uint8Array(await Bun.file(paths.echo).arrayBuffer()),
  }, hostDir);
  for (const line of lines) console.log(line);
} finally {
  rmSync(hostDir, { recursive: true, force: true });
}
