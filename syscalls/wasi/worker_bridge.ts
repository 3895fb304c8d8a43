/**
 * Running a WASI command in a worker, for runtimes without JSPI (Node 20,
 * Safari): imports still block the guest for real (pipes, stdin, sleeps,
 * asynchronous drivers), without busy-waiting and with the kernel left
 * asynchronous on its own thread.
 *
 * - The module's memory is made shared by rewriting its bytes
 *   (`../shared_memory.ts`), so this thread's {@link WasiHost} reads and
 *   writes the guest's memory directly: no copying protocol.
 * - The worker (`bridge_worker.mjs`) instantiates the module with stubs for
 *   its function imports. A stub writes the import's index and arguments into
 *   a control `SharedArrayBuffer` (`bridge_protocol.mjs`), notifies, and
 *   blocks in `Atomics.wait`.
 * - This thread never blocks: it learns of a request through
 *   `Atomics.waitAsync` (or, where that is missing, a message the worker
 *   posts after each request), runs the normal WASI import with JSPI-style
 *   blocking allowed (`context.canBlock`), awaits it when it returns a
 *   Promise, writes the result and `Atomics.notify`s the worker.
 * - proc_exit answers "exit": the stub throws, which unwinds the entry point;
 *   a trap is reported back with its name and message (exit status 134).
 * - When the guest grows its memory, V8 (Deno, Node) gives this thread the
 *   longer buffer only after an interrupt: `GuestMemory` calls `grow(0)` on a
 *   shared memory when an access falls past its view (Bun needs none of it).
 *
 * Every function import is forwarded, the pure ones (clocks, random, args)
 * too: a round trip costs a few microseconds (`bench/modes_bench.ts`).
 *
 * @module
 */

import { isPromise } from "../../kernel/_maybe.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { type SharedMemoryInfo, shareMemory } from "../shared_memory.ts";
import { MODULE } from "./abi.ts";
import {
  ARG_BIGINT,
  CONTROL_BYTES,
  I_ARG_KINDS,
  I_ARGC,
  I_CALL,
  I_MESSAGE_LENGTH,
  I_RESULT_KIND,
  I_STATE,
  MESSAGE_END,
  MESSAGE_START,
  Q_ARGS,
  Q_RESULT,
  RESULT_BIGINT,
  RESULT_EXIT,
  RESULT_NUMBER,
  RESULT_THROW,
  RESULT_VOID,
  type StartMessage,
  STATE_REQUEST,
  STATE_RESPONSE,
  type WorkerMessage,
} from "./bridge_protocol.mjs";
import { WasiExit } from "./errno.ts";
import { utf8 } from "./memory.ts";
import { hasJspi, WASI_FUNCTIONS, WasiHost, type WasiOptions, type WasiResult } from "./wasi.ts";

/** Settings of the worker bridge (the `worker` option of `runWasi` may be one of these). */
export interface WorkerBridgeOptions {
  /**
   * The worker script: default `bridge_worker.mjs` beside this module (or
   * beside the JavaScript bundle).
   */
  url?: string | URL;
  /**
   * The maximum of the shared memory in bytes, for a module whose memory
   * declares none (and a cap for one that does). Default 4 GiB: address space
   * is reserved for it, not memory.
   */
  maxMemoryBytes?: number;
  /**
   * How this thread learns that the guest made a call: `"waitAsync"`
   * (default where the runtime has `Atomics.waitAsync`; 4-8 µs a call) or
   * `"message"` (the worker also posts a message; 10-12 µs a call).
   */
  wake?: "waitAsync" | "message";
}

/** Options of {@link runWasiInWorker}: those of `runWasi` plus the bridge's. */
export interface WorkerWasiOptions extends WasiOptions, WorkerBridgeOptions {}

// ---- what the runtime has

interface WaitAsyncResult {
  async: boolean;
  value: Promise<string> | string;
}
type WaitAsync = (ta: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync; }).waitAsync;
/** Loads of the state word while waiting for the guest's next call after an immediate answer. */
const MAIN_SPIN = 20000;
/** Immediate answers in a row before this thread yields to the event loop once. */
const MAX_STREAK = 1024;

const nodeVersion = (globalThis as { process?: { versions?: { node?: string; }; }; }).process?.versions?.node;

/**
 * Whether this runtime can run the worker bridge: SharedArrayBuffer, shared
 * wasm memory, and Workers (web Workers, or Node's worker_threads).
 */
export function hasWorkerBridge(): boolean {
  return bridgeAvailable ??= probeBridge();
}

let bridgeAvailable: boolean | undefined;
function probeBridge(): boolean {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics?.wait !== "function") return false;
  if (typeof (globalThis as { Worker?: unknown; }).Worker !== "function" && nodeVersion === undefined) {
    return false;
  }
  try {
    new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return true;
  } catch {
    return false;
  }
}

// ---- the module

const moduleBytes = new WeakMap<WebAssembly.Module, Uint8Array>();

/**
 * Remembers the bytes a module was compiled from, so the bridge can rewrite
 * it when only the module is passed (`spawn` and `loadProgram` do this).
 */
export function rememberModuleBytes(module: WebAssembly.Module, bytes: Uint8Array): void {
  moduleBytes.set(module, bytes);
}

function bytesOf(module: WebAssembly.Module | BufferSource): Uint8Array | undefined {
  if (module instanceof WebAssembly.Module) return moduleBytes.get(module);
  if (module instanceof Uint8Array) return module;
  if (ArrayBuffer.isView(module)) return new Uint8Array(module.buffer, module.byteOffset, module.byteLength);
  return new Uint8Array(module as ArrayBuffer);
}

interface Prepared {
  module: WebAssembly.Module;
  memory: SharedMemoryInfo | null;
}

// Compiled shared modules of WebAssembly.Module inputs (immutable, so a safe key).
const compiled = new WeakMap<WebAssembly.Module, Map<number | undefined, Promise<Prepared>>>();

function prepare(module: WebAssembly.Module | BufferSource, maxBytes: number | undefined): Promise<Prepared> {
  const make = async (): Promise<Prepared> => {
    const bytes = bytesOf(module);
    if (!bytes) {
      throw new TypeError(
        "the worker bridge needs the module's bytes: pass bytes, or a module from loadProgram",
      );
    }
    const shared = shareMemory(bytes, maxBytes);
    return {
      module: await WebAssembly.compile(shared.bytes as Uint8Array<ArrayBuffer>),
      memory: shared.memory,
    };
  };
  if (!(module instanceof WebAssembly.Module)) return make();
  let byLimit = compiled.get(module);
  if (!byLimit) compiled.set(module, byLimit = new Map());
  let prepared = byLimit.get(maxBytes);
  if (!prepared) {
    prepared = make();
    byLimit.set(maxBytes, prepared);
    prepared.catch(() => byLimit.delete(maxBytes));
  }
  return prepared;
}

/**
 * Which way `runWasi` runs a command with these options: under JSPI, through
 * the worker bridge, or synchronously (blocking calls fail with NOTSUP).
 *
 * - `worker: true` (or an object): the bridge (TypeError with `jspi: true`).
 * - `jspi: true`: JSPI; `jspi: false`: synchronous unless `worker` asks for the bridge.
 * - `jspi: "auto"` (default): JSPI where the runtime has it; else the bridge
 *   where Workers and SharedArrayBuffer exist and the module's bytes are at
 *   hand (and `worker` is not false); else synchronous.
 */
export function wasiRunMode(
  module: WebAssembly.Module | BufferSource,
  options: Pick<WasiOptions, "jspi" | "worker"> = {},
): "jspi" | "worker" | "sync" {
  const worker = options.worker ?? "auto";
  const jspi = options.jspi ?? "auto";
  const forced = worker === true || (typeof worker === "object" && worker !== null);
  if (forced) {
    if (jspi === true) throw new TypeError("jspi: true and worker: true exclude each other");
    return "worker";
  }
  if (jspi === true) return "jspi";
  if (jspi === "auto" && hasJspi()) return "jspi";
  if (jspi === "auto" && worker !== false && hasWorkerBridge() && bytesOf(module) !== undefined) {
    return "worker";
  }
  return "sync";
}

// ---- workers

interface BridgeWorker {
  post(message: StartMessage): void;
  terminate(): void;
}

interface WorkerEvents {
  message(message: WorkerMessage): void;
  error(error: unknown): void;
}

function defaultWorkerUrl(): URL {
  // Beside this module, in the sources as in the Node bundle (tests/node20/build.ts).
  return new URL("./bridge_worker.mjs", import.meta.url);
}

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown; }) => void) | null;
  onerror: ((event: { message?: string; error?: unknown; preventDefault(): void; }) => void) | null;
  onmessageerror: ((event: unknown) => void) | null;
}

async function startWorker(url: URL, events: WorkerEvents): Promise<BridgeWorker> {
  const WebWorkerCtor = (globalThis as { Worker?: new(url: URL, options: object) => WebWorker; }).Worker;
  if (typeof WebWorkerCtor === "function") {
    const worker = new WebWorkerCtor(url, { type: "module", name: "vkernel-wasi" });
    worker.onmessage = (event) => events.message(event.data as WorkerMessage);
    worker.onerror = (event) => {
      event.preventDefault();
      events.error(event.error ?? new Error(event.message ?? "worker error"));
    };
    worker.onmessageerror = () => events.error(new Error("a worker message could not be decoded"));
    return { post: (m) => worker.postMessage(m), terminate: () => worker.terminate() };
  }
  const { Worker } = await import("node:worker_threads");
  // The global URL is node:url's URL at runtime (their declarations differ under bun-types).
  const worker = new Worker(url as ConstructorParameters<typeof Worker>[0]);
  worker.on("message", (m: WorkerMessage) => events.message(m));
  worker.on("error", (e: unknown) => events.error(e));
  worker.on("exit", (code: number) => events.error(new Error(`the worker exited (${code})`)));
  return { post: (m) => worker.postMessage(m), terminate: () => void worker.terminate() };
}

// ---- the kernel's side of one run

type Handler = (args: (number | bigint)[]) => unknown;

const ERRORS: Record<string, new(message: string) => Error> = {
  CompileError: WebAssembly.CompileError,
  LinkError: WebAssembly.LinkError,
  RuntimeError: WebAssembly.RuntimeError,
  RangeError,
  TypeError,
};

function rebuild(name: string, message: string, stack?: string): Error {
  const error = new (ERRORS[name] ?? Error)(message);
  if (!(name in ERRORS) && name) error.name = name;
  if (stack) error.stack = stack;
  return error;
}

class Bridge {
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  readonly #i64: BigInt64Array;
  readonly #bytes: Uint8Array;
  #serving = false;
  #finished = false;
  #exitCode: number | null = null;

  constructor(
    readonly control: SharedArrayBuffer,
    readonly handlers: Handler[],
    readonly ping: boolean,
  ) {
    this.#i32 = new Int32Array(control);
    this.#f64 = new Float64Array(control);
    this.#i64 = new BigInt64Array(control);
    this.#bytes = new Uint8Array(control);
  }

  /** Serves requests until the run ends; one loop at a time. */
  async serve(): Promise<void> {
    if (this.#serving) return;
    this.#serving = true;
    try {
      const i32 = this.#i32;
      // Calls answered at once in a row: while the guest is busy making calls, this thread
      // spins briefly for the next one instead of sleeping (waking an idle thread costs tens
      // of microseconds), and yields to the event loop every MAX_STREAK calls.
      let streak = 0;
      while (!this.#finished) {
        let state = Atomics.load(i32, I_STATE);
        if (state !== STATE_REQUEST && streak > 0 && !this.ping) {
          for (let k = 0; k < MAIN_SPIN && state !== STATE_REQUEST; k++) state = Atomics.load(i32, I_STATE);
        }
        if (state !== STATE_REQUEST) {
          streak = 0;
          if (this.ping) return; // the next "call" message restarts the loop
          const waited = waitAsync!(i32, I_STATE, state);
          if (waited.async) await waited.value;
          continue;
        }
        const pending = this.#call();
        if (pending) {
          streak = 0;
          await pending;
        } else if (++streak >= MAX_STREAK) {
          streak = 0;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
    } finally {
      this.#serving = false;
    }
  }

  /** Ends serving (wakes the loop if it waits). */
  stop(): void {
    this.#finished = true;
    Atomics.notify(this.#i32, I_STATE);
  }

  /** The status proc_exit gave, if it was called. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  #call(): Promise<void> | undefined {
    const i32 = this.#i32;
    const n = i32[I_ARGC];
    const args: (number | bigint)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      args[i] = i32[I_ARG_KINDS + i] === ARG_BIGINT ? this.#i64[Q_ARGS + i] : this.#f64[Q_ARGS + i];
    }
    let result: unknown;
    try {
      result = this.handlers[i32[I_CALL]](args);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (isPromise(result)) return result.then((r) => this.#answer(r), (e) => this.#fail(e));
    this.#answer(result);
  }

  #answer(result: unknown): void {
    const i32 = this.#i32;
    if (typeof result === "number") {
      i32[I_RESULT_KIND] = RESULT_NUMBER;
      this.#f64[Q_RESULT] = result;
    } else if (typeof result === "bigint") {
      i32[I_RESULT_KIND] = RESULT_BIGINT;
      this.#i64[Q_RESULT] = BigInt.asIntN(64, result);
    } else if (typeof result === "boolean") {
      i32[I_RESULT_KIND] = RESULT_NUMBER;
      this.#f64[Q_RESULT] = result ? 1 : 0;
    } else {
      i32[I_RESULT_KIND] = RESULT_VOID;
    }
    this.#wake();
  }

  #fail(error: unknown): void {
    const i32 = this.#i32;
    if (error instanceof WasiExit) {
      this.#exitCode = error.code;
      i32[I_RESULT_KIND] = RESULT_EXIT;
      this.#f64[Q_RESULT] = error.code;
    } else {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const { written } = new TextEncoder().encodeInto(
        text,
        this.#bytes.subarray(MESSAGE_START, MESSAGE_END),
      );
      i32[I_MESSAGE_LENGTH] = written;
      i32[I_RESULT_KIND] = RESULT_THROW;
    }
    this.#wake();
  }

  #wake(): void {
    Atomics.store(this.#i32, I_STATE, STATE_RESPONSE);
    Atomics.notify(this.#i32, I_STATE);
  }
}

/**
 * Runs a WASI command in a worker, with this thread's kernel serving its
 * imports (see the module documentation). Resolves like `runWasi`: the
 * proc_exit status, 0 when `_start` returns, 134 after a trap (reported on
 * the program's stderr as `wasm trap: ...`). Rejects (and exits the process
 * with 1) when the module cannot be instantiated.
 *
 * Needs the module's bytes (or a module from `loadProgram`): they are
 * rewritten to make the memory shared. Extra function imports
 * (`options.imports`) are forwarded too, and may return Promises.
 *
 * @example
 * ```ts
 * import { collector, createKernel } from "../../mod.ts";
 * import { hasWorkerBridge, runWasiInWorker } from "./worker_bridge.ts";
 * const out = collector();
 * if (hasWorkerBridge()) {
 *   // const { exitCode } = await runWasiInWorker(createKernel(), wasmBytes, { stdout: out.sink });
 * }
 * ```
 */
export async function runWasiInWorker(
  kernel: Kernel,
  module: WebAssembly.Module | BufferSource,
  options: WorkerWasiOptions = {},
): Promise<WasiResult> {
  if (!hasWorkerBridge()) {
    throw new TypeError("the worker bridge needs Workers, SharedArrayBuffer and shared wasm memory");
  }
  const bridgeOptions: WorkerBridgeOptions = typeof options.worker === "object" && options.worker !== null
    ? { ...options.worker, ...pick(options) }
    : pick(options);
  const prepared = await prepare(module, bridgeOptions.maxMemoryBytes);
  const exports = WebAssembly.Module.exports(prepared.module);
  if (!exports.some((e) => e.name === "_start" && e.kind === "function")) {
    throw new TypeError("not a WASI command: no _start export");
  }

  const host = await WasiHost.create(kernel, { ...options, jspi: false });
  // Imports may wait: their Promises are awaited here while the worker blocks.
  host.context.canBlock = true;

  let memory: WebAssembly.Memory | undefined;
  if (prepared.memory?.kind === "imported") {
    const given = options.memory;
    memory = given && given.buffer instanceof SharedArrayBuffer ? given : new WebAssembly.Memory(
      {
        initial: prepared.memory.initial,
        maximum: prepared.memory.maximum,
        shared: true,
      } as WebAssembly.MemoryDescriptor,
    );
  }

  const names: [string, string][] = [];
  const handlers: Handler[] = [];
  const wasiNames = new Set(WASI_FUNCTIONS.map((f) => f.name));
  for (const imp of WebAssembly.Module.imports(prepared.module)) {
    if (imp.kind !== "function") continue;
    if (imp.module === MODULE) {
      if (!wasiNames.has(imp.name)) continue; // instantiate reports it
      const name = imp.name;
      names.push([MODULE, name]);
      handlers.push((args) => host.syscall(name, ...args));
    } else {
      const fn = (options.imports?.[imp.module] as Record<string, unknown> | undefined)?.[imp.name];
      if (typeof fn !== "function") continue;
      names.push([imp.module, imp.name]);
      handlers.push((args) => (fn as (...a: unknown[]) => unknown)(...args));
    }
  }

  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const ping = bridgeOptions.wake === "message" || typeof waitAsync !== "function";
  const bridge = new Bridge(control, handlers, ping);
  const url = bridgeOptions.url === undefined ? defaultWorkerUrl() : new URL(bridgeOptions.url);

  return await new Promise<WasiResult>((resolve, reject) => {
    let worker: BridgeWorker | undefined;
    let started = false;
    let settled = false;
    const end = (exitCode: number, error?: unknown) => {
      if (settled) return;
      settled = true;
      bridge.stop();
      worker?.terminate();
      if (error !== undefined) report(host, error, options.trace);
      host.process.exit(exitCode);
      resolve({ exitCode, error, process: host.process });
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      bridge.stop();
      worker?.terminate();
      host.process.exit(1);
      reject(error);
    };
    const events: WorkerEvents = {
      message(m) {
        switch (m.type) {
          case "ready":
            started = true;
            host.context.memory.bind(m.memory ?? null);
            void bridge.serve().catch((e) => end(134, e));
            break;
          case "call":
            void bridge.serve().catch((e) => end(134, e));
            break;
          case "exit":
            end(bridge.exitCode ?? m.code);
            break;
          case "trap":
            end(134, rebuild(m.name, m.message, m.stack));
            break;
          case "error":
            fail(rebuild(m.name, m.message));
            break;
        }
      },
      error(error) {
        if (started) end(134, error);
        else fail(error);
      },
    };
    startWorker(url, events).then((w) => {
      worker = w;
      if (settled) {
        w.terminate();
        return;
      }
      w.post({
        type: "start",
        module: prepared.module,
        control,
        imports: names,
        memory,
        entry: "_start",
        ping,
      });
    }, fail);
  });
}

function pick(options: WorkerBridgeOptions): WorkerBridgeOptions {
  const out: WorkerBridgeOptions = {};
  if (options.url !== undefined) out.url = options.url;
  if (options.maxMemoryBytes !== undefined) out.maxMemoryBytes = options.maxMemoryBytes;
  if (options.wake !== undefined) out.wake = options.wake;
  return out;
}

/** Reports a trap on the program's stderr and the trace, as `WasiHost.start` does. */
function report(host: WasiHost, error: unknown, trace?: (line: string) => void): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  trace?.(`trap: ${message}`);
  try {
    const r = sys.write(host.process, 2, utf8(`wasm trap: ${message}\n`));
    if (isPromise(r)) r.catch(() => {});
  } catch { /* no stderr */ }
}
