#!/usr/bin/env -S deno run -A
/**
 * The `vkernel` command line: run a Go js/wasm or WASI program on the kernel,
 * with wasmtime-compatible flags.
 *
 * ```sh
 * deno run -A cli.ts run --dir .::/work --env NAME=value program.wasm arg1 arg2
 * bun cli.ts run program.wasm
 * ```
 *
 * Exit status: the guest's own; 134 after a trap; 126 when the file is not a
 * program vkernel can run; 127 when it cannot be read; 70 for a failure of
 * the kernel or host; 64 for a usage error.
 *
 * @module
 */

import { sinkStream, sourceStream } from "./drivers/stdio.ts";
import { HostFileSystem } from "./fs/host/mod.ts";
import { MemoryFileSystem } from "./fs/memory/mod.ts";
import { isPromise } from "./kernel/_maybe.ts";
import type { Kernel } from "./kernel/kernel.ts";
import type { FileSystem } from "./kernel/vfs/driver.ts";
import { createKernel } from "./mod.ts";
import { loadProgram, spawn, UnsupportedProgramError } from "./syscalls/spawn.ts";
import { listenTcp } from "./syscalls/wasi/tcp.ts";
import type { SocketSource } from "./syscalls/wasi/tcp.ts";

/** Documented exit statuses of the CLI itself. */
export const EXIT = {
  USAGE: 64,
  SOFTWARE: 70,
  CANNOT_EXECUTE: 126,
  NOT_FOUND: 127,
  TRAP: 134,
} as const;

const VERSION = "0.1.0";

const USAGE = `vkernel ${VERSION}: run WebAssembly programs (WASI preview1, Go js/wasm) on a virtual kernel

Usage: vkernel run [options] program.wasm [args...]

Options (wasmtime-compatible where wasmtime has them):
  --dir HOST[::GUEST]      mount a host directory (sandboxed) at GUEST (default: the same path)
  --dir-ro HOST[::GUEST]   the same, read-only
  --mount GUEST=memory     mount an empty in-memory filesystem at GUEST
  --env KEY=VALUE          set an environment variable (repeatable)
  --env-inherit            pass the host's environment
  --argv0 NAME             argv[0] (default: the program's file name)
  --cwd PATH               working directory inside the kernel (default /, or GUEST of the first --dir)
  --deterministic          virtual clock and seeded random (reproducible runs)
  --seed N                 random seed for --deterministic (default 0)
  --max-fds N              open-file limit of the process (default 1024)
  --max-memory BYTES       stop the program when its linear memory grows past BYTES
  --net-allow ORIGIN       Go js: let fetch reach ORIGIN (repeatable), e.g. http://127.0.0.1:8080
  --listen HOST:PORT       WASI: preopen a TCP listener after the directories
  --trace                  print each syscall with its arguments and result to stderr
  --tty                    report stdio as a terminal
  -h, --help               this help
  --version                print the version

Exit status: the program's own; ${EXIT.TRAP} after a trap; ${EXIT.CANNOT_EXECUTE} for a file that is not a
program vkernel can run; ${EXIT.NOT_FOUND} when the file cannot be read; ${EXIT.SOFTWARE} for a kernel or host
failure; ${EXIT.USAGE} for a usage error.

Examples:
  vkernel run hello.wasm
  vkernel run --dir .::/work --cwd /work --env GREETING=hi tool.wasm input.txt
  vkernel run --deterministic --mount /scratch=memory go-program.wasm
  vkernel run --dir-ro /usr/local/go --mount /tmp=memory --trace test.wasm -test.v`;

/** Parsed command line. */
export interface CliOptions {
  program: string;
  args: string[];
  dirs: Array<{ host: string; guest: string; readOnly: boolean; }>;
  memoryMounts: string[];
  env: Record<string, string>;
  envInherit: boolean;
  argv0?: string;
  cwd?: string;
  deterministic: boolean;
  seed: number;
  maxFds?: number;
  maxMemory?: number;
  netAllow: string[];
  listen: string[];
  trace: boolean;
  tty: boolean;
}

/** A usage error: one line for stderr, then the usage hint. */
export class UsageError extends Error {}

function intArg(flag: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} needs an integer ≥ ${min}, got ${JSON.stringify(value ?? "")}`);
  }
  return n;
}

/**
 * Parses `vkernel run` arguments (everything after `run`).
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "./cli.ts";
 * const o = parseRunArgs(["--env", "A=1", "--dir", "/tmp::/t", "x.wasm", "--flag"]);
 * console.assert(o.program === "x.wasm" && o.args[0] === "--flag" && o.env.A === "1");
 * ```
 */
export function parseRunArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    program: "",
    args: [],
    dirs: [],
    memoryMounts: [],
    env: {},
    envInherit: false,
    deterministic: false,
    seed: 0,
    netAllow: [],
    listen: [],
    trace: false,
    tty: false,
  };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = (flag: string) => inline ?? value(flag);
    if (!arg.startsWith("-") || arg === "-") break;
    switch (arg) {
      case "--":
        i++;
        o.program = argv[i] ?? "";
        o.args = argv.slice(i + 1);
        if (!o.program) throw new UsageError("missing program.wasm");
        return o;
      case "--dir":
      case "--dir-ro": {
        const spec = take(arg);
        const [host, guest] = spec.includes("::") ? spec.split("::", 2) : [spec, spec];
        if (!host || !guest) throw new UsageError(`${arg} wants HOST[::GUEST], got ${JSON.stringify(spec)}`);
        o.dirs.push({
          host,
          guest: guest.startsWith("/") ? guest : `/${guest}`,
          readOnly: arg === "--dir-ro",
        });
        break;
      }
      case "--mount": {
        const spec = take(arg);
        const m = /^(\/[^=]*)=memory$/.exec(spec);
        if (!m) throw new UsageError(`--mount wants /GUEST=memory, got ${JSON.stringify(spec)}`);
        o.memoryMounts.push(m[1]);
        break;
      }
      case "--env": {
        const spec = take(arg);
        const k = spec.indexOf("=");
        if (k <= 0) throw new UsageError(`--env wants KEY=VALUE, got ${JSON.stringify(spec)}`);
        o.env[spec.slice(0, k)] = spec.slice(k + 1);
        break;
      }
      case "--env-inherit":
        o.envInherit = true;
        break;
      case "--argv0":
        o.argv0 = take(arg);
        break;
      case "--cwd":
        o.cwd = take(arg);
        if (!o.cwd.startsWith("/")) throw new UsageError("--cwd must be an absolute guest path");
        break;
      case "--deterministic":
        o.deterministic = true;
        break;
      case "--seed":
        o.seed = intArg(arg, take(arg), 0);
        break;
      case "--max-fds":
        o.maxFds = intArg(arg, take(arg), 4);
        break;
      case "--max-memory":
        o.maxMemory = intArg(arg, take(arg), 65536);
        break;
      case "--net-allow":
        o.netAllow.push(new URL(take(arg)).origin);
        break;
      case "--listen":
        o.listen.push(take(arg));
        break;
      case "--trace":
        o.trace = true;
        break;
      case "--tty":
        o.tty = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  o.program = argv[i] ?? "";
  o.args = argv.slice(i + 1);
  if (!o.program) throw new UsageError("missing program.wasm");
  return o;
}

/** Where the CLI's output goes; tests pass their own. */
export interface CliIo {
  stdout(bytes: Uint8Array): void | Promise<void>;
  stderr(bytes: Uint8Array): void | Promise<void>;
  stdin?: ReadableStream<Uint8Array>;
  env(): Record<string, string>;
  isTerminal?: boolean;
}

const encoder = new TextEncoder();

async function settle<T>(value: T | Promise<T>): Promise<T> {
  return isPromise(value) ? await value : value;
}

async function mountAll(kernel: Kernel, o: CliOptions): Promise<void> {
  const mounts: Array<{ guest: string; fs: FileSystem; }> = [];
  for (const d of o.dirs) {
    let fs: FileSystem;
    try {
      fs = new HostFileSystem({ root: d.host, readOnly: d.readOnly });
    } catch (error) {
      throw new UsageError(`--dir ${d.host}: ${(error as Error).message}`);
    }
    mounts.push({ guest: d.guest, fs });
  }
  for (const guest of o.memoryMounts) mounts.push({ guest, fs: new MemoryFileSystem() });
  // Parents before children, so /a is mounted before /a/b.
  mounts.sort((a, b) => a.guest.split("/").length - b.guest.split("/").length);
  for (const { guest, fs } of mounts) {
    if (guest !== "/") await settle(kernel.files.mkdir(guest, { recursive: true }));
    if (guest === "/" && fs instanceof HostFileSystem) {
      throw new UsageError("--dir ...::/ would replace the kernel's root; mount at a subdirectory");
    }
    await settle(kernel.mount(guest, fs));
  }
}

/**
 * Runs the CLI with `argv` (without the runtime and script) and returns the
 * exit status.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const lines: string[] = [];
 * const status = await main(["--version"], {
 *   stdout: (b) => void lines.push(new TextDecoder().decode(b)),
 *   stderr: () => {},
 *   env: () => ({}),
 * });
 * console.assert(status === 0 && lines[0].startsWith("vkernel"));
 * ```
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const say = (stream: "stdout" | "stderr", text: string) => io[stream](encoder.encode(text + "\n"));
  if (argv.length === 0 || argv[0] === "-h" || argv[0] === "--help" || argv[0] === "help") {
    await say(argv.length === 0 ? "stderr" : "stdout", USAGE);
    return argv.length === 0 ? EXIT.USAGE : 0;
  }
  if (argv[0] === "--version") {
    await say("stdout", `vkernel ${VERSION}`);
    return 0;
  }
  if (argv[0] === "go-exec") return await goExec(argv.slice(1), io);
  const rest = argv[0] === "run" ? argv.slice(1) : argv;
  if (
    rest.includes("-h") && rest.indexOf("-h") < (rest.findIndex((a) => a.endsWith(".wasm")) + 1 || Infinity)
  ) {
    await say("stdout", USAGE);
    return 0;
  }
  let o: CliOptions;
  try {
    if (rest[0] === "--help") {
      await say("stdout", USAGE);
      return 0;
    }
    o = parseRunArgs(rest);
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      await say("stderr", `vkernel: ${error.message}\nTry 'vkernel --help' for more information.`);
      return EXIT.USAGE;
    }
    throw error;
  }

  let program;
  try {
    program = await loadProgram(o.program, { maxMemoryBytes: o.maxMemory });
  } catch (error) {
    if (error instanceof RangeError) {
      await say("stderr", `vkernel: ${o.program}: ${error.message}`);
      return EXIT.USAGE;
    }
    if (error instanceof UnsupportedProgramError) {
      await say("stderr", `vkernel: ${o.program}: ${error.message}`);
      return EXIT.CANNOT_EXECUTE;
    }
    const code = (error as { code?: string; }).code;
    if (code === "ENOENT" || code === "EISDIR" || code === "EACCES" || error instanceof Deno_NotFound()) {
      await say("stderr", `vkernel: cannot read ${o.program}: ${(error as Error).message}`);
      return EXIT.NOT_FOUND;
    }
    await say("stderr", `vkernel: ${o.program}: not a valid WebAssembly module: ${(error as Error).message}`);
    return EXIT.CANNOT_EXECUTE;
  }

  const kernel = createKernel({ deterministic: o.deterministic, seed: o.seed });
  const listeners: Array<{ close(): void; }> = [];
  try {
    await mountAll(kernel, o);
    const env = { ...(o.envInherit ? io.env() : {}), ...o.env };
    const cwd = o.cwd ?? o.dirs[0]?.guest;
    const sockets: SocketSource[] = [];
    for (const spec of o.listen) {
      const m = /^(.*):(\d+)$/.exec(spec);
      if (!m) throw new UsageError(`--listen wants HOST:PORT, got ${JSON.stringify(spec)}`);
      const listener = await listenTcp({ hostname: m[1] || "127.0.0.1", port: Number(m[2]) });
      listeners.push(listener);
      sockets.push(listener);
    }
    const name = o.argv0 ?? o.program.split("/").pop()!;
    const preopens = ["/", ...o.dirs.map((d) => d.guest), ...o.memoryMounts].filter((p, i, all) =>
      all.indexOf(p) === i
    );
    const child = await spawn(kernel, program.module, {
      args: [name, ...o.args],
      env,
      cwd,
      stdin: io.stdin ? sourceStream(io.stdin, { isTerminal: o.tty }) : undefined,
      stdout: sinkStream(io.stdout, { isTerminal: o.tty }),
      stderr: sinkStream(io.stderr, { isTerminal: o.tty }),
      preopens,
      sockets,
      maxFds: o.maxFds,
      net: o.netAllow.length ? { allow: o.netAllow } : undefined,
      trace: o.trace ? (line) => void io.stderr(encoder.encode(`[trace] ${line}\n`)) : undefined,
    });
    return await child.exited;
  } catch (error) {
    if (error instanceof UsageError) {
      await say("stderr", `vkernel: ${error.message}\nTry 'vkernel --help' for more information.`);
      return EXIT.USAGE;
    }
    if (error instanceof RangeError) {
      await say("stderr", `vkernel: ${error.message}`);
      return EXIT.USAGE;
    }
    await say("stderr", `vkernel: ${(error as Error)?.message ?? String(error)}`);
    return EXIT.SOFTWARE;
  } finally {
    for (const l of listeners) l.close();
  }
}

/** Environment variables a Go test binary needs first; others follow while they fit. */
const GO_ENV_FIRST = [
  "PWD",
  "TMPDIR",
  "HOME",
  "PATH",
  "GOROOT",
  "GOPATH",
  "GOCACHE",
  "GOOS",
  "GOARCH",
  "GODEBUG",
];
/** Keep argv + env well inside Go js's 8 KiB area. */
const GO_JS_ENV_BUDGET = 6 * 1024;

/**
 * `vkernel go-exec js|wasip1 program.wasm args...`: what the
 * `go_js_wasm_exec` / `go_wasip1_wasm_exec` shims run. The host's `/` is the
 * kernel's root, read-only; the working directory (the package directory
 * under `go test`) and TMPDIR are mounted writable at the same paths, and
 * devices at /dev. Exit status as `run`.
 */
async function goExec(argv: string[], io: CliIo): Promise<number> {
  const [goos, program, ...args] = argv;
  const say = (text: string) => io.stderr(encoder.encode(text + "\n"));
  if ((goos !== "js" && goos !== "wasip1") || !program) {
    await say("vkernel go-exec: usage: vkernel go-exec js|wasip1 program.wasm [args...]");
    return EXIT.USAGE;
  }
  const { cwd } = await import("node:process");
  const { tmpdir } = await import("node:os");
  const hostEnv = io.env();
  const pwd = cwd();
  const tmp = hostEnv.TMPDIR || tmpdir();
  let loaded;
  try {
    loaded = await loadProgram(program);
  } catch (error) {
    await say(`vkernel go-exec: ${program}: ${(error as Error).message}`);
    return error instanceof UnsupportedProgramError ? EXIT.CANNOT_EXECUTE : EXIT.NOT_FOUND;
  }
  const kernel = createKernel({ root: new HostFileSystem({ root: "/", readOnly: true }) });
  try {
    for (const dir of [...new Set([pwd, tmp])].sort((a, b) => a.length - b.length)) {
      if (dir !== "/") await settle(kernel.mount(dir, new HostFileSystem({ root: dir })));
    }
    const env: Record<string, string> = { PWD: pwd, TMPDIR: tmp };
    const order = [...GO_ENV_FIRST, ...Object.keys(hostEnv).filter((k) => !GO_ENV_FIRST.includes(k)).sort()];
    let size = args.join(" ").length + program.length + 64;
    for (const key of order) {
      const value = env[key] ?? hostEnv[key];
      if (value === undefined) continue;
      const cost = key.length + value.length + 16;
      if (goos === "js" && size + cost > GO_JS_ENV_BUDGET) continue;
      env[key] = value;
      size += cost;
    }
    const child = await spawn(kernel, loaded.module, {
      args: [program, ...args],
      env,
      cwd: pwd,
      stdin: io.stdin ? sourceStream(io.stdin) : undefined,
      stdout: sinkStream(io.stdout),
      stderr: sinkStream(io.stderr),
      preopens: ["/"],
    });
    return await child.exited;
  } catch (error) {
    await say(`vkernel go-exec: ${(error as Error)?.message ?? String(error)}`);
    return EXIT.SOFTWARE;
  }
}

// Deno reports a missing file as Deno.errors.NotFound, not as an error with a code.
function Deno_NotFound(): new(...args: never[]) => unknown {
  const deno = (globalThis as { Deno?: { errors?: { NotFound?: new(...a: never[]) => unknown; }; }; }).Deno;
  return deno?.errors?.NotFound ?? class Never {};
}

function hostIo(): CliIo {
  const g = globalThis as {
    Deno?: {
      stdout: { write(b: Uint8Array): Promise<number>; writeSync(b: Uint8Array): number; };
      stderr: { writeSync(b: Uint8Array): number; };
      stdin: { readable: ReadableStream<Uint8Array>; isTerminal(): boolean; };
      env: { toObject(): Record<string, string>; };
    };
    process?: {
      stdout: { write(b: Uint8Array): boolean; };
      stderr: { write(b: Uint8Array): boolean; };
      stdin: AsyncIterable<Uint8Array> & { isTTY?: boolean; };
      env: Record<string, string>;
    };
  };
  if (g.Deno) {
    const d = g.Deno;
    const writeAll = (w: { writeSync(b: Uint8Array): number; }) => (b: Uint8Array) => {
      for (let at = 0; at < b.length;) at += w.writeSync(b.subarray(at));
    };
    return {
      stdout: writeAll(d.stdout),
      stderr: writeAll(d.stderr),
      stdin: d.stdin.readable,
      env: () => d.env.toObject(),
    };
  }
  const p = g.process!;
  const stdin = new ReadableStream<Uint8Array>({
    async start(controller) {
      for await (const chunk of p.stdin) controller.enqueue(new Uint8Array(chunk));
      controller.close();
    },
  });
  return {
    stdout: (b) => void p.stdout.write(b),
    stderr: (b) => void p.stderr.write(b),
    stdin,
    env: () => ({ ...p.env }),
  };
}

function hostArgs(): string[] {
  const g = globalThis as { Deno?: { args: string[]; }; process?: { argv: string[]; }; };
  return g.Deno ? g.Deno.args : g.process!.argv.slice(2);
}

function hostExit(code: number): never {
  const g = globalThis as { Deno?: { exit(c: number): never; }; process?: { exit(c: number): never; }; };
  return (g.Deno ?? g.process!).exit(code);
}

if ((import.meta as ImportMeta & { main?: boolean; }).main) {
  const status = await main(hostArgs(), hostIo());
  hostExit(status);
}
