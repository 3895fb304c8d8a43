/**
 * Go's own standard-library tests for GOOS=js, on vkernel and on Go's Node
 * runner, side by side.
 *
 * For each package it builds `GOOS=js GOARCH=wasm go test -c` (cached in
 * `build/go_stdlib_js/`), runs the binary on a vkernel kernel (in-memory root,
 * GOROOT mounted read-only from the host at its real path, a writable /tmp,
 * cwd = the package directory) and with Go's Node runner, `node wasm_exec_node.js`
 * through `$GOROOT/lib/wasm/go_js_wasm_exec` (cwd = the package directory),
 * both with `-test.short -test.v`, and prints
 * the `--- PASS` / `--- FAIL` / `--- SKIP` counts of each.
 *
 * ```sh
 * deno run -A tests/conformance/go_stdlib_js.ts                 # every package
 * bun tests/conformance/go_stdlib_js.ts os time                  # some packages
 * deno run -A tests/conformance/go_stdlib_js.ts --no-node -v os  # ours only, with the log
 * ```
 *
 * Options: `--no-node` (skip the Node runner), `--no-ours`, `-v` (print failing test
 * names and their output), `--log DIR` (write each run's full output there),
 * `--run REGEXP` (passed as -test.run), `--timeout SECONDS` (per run, default 600).
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createKernel, HostFileSystem, type Kernel, sinkStream, sys } from "../../mod.ts";
import { type GoRunOptions, type GoRuntime, startGo } from "../../syscalls/gojs/mod.ts";

/** The packages the script runs by default. */
export const PACKAGES = ["os", "io/fs", "path/filepath", "syscall", "time", "testing/fstest", "net/http"];

/**
 * Packages that need host pieces beyond the kernel, given through the gojs
 * embedder hooks (run them by name): `syscall/js` calls `eval`, `Function`
 * and `setTimeout` on the global object and imports `_gotest.add` and
 * `_gotest.callExport` (which calls its `//go:wasmexport testExport`).
 */
export const EXTRA_PACKAGES = ["syscall/js"];

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const cacheDir = join(repoRoot, "build", "go_stdlib_js");

/** The Go toolchain: $GO, else /usr/local/go/bin/go, else `go` on PATH. */
export function goBinary(): string {
  if (process.env.GO) return process.env.GO;
  if (existsSync("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  return "go";
}

/** GOROOT of that toolchain. */
export function goroot(): string {
  const r = spawnSync(goBinary(), ["env", "GOROOT"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`go env GOROOT failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Builds (or reuses) the test binary of `pkg`; returns its path. */
export function buildTestBinary(pkg: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `${pkg.replaceAll("/", "_")}.test`);
  const root = goroot();
  const goVersion = spawnSync(goBinary(), ["version"], { encoding: "utf8" }).stdout.trim();
  const stamp = `${out}.version`;
  const fresh = existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === goVersion
    && statSync(out).mtimeMs > statSync(join(root, "src", pkg)).mtimeMs;
  if (fresh) return out;
  const r = spawnSync(goBinary(), ["test", "-c", "-o", out, pkg], {
    cwd: join(root, "src"),
    env: { ...process.env, GOOS: "js", GOARCH: "wasm" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`building ${pkg} failed:\n${r.stderr}`);
  writeFileSync(stamp, goVersion);
  return out;
}

/** Counts of one run. */
export interface Counts {
  pass: number;
  fail: number;
  skip: number;
  exitCode: number | null;
  /** Names of failed tests. */
  failed: string[];
  /** Names of skipped tests. */
  skipped: string[];
  ms: number;
  output: string;
}

/** Parses `go test -v` output (subtests included, as Go prints them). */
export function parseTestOutput(output: string): Omit<Counts, "exitCode" | "ms" | "output"> {
  const counts = { pass: 0, fail: 0, skip: 0, failed: [] as string[], skipped: [] as string[] };
  for (const line of output.split("\n")) {
    const m = /^\s*--- (PASS|FAIL|SKIP): (\S+)/.exec(line);
    if (!m) continue;
    if (m[1] === "PASS") counts.pass++;
    else if (m[1] === "FAIL") {
      counts.fail++;
      counts.failed.push(m[2]);
    } else {
      counts.skip++;
      counts.skipped.push(m[2]);
    }
  }
  return counts;
}

/**
 * Host directories some tests read besides GOROOT (`os` opens /etc/group and
 * lists /etc and /usr/bin as "system directories"; TestReadFileProc and
 * TestDirFSReadFileProc read /proc/sys/fs/pipe-max-size); mounted read-only too.
 */
export const SYSTEM_DIRS = ["/etc", "/usr/bin", "/proc/sys/fs"];

/**
 * A kernel laid out for the stdlib tests: GOROOT read-only at its real path,
 * {@link SYSTEM_DIRS} read-only, a writable in-memory /tmp.
 */
export function stdlibKernel(root: string): Kernel {
  const kernel = createKernel();
  const init = kernel.createProcess({ umask: 0 });
  const mkdirs = (dir: string) => {
    let path = "";
    for (const part of dir.split("/").filter(Boolean)) {
      path += `/${part}`;
      try {
        sys.mkdirat(init, -100, path, 0o755);
      } catch (error) {
        if ((error as { code?: string; }).code !== "EEXIST") throw error;
      }
    }
  };
  const dirs = [root, ...SYSTEM_DIRS.filter((d) => existsSync(d))];
  for (const dir of dirs) mkdirs(dir);
  init.exit(0);
  for (const dir of dirs) kernel.mount(dir, new HostFileSystem({ root: dir, readOnly: true }));
  return kernel;
}

/** The embedder hooks a package's tests need (see {@link EXTRA_PACKAGES}). */
function hostPieces(pkg: string): Partial<GoRunOptions> {
  if (pkg !== "syscall/js") return {};
  let program: GoRuntime | null = null;
  return {
    globals: {
      eval: globalThis.eval,
      Function,
      // A host timer that calls Go back later: hold the program so it is not declared deadlocked meanwhile.
      setTimeout(fn: (...args: unknown[]) => void, ms: number, ...args: unknown[]) {
        const release = program?.hold();
        return setTimeout(() => {
          release?.();
          fn(...args);
        }, ms);
      },
    },
    imports: {
      _gotest: {
        add: (a: number, b: number) => a + b,
        callExport: (a: number, b: bigint) => program!.exports.testExport(a, b),
      },
    },
    onInstantiate(rt: GoRuntime) {
      program = rt;
    },
  };
}

/** Runs a test binary on vkernel. */
export async function runOurs(
  pkg: string,
  binary: string,
  extraArgs: string[],
  timeoutMs: number,
): Promise<Counts> {
  const root = goroot();
  const kernel = stdlibKernel(root);
  const dir = join(root, "src", pkg);
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const sink = sinkStream((b) => {
    chunks.push(decoder.decode(b, { stream: true }));
  });
  const started = performance.now();
  const bytes = readFileSync(binary);
  let exitCode: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const program = startGo(kernel, bytes, {
      args: [binary.split("/").pop()!, "-test.short", "-test.v", ...extraArgs],
      env: { PWD: dir, TMPDIR: "/tmp", GOROOT: root, HOME: "/tmp" },
      cwd: dir,
      stdout: sink,
      stderr: sink,
      ...hostPieces(pkg),
    });
    const result = await Promise.race([
      program.then((p) => p.exited),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    exitCode = result;
  } catch (error) {
    chunks.push(`\n[vkernel: ${error instanceof Error ? error.stack : error}]\n`);
  } finally {
    clearTimeout(timer);
  }
  const output = chunks.join("");
  return { ...parseTestOutput(output), exitCode, ms: performance.now() - started, output };
}

/**
 * Runs a test binary with Go's own Node runner, through `go_js_wasm_exec` as
 * `go test` does (`exec node --stack-size=8192 wasm_exec_node.js ...`, so
 * `process.argv0` is "node" and net/http uses its fake network, not fetch).
 */
export function runNode(
  pkg: string,
  binary: string,
  extraArgs: string[],
  timeoutMs: number,
): Promise<Counts> {
  const root = goroot();
  const dir = join(root, "src", pkg);
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(
      "bash",
      [join(root, "lib/wasm/go_js_wasm_exec"), binary, "-test.short", "-test.v", ...extraArgs],
      { cwd: dir, env: { ...process.env, PWD: dir, GOROOT: root }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const chunks: string[] = [];
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (s: string) => chunks.push(s));
    child.stderr.on("data", (s: string) => chunks.push(s));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => chunks.push(`\n[node: ${error.message}]\n`));
    child.on("close", (code) => {
      clearTimeout(timer);
      const output = chunks.join("");
      done({ ...parseTestOutput(output), exitCode: code, ms: performance.now() - started, output });
    });
  });
}

function hasNode(): boolean {
  return spawnSync("node", ["--version"], { encoding: "utf8" }).status === 0;
}

/** The output of one failing test (its `=== RUN` block up to its `--- FAIL`). */
function failureBlock(output: string, name: string): string {
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
  let logDir = "";
  let timeoutMs = 600_000;
  const extra: string[] = [];
  const packages: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-node") withNode = false;
    else if (a === "--no-ours") withOurs = false;
    else if (a === "-v") verbose = true;
    else if (a === "--log") logDir = argv[++i];
    else if (a === "--run") extra.push(`-test.run=${argv[++i]}`);
    else if (a === "--timeout") timeoutMs = Number(argv[++i]) * 1000;
    else if (a.startsWith("-")) throw new TypeError(`unknown option ${a}`);
    else packages.push(a);
  }
  if (packages.length === 0) packages.push(...PACKAGES);
  if (withNode && !hasNode()) {
    console.log("node not found: running on vkernel only");
    withNode = false;
  }
  if (logDir) mkdirSync(logDir, { recursive: true });
  const rows: string[][] = [["package", "ours pass/fail/skip (exit)", "node pass/fail/skip (exit)"]];
  let status = 0;
  for (const pkg of packages) {
    const binary = buildTestBinary(pkg);
    const [ours, node] = await Promise.all([
      withOurs ? runOurs(pkg, binary, extra, timeoutMs) : null,
      withNode ? runNode(pkg, binary, extra, timeoutMs) : null,
    ]);
    const cell = (c: Counts | null) =>
      c ? `${c.pass}/${c.fail}/${c.skip} (${c.exitCode ?? "none"}, ${(c.ms / 1000).toFixed(1)}s)` : "-";
    rows.push([pkg, cell(ours), cell(node)]);
    console.log(`${pkg}: ours ${cell(ours)}  node ${cell(node)}`);
    if (ours && (ours.fail > 0 || ours.exitCode !== 0)) status = 1;
    if (logDir) {
      const base = join(logDir, pkg.replaceAll("/", "_"));
      if (ours) writeFileSync(`${base}.ours.log`, ours.output);
      if (node) writeFileSync(`${base}.node.log`, node.output);
    }
    if (verbose && ours) {
      for (const name of ours.failed) console.log(failureBlock(ours.output, name) || `--- FAIL: ${name}`);
      if (ours.exitCode !== 0 && ours.failed.length === 0) console.log(ours.output.slice(-3000));
    }
    if (ours && node) {
      const onlyOurs = ours.failed.filter((n) => !node.failed.includes(n));
      const skippedOnlyOurs = ours.skipped.filter((n) => !node.skipped.includes(n));
      if (onlyOurs.length > 0) console.log(`  failing only on vkernel: ${onlyOurs.join(" ")}`);
      if (skippedOnlyOurs.length > 0) console.log(`  skipped only on vkernel: ${skippedOnlyOurs.join(" ")}`);
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
