/**
 * Running fixture programs for the WASI conformance tests: under vkernel
 * (`runWasi` on an in-memory kernel) and, for the differential comparison,
 * under Node's `node:wasi` on a real temporary directory (Node runs as a
 * subprocess, so this works from Deno and Bun alike).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AT, collector, createKernel, O, sys } from "../../mod.ts";
import { runWasi, type SocketSource, type WasiOptions } from "../../syscalls/wasi/mod.ts";
import { makeTempDir, removeDir } from "../_support/temp_dir.ts";
import { buildFixture, type FixtureKind, fixturesDir } from "../fixtures/build.ts";

/** One run from tests/fixtures/cases.json (see the README there). */
export interface FixtureCase {
  id: string;
  name: string;
  variant?: string;
  goos?: string[];
  args: string[];
  env?: Record<string, string>;
  stdin?: string;
  stdinChunks?: { delayMs: number; data: string; }[];
  exit?: number;
  stderrContains?: string[];
  stderrFile?: string;
  stdoutDigest?: string;
  stderrDigest?: string;
  files?: Record<string, string>;
  needs?: string[];
  slow?: boolean;
  timeoutMs?: number;
  client?: {
    method: string;
    path: string;
    status: number;
    body: string;
    requestBody?: string;
    headers?: Record<string, string>;
  }[];
}

interface CasesFile {
  defaults: { env: Record<string, string>; timeoutMs: number; };
  cases: FixtureCase[];
}

const casesFile = (): CasesFile => JSON.parse(readFileSync(join(fixturesDir, "cases.json"), "utf8"));

/** The cases of one kind ("c", or "go" runs that include GOOS=wasip1). */
export function fixtureCases(kind: "c" | "go-wasip1"): FixtureCase[] {
  if (!existsSync(join(fixturesDir, "cases.json"))) return [];
  return casesFile().cases.filter((c) =>
    kind === "c" ? c.id.startsWith("c/") : c.id.startsWith("go/") && (c.goos ?? []).includes("wasip1")
  );
}

/** Default environment every case gets (HOME, TMPDIR). */
export function defaultEnv(): Record<string, string> {
  return existsSync(join(fixturesDir, "cases.json")) ? casesFile().defaults.env : {};
}

/** The work directory a run gets as FIXTURE_DIR. */
export const WORK_DIR = "/work";

/** argv, environment and stdin of a case. */
export function caseEnv(kind: "c" | "go-wasip1", c: FixtureCase): Record<string, string> {
  const env: Record<string, string> = { ...defaultEnv(), ...c.env, FIXTURE_DIR: WORK_DIR };
  if (kind === "go-wasip1") env.PWD = WORK_DIR;
  return env;
}

/** What a run produced. */
export interface RunOutput {
  stdout: string;
  stderr: string;
  /** Raw stdout bytes (for digests). */
  stdoutBytes: Uint8Array;
  stderrBytes: Uint8Array;
  exitCode: number;
}

/** Builds a fixture, or returns null when its toolchain is missing (the caller skips). */
export async function build(kind: FixtureKind, name: string): Promise<string | null> {
  try {
    return await buildFixture(kind, name);
  } catch (error) {
    if (error instanceof Error && error.name === "ToolchainMissingError") return null;
    throw error;
  }
}

function stdinOf(c: FixtureCase): string | ReadableStream<Uint8Array> {
  if (c.stdin) return readFileSync(join(fixturesDir, c.stdin), "utf8");
  if (c.stdinChunks) {
    const chunks = c.stdinChunks;
    return new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const chunk of chunks) {
          await new Promise((r) => setTimeout(r, chunk.delayMs));
          controller.enqueue(new TextEncoder().encode(chunk.data));
        }
        controller.close();
      },
    });
  }
  return "";
}

/** Runs a case under vkernel: preopen `/`, FIXTURE_DIR=/work, files copied in, sockets if given, more `runWasi` options. */
export async function runVkernel(
  kind: "c" | "go-wasip1",
  wasm: string,
  c: FixtureCase,
  sockets: SocketSource[] = [],
  options: WasiOptions = {},
): Promise<RunOutput> {
  const kernel = createKernel();
  const proc = kernel.createProcess({ umask: 0 });
  const mkdirs = (path: string) => {
    let at = "";
    for (const part of path.split("/").filter(Boolean)) {
      at += `/${part}`;
      try {
        sys.mkdirat(proc, AT.FDCWD, at, 0o755);
      } catch { /* exists */ }
    }
  };
  for (const dir of [WORK_DIR, defaultEnv().HOME ?? "/home/user"]) mkdirs(dir);
  for (const [path, source] of Object.entries(c.files ?? {})) {
    mkdirs(path.slice(0, path.lastIndexOf("/")));
    const data = source.startsWith("host:")
      ? readFileSync(source.slice(5))
      : new TextEncoder().encode(source);
    const fd = sys.openat(proc, AT.FDCWD, path, O.CREAT | O.WRONLY, 0o644) as number;
    sys.write(proc, fd, data);
    sys.close(proc, fd);
  }
  proc.exit(0);
  const out = collector(), err = collector();
  const result = await runWasi(kernel, readFileSync(wasm), {
    args: [c.name, ...c.args],
    env: caseEnv(kind, c),
    stdin: stdinOf(c),
    stdout: out.sink,
    stderr: err.sink,
    preopens: ["/"],
    sockets,
    ...options,
  });
  return {
    stdout: out.text(),
    stderr: err.text(),
    stdoutBytes: out.bytes(),
    stderrBytes: err.bytes(),
    exitCode: result.exitCode,
  };
}

const NODE_RUNNER = `
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const [wasmPath, root, json] = process.argv.slice(2);
const spec = JSON.parse(json);
const wasi = new WASI({ version: "preview1", args: spec.args, env: spec.env, preopens: { "/": root }, returnOnExit: true });
const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(wasmPath)), wasi.getImportObject());
let code;
try { code = wasi.start(instance); } catch (e) { process.stderr.write("trap: " + e + "\\n"); code = 134; }
process.exitCode = code;
`;

let nodeChecked: boolean | undefined;
/** Whether a `node` with `node:wasi` is on PATH. */
export function haveNode(): boolean {
  if (nodeChecked === undefined) {
    const r = spawnSync("node", ["-e", "require('node:wasi')"], { stdio: "ignore" });
    nodeChecked = r.status === 0;
  }
  return nodeChecked;
}

/**
 * Runs a case under Node's node:wasi with a fresh temp dir as `/` (holding
 * /tmp, /work and HOME). `exitCode` is null when node hung (killed after
 * `timeoutMs`) or died on a signal.
 */
export async function runNodeWasi(
  kind: "c" | "go-wasip1",
  wasm: string,
  c: FixtureCase,
  timeoutMs = 15000,
): Promise<Omit<RunOutput, "exitCode"> & { exitCode: number | null; }> {
  const dir = makeTempDir("vkernel-nodewasi-");
  try {
    const root = join(dir, "root");
    for (const sub of ["tmp", WORK_DIR, defaultEnv().HOME ?? "/home/user"]) {
      mkdirSync(join(root, sub), { recursive: true });
    }
    for (const [path, source] of Object.entries(c.files ?? {})) {
      mkdirSync(join(root, path.slice(0, path.lastIndexOf("/"))), { recursive: true });
      writeFileSync(join(root, path), source.startsWith("host:") ? readFileSync(source.slice(5)) : source);
    }
    const runner = join(dir, "runner.mjs");
    writeFileSync(runner, NODE_RUNNER);
    const spec = JSON.stringify({ args: [c.name, ...c.args], env: caseEnv(kind, c) });
    const child = spawn("node", ["--no-warnings", runner, wasm, root, spec], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Uint8Array[] = [], stderr: Uint8Array[] = [];
    child.stdout.on("data", (d: Uint8Array) => stdout.push(d));
    child.stderr.on("data", (d: Uint8Array) => stderr.push(d));
    const input = stdinOf(c);
    if (typeof input === "string") {
      child.stdin.end(input);
    } else {
      (async () => {
        for await (const chunk of input as unknown as AsyncIterable<Uint8Array>) child.stdin.write(chunk);
        child.stdin.end();
      })().catch(() => {});
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const exitCode = await new Promise<number | null>((resolve) =>
      child.on("close", (code) => resolve(code))
    );
    clearTimeout(timer);
    const bytes = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));
    const text = (chunks: Uint8Array[]) => new TextDecoder().decode(bytes(chunks));
    return {
      stdout: text(stdout),
      stderr: text(stderr),
      stdoutBytes: bytes(stdout),
      stderrBytes: bytes(stderr),
      exitCode,
    };
  } finally {
    removeDir(dir);
  }
}

/** The expected stdout recorded for a case, if any. */
export function expectedStdout(kind: "c" | "go-wasip1", c: FixtureCase): string | null {
  const file = kind === "c"
    ? join(fixturesDir, "c", `${c.name}${c.variant ? `.${c.variant}` : ""}.expected`)
    : join(fixturesDir, "go", c.name, `expected_wasip1${c.variant ? `_${c.variant}` : ""}.txt`);
  return existsSync(file) ? readFileSync(file, "utf8") : null;
}

/** `sha256  size` of some bytes, as the digest files hold them. */
export function digest(bytes: Uint8Array): string {
  return `${createHash("sha256").update(bytes).digest("hex")}  ${bytes.length}`;
}

/** A file of the fixtures directory, trimmed. */
export function fixtureFile(path: string): string {
  return readFileSync(join(fixturesDir, path), "utf8");
}

/** The DIFFERENCES.md lines that explain a case's reference-host differences. */
export function knownDifferences(c: FixtureCase, kind: "c" | "go-wasip1"): string[] {
  const file = join(fixturesDir, "DIFFERENCES.md");
  if (!existsSync(file)) return [];
  const id = kind === "c" ? c.id.split("/").slice(0, 2).join("/") : `go/${c.name}`;
  return readFileSync(file, "utf8").split("\n").filter((line) => line.includes(`\`${id}\``));
}

/** Checks a vkernel run against everything the case records; returns the failures. */
export function checkCase(kind: "c" | "go-wasip1", c: FixtureCase, out: RunOutput): string[] {
  const problems: string[] = [];
  const expected = expectedStdout(kind, c);
  if (c.stdoutDigest) {
    const want = fixtureFile(c.stdoutDigest).trim();
    if (digest(out.stdoutBytes) !== want) {
      problems.push(`stdout digest ${digest(out.stdoutBytes)} != ${want}`);
    }
  } else if (expected !== null && out.stdout !== expected) {
    problems.push(`stdout differs from the expected file:\n${lineDiff(out.stdout, expected)}`);
  } else if (expected === null && !c.stdoutDigest) {
    const lines = out.stdout.trimEnd().split("\n");
    if (!lines.includes(`ok ${c.name}`)) problems.push(`no "ok ${c.name}" line`);
  }
  if (out.exitCode !== (c.exit ?? 0)) {
    problems.push(`exit ${out.exitCode}, expected ${c.exit ?? 0}\n${out.stderr}`);
  }
  for (const s of c.stderrContains ?? []) {
    if (!out.stderr.includes(s)) problems.push(`stderr lacks ${JSON.stringify(s)}`);
  }
  if (c.stderrFile && out.stderr !== fixtureFile(c.stderrFile)) {
    problems.push("stderr differs from " + c.stderrFile);
  }
  if (c.stderrDigest) {
    const want = fixtureFile(c.stderrDigest).trim();
    if (digest(out.stderrBytes) !== want) {
      problems.push(`stderr digest ${digest(out.stderrBytes)} != ${want}`);
    }
  }
  return problems;
}

/** The lines where two outputs differ, for messages. */
export function lineDiff(actual: string, expected: string): string {
  const a = actual.split("\n"), b = expected.split("\n");
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 20; i++) {
    if (a[i] !== b[i]) out.push(`  line ${i + 1}:\n    got:      ${a[i]}\n    expected: ${b[i]}`);
  }
  return out.join("\n");
}
