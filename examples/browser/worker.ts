/**
 * The browser demo's dedicated worker: a vkernel with an OPFS mount at
 * `/data`, where a Go (js/wasm) and a C (WASI) program run and write files.
 * The page talks to it with {@link WorkerRequest} messages; the same worker
 * runs the driver contract on OPFS and the OPFS-versus-memfs benchmark for
 * the browser tests (tests/browser/opfs_browser_test.ts).
 *
 * Bundled by `build.ts` into `dist/worker.js`. It imports the kernel's parts
 * directly rather than the root `mod.ts`, which also exports the host
 * filesystem (Node's `fs`, absent in a browser).
 *
 * @module
 */

import { DevFileSystem } from "../../drivers/devfs.ts";
import { collector, sinkStream } from "../../drivers/stdio.ts";
import { type ContractResult, runContractChecks } from "../../fs/_contract/checks.ts";
import { MemoryFileSystem } from "../../fs/memory/mod.ts";
import { type Durability, OpfsFileSystem } from "../../fs/opfs/mod.ts";
import { OPFS_CHECKS, runOpfsCheck } from "../../fs/opfs/opfs_checks.ts";
import { isKernelError } from "../../kernel/errno.ts";
import { Kernel } from "../../kernel/kernel.ts";
import type { Process } from "../../kernel/process.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, FileType, O, type Stat } from "../../kernel/types.ts";
import type { FileSystem } from "../../kernel/vfs/driver.ts";
import { runGo } from "../../syscalls/gojs/mod.ts";
import { runWasi } from "../../syscalls/wasi/mod.ts";

/** The OPFS directory (below the origin's OPFS root) mounted at /data. */
export const DEMO_DIRECTORY = "vkernel-demo";

/** A request from the page; `id` pairs it with its {@link WorkerResponse}. */
export type WorkerRequest =
  & { id: number; }
  & (
    | { op: "demo"; goUrl: string; cUrl: string; }
    | { op: "list"; }
    | { op: "write"; path: string; text: string; keepOpen?: boolean; }
    | { op: "contract"; }
    | { op: "bench"; fileMiB?: number; smallFiles?: number; rounds?: number; }
    | { op: "reset"; }
    | { op: "capabilities"; }
  );

/** The worker's answer to a {@link WorkerRequest}. */
export type WorkerResponse =
  | { id: number; ok: true; value: unknown; }
  | { id: number; ok: false; error: string; };

/** One file under /data as the kernel sees it (metadata from the OPFS driver's index). */
export interface ListedFile {
  path: string;
  type: "file" | "directory" | "symlink" | "other";
  mode: string;
  nlink: number;
  ino: number;
  size: number;
  mtime: string;
  /** The modification time in nanoseconds (decimal). */
  mtimeNs: string;
  /** A symlink's target. */
  target?: string;
  /** The start of a small regular file. */
  text?: string;
}

/** What one program run reports. */
export interface ProgramRun {
  exitCode: number;
  output: string;
  ms: number;
  error?: string;
}

/** The answer to `demo`. */
export interface DemoResult {
  go: ProgramRun;
  c: ProgramRun;
  files: ListedFile[];
}

/** One line of the benchmark table (medians over the rounds). */
export interface BenchRow {
  fs: string;
  writeMBps: number;
  readMBps: number;
  smallFileOpsPerSecond: number;
  smallFiles: number;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerResponse): void;
}

const scope = globalThis as unknown as WorkerScope;

let demo: { kernel: Kernel; fs: OpfsFileSystem; } | null = null;

/** A kernel with memfs at /, devices at /dev, and `fs` mounted at each of `mounts`. */
async function bootKernel(mounts: Record<string, FileSystem>): Promise<Kernel> {
  const kernel = new Kernel({ root: new MemoryFileSystem() });
  const init = kernel.createProcess({ umask: 0 });
  for (const dir of ["/tmp", "/dev", ...Object.keys(mounts)]) {
    await sys.mkdirat(init, AT.FDCWD, dir, dir === "/tmp" ? 0o1777 : 0o755);
  }
  init.exit(0);
  kernel.mount("/dev", new DevFileSystem({ random: kernel.random }));
  for (const [path, fs] of Object.entries(mounts)) await kernel.mount(path, fs);
  return kernel;
}

async function demoKernel(): Promise<{ kernel: Kernel; fs: OpfsFileSystem; }> {
  if (demo !== null) return demo;
  const fs = await OpfsFileSystem.open({ root: DEMO_DIRECTORY });
  demo = { kernel: await bootKernel({ "/data": fs }), fs };
  return demo;
}

async function fetchModule(url: string): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (run examples/browser/build.ts)`);
  return await WebAssembly.compileStreaming(response);
}

async function runDemo(goUrl: string, cUrl: string): Promise<DemoResult> {
  const { kernel, fs } = await demoKernel();
  const [goModule, cModule] = await Promise.all([fetchModule(goUrl), fetchModule(cUrl)]);

  const goOut = collector();
  let started = performance.now();
  const go: ProgramRun = { exitCode: -1, output: "", ms: 0 };
  try {
    const stream = sinkStream(goOut.sink);
    go.exitCode =
      (await runGo(kernel, goModule, { args: ["demo-go"], cwd: "/data", stdout: stream, stderr: stream }))
        .exitCode;
  } catch (error) {
    go.error = String(error);
  }
  go.output = goOut.text();
  go.ms = performance.now() - started;

  const cOut = collector();
  started = performance.now();
  const c: ProgramRun = { exitCode: -1, output: "", ms: 0 };
  try {
    const result = await runWasi(kernel, cModule, {
      args: ["demo-c"],
      env: { PWD: "/data" },
      preopens: ["/data"],
      stdout: cOut.sink,
      stderr: cOut.sink,
    });
    c.exitCode = result.exitCode;
    if (result.error !== undefined) c.error = String(result.error);
  } catch (error) {
    c.error = String(error);
  }
  c.output = cOut.text();
  c.ms = performance.now() - started;

  // Let the page (and anyone else) read the files: close the sync access handles.
  await fs.releaseHandles();
  return { go, c, files: await listTree(kernel, "/data") };
}

function modeString(st: Stat): string {
  const kind = st.type === FileType.Directory ? "d" : st.type === FileType.Symlink ? "l" : "-";
  let bits = "";
  for (let shift = 6; shift >= 0; shift -= 3) {
    const b = (st.mode >> shift) & 7;
    bits += (b & 4 ? "r" : "-") + (b & 2 ? "w" : "-") + (b & 1 ? "x" : "-");
  }
  return kind + bits;
}

/** Every file under `top`, depth first, with metadata, symlink targets and small files' text. */
async function listTree(kernel: Kernel, top: string): Promise<ListedFile[]> {
  const proc = kernel.createProcess();
  const files: ListedFile[] = [];
  try {
    await walk(proc, top, files);
  } finally {
    proc.exit(0);
    kernel.reap(proc);
  }
  return files;
}

async function walk(proc: Process, dir: string, files: ListedFile[]): Promise<void> {
  const fd = await sys.openat(proc, AT.FDCWD, dir, O.RDONLY | O.DIRECTORY);
  const names: string[] = [];
  try {
    for (;;) {
      const batch = await sys.getdents(proc, fd, 128);
      if (batch.length === 0) break;
      for (const entry of batch) if (entry.name !== "." && entry.name !== "..") names.push(entry.name);
    }
  } finally {
    await sys.close(proc, fd);
  }
  names.sort();
  for (const name of names) {
    const path = `${dir}/${name}`;
    const st = await sys.fstatat(proc, AT.FDCWD, path, AT.SYMLINK_NOFOLLOW);
    const file: ListedFile = {
      path,
      type: st.type === FileType.RegularFile
        ? "file"
        : st.type === FileType.Directory
        ? "directory"
        : st.type === FileType.Symlink
        ? "symlink"
        : "other",
      mode: modeString(st),
      nlink: st.nlink,
      ino: st.ino,
      size: st.size,
      mtime: new Date(Number(st.mtimeNs / 1_000_000n)).toISOString(),
      mtimeNs: String(st.mtimeNs),
    };
    if (file.type === "symlink") file.target = await sys.readlinkat(proc, AT.FDCWD, path);
    if (file.type === "file" && st.size <= 4096) {
      const fd = await sys.openat(proc, AT.FDCWD, path, O.RDONLY);
      try {
        const buffer = new Uint8Array(st.size);
        const n = await sys.read(proc, fd, buffer);
        file.text = new TextDecoder().decode(buffer.subarray(0, n));
      } finally {
        await sys.close(proc, fd);
      }
    }
    files.push(file);
    if (file.type === "directory") await walk(proc, path, files);
  }
}

/** Processes that keep a file open on purpose (see `write` with `keepOpen`). */
const holders: Process[] = [];

/**
 * Writes `text` to `path` through the kernel; with `keepOpen` the file stays
 * open (and its sync access handle too), as a program's would when the page
 * is reloaded under it.
 */
async function writeFile(path: string, text: string, keepOpen = false): Promise<void> {
  const { kernel } = await demoKernel();
  const proc = kernel.createProcess({ umask: 0o022 });
  const fd = await sys.openat(proc, AT.FDCWD, path, O.CREAT | O.WRONLY | O.TRUNC, 0o644);
  await sys.write(proc, fd, new TextEncoder().encode(text));
  if (keepOpen) {
    holders.push(proc);
    return;
  }
  await sys.close(proc, fd);
  proc.exit(0);
  kernel.reap(proc);
}

/**
 * Runs the driver contract, then the OPFS driver's own checks (titles
 * prefixed `opfs: `), on real OPFS: each check in a fresh OPFS directory.
 */
async function runContract(): Promise<ContractResult[]> {
  const opfsRoot = await navigator.storage.getDirectory();
  const base = await opfsRoot.getDirectoryHandle("vkernel-contract", { create: true });
  let count = 0;
  const fresh = async () => {
    const name = `check-${count++}`;
    return { name, dir: await base.getDirectoryHandle(name, { create: true }) };
  };
  try {
    const results = await runContractChecks(async () => {
      const { name, dir } = await fresh();
      // Few handles, so that the checks also evict and reopen sync access handles.
      const fs = await OpfsFileSystem.open({ root: dir, maxOpenHandles: 2 });
      return {
        fs,
        cleanup: async () => {
          await fs.unmount();
          await base.removeEntry(name, { recursive: true });
        },
      };
    });
    for (const check of OPFS_CHECKS) {
      const started = performance.now();
      const { name, dir } = await fresh();
      try {
        await runOpfsCheck(check, () => dir, () => base.removeEntry(name, { recursive: true }));
        results.push({ title: `opfs: ${check.title}`, status: "passed", ms: performance.now() - started });
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        results.push({
          title: `opfs: ${check.title}`,
          status: "failed",
          message,
          ms: performance.now() - started,
        });
      }
    }
    return results;
  } finally {
    await opfsRoot.removeEntry("vkernel-contract", { recursive: true }).catch(() => {});
  }
}

/** 64 KiB sequential write and read of a `fileMiB` file, then create+stat+unlink of small files. */
async function benchOne(
  kernel: Kernel,
  dir: string,
  label: string,
  fileMiB: number,
  smallFiles: number,
): Promise<BenchRow> {
  const proc = kernel.createProcess({ umask: 0o022 });
  const chunk = new Uint8Array(64 << 10);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
  const chunks = (fileMiB << 20) / chunk.length;
  const big = `${dir}/big.bin`;

  let started = performance.now();
  let fd = await sys.openat(proc, AT.FDCWD, big, O.CREAT | O.WRONLY | O.TRUNC, 0o644);
  for (let i = 0; i < chunks; i++) await sys.write(proc, fd, chunk);
  await sys.fsync(proc, fd);
  await sys.close(proc, fd);
  const writeMBps = fileMiB / ((performance.now() - started) / 1000);

  // Reads are fast: read the file several times so that one sample lasts long enough.
  const passes = 4;
  started = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    fd = await sys.openat(proc, AT.FDCWD, big, O.RDONLY);
    let total = 0;
    for (;;) {
      const n = await sys.read(proc, fd, chunk);
      if (n === 0) break;
      total += n;
    }
    await sys.close(proc, fd);
    if (total !== fileMiB << 20) throw new Error(`${label}: read ${total} bytes back`);
  }
  const readMBps = (passes * fileMiB) / ((performance.now() - started) / 1000);
  await sys.unlinkat(proc, AT.FDCWD, big, 0);

  started = performance.now();
  for (let i = 0; i < smallFiles; i++) {
    const path = `${dir}/small-${i}`;
    const f = await sys.openat(proc, AT.FDCWD, path, O.CREAT | O.WRONLY | O.EXCL, 0o644);
    await sys.close(proc, f);
    await sys.fstatat(proc, AT.FDCWD, path, 0);
    await sys.unlinkat(proc, AT.FDCWD, path, 0);
  }
  const smallFileOpsPerSecond = smallFiles / ((performance.now() - started) / 1000);
  proc.exit(0);
  kernel.reap(proc);
  return { fs: label, writeMBps, readMBps, smallFileOpsPerSecond, smallFiles };
}

async function runBench(fileMiB = 32, smallFiles = 500, rounds = 5): Promise<BenchRow[]> {
  const opfsRoot = await navigator.storage.getDirectory();
  const variants: [string, Durability][] = [["opfs (durability: flush)", "flush"], [
    "opfs (durability: write)",
    "write",
  ]];
  const mounts: Record<string, FileSystem> = { "/mem": new MemoryFileSystem() };
  const opened: OpfsFileSystem[] = [];
  for (const [i, [, durability]] of variants.entries()) {
    const dir = await opfsRoot.getDirectoryHandle(`vkernel-bench-${i}`, { create: true });
    const fs = await OpfsFileSystem.open({ root: dir, durability });
    opened.push(fs);
    mounts[`/opfs${i}`] = fs;
  }
  const samples = new Map<string, BenchRow[]>();
  try {
    const kernel = await bootKernel(mounts);
    // A warm-up round (not reported), then the rounds, each filesystem in turn within a round.
    await benchOne(kernel, "/mem", "warm-up", Math.min(fileMiB, 8), smallFiles);
    for (let round = 0; round < rounds; round++) {
      const runs: [string, string, number][] = [["/mem", "memfs", smallFiles * 20]];
      for (const [i, [label]] of variants.entries()) runs.push([`/opfs${i}`, label, smallFiles]);
      for (const [dir, label, count] of runs) {
        const row = await benchOne(kernel, dir, label, fileMiB, count);
        samples.set(label, [...samples.get(label) ?? [], row]);
      }
    }
  } finally {
    for (const [i, fs] of opened.entries()) {
      await fs.unmount();
      await opfsRoot.removeEntry(`vkernel-bench-${i}`, { recursive: true }).catch(() => {});
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  return [...samples].map(([label, rows]) => ({
    fs: label,
    writeMBps: median(rows.map((r) => r.writeMBps)),
    readMBps: median(rows.map((r) => r.readMBps)),
    smallFileOpsPerSecond: median(rows.map((r) => r.smallFileOpsPerSecond)),
    smallFiles: rows[0].smallFiles,
  }));
}

async function reset(): Promise<void> {
  if (demo !== null) {
    await demo.fs.unmount();
    demo = null;
  }
  const opfsRoot = await navigator.storage.getDirectory();
  await opfsRoot.removeEntry(DEMO_DIRECTORY, { recursive: true }).catch(() => {});
}

/** What this browser's OPFS and WebAssembly offer the driver and the facades. */
export interface Capabilities {
  /** `typeof FileSystemFileHandle.prototype.move`. */
  fileMove: string;
  /** `typeof FileSystemDirectoryHandle.prototype.move` ("undefined" in Chromium 156). */
  directoryMove: string;
  syncAccessHandle: string;
  jspi: boolean;
  crossOriginIsolated: boolean;
}

async function capabilities(): Promise<Capabilities> {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle("vkernel-probe", { create: true });
  const file = await dir.getFileHandle("probe", { create: true });
  const result: Capabilities = {
    fileMove: typeof (file as unknown as { move?: unknown; }).move,
    directoryMove: typeof (dir as unknown as { move?: unknown; }).move,
    syncAccessHandle: typeof (file as unknown as { createSyncAccessHandle?: unknown; })
      .createSyncAccessHandle,
    jspi: typeof (WebAssembly as unknown as { Suspending?: unknown; }).Suspending === "function",
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean; }).crossOriginIsolated === true,
  };
  await root.removeEntry("vkernel-probe", { recursive: true });
  return result;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "demo":
      return await runDemo(request.goUrl, request.cUrl);
    case "list":
      return await listTree((await demoKernel()).kernel, "/data");
    case "write":
      return await writeFile(request.path, request.text, request.keepOpen);
    case "contract":
      return await runContract();
    case "bench":
      return await runBench(request.fileMiB, request.smallFiles, request.rounds);
    case "reset":
      return await reset();
    case "capabilities":
      return await capabilities();
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  handle(request).then(
    (value) => scope.postMessage({ id: request.id, ok: true, value }),
    (error) => {
      const text = isKernelError(error)
        ? error.message
        : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
      scope.postMessage({ id: request.id, ok: false, error: text });
    },
  );
};
