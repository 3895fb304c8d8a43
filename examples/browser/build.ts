/**
 * Builds the browser demo into `examples/browser/dist/`: the page script
 * (`main.js`), the kernel worker (`worker.js`) and the ZenFS test worker
 * (`zenfs_worker.js`, IndexedDB through the ZenFS adapter) bundled for
 * browsers, and
 * the two demo programs (`demo_go.wasm` from `programs/go`, Go `GOOS=js`;
 * `demo_c.wasm` from `programs/c`, clang + wasi-libc).
 *
 * Bundling uses `Bun.build` (no network needed). Under Deno the script runs
 * the `bun` binary (from `node_modules/.bin`, a devDependency) for that step,
 * or `deno bundle` when there is no Bun. Programs whose toolchain is missing
 * are skipped with a message; up-to-date outputs are not rebuilt.
 *
 * ```sh
 * deno run -A examples/browser/build.ts
 * bun examples/browser/build.ts
 * ```
 *
 * @example
 * ```ts
 * import { buildBrowserDemo } from "./build.ts";
 * const report = await buildBrowserDemo({ programs: false });
 * console.log(report.bundles); // [".../dist/main.js", ".../dist/worker.js", ".../dist/zenfs_worker.js"]
 * ```
 *
 * @module
 */

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** This directory (examples/browser). */
export const browserDir: string = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const repoRoot: string = path.resolve(browserDir, "..", "..");
/** Where the build goes. */
export const distDir: string = path.join(browserDir, "dist");

/** What {@link buildBrowserDemo} did. */
export interface BrowserBuildReport {
  /** The bundles written (absolute paths). */
  bundles: string[];
  /** How the bundles were made. */
  bundler: "Bun.build" | "bun build" | "deno bundle";
  /** Each program: built, fresh (up to date), or skipped (with why). */
  programs: { name: string; status: "built" | "fresh" | "skipped"; output: string; message?: string; }[];
}

/** Options of {@link buildBrowserDemo}. */
export interface BrowserBuildOptions {
  /** Build the Go and C programs too (default true). */
  programs?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

const ENTRIES = ["main.ts", "worker.ts", "zenfs_worker.ts"];

interface BunBuildApi {
  build(
    options: Record<string, unknown>,
  ): Promise<{ success: boolean; logs: unknown[]; outputs: { path: string; }[]; }>;
}

/**
 * Bundles the page and the worker and builds the programs.
 *
 * @throws {Error} when bundling fails or a program does not compile (a missing toolchain only skips).
 */
export async function buildBrowserDemo(options: BrowserBuildOptions = {}): Promise<BrowserBuildReport> {
  const log = options.log ?? (() => {});
  fs.mkdirSync(distDir, { recursive: true });
  const bundler = await bundle(log);
  const report: BrowserBuildReport = {
    bundles: ENTRIES.map((entry) => path.join(distDir, entry.replace(/\.ts$/, ".js"))),
    bundler,
    programs: [],
  };
  if (options.programs !== false) {
    report.programs.push(await buildGo(log), await buildC(log));
  }
  return report;
}

async function bundle(log: (line: string) => void): Promise<BrowserBuildReport["bundler"]> {
  const entrypoints = ENTRIES.map((entry) => path.join(browserDir, entry));
  const bun = (globalThis as { Bun?: BunBuildApi; }).Bun;
  if (bun !== undefined) {
    const result = await bun.build({
      entrypoints,
      outdir: distDir,
      target: "browser",
      format: "esm",
      external: ["node:*"],
      sourcemap: "linked",
      naming: "[name].[ext]",
    });
    if (!result.success) throw new Error(`Bun.build failed:\n${result.logs.map(String).join("\n")}`);
    log(`bundled with Bun.build: ${result.outputs.map((o) => path.basename(o.path)).join(", ")}`);
    return "Bun.build";
  }
  const bunBinary = findBun();
  if (bunBinary !== null) {
    await run(bunBinary, [
      "build",
      ...entrypoints,
      "--outdir",
      distDir,
      "--target",
      "browser",
      "--format",
      "esm",
      "--external",
      "node:*",
      "--sourcemap=linked",
    ], { cwd: repoRoot });
    log(`bundled with ${bunBinary} build`);
    return "bun build";
  }
  for (const entry of entrypoints) {
    const out = path.join(distDir, path.basename(entry).replace(/\.ts$/, ".js"));
    await run(
      process.execPath,
      ["bundle", "--platform", "browser", "--external", "node:*", "-o", out, entry],
      {
        cwd: repoRoot,
      },
    );
  }
  log("bundled with deno bundle");
  return "deno bundle";
}

function findBun(): string | null {
  const candidates = [
    process.env.VKERNEL_BUN,
    path.join(repoRoot, "node_modules", ".bin", "bun"),
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "bun")),
  ];
  for (const candidate of candidates) {
    if (candidate && isExecutable(candidate)) return candidate;
  }
  return null;
}

function findOnPath(name: string, extra: string[] = []): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), ...extra]) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether `output` is newer than every file in `sources` (files or directories, not recursive). */
function fresh(output: string, sources: string[]): boolean {
  let built: number;
  try {
    built = fs.statSync(output).mtimeMs;
  } catch {
    return false;
  }
  for (const source of sources) {
    const stat = fs.statSync(source);
    const files = stat.isDirectory()
      ? fs.readdirSync(source).map((name) => path.join(source, name))
      : [source];
    for (const file of files) if (fs.statSync(file).mtimeMs > built) return false;
  }
  return true;
}

async function buildGo(log: (line: string) => void): Promise<BrowserBuildReport["programs"][number]> {
  const name = "demo_go";
  const output = path.join(distDir, `${name}.wasm`);
  const source = path.join(browserDir, "programs", "go");
  if (fresh(output, [source])) return { name, status: "fresh", output };
  const go = process.env.GO
    ?? findOnPath("go", ["/usr/local/go/bin", path.join(process.env.GOROOT ?? "", "bin")]);
  if (go === null) {
    return { name, status: "skipped", output, message: "go not found (PATH, /usr/local/go/bin)" };
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  Object.assign(env, { GOOS: "js", GOARCH: "wasm", CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOWORK: "off" });
  if (!env.HOME) {
    // No home (some CI sandboxes): Go needs somewhere for its build cache.
    env.HOME = os.tmpdir();
    env.GOCACHE ??= path.join(repoRoot, "build", "gocache");
  }
  await run(go, ["build", "-trimpath", "-o", output, "."], { cwd: source, env });
  log(`built ${output}`);
  return { name, status: "built", output };
}

async function buildC(log: (line: string) => void): Promise<BrowserBuildReport["programs"][number]> {
  const name = "demo_c";
  const output = path.join(distDir, `${name}.wasm`);
  const source = path.join(browserDir, "programs", "c", "demo.c");
  if (fresh(output, [source])) return { name, status: "fresh", output };
  const clang = process.env.WASI_CC ?? findOnPath("clang");
  if (clang === null) {
    return {
      name,
      status: "skipped",
      output,
      message: "clang not found (Debian: clang lld wasi-libc libclang-rt-dev-wasm32)",
    };
  }
  const sysroot = process.env.WASI_SYSROOT
    ?? (fs.existsSync("/usr/include/wasm32-wasi/stdio.h") ? "/usr" : "/usr/share/wasi-sysroot");
  if (!fs.existsSync(sysroot)) return { name, status: "skipped", output, message: "wasi-libc not found" };
  await run(clang, [
    "--target=wasm32-wasi",
    `--sysroot=${sysroot}`,
    "-O2",
    "-Wall",
    "-Wextra",
    "-o",
    output,
    source,
  ], {
    cwd: browserDir,
  });
  log(`built ${output}`);
  return { name, status: "built", output };
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: "pipe" });
    let output = "";
    child.stdout?.on("data", (chunk) => output += chunk);
    child.stderr?.on("data", (chunk) => output += chunk);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

if ((import.meta as { main?: boolean; }).main) {
  const report = await buildBrowserDemo({ log: (line) => console.log(line) });
  for (const program of report.programs) {
    console.log(`${program.name}: ${program.status}${program.message ? ` (${program.message})` : ""}`);
  }
}
