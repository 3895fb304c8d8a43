/**
 * What one WASI call costs in each way vkernel can run a program: synchronous
 * imports (`jspi: false`), JSPI, the worker bridge (`worker: true`), and JSPI
 * or the bridge when the file system is asynchronous.
 *
 * The guest is a tiny hand-assembled module (no toolchain): it opens
 * /dev/null, then times with clock_time_get(MONOTONIC) three loops of N calls
 * each, `fd_write` of 16 bytes to /dev/null, `fd_filestat_get` on a directory
 * (fd 4, `/data`: an in-memory driver, or the same behind an asynchronous
 * wrapper), and `clock_time_get` itself (a pure call), and writes the four
 * timestamps to stdout. Startup (compile, instantiate, worker start) is
 * measured separately with N = 0.
 *
 * ```sh
 * deno run -A bench/modes_bench.ts            # or: bun bench/modes_bench.ts
 * deno run -A bench/modes_bench.ts --calls 20000 --reps 5
 * bun run bench/modes_bench.ts --node         # also Node 20, through a bundle of this script
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DevFileSystem } from "../drivers/devfs.ts";
import { collector } from "../drivers/stdio.ts";
import { MemoryFileSystem } from "../fs/memory/mod.ts";
import { AsyncFileSystem } from "../fs/overlay/_testing.ts";
import { Kernel } from "../kernel/kernel.ts";
import * as sys from "../kernel/syscalls/mod.ts";
import { assemble, call, I32, i32c, I64, i64c, type ModuleSpec, OP } from "../syscalls/wasi/_test_wasm.ts";
import { MODULE } from "../syscalls/wasi/abi.ts";
import { hasJspi, runWasi, type WasiOptions } from "../syscalls/wasi/wasi.ts";
import { hasWorkerBridge } from "../syscalls/wasi/worker_bridge.ts";
import { hasFlag, median, numberOption, progress, table } from "./_peers.ts";
import { runtimeName } from "./_timing.ts";

// ---- the guest

const T_VOID = 0, T_I32 = 1, T_4I32 = 2, T_2I32 = 3, T_CLOCK = 4, T_OPEN = 5;
const TYPES: ModuleSpec["types"] = [
  [[], []],
  [[I32], []],
  [[I32, I32, I32, I32], [I32]],
  [[I32, I32], [I32]],
  [[I32, I64, I32], [I32]],
  [[I32, I32, I32, I32, I32, I64, I64, I32, I32], [I32]],
];
const IMPORTS: ModuleSpec["imports"] = [
  { module: MODULE, name: "fd_write", type: T_4I32 },
  { module: MODULE, name: "fd_filestat_get", type: T_2I32 },
  { module: MODULE, name: "clock_time_get", type: T_CLOCK },
  { module: MODULE, name: "path_open", type: T_OPEN },
];
const FD_WRITE = 0, FD_FILESTAT_GET = 1, CLOCK_TIME_GET = 2, PATH_OPEN = 3, START = 4;

// Memory: 0 iovec [64, 16]; 32 iovec [400, 32]; 64 the 16 bytes; 200 "dev/null";
// 300 the opened fd; 400 four timestamps; 500 a filestat.
const u32s = (...values: number[]) => new Uint8Array(new Uint32Array(values).buffer);
const LOCAL_I = 0;
const I32_LOAD = [0x28, 0x02, 0x00];

/** `for (i = n; i != 0; i--) body` */
function repeat(n: number, body: number[]): number[] {
  return [
    ...i32c(n),
    0x21,
    LOCAL_I, // local.set
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    0x20,
    LOCAL_I,
    0x45,
    0x0d,
    0x01, // local.get; i32.eqz; br_if 1
    ...body,
    0x20,
    LOCAL_I,
    ...i32c(1),
    0x6b,
    0x21,
    LOCAL_I, // i--
    0x0c,
    0x00, // br 0
    OP.end,
    OP.end,
  ];
}

const now = (at: number) => [...i32c(1), ...i64c(1), ...i32c(at), ...call(CLOCK_TIME_GET), OP.drop];

function guest(n: number): Uint8Array {
  const body = [
    // fd = path_open(3, 0, "dev/null", 0, rights all, 0, 0) at 300
    ...[...i32c(3), ...i32c(0), ...i32c(200), ...i32c(8), ...i32c(0), ...i64c(-1), ...i64c(0)],
    ...[...i32c(0), ...i32c(300), ...call(PATH_OPEN), OP.drop],
    ...now(400),
    ...repeat(n, [
      ...[...i32c(300), ...I32_LOAD, ...i32c(0), ...i32c(1), ...i32c(16), ...call(FD_WRITE), OP.drop],
    ]),
    ...now(408),
    ...repeat(n, [...i32c(4), ...i32c(500), ...call(FD_FILESTAT_GET), OP.drop]),
    ...now(416),
    ...repeat(n, now(424)),
    ...now(424),
    ...[...i32c(1), ...i32c(32), ...i32c(1), ...i32c(16), ...call(FD_WRITE), OP.drop],
  ];
  return assemble({
    types: TYPES,
    imports: IMPORTS,
    funcs: [{ type: T_VOID, locals: [I32], body }],
    exports: [{ name: "_start", func: START }],
    memory: { min: 1, export: "memory" },
    data: [
      { offset: 0, bytes: u32s(64, 16) },
      { offset: 32, bytes: u32s(400, 32) },
      { offset: 64, bytes: new TextEncoder().encode("0123456789abcde\n") },
      { offset: 200, bytes: new TextEncoder().encode("dev/null") },
    ],
  });
}
void T_I32;

// ---- the kernel

async function kernel(asyncData: boolean): Promise<Kernel> {
  const k = new Kernel({ root: new MemoryFileSystem() });
  const init = k.createProcess({ umask: 0 });
  sys.mkdirat(init, -100, "/dev", 0o755);
  sys.mkdirat(init, -100, "/data", 0o755);
  init.exit(0);
  k.mount("/dev", new DevFileSystem({ random: k.random }));
  const data = new MemoryFileSystem();
  await k.mount("/data", asyncData ? new AsyncFileSystem(data) : data);
  return k;
}

interface Mode {
  name: string;
  options: WasiOptions;
  asyncData: boolean;
  available: boolean;
}

const MODES: Mode[] = [
  { name: "sync (jspi: false)", options: { jspi: false }, asyncData: false, available: true },
  { name: "JSPI", options: { jspi: true }, asyncData: false, available: hasJspi() },
  {
    name: "worker bridge",
    options: { jspi: false, worker: true },
    asyncData: false,
    available: hasWorkerBridge(),
  },
  { name: "JSPI, async driver", options: { jspi: true }, asyncData: true, available: hasJspi() },
  {
    name: "worker bridge, async driver",
    options: { jspi: false, worker: true },
    asyncData: true,
    available: hasWorkerBridge(),
  },
];

interface Sample {
  write: number;
  stat: number;
  clock: number;
  startupMs: number;
}

async function once(mode: Mode, n: number): Promise<Sample> {
  const k = await kernel(mode.asyncData);
  const out = collector();
  const t0 = performance.now();
  const r = await runWasi(k, guest(n), { ...mode.options, preopens: ["/", "/data"], stdout: out.sink });
  const wall = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${mode.name}: exit ${r.exitCode} ${String(r.error ?? "")}`);
  const bytes = out.bytes();
  if (bytes.length !== 32) throw new Error(`${mode.name}: ${bytes.length} bytes of timestamps`);
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const [a, b, c, d] = [0, 8, 16, 24].map((i) => Number(v.getBigUint64(i, true)));
  const per = (ns: number) => (n === 0 ? 0 : ns / n / 1000);
  return { write: per(b - a), stat: per(c - b), clock: per(d - c), startupMs: wall };
}

async function measure(mode: Mode, n: number, reps: number): Promise<Sample> {
  await once(mode, Math.min(n, 1000)); // warm-up
  const samples: Sample[] = [];
  const startups: number[] = [];
  for (let i = 0; i < reps; i++) {
    samples.push(await once(mode, n));
    startups.push((await once(mode, 0)).startupMs);
  }
  return {
    write: median(samples.map((s) => s.write)),
    stat: median(samples.map((s) => s.stat)),
    clock: median(samples.map((s) => s.clock)),
    startupMs: median(startups),
  };
}

const us = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 1 ? 3 : 2) : "n/a");

/** The benchmark's markdown table for this runtime. */
export async function modesTable(n: number, reps: number): Promise<string> {
  const rows: string[][] = [];
  for (const mode of MODES) {
    if (!mode.available) {
      rows.push([mode.name, "n/a", "n/a", "n/a", "n/a"]);
      continue;
    }
    progress(`${runtimeName()}: ${mode.name}`);
    const s = await measure(mode, n, reps);
    rows.push([mode.name, us(s.write), us(s.stat), us(s.clock), s.startupMs.toFixed(1)]);
  }
  return `### ${runtimeName()}: µs per call (median of ${reps}, N = ${n})\n\n` + table(
    ["mode", "fd_write 16 B to /dev/null", "fd_filestat_get (dir)", "clock_time_get", "run with N = 0 (ms)"],
    rows,
  );
}

/** Bundles this script for Node and runs it there (`--node`). */
function runUnderNode(n: number, reps: number): string {
  const repo = join(new URL(".", import.meta.url).pathname, "..");
  const outDir = join(repo, "build", "node20");
  const bun = (globalThis as { Bun?: unknown; }).Bun
    ? (globalThis as unknown as { process: { execPath: string; }; }).process.execPath
    : join(repo, "node_modules", ".bin", "bun");
  for (
    const [entry, output] of [["bench/modes_bench.ts", "modes_bench.mjs"], [
      "syscalls/wasi/bridge_worker.mjs",
      "bridge_worker.mjs",
    ]]
  ) {
    const b = spawnSync(
      bun,
      ["build", join(repo, entry), "--target=node", "--outfile", join(outDir, output)],
      {
        encoding: "utf8",
      },
    );
    if (b.status !== 0) throw new Error(`bun build failed: ${b.stderr}`);
  }
  const r = spawnSync(
    process.env.NODE ?? "node",
    [join(outDir, "modes_bench.mjs"), "--calls", String(n), "--reps", String(reps)],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  if (r.status !== 0) throw new Error(`node failed (${r.status})`);
  return r.stdout.trim();
}

const isMain = (import.meta as { main?: boolean; }).main
  ?? (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href);
if (isMain) {
  const n = numberOption("calls", 20000);
  const reps = numberOption("reps", 5);
  console.log(await modesTable(n, reps));
  if (hasFlag("node")) console.log(`\n${runUnderNode(n, reps)}`);
}
