/**
 * Run Go `GOOS=js GOARCH=wasm` programs on a vkernel {@link Kernel}.
 *
 * Each program is a kernel process with its own fds, working directory and
 * global object (`js.Global()`); its `fs`, `process`, `path`, `crypto` and
 * `Date` are backed by the kernel, never by the host. Several programs (and
 * WASI programs) can share one kernel and see each other's files.
 *
 * ```ts
 * import { collector, createKernel, sinkStream } from "../../mod.ts";
 * import { runGo } from "./mod.ts";
 *
 * const kernel = createKernel();
 * const out = collector();
 * const bytes = new Uint8Array(0); // await Deno.readFile("hello.wasm")
 * if (bytes.length > 0) {
 *   const { exitCode } = await runGo(kernel, bytes, { args: ["hello"], stdout: sinkStream(out.sink) });
 *   console.log(exitCode, out.text());
 * }
 * ```
 *
 * Host functions for Go code go in `globals`; Go reaches them with
 * `js.Global().Get(name)`. The Go side (the whole program is
 * `tests/conformance/gojs_testdata/globals/main.go`, run by
 * `tests/conformance/gojs_runtime_test.ts`):
 *
 * ```go
 * sum := js.Global().Get("hostAdd").Invoke(2, 40)             // 42
 * msg := js.Global().Get("host").Call("greet", "gopher")      // "hello, gopher"
 * ```
 *
 * and the embedder's:
 *
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { runGo } from "./mod.ts";
 * const kernel = createKernel();
 * const module: WebAssembly.Module | null = null; // the compiled Go program
 * if (module) {
 *   await runGo(kernel, module, {
 *     args: ["globals"],
 *     globals: {
 *       hostAdd: (a: number, b: number) => a + b,
 *       host: { greet: (name: string) => `hello, ${name}` },
 *     },
 *   });
 * }
 * ```
 *
 * A host function that calls Go back later, from a timer or an event (not
 * through a Promise Go waits on with `.then`), must `hold()` the program
 * meanwhile; otherwise the host reports a deadlock as soon as nothing it
 * knows of can wake Go (that is what Go's Node runner does at exit).
 *
 * How callbacks arrive: `fs` calls back in a microtask when the kernel
 * answered at once and in `.then` when it answered with a Promise; never
 * from a timer. (Calling back inside the call, as `syncCallbacks: true`
 * does, runs the callback on the calling goroutine, which Go's
 * testing/synctest refuses: "goroutine is already bubbled".)
 *
 * @module
 */

import { isPromise } from "../../kernel/_maybe.ts";
import { KernelError } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { OpenFile } from "../../kernel/open_file.ts";
import type { Process } from "../../kernel/process.ts";
import type { Stream } from "../../kernel/stream.ts";
import { chdir } from "../../kernel/syscalls/mod.ts";
import { FileType } from "../../kernel/types.ts";
import { checkArgsFit } from "./argv.ts";
import { detectGoAbi, type GoModuleInfo, GoRuntime, type GoRuntimeOptions } from "./runtime.ts";

export { ARGS_END, ARGS_START, argsSize, checkArgsFit } from "./argv.ts";
export { GO_ERRNO_CODES, toGoError } from "./errno.ts";
export { type NetOptions, restrictedFetch } from "./net.ts";
export { detectGoAbi, type GoAbi, type GoModuleInfo, GoRuntime, type GoRuntimeOptions } from "./runtime.ts";
export { ValueTable } from "./values.ts";

/** How to run a Go program. */
export interface GoRunOptions extends GoRuntimeOptions {
  /** argv, program name first (default `["main.wasm"]`). */
  args?: string[];
  /** The environment (default empty). argv plus env must fit Go's 8 KiB area (RangeError otherwise). */
  env?: Record<string, string>;
  /** Working directory to start in (default `/`). */
  cwd?: string;
  /** fd 0: a kernel stream (e.g. `sourceStream("input")`) or an open file to share. Default: empty. */
  stdin?: Stream | OpenFile;
  /** fd 1: e.g. `sinkStream(bytes => ...)`. Default: discarded. */
  stdout?: Stream | OpenFile;
  /** fd 2. Default: discarded. */
  stderr?: Stream | OpenFile;
  umask?: number;
  uid?: number;
  gid?: number;
  /** The parent process (for `ppid`). */
  parent?: Process;
  /**
   * Called with the instantiated program just before Go starts: for imports
   * (`options.imports`) that call the program's `exports` while `main` runs.
   */
  onInstantiate?: (program: GoProgram) => void;
}

/** What a finished run reports. */
export interface GoResult {
  exitCode: number;
}

/** A Go js/wasm program: compiled, or its bytes. */
export type GoWasm = WebAssembly.Module | ArrayBuffer | ArrayBufferView;

/** A running Go program: see {@link GoRuntime} for `exports`, `global`, `exited`, `hold`, `kill`. */
export type GoProgram = GoRuntime;

/** Standard input at EOF and output that goes nowhere, for stdio the embedder did not give. */
class EmptyStdio implements Stream {
  readonly type = FileType.CharDevice;
  readonly isTerminal = false;
  read(): number {
    return 0;
  }
  write(buffer: Uint8Array): number {
    return buffer.length;
  }
  poll(): number {
    return 1 | 4;
  }
  changed(): Promise<void> {
    return new Promise(() => {});
  }
  close(): void {}
}

function checkStdio(value: unknown, name: string): Stream | OpenFile | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof OpenFile) return value;
  const s = value as Partial<Stream>;
  if (typeof s.read === "function" && typeof s.write === "function" && typeof s.poll === "function") {
    return value as Stream;
  }
  throw new TypeError(`${name} must be a kernel Stream (sinkStream/sourceStream from mod.ts) or an OpenFile`);
}

/**
 * Compiles Go js/wasm bytes (or takes a compiled module) and checks it is one.
 * Throws a TypeError for TinyGo's js flavour and for non-Go modules.
 */
export async function compileGo(wasm: GoWasm): Promise<{
  module: WebAssembly.Module;
  info: GoModuleInfo;
}> {
  let module: WebAssembly.Module;
  if (wasm instanceof WebAssembly.Module) module = wasm;
  else if (ArrayBuffer.isView(wasm) || wasm instanceof ArrayBuffer) {
    module = await WebAssembly.compile(wasm as BufferSource);
  } else throw new TypeError("gojs: expected a WebAssembly.Module or the bytes of one");
  return { module, info: detectGoAbi(module) };
}

/**
 * Starts a Go program as a new process of `kernel` and returns it once Go
 * first waits (after `main` blocked or returned). Use `exports` for its
 * `//go:wasmexport` functions (with `keepAlive: true` so it stays alive for
 * them), and `exited` for the exit status.
 *
 * Errors: TypeError for a module that is not Go js/wasm (TinyGo's js flavour
 * included) and for bad options; RangeError when argv plus env exceed Go's
 * 8 KiB; KernelError when `cwd` cannot be entered.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { startGo } from "./mod.ts";
 * const kernel = createKernel();
 * const module: WebAssembly.Module | null = null; // compiled from a Go program with //go:wasmexport add
 * if (module) {
 *   const program = await startGo(kernel, module, { keepAlive: true });
 *   console.log(program.exports.add(1, 2));
 *   program.release(); // let it end (Go reports a deadlock if main is blocked forever)
 *   await program.exited;
 * }
 * ```
 */
export async function startGo(
  kernel: Kernel,
  wasm: GoWasm,
  options: GoRunOptions = {},
): Promise<GoProgram> {
  const args = options.args ?? ["main.wasm"];
  const env = options.env ?? {};
  if (!Array.isArray(args)) throw new TypeError("args must be an array of strings");
  if (typeof env !== "object" || env === null) throw new TypeError("env must be an object of strings");
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== "string") throw new TypeError(`env.${k} must be a string`);
  }
  checkArgsFit(args, env);
  const stdio = {
    stdin: checkStdio(options.stdin, "stdin") ?? new EmptyStdio(),
    stdout: checkStdio(options.stdout, "stdout") ?? new EmptyStdio(),
    stderr: checkStdio(options.stderr, "stderr") ?? new EmptyStdio(),
  };
  const { module } = await compileGo(wasm);
  const proc = kernel.createProcess({
    args: [...args],
    env: { ...env },
    umask: options.umask,
    uid: options.uid,
    gid: options.gid,
    parent: options.parent,
    ...stdio,
  });
  try {
    if (options.cwd !== undefined) {
      const r = chdir(proc, options.cwd);
      if (isPromise(r)) await r;
    }
    const rt = await GoRuntime.instantiate(kernel, proc, module, options);
    options.onInstantiate?.(rt);
    rt.start();
    return rt;
  } catch (error) {
    proc.exit(127);
    if (error instanceof KernelError) {
      throw new KernelError(error.code, `gojs: cannot start in ${JSON.stringify(options.cwd)}`);
    }
    throw error;
  }
}

/**
 * Runs a Go js/wasm program to completion on `kernel` and resolves with its
 * exit status. Rejects when the program traps (a host-level failure) or when
 * it cannot start (see {@link startGo}).
 *
 * @example
 * ```ts
 * import { collector, createKernel, sinkStream } from "../../mod.ts";
 * import { runGo } from "./mod.ts";
 * const kernel = createKernel({ deterministic: true });
 * const out = collector();
 * const module: WebAssembly.Module | null = null; // a compiled Go program
 * if (module) {
 *   const { exitCode } = await runGo(kernel, module, { args: ["hello"], stdout: sinkStream(out.sink) });
 *   console.log(exitCode, out.text());
 * }
 * ```
 */
export async function runGo(
  kernel: Kernel,
  wasm: GoWasm,
  options: GoRunOptions = {},
): Promise<GoResult> {
  const program = await startGo(kernel, wasm, options);
  return { exitCode: await program.exited };
}
