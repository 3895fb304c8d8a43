/**
 * Embedding vkernel in a Deno script. Run: `deno run -A examples/deno_embed.ts`.
 *
 * @module
 */

import { fixturePaths, walkThrough } from "./_embed_common.ts";

const paths = await fixturePaths();
const hostDir = await Deno.makeTempDir({ prefix: "vkernel-embed-" });
try {
  const lines = await walkThrough({
    demo: new URL("./demo/demo.wasm", import.meta.url),
    helloWasip1: await Deno.readFile(paths.helloWasip1),
    helloJsPath: paths.helloJs,
    echoLines: await Deno.readFile(paths.echo),
  }, hostDir);
  for (const line of lines) console.log(line);
} finally {
  await Deno.remove(hostDir, { recursive: true });
}
