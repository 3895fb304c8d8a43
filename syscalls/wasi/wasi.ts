/**
 * Running WebAssembly programs against `wasi_snapshot_preview1` on a kernel
 * process: the import object, JSPI for the imports that can block, commands
 * (`_start`) and reactors (`_initialize` plus exported functions).
 *
 * @module
 */

import { type Sink, sinkStream, type Source, sourceStream } from "../../drivers/stdio.ts";
import { isPromise } from "../../kernel/_maybe.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { OpenFile } from "../../kernel/open_file.ts";
import type { Process } from "../../kernel/process.ts";
import type { Stream } from "../../kernel/stream.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import type { Maybe } from "../../kernel/types.ts";
import type { Arg, WasiFunction } from "./_registry.ts";
import { makeTrampolines, PARKED } from "./_trampoline.ts";
import { ERRNO, ERRNO_NAMES, MODULE } from "./abi.ts";
import { ARGS_ENVIRON_FUNCTIONS } from "./args_environ.ts";
import { CLOCK_FUNCTIONS } from "./clock.ts";
import { WasiContext } from "./context.ts";
import { errnoOf, WasiExit } from "./errno.ts";
import { FD_FUNCTIONS } from "./fd.ts";
import { GuestMemory, utf8 } from "./memory.ts";
import { PATH_FUNCTIONS } from "./path.ts";
import { POLL_FUNCTIONS } from "./poll.ts";
import { installPreopens, type PreopenSpec } from "./preopens.ts";
import { PROC_FUNCTIONS } from "./proc.ts";
import { RANDOM_FUNCTIONS } from "./random.ts";
import { SOCK_FUNCTIONS } from "./sock.ts";
import { type SocketSource, toSocketStream } from "./tcp.ts";
import { runWasiInWorker, wasiRunMode, type WorkerBridgeOptions } from "./worker_bridge.ts";

/** Every `wasi_snapshot_preview1` function, by name order. */
export const WASI_FUNCTIONS: readonly WasiFunction[] = [
  ...ARGS_ENVIRON_FUNCTIONS,
  ...CLOCK_FUNCTIONS,
  ...FD_FUNCTIONS,
  ...PATH_FUNCTIONS,
  ...POLL_FUNCTIONS,
  ...PROC_FUNCTIONS,
  ...RANDOM_FUNCTIONS,
  ...SOCK_FUNCTIONS,
].sort((a, b) => (a.name < b.name ? -1 : 1));

// ---- JSPI (the TypeScript DOM lib does not declare it yet)

type AnyFunction = (...args: never[]) => unknown;
interface JspiApi {
  Suspending: new(fn: AnyFunction) => object;
  promising(fn: AnyFunction): (...args: unknown[]) => Promise<unknown>;
}

/** Whether this runtime has JSPI (`WebAssembly.Suspending` and `WebAssembly.promising`). */
export function hasJspi(): boolean {
  const wa = WebAssembly as unknown as Partial<JspiApi>;
  return typeof wa.Suspending === "function" && typeof wa.promising === "function";
}

const jspiApi = (): JspiApi => WebAssembly as unknown as JspiApi;

// ---- options

/** Standard input: a kernel stream or open file, or data / a readable stream to read from. */
export type StdinOption = Stream | OpenFile | Source;
/** Standard output or error: a kernel stream or open file, or a function called with each write. */
export type StdoutOption = Stream | OpenFile | Sink;

/** How to run a WASI program. */
export interface WasiOptions {
  /** argv (default `["wasm"]`). */
  args?: string[];
  /** Environment variables (Go wants `PWD` to know its working directory). */
  env?: Record<string, string>;
  /** Directories to preopen from fd 3 in order (default `["/"]`). */
  preopens?: PreopenSpec[];
  /** Listening sockets, preopened after the directories. */
  sockets?: SocketSource[];
  /** Default: empty (EOF). */
  stdin?: StdinOption;
  /** Default: discarded. */
  stdout?: StdoutOption;
  /** Default: discarded. */
  stderr?: StdoutOption;
  /**
   * JSPI for imports that can block: "auto" (default) uses it where the runtime
   * has it; true requires it (TypeError without); false never uses it (then a
   * call that would have to wait fails with NOTSUP, and sleeps use Atomics.wait).
   */
  jspi?: "auto" | boolean;
  /**
   * Run the program in a worker whose imports block on a SharedArrayBuffer
   * bridge to this thread's kernel (`worker_bridge.ts`): true (or bridge
   * settings) always; "auto" (default) when `jspi` is "auto" and the runtime
   * lacks JSPI but has Workers; false never.
   */
  worker?: "auto" | boolean | WorkerBridgeOptions;
  /** Receives one line per WASI call: name, arguments, errno. */
  trace?: (line: string) => void;
  /** Run in this process instead of a new one (its stdio stays; args/env are replaced when given). */
  process?: Process;
  /** Maximum fds of the new process. */
  maxFds?: number;
  /** More import modules (e.g. `env`), merged with `wasi_snapshot_preview1`. */
  imports?: WebAssembly.Imports;
  /** The memory, for modules that import theirs instead of exporting `memory`. */
  memory?: WebAssembly.Memory;
}

/** What a command run ends with. */
export interface WasiResult {
  /** proc_exit's value, 0 when `_start` returned, 134 after a trap (as wasmtime on Unix). */
  exitCode: number;
  /** The trap or host error that ended the run, if any. */
  error?: unknown;
  /** The (exited) process. */
  process: Process;
}

function isStream(value: unknown): value is Stream {
  return typeof (value as Partial<Stream>)?.poll === "function"
    && typeof (value as Partial<Stream>).read === "function";
}

function stdinOf(option: StdinOption | undefined): Stream | OpenFile {
  if (option instanceof OpenFile || isStream(option)) return option;
  return sourceStream(option ?? new Uint8Array(0));
}

function stdoutOf(option: StdoutOption | undefined): Stream | OpenFile {
  if (option instanceof OpenFile || isStream(option)) return option;
  if (option === undefined) return sinkStream(() => {});
  return sinkStream(option);
}

function describeArgs(fn: WasiFunction, args: readonly Arg[], memory: GuestMemory): string {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [name] = fn.params[i] ?? ["?"];
    let text = String(args[i]);
    if (/path$/.test(name) && fn.params[i + 1]?.[0] === `${name}_len`) {
      try {
        text += ` ${JSON.stringify(memory.string(Number(args[i]), Number(args[i + 1]) >>> 0))}`;
      } catch { /* not decodable: raw value only */ }
    }
    parts.push(text);
  }
  return parts.join(", ");
}

/**
 * One WASI instance's host side: the process, the import object and the
 * runners. Most embedders use {@link runWasi} or {@link instantiateWasi}.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { WasiHost } from "./wasi.ts";
 * const host = await WasiHost.create(createKernel(), { args: ["demo"] });
 * console.assert(typeof host.imports.wasi_snapshot_preview1.fd_write === "function" ||
 *   typeof host.imports.wasi_snapshot_preview1.fd_write === "object");
 * host.process.exit(0);
 * ```
 */
export class WasiHost {
  /** Facade state: memory, preopens, rights. */
  readonly context: WasiContext;
  /** Whether blocking imports are JSPI `Suspending` functions. */
  readonly jspi: boolean;
  /** The import object (`wasi_snapshot_preview1` plus any extra modules). */
  readonly imports: WebAssembly.Imports & { [MODULE]: Record<string, WebAssembly.ImportValue>; };
  /** The last host exception turned into EIO, for debugging. */
  lastHostError: unknown = undefined;
  readonly #trace?: (line: string) => void;
  readonly #memory?: WebAssembly.Memory;
  /** The Promise a trampoline's plain import parked, for its Suspending import to return. */
  #parked: Promise<number> | null = null;

  private constructor(context: WasiContext, jspi: boolean, options: WasiOptions) {
    this.context = context;
    this.jspi = jspi;
    this.#trace = options.trace;
    this.#memory = options.memory;
    context.canBlock = jspi;
    const asyncDrivers = [...context.kernel.mounts.all()].some((m) => !m.fs.synchronous);
    const wasi: Record<string, WebAssembly.ImportValue> = {};
    // Imports that may wait go through a trampoline (`_trampoline.ts`): a plain call
    // first, JSPI only when the kernel returned a Promise.
    const blocking: WasiFunction[] = [];
    for (const fn of WASI_FUNCTIONS) {
      const suspending = jspi && (fn.blocking === "stream" || (fn.blocking === "driver" && asyncDrivers));
      if (suspending) blocking.push(fn);
      else wasi[fn.name] = this.#import(fn, false) as WebAssembly.ImportValue;
    }
    if (blocking.length > 0) {
      const wait = new (jspiApi().Suspending)(() => {
        const parked = this.#parked;
        this.#parked = null;
        if (parked === null) throw new Error("WASI trampoline: nothing parked");
        return parked;
      }) as unknown as WebAssembly.ImportValue;
      const trampolines = makeTrampolines(
        blocking.map((fn) => fn.params.map(([, type]) => type)),
        blocking.map((fn) => this.#import(fn, true)),
        wait,
      );
      blocking.forEach((fn, i) => (wasi[fn.name] = trampolines[i]));
    }
    this.imports = { ...options.imports, [MODULE]: wasi };
  }

  /**
   * The JavaScript side of one import. `park`: a Promise from the kernel is
   * parked for the trampoline's Suspending import and PARKED returned (only for
   * imports behind a trampoline); otherwise a Promise is NOTSUP (a driver that
   * turned out asynchronous without JSPI). Without a trace, a wrapper of the
   * function's own arity that calls the implementation directly.
   */
  #import(fn: WasiFunction, park: boolean): (...args: never[]) => number {
    const settle = (result: Maybe<number | void>): number => {
      if (!isPromise(result)) return result ?? 0;
      if (park) {
        this.#parked = this.#settled(fn, result, "");
        return PARKED;
      }
      result.catch(() => {});
      return ERRNO.NOTSUP;
    };
    if (this.#trace) {
      return (...args: Arg[]) => {
        const r = this.#invoke(fn, args, park);
        if (!isPromise(r)) return r ?? 0;
        this.#parked = r;
        return PARKED;
      };
    }
    const ctx = this.context;
    const impl = fn.impl as unknown as (ctx: WasiContext, ...args: Arg[]) => Maybe<number | void>;
    const fail = (error: unknown): number => errnoOf(error, (e) => this.#unexpected(fn, e));
    // One literal per arity: the engine's wasm-to-JS call matches it exactly.
    type A = Arg;
    switch (fn.params.length) {
      case 0:
        return () => {
          let r;
          try {
            r = impl(ctx);
          } catch (e) {
            return fail(e);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 1:
        return (a: A) => {
          let r;
          try {
            r = impl(ctx, a);
          } catch (e) {
            return fail(e);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 2:
        return (a: A, b: A) => {
          let r;
          try {
            r = impl(ctx, a, b);
          } catch (e) {
            return fail(e);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 3:
        return (a: A, b: A, c: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c);
          } catch (e) {
            return fail(e);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 4:
        return (a: A, b: A, c: A, d: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c, d);
          } catch (e) {
            return fail(e);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 5:
        return (a: A, b: A, c: A, d: A, e: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c, d, e);
          } catch (error) {
            return fail(error);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 6:
        return (a: A, b: A, c: A, d: A, e: A, f: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c, d, e, f);
          } catch (error) {
            return fail(error);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 7:
        return (a: A, b: A, c: A, d: A, e: A, f: A, g: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c, d, e, f, g);
          } catch (error) {
            return fail(error);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 8:
        return (a: A, b: A, c: A, d: A, e: A, f: A, g: A, h: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c, d, e, f, g, h);
          } catch (error) {
            return fail(error);
          }
          return r === undefined ? 0 : settle(r);
        };
      case 9:
        return (a: A, b: A, c: A, d: A, e: A, f: A, g: A, h: A, i: A) => {
          let r;
          try {
            r = impl(ctx, a, b, c, d, e, f, g, h, i);
          } catch (error) {
            return fail(error);
          }
          return r === undefined ? 0 : settle(r);
        };
      default:
        return (...args: A[]) => {
          let r;
          try {
            r = impl(ctx, ...args);
          } catch (error) {
            return fail(error);
          }
          return r === undefined ? 0 : settle(r);
        };
    }
  }

  /** The errno a pending call settles to (WasiExit still rejects, to unwind the guest). */
  #settled(fn: WasiFunction, result: Promise<number | void>, described: string): Promise<number> {
    return result.then(
      (r) => this.#done(fn, described, r ?? 0),
      (error) => this.#done(fn, described, errnoOf(error, (e) => this.#unexpected(fn, e))),
    );
  }

  /** Creates the process (unless given), its stdio and preopens. */
  static async create(kernel: Kernel, options: WasiOptions = {}): Promise<WasiHost> {
    const want = options.jspi ?? "auto";
    if (want !== "auto" && typeof want !== "boolean") {
      throw new TypeError('jspi must be "auto", true or false');
    }
    if (want === true && !hasJspi()) {
      throw new TypeError("JSPI (WebAssembly.Suspending) is not available here");
    }
    const jspi = want === "auto" ? hasJspi() : want;
    let proc = options.process;
    if (proc) {
      if (options.args) proc.args = options.args;
      if (options.env) proc.env = options.env;
    } else {
      proc = kernel.createProcess({
        args: options.args ?? ["wasm"],
        env: options.env ?? {},
        maxFds: options.maxFds,
        stdin: stdinOf(options.stdin),
        stdout: stdoutOf(options.stdout),
        stderr: stdoutOf(options.stderr),
      });
    }
    const context = new WasiContext(proc, new GuestMemory());
    const sockets = (options.sockets ?? []).map(toSocketStream);
    try {
      await installPreopens(context, options.preopens ?? ["/"], sockets);
    } catch (error) {
      if (!options.process) proc.exit(1);
      throw error;
    }
    return new WasiHost(context, jspi, options);
  }

  /** The kernel process the program runs in. */
  get process(): Process {
    return this.context.proc;
  }

  /** Attaches an instance's memory (its `memory` export, else the `memory` option). */
  bind(instance: WebAssembly.Instance): void {
    const exported = instance.exports.memory;
    this.context.memory.bind(exported instanceof WebAssembly.Memory ? exported : this.#memory ?? null);
  }

  /** Calls an export, through `WebAssembly.promising` when JSPI is on. */
  async callExport(fn: unknown, args: unknown[] = []): Promise<unknown> {
    if (typeof fn !== "function") throw new TypeError("not an exported function");
    if (this.jspi) return await jspiApi().promising(fn as AnyFunction)(...args);
    return (fn as (...a: unknown[]) => unknown)(...args);
  }

  /**
   * Runs a command's `_start` and exits the process with its status: the
   * proc_exit value, 0 if `_start` returns, 134 after a trap or a host error
   * (reported on the program's stderr as `wasm trap: ...`).
   */
  async start(instance: WebAssembly.Instance): Promise<WasiResult> {
    const start = instance.exports._start;
    if (typeof start !== "function") throw new TypeError("not a WASI command: no _start export");
    this.bind(instance);
    let exitCode = 0;
    let error: unknown;
    try {
      await this.callExport(start);
    } catch (e) {
      if (e instanceof WasiExit) {
        exitCode = e.code;
      } else {
        exitCode = 134;
        error = e;
        this.#report(e);
      }
    }
    this.process.exit(exitCode);
    return { exitCode, error, process: this.process };
  }

  /**
   * Calls a WASI function from JavaScript, as the guest would: returns the
   * errno, or a Promise of it when the call waits (only when
   * `context.canBlock`, i.e. JSPI). For tests and tools.
   */
  syscall(name: string, ...args: Arg[]): number | Promise<number> | undefined {
    const fn = WASI_FUNCTIONS.find((f) => f.name === name);
    if (!fn) throw new TypeError(`no WASI function ${name}`);
    return this.#invoke(fn, args, this.context.canBlock);
  }

  #report(error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#trace?.(`trap: ${message}`);
    try {
      const r = sys.write(this.process, 2, utf8(`wasm trap: ${message}\n`));
      if (isPromise(r)) r.catch(() => {});
    } catch { /* no stderr */ }
  }

  #invoke(fn: WasiFunction, args: Arg[], suspending: boolean): number | Promise<number> | undefined {
    const ctx = this.context;
    const described = this.#trace ? describeArgs(fn, args, ctx.memory) : "";
    let result;
    try {
      result = fn.impl(ctx, ...(args as never[]));
    } catch (error) {
      if (error instanceof WasiExit) {
        this.#trace?.(`${fn.name}(${described})`);
        throw error;
      }
      return this.#done(fn, described, errnoOf(error, (e) => this.#unexpected(fn, e)));
    }
    if (isPromise(result)) {
      if (!suspending) {
        // Only reachable without JSPI for a driver that turned out asynchronous.
        result.catch(() => {});
        return this.#done(fn, described, ERRNO.NOTSUP);
      }
      return this.#settled(fn, result, described);
    }
    return this.#done(fn, described, result ?? 0);
  }

  #unexpected(fn: WasiFunction, error: unknown): void {
    this.lastHostError = error;
    this.#trace?.(`${fn.name}: host error turned into EIO: ${error instanceof Error ? error.stack : error}`);
  }

  #done(fn: WasiFunction, described: string, errno: number): number {
    this.#trace?.(`${fn.name}(${described}) = ${errno}${errno ? ` ${ERRNO_NAMES[errno] ?? ""}` : ""}`);
    return errno;
  }
}

async function compile(module: WebAssembly.Module | BufferSource): Promise<WebAssembly.Module> {
  if (module instanceof WebAssembly.Module) return module;
  return await WebAssembly.compile(module);
}

/**
 * Runs a WASI command module to completion in a new process of `kernel`.
 *
 * @example
 * ```ts
 * import { collector, createKernel } from "../../mod.ts";
 * import { runWasi } from "./mod.ts";
 * const kernel = createKernel();
 * const out = collector();
 * // const { exitCode } = await runWasi(kernel, wasmBytes, { args: ["hello"], stdout: out.sink });
 * ```
 */
export async function runWasi(
  kernel: Kernel,
  module: WebAssembly.Module | BufferSource,
  options: WasiOptions = {},
): Promise<WasiResult> {
  if (wasiRunMode(module, options) === "worker") return await runWasiInWorker(kernel, module, options);
  const compiled = await compile(module);
  const host = await WasiHost.create(kernel, options);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(compiled, host.imports);
  } catch (error) {
    host.process.exit(1);
    throw error;
  }
  return await host.start(instance);
}

/** A reactor instance with helpers to call its exports and pass strings and bytes. */
export class WasiReactor {
  /** The exit status once the program called proc_exit (then the process has exited). */
  exitCode: number | null = null;

  constructor(readonly host: WasiHost, readonly instance: WebAssembly.Instance) {}

  /** The instance's exports. */
  get exports(): WebAssembly.Exports {
    return this.instance.exports;
  }

  /** The kernel process. */
  get process(): Process {
    return this.host.process;
  }

  /** The guest memory (bounds-checked). */
  get memory(): GuestMemory {
    return this.host.context.memory;
  }

  /**
   * Calls an exported function (through JSPI when on). A proc_exit inside
   * ends the process and rejects with {@link WasiExit}.
   */
  async call(name: string, ...args: unknown[]): Promise<unknown> {
    if (this.exitCode !== null) throw new WasiExit(this.exitCode);
    try {
      return await this.host.callExport(this.exports[name], args);
    } catch (error) {
      if (error instanceof WasiExit) {
        this.exitCode = error.code;
        this.process.exit(error.code);
      }
      throw error;
    }
  }

  /** Copies a string (UTF-8) or bytes into memory from the module's `malloc`; returns where. */
  alloc(data: string | Uint8Array): { ptr: number; len: number; } {
    const malloc = this.exports.malloc;
    if (typeof malloc !== "function") throw new TypeError("the module exports no malloc");
    const bytes = typeof data === "string" ? utf8(data) : data;
    const ptr = (malloc as (n: number) => number)(Math.max(1, bytes.length)) >>> 0;
    if (ptr === 0) throw new RangeError(`malloc(${bytes.length}) failed`);
    this.memory.write(ptr, bytes);
    return { ptr, len: bytes.length };
  }

  /** Frees what {@link alloc} returned, through the module's `free`. */
  free(ptr: number): void {
    const free = this.exports.free;
    if (typeof free !== "function") throw new TypeError("the module exports no free");
    (free as (p: number) => void)(ptr);
  }

  /** A copy of guest bytes. */
  readBytes(ptr: number, len: number): Uint8Array {
    return this.memory.copy(ptr, len);
  }

  /** A UTF-8 string from guest memory. */
  readString(ptr: number, len: number): string {
    return new TextDecoder().decode(this.memory.bytes(ptr, len));
  }

  /**
   * Calls an export, passing each string or Uint8Array argument as two
   * arguments (pointer, length) of a malloc'ed copy, freed afterwards.
   */
  async invoke(name: string, ...args: Array<number | bigint | string | Uint8Array>): Promise<unknown> {
    const flat: unknown[] = [];
    const allocated: number[] = [];
    try {
      for (const arg of args) {
        if (typeof arg === "string" || arg instanceof Uint8Array) {
          const { ptr, len } = this.alloc(arg);
          allocated.push(ptr);
          flat.push(ptr, len);
        } else {
          flat.push(arg);
        }
      }
      return await this.call(name, ...flat);
    } finally {
      if (this.exitCode === null) { for (const ptr of allocated) this.free(ptr); }
    }
  }

  /** Ends the process (closing its fds). */
  exit(code = 0): void {
    if (this.exitCode === null) this.exitCode = code;
    this.process.exit(code);
  }
}

/**
 * Instantiates a reactor (or any module) and runs `_initialize` if it has
 * one; call exports through the returned {@link WasiReactor}.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { instantiateWasi } from "./mod.ts";
 * // const reactor = await instantiateWasi(createKernel(), wasmBytes);
 * // const n = await reactor.invoke("count_vowels", "hello");
 * ```
 */
export async function instantiateWasi(
  kernel: Kernel,
  module: WebAssembly.Module | BufferSource,
  options: WasiOptions = {},
): Promise<WasiReactor> {
  const compiled = await compile(module);
  const host = await WasiHost.create(kernel, options);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(compiled, host.imports);
  } catch (error) {
    host.process.exit(1);
    throw error;
  }
  host.bind(instance);
  const reactor = new WasiReactor(host, instance);
  if (typeof instance.exports._initialize === "function") await reactor.call("_initialize");
  return reactor;
}
