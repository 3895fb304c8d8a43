/**
 * The README demo: a Go program (built from tests/fixtures/go/demo for
 * GOOS=js, committed as examples/demo/demo.wasm) runs on vkernel's in-memory
 * filesystem with no host access at all; then this script reads back what it
 * wrote.
 *
 * Run: `deno task demo` (or `bun examples/demo.ts`). Rebuild the program with
 * `deno run -A examples/demo/build.ts`.
 *
 * @module
 */

import { createKernel, FileType, sinkStream, spawn } from "../mod.ts";

const kernel = createKernel();
await kernel.files.mkdir("/home/gopher", { recursive: true });

const wasm = new URL("./demo/demo.wasm", import.meta.url);
const decoder = new TextDecoder();
const print = (bytes: Uint8Array) =>
  void (globalThis as { console: Console; }).console.log(decoder.decode(bytes).replace(/\n$/, ""));

const child = await spawn(kernel, wasm, {
  args: ["demo", "--keep"],
  env: { HOME: "/home/gopher", FIXTURE_DIR: "/home/gopher" },
  cwd: "/home/gopher",
  stdout: sinkStream(print),
  stderr: sinkStream(print),
});
const status = await child.exited;

console.log(`\n[host] the Go program exited with status ${status}; its files, read back from the kernel:`);
async function show(path: string, depth: number): Promise<void> {
  for (const name of (await kernel.files.readdir(path)).sort()) {
    const full = `${path}/${name}`;
    const st = await kernel.files.stat(full, { lstat: true });
    const pad = "  ".repeat(depth + 1);
    if (st.type === FileType.Directory) {
      console.log(`${pad}${name}/`);
      await show(full, depth + 1);
    } else {
      console.log(`${pad}${name} (${st.size} bytes, mode ${st.mode.toString(8)})`);
    }
  }
}
await show("/home/gopher", 0);
console.log(
  `[host] garden/README.md says: ${
    (await kernel.files.readText("/home/gopher/garden/README.md")).split("\n")[1]
  }`,
);
if (status !== 0) throw new Error(`demo exited with ${status}`);
