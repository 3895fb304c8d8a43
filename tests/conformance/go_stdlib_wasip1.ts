/**
 * Go's own standard-library tests for GOOS=wasip1, on vkernel and on Node's
 * `node:wasi`, side by side.
 *
 * For each package it builds `GOOS=wasip1 GOARCH=wasm go test -c` (cached in
 * `build/go-stdlib-wasip1/`, rebuilt when `go version` changes) and runs the
 * binary:
 *
 * - on vkernel (`runWasi`, JSPI, real clocks): an in-memory root, GOROOT
 *   mounted read-only from the host at its real path (and the host's
 *   `/proc/sys/fs`, see {@link SYSTEM_DIRS}), a writable in-memory `/tmp`,
 *   preopen `/`, cwd (`PWD`) = the package directory, env `TMPDIR=/tmp`, `HOME=/tmp`, `GOROOT` and
 *   `GOWASIRUNTIME=vkernel` (which no test knows: it runs the tests Go skips
 *   for wasmtime, the default runtime, and for wazero);
 * - on Node's `node:wasi` (a `node` subprocess, so this works from Deno and
 *   Bun), with the host's real `/` preopened as `/`, the same cwd and env but
 *   `TMPDIR`/`HOME` = a fresh host temporary directory (removed afterwards).
 *   Go's `go_wasip1_wasm_exec` would use wasmtime, which is not installed.
 *   node:wasi (uvwasi) has known problems, which show here: it refuses
 *   absolute symlink targets (EPERM, so Go's symlink tests skip themselves),
 *   enforces rights, so many opens through directory fds (os.Root, files in
 *   new directories) fail with ENOTCAPABLE, resolves `a/../b` wrongly under a
 *   directory fd, mixes up open flags (an O_APPEND open truncates; after
 *   Seek(0, 0) an O_WRONLY write appends), ignores a UTIME_OMIT time, accepts
 *   NUL in paths, and (Node 20) may die with SIGSEGV in `time`'s timer tests. It is synchronous
 *   (no JSPI), so `poll_oneoff` on fds cannot wait for other goroutines; on
 *   macOS it also loses `fd_readdir` cookies (nodejs/node#47193).
 *
 * Both get `-test.short -test.v -test.timeout=300s` and print the
 * `--- PASS` / `--- FAIL` / `--- SKIP` counts; the tests that fail, and those
 * skipped only on one side (with Go's reason), are listed below the table.
 *
 * ```sh
 * deno run -A tests/conformance/go_stdlib_wasip1.ts                  # every package
 * bun tests/conformance/go_stdlib_wasip1.ts os time                   # some packages
 * deno run -A tests/conformance/go_stdlib_wasip1.ts --no-node -v os   # vkernel only, failures' output
 * ```
 *
 * Options: `--no-node`, `--no-ours`, `-v` (print each failing test's output),
 * `--log DIR` (write each run's full output there), `--run REGEXP` and
 * `--skip REGEXP` (passed as -test.run / -test.skip), `--runtime NAME` (the
 * GOWASIRUNTIME value, default "vkernel"; "" leaves it unset, as wasmtime
 * would run), `--timeout SECONDS` (per run, default 600), `--skips` (list
 * every skipped test with its reason), `--long` (without -test.short).
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createKernel, HostFileSystem, type Kernel, sinkStream, sys } from "../../mod.ts";
import { runWasi } from "../../syscalls/wasi/mod.ts";

/** The packages the script runs by default (the last three are cheap extras). */
export const PACKAGES = [
  "os",
  "io/fs",
  "path/filepath",
  "syscall",
  "time",
  "testing/fstest",
  "io",
  "bufio",
  "strings",
];

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const cacheDir = join(repoRoot, "build", "go-stdlib-wasip1");

let foundGo: string | null | undefined;
/** The Go toolchain: $GO, else /usr/local/go/bin/go, else `go` on PATH; null when none runs. */
export function goBinary(): string | null {
  if (foundGo !== undefined) return foundGo;
  foundGo = null;
  for (const candidate of [process.env.GO, "/usr/local/go/bin/go", "go"]) {
    if (candidate && spawnSync(candidate, ["version"], { encoding: "utf8" }).status === 0) {
      foundGo = candidate;
      break;
    }
  }
  return foundGo;
}

function go(): string {
  const binary = goBinary();
  if (!binary) throw new Error("no Go toolchain ($GO, /usr/local/go/bin/go, go on PATH)");
  return binary;
}

let cachedRoot: string | undefined;
/** GOROOT of that toolchain. */
export function goroot(): string {
  if (cachedRoot) return cachedRoot;
  const r = spawnSync(go(), ["env", "GOROOT"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`go env GOROOT failed: ${r.stderr}`);
  return (cachedRoot = r.stdout.trim());
}

/**
 * Builds (or reuses) the wasip1 test binary of `pkg`; returns its path. The
 * cache is keyed by `go version`; the binary is written under a temporary name
 * and renamed, so concurrent runs never see half a file.
 */
export function buildTestBinary(pkg: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `${pkg.replaceAll("/", "_")}.test.wasm`);
  const stamp = `${out}.version`;
  const goVersion = spawnSync(go(), ["version"], { encoding: "utf8" }).stdout.trim();
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === goVersion) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(go(), ["test", "-c", "-o", tmp, pkg], {
    cwd: join(goroot(), "src"),
    env: { ...process.env, GOOS: "wasip1", GOARCH: "wasm" },
    encoding: "utf8",
  });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`building ${pkg} for wasip1 failed:\n${r.stderr}`);
  }
  renameSync(tmp, out);
  writeFileSync(stamp, goVersion);
  return out;
}

/** Counts of one run. */
export interface Counts {
  pass: number;
  fail: number;
  skip: number;
  /** The exit status; null when the run did not end (timeout) or node died on a signal. */
  exitCode: number | null;
  /** The signal node died on (e.g. SIGSEGV). */
  signal?: string;
  /** Names of failed tests. */
  failed: string[];
  /** Skipped tests and the log lines Go printed for them (the reason). */
  skipped: Map<string, string>;
  ms: number;
  output: string;
}

/**
 * Parses `go test -v` output, subtests included. A test's log lines (indented
 * `file.go:N: ...`) are attributed to the test named by the last
 * `=== RUN/CONT/NAME/PAUSE` line, which is how Go streams them in -v mode.
 */
export function parseTestOutput(output: string): Omit<Counts, "exitCode" | "ms" | "output"> {
  const counts = { pass: 0, fail: 0, skip: 0, failed: [] as string[], skipped: new Map<string, string>() };
  const logs = new Map<string, string[]>();
  let current = "";
  for (const line of output.split("\n")) {
    const header = /^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    const m = /^\s*--- (PASS|FAIL|SKIP): (\S+)/.exec(line);
    if (m) {
      if (m[1] === "PASS") counts.pass++;
      else if (m[1] === "FAIL") {
        counts.fail++;
        counts.failed.push(m[2]);
      } else {
        counts.skip++;
        counts.skipped.set(m[2], "");
      }
      current = m[2];
      continue;
    }
    if (current && /^\s+\S/.test(line)) {
      const lines = logs.get(current) ?? [];
      lines.push(line.trim());
      logs.set(current, lines);
    }
  }
  for (const name of counts.skipped.keys()) counts.skipped.set(name, (logs.get(name) ?? []).join(" / "));
  return counts;
}

/** What a run gets besides the binary. */
export interface RunOptions {
  /** More test flags (e.g. `-test.run=...`, `-test.skip=...`). */
  args?: string[];
  /** GOWASIRUNTIME ("" leaves it unset). Default "vkernel". */
  runtime?: string;
  /** Give up waiting after this long (default 600 s). */
  timeoutMs?: number;
  /** Pass -test.short (default true). */
  short?: boolean;
}

/**
 * Host directories mounted read-only besides GOROOT, where they exist.
 * `/proc/sys/fs`: `os`'s TestReadFileProc and TestDirFSReadFileProc read
 * `pipe-max-size`, whose stat size is 0 (they skip without it). `/etc` is not
 * needed: on wasip1 Go's `os` tests use GOROOT as their "system directory",
 * and `time` reads `$GOROOT/lib/time/zoneinfo.zip` (the counts are the same
 * with and without it).
 */
export const SYSTEM_DIRS = ["/proc/sys/fs"];

/** argv of a run: the program name, then `-test.short -test.v -test.timeout=300s` and the extra flags. */
export function testArgs(pkg: string, options: RunOptions = {}): string[] {
  const short = (options.short ?? true) ? ["-test.short"] : [];
  return [`${pkg.split("/").pop()}.test`, ...short, "-test.v", "-test.timeout=300s", ...options.args ?? []];
}

/**
 * A kernel laid out for the stdlib tests: an in-memory root with GOROOT and
 * {@link SYSTEM_DIRS} mounted read-only at their real paths and the
 * in-memory `/tmp` (writable) that createKernel makes.
 */
export function stdlibKernel(root: string): Kernel {
  const kernel = createKernel();
  const init = kernel.createProcess({ umask: 0 });
  const dirs = [root, ...SYSTEM_DIRS.filter((d) => existsSync(d))];
  try {
    for (const dir of dirs) {
      let path = "";
      for (const part of dir.split("/").filter(Boolean)) {
        path += `/${part}`;
        try {
          sys.mkdirat(init, -100, path, 0o755);
        } catch (error) {
          if ((error as { code?: string; }).code !== "EEXIST") throw error;
        }
      }
    }
  } finally {
    init.exit(0);
  }
  for (const dir of dirs) kernel.mount(dir, new HostFileSystem({ root: dir, readOnly: true }));
  return kernel;
}

/** The environment of a run (`tmp` is the guest's temporary directory). */
export function testEnv(pkg: string, tmp: string, runtime = "vkernel"): Record<string, string> {
  const root = goroot();
  const env: Record<string, string> = { PWD: join(root, "src", pkg), TMPDIR: tmp, HOME: tmp, GOROOT: root };
  if (runtime) env.GOWASIRUNTIME = runtime;
  return env;
}

/** Runs a wasip1 test binary on vkernel. */
export async function runOurs(pkg: string, binary: string, options: RunOptions = {}): Promise<Counts> {
  const kernel = stdlibKernel(goroot());
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const sink = sinkStream((b) => {
    chunks.push(decoder.decode(b, { stream: true }));
  });
  const timeoutMs = options.timeoutMs ?? 600_000;
  const started = performance.now();
  let exitCode: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const run = runWasi(kernel, readFileSync(binary), {
      args: testArgs(pkg, options),
      env: testEnv(pkg, "/tmp", options.runtime),
      preopens: ["/"],
      stdout: sink,
      stderr: sink,
      jspi: true,
    });
    const result = await Promise.race([
      run,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    exitCode = result.exitCode;
    if (result.error) chunks.push(`\n[vkernel: ${result.error}]\n`);
  } catch (error) {
    chunks.push(`\n[vkernel: ${error instanceof Error ? error.stack : error}]\n`);
  } finally {
    clearTimeout(timer);
  }
  const output = chunks.join("");
  return { ...parseTestOutput(output), exitCode, ms: performance.now() - started, output };
}

/** The node:wasi runner: argv = wasm path, JSON {args, env}. */
const NODE_RUNNER = `
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const [wasmPath, json] = process.argv.slice(2);
const spec = JSON.parse(json);
const wasi = new WASI({ version: "preview1", args: spec.args, env: spec.env, preopens: { "/": "/" }, returnOnExit: true });
const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(wasmPath)), wasi.getImportObject());
let code;
try { code = wasi.start(instance); } catch (e) { process.stderr.write("node:wasi trap: " + (e && e.stack || e) + "\\n"); code = 134; }
process.exitCode = code;
`;

let nodeChecked: boolean | undefined;
/** Whether a `node` with `node:wasi` is on PATH. */
export function hasNodeWasi(): boolean {
  nodeChecked ??= spawnSync("node", ["-e", "require('node:wasi')"], { stdio: "ignore" }).status === 0;
  return nodeChecked;
}

/**
 * Runs a wasip1 test binary under Node's `node:wasi`: the host's `/`
 * preopened as `/`, cwd (`PWD`) = the package directory, a fresh host
 * temporary directory as TMPDIR and HOME.
 */
export async function runNodeWasi(pkg: string, binary: string, options: RunOptions = {}): Promise<Counts> {
  const tmp = mkdtempSync(join(tmpdir(), "vkernel-wasip1-stdlib-"));
  const runner = join(tmp, "runner.mjs");
  writeFileSync(runner, NODE_RUNNER);
  const guestTmp = join(tmp, "tmp");
  mkdirSync(guestTmp);
  const env = testEnv(pkg, guestTmp, options.runtime);
  const spec = JSON.stringify({ args: testArgs(pkg, options), env });
  const started = performance.now();
  try {
    return await new Promise((done) => {
      const child = spawn("node", ["--no-warnings", runner, resolve(binary), spec], {
        cwd: env.PWD,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const chunks: string[] = [];
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stdout.on("data", (s: string) => chunks.push(s));
      child.stderr.on("data", (s: string) => chunks.push(s));
      const timer = setTimeout(() => {
        chunks.push(`\n[node: killed after ${options.timeoutMs ?? 600_000} ms]\n`);
        child.kill("SIGKILL");
      }, options.timeoutMs ?? 600_000);
      child.on("error", (error) => chunks.push(`\n[node: ${error.message}]\n`));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const output = chunks.join("");
        const ms = performance.now() - started;
        done({ ...parseTestOutput(output), exitCode: code, signal: signal ?? undefined, ms, output });
      });
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The output of one failing test: its `=== RUN` line up to its `--- FAIL` (at most 40 lines). */
export function failureBlock(output: string, name: string): string {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => l === `=== RUN   ${name}`);
  const end = lines.findIndex((l, i) => i > start && l.includes(`--- FAIL: ${name} `));
  if (start < 0 || end < 0) return "";
  return lines.slice(start, Math.min(end + 1, start + 40)).join("\n");
}

async function main(argv: string[]): Promise<number> {
  let withNode = true;
  let withOurs = true;
  let verbose = false;
  let listSkips = false;
  let logDir = "";
  const options: RunOptions & { args: string[]; } = { args: [], runtime: "vkernel", timeoutMs: 600_000 };
  const packages: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-node") withNode = false;
    else if (a === "--no-ours") withOurs = false;
    else if (a === "-v") verbose = true;
    else if (a === "--skips") listSkips = true;
    else if (a === "--log") logDir = argv[++i];
    else if (a === "--run") options.args.push(`-test.run=${argv[++i]}`);
    else if (a === "--skip") options.args.push(`-test.skip=${argv[++i]}`);
    else if (a === "--runtime") options.runtime = argv[++i];
    else if (a === "--long") options.short = false;
    else if (a === "--timeout") options.timeoutMs = Number(argv[++i]) * 1000;
    else if (a.startsWith("-")) throw new TypeError(`unknown option ${a}`);
    else packages.push(a);
  }
  if (packages.length === 0) packages.push(...PACKAGES);
  if (withNode && !hasNodeWasi()) {
    console.log("node (with node:wasi) not found: running on vkernel only");
    withNode = false;
  }
  if (logDir) mkdirSync(logDir, { recursive: true });
  console.log(
    `${spawnSync(go(), ["version"], { encoding: "utf8" }).stdout.trim()}; GOWASIRUNTIME=${
      options.runtime || "(unset)"
    }; ${
      typeof (globalThis as { Bun?: unknown; }).Bun !== "undefined"
        ? `bun ${process.versions.bun}`
        : `deno ${(globalThis as { Deno?: { version: { deno: string; }; }; }).Deno?.version.deno}`
    }`,
  );
  const rows: string[][] = [[
    "package",
    "vkernel pass/fail/skip (exit, time)",
    "node:wasi pass/fail/skip (exit, time)",
  ]];
  const cell = (c: Counts | null) =>
    c
      ? `${c.pass}/${c.fail}/${c.skip} (${c.signal ?? c.exitCode ?? "none"}, ${(c.ms / 1000).toFixed(1)}s)`
      : "-";
  let status = 0;
  for (const pkg of packages) {
    const builtAt = performance.now();
    const binary = buildTestBinary(pkg);
    const buildMs = performance.now() - builtAt;
    // One after the other, so that neither slows the other's timing-sensitive tests.
    const ours = withOurs ? await runOurs(pkg, binary, options) : null;
    const node = withNode ? await runNodeWasi(pkg, binary, options) : null;
    rows.push([pkg, cell(ours), cell(node)]);
    console.log(
      `${pkg}: vkernel ${cell(ours)}  node:wasi ${cell(node)}  (build ${(buildMs / 1000).toFixed(1)}s)`,
    );
    if (ours && (ours.fail > 0 || ours.exitCode !== 0)) status = 1;
    if (logDir) {
      const base = join(logDir, pkg.replaceAll("/", "_"));
      if (ours) writeFileSync(`${base}.vkernel.log`, ours.output);
      if (node) writeFileSync(`${base}.node.log`, node.output);
    }
    for (const [label, run, other] of [["vkernel", ours, node], ["node:wasi", node, ours]] as const) {
      if (!run) continue;
      if (run.failed.length > 0) {
        const top = run.failed.filter((n) => !n.includes("/"));
        console.log(
          `  failing on ${label} (${top.length} tests, ${run.failed.length - top.length} subtests): ${
            top.join(" ")
          }`,
        );
      }
      if (verbose) {
        for (const name of run.failed) console.log(failureBlock(run.output, name) || `--- FAIL: ${name}`);
      }
      if (run.exitCode !== 0 && run.failed.length === 0) {
        console.log(
          `  ${label} exited with ${run.signal ?? run.exitCode}; the output ends with:\n${
            run.output.slice(-1500)
          }`,
        );
      }
      if (other) {
        // Grouped by reason (file:line and temporary paths elided), skips of a parent's subtests folded into it.
        const only = [...run.skipped].filter(([name]) =>
          !other.skipped.has(name) && !other.skipped.has(name.split("/")[0])
        );
        const byReason = new Map<string, string[]>();
        for (const [name, why] of only) {
          const reason =
            why.replace(/\S*vkernel-wasip1-stdlib-\S*/g, "$TMP/...").replace(/(^| \/ )\S+\.go:\d+: ?/g, "$1")
            || "(no reason given)";
          byReason.set(reason, [...byReason.get(reason) ?? [], name]);
        }
        for (const [reason, names] of byReason) {
          console.log(`  skipped only on ${label} (${names.length}): ${names.join(" ")}: ${reason}`);
        }
      }
      if (listSkips) {
        for (const [name, why] of run.skipped) {
          console.log(`  skip on ${label}: ${name}: ${why || "(no reason given)"}`);
        }
      }
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log("");
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
  return status;
}

if ((import.meta as { main?: boolean; }).main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
