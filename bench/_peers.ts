/**
 * Helpers for the benchmarks that compare vkernel with other hosts: command-line options,
 * medians, child processes, host temp directories and the result table.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The script's own arguments under Deno, Bun or Node. */
export function scriptArgs(): string[] {
  const g = globalThis as { Deno?: { args: string[]; }; process?: { argv: string[]; }; };
  return g.Deno ? g.Deno.args : g.process!.argv.slice(2);
}

/** Whether `--name` was given. */
export function hasFlag(name: string): boolean {
  return scriptArgs().includes(`--${name}`);
}

/** The value of `--name N` (or `--name=N`), or `fallback`. */
export function numberOption(name: string, fallback: number): number {
  const value = stringOption(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name} wants a positive number, got ${value}`);
  return n;
}

/** The value of `--name VALUE` (or `--name=VALUE`), if given. */
export function stringOption(name: string): string | undefined {
  const args = scriptArgs();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}

/** The comma-separated values of `--name a,b`, or `fallback`; throws for a value not in `fallback`. */
export function listOption(name: string, fallback: string[]): string[] {
  const value = stringOption(name);
  if (value === undefined) return fallback;
  const picked = value.split(",").map((v) => v.trim()).filter(Boolean);
  for (const v of picked) {
    if (!fallback.includes(v)) throw new RangeError(`--${name}: ${v} is not one of ${fallback.join(", ")}`);
  }
  return picked;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** "1,234.5 ms" style milliseconds (more decimals for small values). */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${
    value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
  } ms`;
}

/** Peer time over our time, as "2.31x" (>1: vkernel is faster). */
export function ratio(peer: number, ours: number): string {
  if (!Number.isFinite(peer) || !Number.isFinite(ours) || ours <= 0) return "n/a";
  const r = peer / ours;
  return `${r.toFixed(r < 10 ? 2 : 1)}x`;
}

/** What a finished child process left behind. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/** Runs `command args` to completion, capturing stdout and stderr. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout!.on("data", (d: Uint8Array) => out.push(d));
    child.stderr!.on("data", (d: Uint8Array) => err.push(d));
    child.on("error", reject);
    child.on("close", (code: number | null, signal: string | null) => {
      const elapsed = performance.now() - t0;
      const text = (parts: Uint8Array[]) => new TextDecoder().decode(concat(parts));
      resolve({ code: code ?? (signal ? 128 : 1), stdout: text(out), stderr: text(err), ms: elapsed });
    });
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Like {@link run}, but throws with the output when the exit status is not 0. */
export async function runOk(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; } = {},
): Promise<ProcessResult> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** Every `ms=<number>` after `tag` in `text` (one per line), in order. */
export function timings(text: string, tag: string): number[] {
  const out: number[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(tag)) continue;
    const m = / ms=([0-9.]+)/.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** The Node binary for the peers ($NODE or `node`). */
export function nodeBinary(): string {
  return envVar("NODE") ?? "node";
}

/** An environment variable of the host. */
export function envVar(name: string): string | undefined {
  const g = globalThis as { Deno?: { env: { get(k: string): string | undefined; }; }; };
  if (g.Deno) return g.Deno.env.get(name);
  return (globalThis as { process?: { env: Record<string, string | undefined>; }; }).process?.env[name];
}

/** The environment of this process as a plain object (for child processes). */
export function hostEnv(): Record<string, string> {
  const g = globalThis as { Deno?: { env: { toObject(): Record<string, string>; }; }; };
  if (g.Deno) return g.Deno.env.toObject();
  return { ...(globalThis as { process?: { env: Record<string, string>; }; }).process!.env };
}

/**
 * A fresh host directory for the peers' files: under `--host-dir` when given, else under
 * /dev/shm (tmpfs, in memory like vkernel's memfs) when it exists, else the system temp dir.
 * Returns the path and the filesystem type it is on (from /proc/mounts).
 */
export function hostTempDir(prefix: string): { path: string; fsType: string; remove(): void; } {
  const base = stringOption("host-dir") ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
  const path = mkdtempSync(join(base, prefix));
  return { path, fsType: filesystemType(path), remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The filesystem type of the mount holding `path` ("tmpfs", "ext4", ...), or "?". */
export function filesystemType(path: string): string {
  try {
    let best = "";
    let type = "?";
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, mountPoint, fsType] = line.split(" ");
      if (!mountPoint) continue;
      const inside = path === mountPoint
        || path.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
      if (inside && mountPoint.length >= best.length) {
        best = mountPoint;
        type = fsType;
      }
    }
    return type;
  } catch {
    return "?";
  }
}

/** The same repeating byte pattern the benchmark programs' `mkfile` modes write. */
export function patternBytes(size: number): Uint8Array {
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += chunk.length) {
    data.set(chunk.subarray(0, Math.min(chunk.length, size - at)), at);
  }
  return data;
}

/** A markdown table from a header row and body rows (first column left-aligned, the rest right). */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/** Prints progress to stderr (the tables go to stdout). */
export function progress(text: string): void {
  const g = globalThis as {
    Deno?: { stderr: { writeSync(b: Uint8Array): number; }; };
    process?: { stderr: { write(s: string): boolean; }; };
  };
  if (g.Deno) g.Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
  else g.process!.stderr.write(text + "\n");
}
