// Hello-world start-up through the CLI, measured a second way: each command is run with Node's
// spawnSync, so no harness event loop competes for the two CPUs while the command starts
// (bench/startup_bench.ts spawns asynchronously from Deno or Bun; Deno's multi-threaded start-up
// is the most sensitive to that). Median of 7 runs after building the fixtures.
//
// Run: node bench/startup_sync.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildFixture } from "../tests/fixtures/build.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const c = await buildFixture("c", "hello");
const go = await buildFixture("go-js", "hello");
const bin = (name) => `${root}node_modules/.bin/${name}`;
const rows = [
  ["C WASI hello", "`deno run -A cli.ts run`", [bin("deno"), ["run", "-A", "cli.ts", "run", c]]],
  ["C WASI hello", "`bun cli.ts run`", [bin("bun"), ["cli.ts", "run", c]]],
  ["C WASI hello", "node + node:wasi (peer)", ["node", [
    "--no-warnings",
    "bench/peers/node_wasi_runner.mjs",
    c,
  ]]],
  ["Go js hello", "`deno run -A cli.ts run`", [bin("deno"), ["run", "-A", "cli.ts", "run", go]]],
  ["Go js hello", "`bun cli.ts run`", [bin("bun"), ["cli.ts", "run", go]]],
  ["Go js hello", "node wasm_exec_node.js (peer)", ["node", [
    "/usr/local/go/lib/wasm/wasm_exec_node.js",
    go,
  ]]],
];
console.log("| program | command | median of 7 |\n|---|---|---:|");
for (const [program, label, [cmd, args]] of rows) {
  const times = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`| ${program} | ${label} | ${times[3].toFixed(1)} ms |`);
}
