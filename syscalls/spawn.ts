/**
 * One way to start any program the kernel can run: Go js/wasm or WASI, from
 * bytes, a compiled module, a file path or a URL. The ABI is detected from the
 * module; both kinds share the kernel's files.
 *
 * @module
 */

import { type Sink, sinkStream, type Source, sourceStream } from "../drivers/stdio.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { OpenFile } from "../kernel/open_file.ts";
import type { Stream } from "../kernel/stream.ts";
import { startGo } from "./gojs/mod.ts";
import type { NetOptions } from "./gojs/net.ts";
import { limitMemory } from "./memory_limit.ts";
import { detectProgram, type ProgramInfo, sniffBytes } from "./program.ts";
import { type PreopenSpec, rememberModuleBytes, runWasi, type WasiOptions } from "./wasi/mod.ts";
import type { SocketSource } from "./wasi/tcp.ts";

/** A program: its bytes, a compiled module, a host file path, or a URL (file:, http:, https:). */
export type ProgramSource = Uint8Array | ArrayBuffer | WebAssembly.Module | string | URL;

/** Standard input: a kernel stream or open file (e.g. a pipe end), or data to read. */
export type InputOption = Stream | OpenFile | Source;
/** Standard output or error: a kernel stream or open file, or a function given each write. */
export type OutputOption = Stream | OpenFile | Sink;

/** How to start a program. */
export interface SpawnOptions {
  /** argv, program name first (default `["program.wasm"]`). */
  args?: string[];
  /** Environment (default empty). For WASI programs `PWD` is set from `cwd` unless given. */
  env?: Record<string, string>;
  /** Working directory (default `/`). */
  cwd?: string;
  stdin?: InputOption;
  stdout?: OutputOption;
  stderr?: OutputOption;
  /** WASI: directories to preopen (default `["/"]`). */
  preopens?: PreopenSpec[];
  /** WASI: listening sockets to preopen after the directories. */
  sockets?: SocketSource[];
  /** WASI: use JSPI for blocking calls ("auto" by default). */
  jspi?: "auto" | boolean;
  /** WASI: run in a worker blocking on a SharedArrayBuffer bridge ("auto": where JSPI is missing). */
  worker?: WasiOptions["worker"];
  /** Go js: network access for `fetch` (none by default). */
  net?: NetOptions;
  /** Go js: values added to the program's global object. */
  globals?: Record<string, unknown>;
  /** Maximum open fds. */
  maxFds?: number;
  /** One line per syscall, with arguments and result. */
  trace?: (line: string) => void;
  /** Cap on the program's linear memory in bytes (only for programs given as bytes, a path or a URL). */
  maxMemoryBytes?: number;
}

/** A started program. */
export interface ChildProgram {
  /** What was detected. */
  readonly info: ProgramInfo;
  /** Resolves with the exit status (134 after a trap of a WASI program). */
  readonly exited: Promise<number>;
}

/** Raised for a module vkernel cannot run; `info` says what it is. */
export class UnsupportedProgramError extends TypeError {
  constructor(readonly info: ProgramInfo) {
    super(`cannot run ${info.description}`);
    this.name = "UnsupportedProgramError";
  }
}

const isStream = (v: unknown): v is Stream =>
  typeof (v as Partial<Stream>)?.poll === "function" && typeof (v as Partial<Stream>).read === "function";

function input(option: InputOption | undefined): Stream | OpenFile {
  if (option instanceof OpenFile || isStream(option)) return option;
  return sourceStream(option ?? new Uint8Array(0));
}

function output(option: OutputOption | undefined): Stream | OpenFile {
  if (option instanceof OpenFile || isStream(option)) return option;
  return sinkStream(option ?? (() => {}));
}

async function readSource(source: Uint8Array | ArrayBuffer | string | URL): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = source instanceof URL
    ? source
    : /^[a-z][a-z0-9+.-]*:\/\//i.test(source)
    ? new URL(source)
    : null;
  if (url && url.protocol !== "file:") {
    const response = await fetch(url);
    if (!response.ok) throw new TypeError(`cannot fetch ${url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  // Deno loads its Node compatibility layer lazily (tens of ms): use its own API there.
  const deno = (globalThis as { Deno?: { readFile(path: string | URL): Promise<Uint8Array>; }; }).Deno;
  if (deno) return await deno.readFile(url ?? (source as string));
  const { readFile } = await import("node:fs/promises");
  const path = url ? (await import("node:url")).fileURLToPath(url.href) : (source as string);
  return new Uint8Array(await readFile(path));
}

/**
 * Compiles a program and says what it is. Throws {@link UnsupportedProgramError}
 * for modules vkernel cannot run (components, TinyGo's js flavour, others).
 *
 * @example
 * ```ts
 * import { loadProgram } from "./spawn.ts";
 * try {
 *   await loadProgram(new TextEncoder().encode("not wasm"));
 * } catch (error) {
 *   console.assert((error as Error).message.includes("not a WebAssembly module"));
 * }
 * ```
 */
export async function loadProgram(
  source: ProgramSource,
  options: { maxMemoryBytes?: number; } = {},
): Promise<{ module: WebAssembly.Module; info: ProgramInfo; }> {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) {
    if (options.maxMemoryBytes !== undefined) throw new TypeError("maxMemoryBytes needs the module's bytes");
    module = source;
  } else {
    let bytes = await readSource(source as Uint8Array | ArrayBuffer | string | URL);
    const sniffed = sniffBytes(bytes);
    if (sniffed) throw new UnsupportedProgramError(sniffed);
    if (options.maxMemoryBytes !== undefined) bytes = limitMemory(bytes, options.maxMemoryBytes);
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    // The worker bridge rewrites the bytes (shared memory) when JSPI is missing.
    rememberModuleBytes(module, bytes);
  }
  const info = detectProgram(module);
  if (!info.runnable) throw new UnsupportedProgramError(info);
  return { module, info };
}

/**
 * Starts a program on `kernel` as a new process. Resolves once it is running;
 * await `exited` for its status. Several programs may run at once; connect
 * them with `createPipe()` ends as stdin/stdout.
 *
 * @example
 * ```ts
 * import { collector, createKernel } from "../mod.ts";
 * import { spawn } from "./spawn.ts";
 * const kernel = createKernel();
 * const out = collector();
 * // const child = await spawn(kernel, "hello.wasm", { args: ["hello"], stdout: out.sink });
 * // console.log(await child.exited, out.text());
 * ```
 */
export async function spawn(
  kernel: Kernel,
  program: ProgramSource,
  options: SpawnOptions = {},
): Promise<ChildProgram> {
  const { module, info } = await loadProgram(program, { maxMemoryBytes: options.maxMemoryBytes });
  const args = options.args ?? ["program.wasm"];
  const env = { ...(options.env ?? {}) };
  const stdio = {
    stdin: input(options.stdin),
    stdout: output(options.stdout),
    stderr: output(options.stderr),
  };
  if (info.kind === "gojs") {
    const go = await startGo(kernel, module, {
      args,
      env,
      cwd: options.cwd,
      ...stdio,
      net: options.net,
      globals: options.globals,
      trace: options.trace,
    });
    return { info, exited: go.exited };
  }
  if (options.cwd !== undefined && env.PWD === undefined) env.PWD = options.cwd;
  const exited = runWasi(kernel, module, {
    args,
    env,
    preopens: options.preopens ?? ["/"],
    sockets: options.sockets,
    ...stdio,
    jspi: options.jspi,
    worker: options.worker,
    trace: options.trace,
    maxFds: options.maxFds,
  }).then((r) => r.exitCode);
  return { info, exited };
}
