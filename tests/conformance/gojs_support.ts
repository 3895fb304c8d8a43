/**
 * Helpers for the gojs conformance tests: building the small Go programs in
 * `gojs_testdata/` for GOOS=js, running a wasm on a kernel and collecting its
 * output, and running the same binary with Go's own Node runner.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { collector, type Kernel, sinkStream, type Source, sourceStream } from "../../mod.ts";
import { type GoProgram, type GoRunOptions, runGo, startGo } from "../../syscalls/gojs/mod.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const repoRoot: string = resolve(here, "../..");
const testdata = join(here, "gojs_testdata");
const outDir = join(repoRoot, "build", "gojs_testdata");

/** The Go toolchain: $GO, /usr/local/go/bin/go, or `go` on PATH; null when there is none. */
export function goBinary(): string | null {
  const candidates = [process.env.GO, "/usr/local/go/bin/go", "go"].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (spawnSync(c, ["version"], { encoding: "utf8" }).status === 0) return c;
  }
  return null;
}

/** Whether Node (for Go's own runner) is installed. */
export function hasNode(): boolean {
  return spawnSync("node", ["--version"], { encoding: "utf8" }).status === 0;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestSource(p) : st.mtimeMs);
  }
  return newest;
}

/** Builds `gojs_testdata/<name>` for GOOS=js (unless up to date); returns the .wasm path. */
export function buildGoProgram(name: string): string {
  const go = goBinary();
  if (!go) throw new Error("no Go toolchain");
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${name}.wasm`);
  const src = join(testdata, name);
  if (
    existsSync(out)
    && statSync(out).mtimeMs >= Math.max(newestSource(src), statSync(join(testdata, "go.mod")).mtimeMs)
  ) {
    return out;
  }
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(go, ["build", "-o", tmp, `./${name}`], {
    cwd: testdata,
    env: { ...process.env, GOOS: "js", GOARCH: "wasm" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`go build ${name} failed:\n${r.stderr}`);
  renameSync(tmp, out);
  return out;
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles a .wasm file once per test process. */
export function loadModule(path: string): Promise<WebAssembly.Module> {
  let m = moduleCache.get(path);
  if (!m) {
    m = WebAssembly.compile(new Uint8Array(readFileSync(path)));
    moduleCache.set(path, m);
  }
  return m;
}

/** What a run produced. */
export interface RunOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCollect}: runGo's, with stdin as text, bytes or a stream of chunks. */
export type CollectOptions = Omit<GoRunOptions, "stdin" | "stdout" | "stderr"> & { stdin?: Source; };

/** Runs a Go wasm on `kernel` and collects stdout and stderr. */
export async function runCollect(
  kernel: Kernel,
  wasmPath: string,
  options: CollectOptions = {},
): Promise<RunOutput> {
  const out = collector();
  const err = collector();
  const { exitCode } = await runGo(kernel, await loadModule(wasmPath), {
    ...options,
    stdin: sourceStream(options.stdin ?? ""),
    stdout: sinkStream(out.sink),
    stderr: sinkStream(err.sink),
  });
  return { exitCode, stdout: out.text(), stderr: err.text() };
}

/** Starts a Go wasm on `kernel`; `output()` reads what it wrote so far. */
export async function startCollect(
  kernel: Kernel,
  wasmPath: string,
  options: CollectOptions = {},
): Promise<{ program: GoProgram; output(): { stdout: string; stderr: string; }; }> {
  const out = collector();
  const err = collector();
  const program = await startGo(kernel, await loadModule(wasmPath), {
    ...options,
    stdin: sourceStream(options.stdin ?? ""),
    stdout: sinkStream(out.sink),
    stderr: sinkStream(err.sink),
  });
  return { program, output: () => ({ stdout: out.text(), stderr: err.text() }) };
}

/**
 * Runs a Go js/wasm binary with Go's own Node runner (`go_js_wasm_exec`) in `cwd`.
 * Returns null when Node or the runner is missing.
 */
export function runWithNode(
  wasmPath: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; stdin?: string; },
): Promise<RunOutput | null> {
  const go = goBinary();
  if (!go || !hasNode()) return Promise.resolve(null);
  const root = spawnSync(go, ["env", "GOROOT"], { encoding: "utf8" }).stdout.trim();
  const runner = join(root, "lib/wasm/go_js_wasm_exec");
  if (!existsSync(runner)) return Promise.resolve(null);
  return new Promise((done) => {
    const child = spawn("bash", [runner, wasmPath, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (s: string) => (stdout += s));
    child.stderr.on("data", (s: string) => (stderr += s));
    child.stdin.end(options.stdin ?? "");
    child.on("close", (code) => done({ exitCode: code ?? -1, stdout, stderr }));
  });
}
