/**
 * Startup: wall-clock time of whole process runs of a hello-world Go js/wasm program and a
 * hello-world C WASI program through the vkernel CLI (`deno run -A cli.ts run`, `bun cli.ts run`
 * and the `bin/vkernel` launcher with either runtime), beside Go's own Node runner
 * (`node wasm_exec_node.js`) and `node:wasi` (`bench/peers/node_wasi_runner.mjs`), in one run.
 * The bare runtimes (`-e 0`) are timed too, as the floor under each.
 *
 * Each command runs once to warm caches (Deno's transpile cache, the page cache), then `--reps`
 * times (default 10), the commands interleaved; medians are reported.
 *
 * Run: `deno run -A bench/startup_bench.ts` or `bun bench/startup_bench.ts` (`--reps N`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { buildFixture } from "../tests/fixtures/build.ts";
import {
  envVar,
  hostEnv,
  median,
  ms,
  nodeBinary,
  numberOption,
  progress,
  ratio,
  run,
  table,
} from "./_peers.ts";
import { runtimeName } from "./_timing.ts";

const reps = numberOption("reps", 10);
const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const deno = envVar("DENO") ?? `${root}/node_modules/.bin/deno`;
const bun = envVar("BUN") ?? `${root}/node_modules/.bin/bun`;
const node = nodeBinary();
const goroot = envVar("GOROOT") ?? "/usr/local/go";

interface Command {
  label: string;
  argv: string[];
  env?: Record<string, string>;
  /** Text stdout must contain. */
  expect?: string;
}

const goHello = await buildFixture("go-js", "hello");
const cHello = await buildFixture("c", "hello");
const env = hostEnv();
const vkernelCommands = (wasm: string): Command[] => [
  { label: "`deno run -A cli.ts run`", argv: [deno, "run", "-A", `${root}/cli.ts`, "run", wasm] },
  { label: "`bun cli.ts run`", argv: [bun, `${root}/cli.ts`, "run", wasm] },
  {
    label: "`bin/vkernel run` (Deno)",
    argv: [`${root}/bin/vkernel`, "run", wasm],
    env: { VKERNEL_RUNTIME: "deno" },
  },
  {
    label: "`bin/vkernel run` (Bun)",
    argv: [`${root}/bin/vkernel`, "run", wasm],
    env: { VKERNEL_RUNTIME: "bun" },
  },
];
const groups: Array<{ program: string; peer: Command; ours: Command[]; }> = [
  {
    program: "Go hello (js/wasm)",
    peer: {
      label: "`node wasm_exec_node.js`",
      argv: [node, `${goroot}/lib/wasm/wasm_exec_node.js`, goHello],
    },
    ours: vkernelCommands(goHello),
  },
  {
    program: "C hello (WASI)",
    peer: {
      label: "`node node_wasi_runner.mjs` (node:wasi)",
      argv: [node, "--no-warnings", `${root}/bench/peers/node_wasi_runner.mjs`, cHello],
    },
    ours: vkernelCommands(cHello),
  },
];
for (const g of groups) for (const c of [g.peer, ...g.ours]) c.expect = "ok hello";
const floors: Command[] = [
  { label: "`deno eval 0`", argv: [deno, "eval", "0"] },
  { label: "`bun -e 0`", argv: [bun, "-e", "0"] },
  { label: "`node -e 0`", argv: [node, "-e", "0"] },
];

const nodeVersion = (await run(node, ["--version"])).stdout.trim();
const all = [...groups.flatMap((g) => [g.peer, ...g.ours]), ...floors];
const times = new Map<Command, number[]>(all.map((c) => [c, []]));

async function once(c: Command): Promise<number> {
  const r = await run(c.argv[0], c.argv.slice(1), { cwd: root, env: { ...env, ...c.env } });
  if (r.code !== 0 || (c.expect && !r.stdout.includes(c.expect))) {
    throw new Error(`${c.argv.join(" ")} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.ms;
}

progress(`startup_bench: warming up ${all.length} commands`);
for (const c of all) await once(c);
for (let rep = 0; rep < reps; rep++) {
  progress(`startup_bench: round ${rep + 1}/${reps}`);
  for (const c of all) times.get(c)!.push(await once(c));
}

const med = (c: Command) => median(times.get(c)!);
const min = (c: Command) => Math.min(...times.get(c)!);

console.log(`### Startup: whole process runs (harness: ${runtimeName()}; Node ${nodeVersion})`);
console.log("");
console.log(
  `Wall-clock time from spawn to exit, median (and fastest) of ${reps} runs after one warm-up run. `
    + "Ratio = peer time / vkernel time (>1: vkernel is faster).",
);
console.log("");
const rows: string[][] = [];
for (const g of groups) {
  for (const c of g.ours) {
    rows.push([
      g.program,
      c.label,
      `${ms(med(c))} (${ms(min(c))})`,
      g.peer.label,
      `${ms(med(g.peer))} (${ms(min(g.peer))})`,
      ratio(med(g.peer), med(c)),
    ]);
  }
}
console.log(table(["program", "vkernel command", "vkernel", "peer command", "peer", "peer / vkernel"], rows));
console.log("");
console.log("Bare runtime start (the floor under each command above):");
console.log("");
console.log(
  table(["command", "median (fastest)"], floors.map((c) => [c.label, `${ms(med(c))} (${ms(min(c))})`])),
);
