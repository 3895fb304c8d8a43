/**
 * WASI preview1 I/O: one C program (`tests/fixtures/c/bench_io.c`) doing 1M 16-byte writes to
 * /dev/null, 100k open+fstat+close, 10k create then 10k unlink, and a 256 MiB sequential read,
 * on vkernel (memfs root, devfs at /dev) beside `@bjorn3/browser_wasi_shim` (its in-memory
 * directory objects, same runtime, same process) and Node's `node:wasi` (a child `node` process
 * on a real host directory, tmpfs /dev/shm by default, and the host's real /dev/null).
 *
 * Times are measured inside the program (clock_gettime(CLOCK_MONOTONIC) around each loop), so
 * process startup, compilation and setup are left out; a second table adds compile +
 * instantiate + exit ("per run"). Medians of `--reps` runs (default 5).
 *
 * Run: `deno run -A bench/wasi_bench.ts` or `bun bench/wasi_bench.ts`
 * (`--quick`: 1/10 of the sizes and 3 runs; `--reps N`; `--host-dir DIR` for node:wasi's files;
 * `--only devnull,openstat,createunlink,seqread` and `--impl vkernel,vkernel-nojspi,shim,node` run a
 * subset, e.g. under `deno run -A --cpu-prof` to profile one row).
 *
 * @module
 */

import {
  ConsoleStdout,
  Fd,
  File,
  Inode,
  OpenFile,
  PreopenDirectory,
  WASI,
  wasi as shimDefs,
} from "@bjorn3/browser_wasi_shim";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { collector, createKernel, type Kernel, runWasi } from "../mod.ts";
import { hasJspi } from "../syscalls/wasi/mod.ts";
import { buildFixture } from "../tests/fixtures/build.ts";
import {
  hasFlag,
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
const reps = numberOption("reps", quick ? 3 : 5);
const scale = quick ? 10 : 1;
const runner = fileURLToPath(new URL("./peers/node_wasi_runner.mjs", import.meta.url));

/** One row: the program's arguments (guest paths: data under /data, devices under /dev). */
interface Workload {
  label: string;
  mode: string;
  args: string[];
  /** Size of /data/big to create first (seqread only). */
  seed?: number;
}

const SEQ_BYTES = (256 << 20) / scale;
const WORKLOADS: Workload[] = [
  {
    label: `${(1_000_000 / scale).toLocaleString("en-US")} x write(16 B) to /dev/null`,
    mode: "devnull",
    args: ["devnull", String(1_000_000 / scale)],
  },
  {
    label: `${(100_000 / scale).toLocaleString("en-US")} x open+fstat+close`,
    mode: "openstat",
    args: ["openstat", "/data", String(100_000 / scale)],
  },
  {
    label: `${(10_000 / scale).toLocaleString("en-US")} x create, then unlink them`,
    mode: "createunlink",
    args: ["createunlink", "/data", String(10_000 / scale)],
  },
  {
    label: `${SEQ_BYTES >> 20} MiB sequential read, 64 KiB read(2)s`,
    mode: "seqread",
    args: ["seqread", "/data/big", "65536"],
    seed: SEQ_BYTES,
  },
];

/** In-program milliseconds and per-run (compile + instantiate + run) milliseconds. */
interface Sample {
  inner: number;
  wall: number;
}

function parseProgramLine(stdout: string, mode: string): number {
  const found = timings(stdout, `bench_io ${mode} `);
  if (found.length !== 1) throw new Error(`no timing line for ${mode} in ${JSON.stringify(stdout)}`);
  return found[0];
}

// ---- vkernel

async function runVkernel(
  kernel: Kernel,
  wasm: Uint8Array,
  w: Workload,
  jspi: "auto" | false,
): Promise<Sample> {
  const out = collector();
  const err = collector();
  const t0 = performance.now();
  const { exitCode } = await runWasi(kernel, wasm, {
    args: ["bench_io", ...w.args],
    preopens: ["/"],
    stdout: out.sink,
    stderr: err.sink,
    jspi,
  });
  const wall = performance.now() - t0;
  if (exitCode !== 0) throw new Error(`vkernel: bench_io ${w.mode} exited ${exitCode}: ${err.text()}`);
  return { inner: parseProgramLine(out.text(), w.mode), wall };
}

// ---- @bjorn3/browser_wasi_shim

/** An fd that accepts and drops every write, like /dev/null (the shim has no devices). */
class NullFd extends Fd {
  override fd_write(data: Uint8Array): { ret: number; nwritten: number; } {
    return { ret: shimDefs.ERRNO_SUCCESS, nwritten: data.byteLength };
  }
  override fd_read(): { ret: number; data: Uint8Array; } {
    return { ret: shimDefs.ERRNO_SUCCESS, data: new Uint8Array(0) };
  }
  override fd_fdstat_get(): { ret: number; fdstat: InstanceType<typeof shimDefs.Fdstat>; } {
    return { ret: 0, fdstat: new shimDefs.Fdstat(shimDefs.FILETYPE_CHARACTER_DEVICE, 0) };
  }
  override fd_filestat_get(): { ret: number; filestat: InstanceType<typeof shimDefs.Filestat>; } {
    return { ret: 0, filestat: new shimDefs.Filestat(0n, shimDefs.FILETYPE_CHARACTER_DEVICE, 0n) };
  }
}

/** The inode behind /dev/null: every open gives a {@link NullFd}. */
class NullDevice extends Inode {
  path_open(): { ret: number; fd_obj: Fd | null; } {
    return { ret: shimDefs.ERRNO_SUCCESS, fd_obj: new NullFd() };
  }
  stat(): InstanceType<typeof shimDefs.Filestat> {
    return new shimDefs.Filestat(this.ino, shimDefs.FILETYPE_CHARACTER_DEVICE, 0n);
  }
}

async function runShim(
  data: Map<string, Inode>,
  wasm: Uint8Array<ArrayBuffer>,
  w: Workload,
): Promise<Sample> {
  const out: string[] = [];
  const err: string[] = [];
  const t0 = performance.now();
  const fds: Fd[] = [
    new OpenFile(new File([])),
    ConsoleStdout.lineBuffered((line) => out.push(line)),
    ConsoleStdout.lineBuffered((line) => err.push(line)),
    new PreopenDirectory("/dev", new Map<string, Inode>([["null", new NullDevice()]])),
    new PreopenDirectory("/data", data),
  ];
  // `debug: false`: without it the shim logs every path lookup to the console.
  const wasi = new WASI(["bench_io", ...w.args], [], fds, { debug: false });
  const module = await WebAssembly.compile(wasm);
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  const exitCode = wasi.start(
    instance as { exports: { memory: WebAssembly.Memory; _start: () => unknown; }; },
  );
  const wall = performance.now() - t0;
  if (exitCode !== 0) {
    throw new Error(`browser_wasi_shim: bench_io ${w.mode} exited ${exitCode}: ${err.join("\n")}`);
  }
  return { inner: parseProgramLine(out.join("\n"), w.mode), wall };
}

// ---- node:wasi (child process)

async function runNodeWasi(hostDir: string, wasmPath: string, w: Workload): Promise<Sample[]> {
  const r = await runOk(nodeBinary(), [
    "--no-warnings",
    runner,
    "--timing",
    "--repeat",
    String(reps),
    "--dir",
    `${hostDir}::/data`,
    "--dir",
    "/dev::/dev",
    wasmPath,
    ...w.args,
  ]);
  const inner = timings(r.stdout, `bench_io ${w.mode} `);
  const wall = timings(r.stderr, "runner ");
  if (inner.length !== reps || wall.length !== reps) {
    throw new Error(`node:wasi output: ${r.stdout}\n${r.stderr}`);
  }
  return inner.map((v, i) => ({ inner: v, wall: wall[i] }));
}

// ---- the run

const wasmPath = await buildFixture("c", "bench_io");
const wasm: Uint8Array<ArrayBuffer> = new Uint8Array(readFileSync(wasmPath));
const host = hostTempDir("vkernel-wasi-bench-");
const nodeVersion = (await runOk(nodeBinary(), ["--version"])).stdout.trim();
const IMPLS = ["vkernel", "vkernel, jspi off", "browser_wasi_shim", "node:wasi"] as const;
type Impl = typeof IMPLS[number];
const results = new Map<string, Map<Impl, Sample[]>>();
const IMPL_IDS: Record<Impl, string> = {
  "vkernel": "vkernel",
  "vkernel, jspi off": "vkernel-nojspi",
  "browser_wasi_shim": "shim",
  "node:wasi": "node",
};
const onlyModes = listOption("only", WORKLOADS.map((w) => w.mode));
const onlyImpls = listOption("impl", Object.values(IMPL_IDS));
const wanted = (impl: Impl) => onlyImpls.includes(IMPL_IDS[impl]);

try {
  for (const w of WORKLOADS.filter((w) => onlyModes.includes(w.mode))) {
    const samples = new Map<Impl, Sample[]>(IMPLS.map((i) => [i, []]));
    results.set(w.mode, samples);
    const kernel = createKernel();
    kernel.files.mkdir("/data");
    const shimData = new Map<string, Inode>();
    if (w.seed) {
      const bytes = patternBytes(w.seed);
      if (wanted("vkernel") || wanted("vkernel, jspi off")) kernel.files.writeFile("/data/big", bytes);
      if (wanted("browser_wasi_shim")) shimData.set("big", new File(bytes));
      if (wanted("node:wasi")) writeFileSync(`${host.path}/big`, bytes);
    }
    for (let rep = 0; rep < reps; rep++) {
      progress(`wasi_bench: ${w.mode} run ${rep + 1}/${reps}`);
      if (wanted("vkernel")) samples.get("vkernel")!.push(await runVkernel(kernel, wasm, w, "auto"));
      if (wanted("vkernel, jspi off")) {
        samples.get("vkernel, jspi off")!.push(await runVkernel(kernel, wasm, w, false));
      }
      if (wanted("browser_wasi_shim")) {
        samples.get("browser_wasi_shim")!.push(await runShim(shimData, wasm, w));
      }
    }
    if (wanted("node:wasi")) {
      progress(`wasi_bench: ${w.mode} on node:wasi (${reps} runs in one process)`);
      samples.set("node:wasi", await runNodeWasi(host.path, wasmPath, w));
    }
    shimData.clear();
  }
} finally {
  host.remove();
}

const medianOf = (mode: string, impl: Impl, key: keyof Sample) =>
  median(results.get(mode)?.get(impl)?.map((s) => s[key]) ?? []);

function render(key: keyof Sample): string {
  const header = [
    "work",
    `vkernel${hasJspi() ? " (JSPI on)" : ""}`,
    "vkernel, jspi: false",
    "browser_wasi_shim",
    `node:wasi (${host.fsType})`,
    "shim / vkernel",
    "node:wasi / vkernel",
  ];
  const rows = WORKLOADS.filter((w) => results.has(w.mode)).map((w) => {
    const v = IMPLS.map((impl) => medianOf(w.mode, impl, key));
    return [w.label, ...v.map(ms), ratio(v[2], v[0]), ratio(v[3], v[0])];
  });
  return table(header, rows);
}

console.log(`### WASI I/O (${runtimeName()}; node:wasi on ${nodeVersion})`);
console.log("");
console.log(
  `Time inside the program (clock_gettime around the loop), median of ${reps} runs${
    quick ? ", quick sizes" : ""
  }. Ratio = peer time / vkernel time (>1: vkernel is faster).`,
);
console.log("");
console.log(render("inner"));
console.log("");
console.log("Per run: compile + instantiate + run + exit, inside the host process (no process startup).");
console.log("");
console.log(render("wall"));
