/**
 * Go js/wasm files: one Go program (`tests/fixtures/go/bench_files`, GOOS=js) doing 10,000
 * small-file write+read+stat cycles and one 64 MiB file copy, on vkernel (memfs) beside Go's own
 * runner (`node $GOROOT/lib/wasm/wasm_exec_node.js`) on the host filesystem (tmpfs /dev/shm by
 * default), in one run.
 *
 * Times are measured inside the program (time.Now around the loop), so startup and setup are
 * left out; a second table has whole runs. Medians of `--reps` runs (default 3: a cycles run
 * takes seconds on every host).
 *
 * Run: `deno run -A bench/gojs_bench.ts` or `bun bench/gojs_bench.ts`
 * (`--quick`: 1/10 of the sizes; `--reps N`; `--host-dir DIR` for the Node runner's files;
 * `--no-sync` leaves out the `syncCallbacks: true` column; `--only cycles,copy` and
 * `--impl vkernel,vkernel-sync,node` run a subset, e.g. under `deno run -A --cpu-prof`).
 *
 * @module
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { collector, createKernel, type Kernel, runGo, sinkStream } from "../mod.ts";
import { buildFixture } from "../tests/fixtures/build.ts";
import {
  envVar,
  hasFlag,
  hostEnv,
  hostTempDir,
  listOption,
  median,
  ms,
  nodeBinary,
  numberOption,
  patternBytes,
  progress,
  ratio,
  runOk,
  table,
  timings,
} from "./_peers.ts";
import { runtimeName } from "./_timing.ts";

const quick = hasFlag("quick");
const withSync = !hasFlag("no-sync");
const reps = numberOption("reps", 3);
const scale = quick ? 10 : 1;
const goroot = envVar("GOROOT") ?? "/usr/local/go";
const goRunner = `${goroot}/lib/wasm/wasm_exec_node.js`;

interface Workload {
  label: string;
  mode: string;
  /** Arguments, with `DIR` standing for the data directory. */
  args: string[];
  /** Size of DIR/src to create first (copy only). */
  seed?: number;
}

const CYCLES = 10_000 / scale;
const COPY_BYTES = (64 << 20) / scale;
const WORKLOADS: Workload[] = [
  {
    label: `${CYCLES.toLocaleString("en-US")} x (WriteFile 256 B + ReadFile + Stat)`,
    mode: "cycles",
    args: ["cycles", "DIR", String(CYCLES)],
  },
  {
    label: `${
      (COPY_BYTES / (1 << 20)).toFixed(1).replace(/\.0$/, "")
    } MiB io.Copy file to file (32 KiB buffer)`,
    mode: "copy",
    args: ["copy", "DIR/src", "DIR/dst"],
    seed: COPY_BYTES,
  },
];

interface Sample {
  inner: number;
  wall: number;
}

function parseProgramLine(stdout: string, mode: string): number {
  const found = timings(stdout, `bench_files ${mode} `);
  if (found.length !== 1) throw new Error(`no timing line for ${mode} in ${JSON.stringify(stdout)}`);
  return found[0];
}

const withDir = (args: string[], dir: string) => args.map((a) => a.replace(/^DIR/, dir));

async function runVkernel(
  kernel: Kernel,
  wasm: Uint8Array,
  w: Workload,
  syncCallbacks: boolean,
): Promise<Sample> {
  const out = collector();
  const err = collector();
  const t0 = performance.now();
  const { exitCode } = await runGo(kernel, wasm, {
    args: ["bench_files", ...withDir(w.args, "/data")],
    env: { TMPDIR: "/tmp" },
    cwd: "/data",
    stdout: sinkStream(out.sink),
    stderr: sinkStream(err.sink),
    syncCallbacks,
  });
  const wall = performance.now() - t0;
  if (exitCode !== 0) throw new Error(`vkernel: bench_files ${w.mode} exited ${exitCode}: ${err.text()}`);
  return { inner: parseProgramLine(out.text(), w.mode), wall };
}

async function runNode(dir: string, wasmPath: string, w: Workload): Promise<Sample> {
  const r = await runOk(nodeBinary(), [goRunner, wasmPath, ...withDir(w.args, dir)], {
    cwd: dir,
    env: hostEnv(),
  });
  return { inner: parseProgramLine(r.stdout, w.mode), wall: r.ms };
}

if (!existsSync(goRunner)) throw new Error(`Go's Node runner not found at ${goRunner} (set GOROOT)`);
const wasmPath = await buildFixture("go-js", "bench_files");
const wasm: Uint8Array<ArrayBuffer> = new Uint8Array(readFileSync(wasmPath));
const host = hostTempDir("vkernel-gojs-bench-");
const nodeVersion = (await runOk(nodeBinary(), ["--version"])).stdout.trim();
const goVersion = /go\d[\w.]*/.exec(readFileSync(`${goroot}/VERSION`, "utf8"))?.[0] ?? "go";
const IMPLS = ["vkernel", "vkernel, syncCallbacks", "node"] as const;
type Impl = typeof IMPLS[number];
const results = new Map<string, Map<Impl, Sample[]>>();
const IMPL_IDS: Record<Impl, string> = {
  "vkernel": "vkernel",
  "vkernel, syncCallbacks": "vkernel-sync",
  "node": "node",
};
const onlyModes = listOption("only", WORKLOADS.map((w) => w.mode));
const onlyImpls = listOption("impl", Object.values(IMPL_IDS)).filter((i) => withSync || i !== "vkernel-sync");
const wanted = (impl: Impl) => onlyImpls.includes(IMPL_IDS[impl]);

try {
  for (const w of WORKLOADS.filter((w) => onlyModes.includes(w.mode))) {
    const samples = new Map<Impl, Sample[]>(IMPLS.map((i) => [i, []]));
    results.set(w.mode, samples);
    const kernel = createKernel();
    kernel.files.mkdir("/data");
    if (w.seed) {
      const bytes = patternBytes(w.seed);
      if (wanted("vkernel") || wanted("vkernel, syncCallbacks")) kernel.files.writeFile("/data/src", bytes);
      if (wanted("node")) writeFileSync(`${host.path}/src`, bytes);
    }
    for (let rep = 0; rep < reps; rep++) {
      progress(`gojs_bench: ${w.mode} run ${rep + 1}/${reps}`);
      if (wanted("vkernel")) samples.get("vkernel")!.push(await runVkernel(kernel, wasm, w, false));
      if (wanted("vkernel, syncCallbacks")) {
        samples.get("vkernel, syncCallbacks")!.push(await runVkernel(kernel, wasm, w, true));
      }
      if (wanted("node")) samples.get("node")!.push(await runNode(host.path, wasmPath, w));
    }
  }
} finally {
  host.remove();
}

const medianOf = (mode: string, impl: Impl, key: keyof Sample) =>
  median(results.get(mode)?.get(impl)?.map((s) => s[key]) ?? []);

function render(key: keyof Sample): string {
  const header = [
    "work",
    "vkernel (memfs)",
    ...(withSync ? ["vkernel, syncCallbacks: true"] : []),
    `Go's runner on Node (${host.fsType})`,
    "Node / vkernel",
    ...(withSync ? ["Node / vkernel syncCallbacks"] : []),
  ];
  const rows = WORKLOADS.filter((w) => results.has(w.mode)).map((w) => {
    const [ours, sync, node] = IMPLS.map((impl) => medianOf(w.mode, impl, key));
    return [
      w.label,
      ms(ours),
      ...(withSync ? [ms(sync)] : []),
      ms(node),
      ratio(node, ours),
      ...(withSync ? [ratio(node, sync)] : []),
    ];
  });
  return table(header, rows);
}

console.log(`### Go js/wasm files (${runtimeName()}; ${goVersion}; Node ${nodeVersion})`);
console.log("");
console.log(
  `Time inside the program (time.Now around the loop), median of ${reps} runs${
    quick ? ", quick sizes" : ""
  }. Ratio = Node time / vkernel time (>1: vkernel is faster).`,
);
console.log("");
console.log(render("inner"));
console.log("");
console.log(
  "Whole run: vkernel = runGo from the .wasm bytes (compile + run + exit) inside this process; "
    + "Node = the whole `node wasm_exec_node.js` process (includes Node's own startup, ~40 ms).",
);
console.log("");
console.log(render("wall"));
