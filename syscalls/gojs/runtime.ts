/**
 * The gojs runtime host: the `runtime.*` and `syscall/js.*` imports with Go's
 * SP-relative calling convention, the value table, and the event loop
 * (`run`/`resume`, timers, callbacks, deadlock detection, exit).
 *
 * One {@link GoRuntime} runs one Go program as one kernel process.
 *
 * @module
 */

import type { Kernel } from "../../kernel/kernel.ts";
import type { Process } from "../../kernel/process.ts";
import { write } from "../../kernel/syscalls/mod.ts";
import { writeArgs } from "./argv.ts";
import { createGlobal, type GlobalOptions } from "./global.ts";
import { PredefinedId, type Ref, ValueTable } from "./values.ts";

/** The import module flavours of Go's js/wasm. */
export type GoAbi = "go" | "gojs";

/** What {@link detectGoAbi} learned about a module. */
export interface GoModuleInfo {
  /** The import module of the runtime and syscall/js imports: `go` (Go ≤ 1.20) or `gojs` (Go ≥ 1.21). */
  abi: GoAbi;
  /** Names of the `//go:wasmexport` functions (Go ≥ 1.24). */
  wasmExports: string[];
  /** Import modules other than the Go one (user `//go:wasmimport`s), with their names. */
  otherImports: Record<string, string[]>;
}

const CORE_EXPORTS = new Set(["run", "resume", "getsp", "mem"]);

/**
 * Inspects a module's imports and exports: which Go flavour it is, which
 * wasmexport functions it has. Throws a TypeError for modules that are not Go
 * js/wasm, naming TinyGo when it is TinyGo's js flavour.
 *
 * @example
 * ```ts
 * import { detectGoAbi } from "./runtime.ts";
 * // const info = detectGoAbi(await WebAssembly.compile(bytes));
 * // info.abi === "gojs" for Go 1.21 and later
 * ```
 */
export function detectGoAbi(module: WebAssembly.Module): GoModuleInfo {
  const imports = WebAssembly.Module.imports(module);
  const exports = WebAssembly.Module.exports(module);
  const byModule: Record<string, string[]> = {};
  for (const imp of imports) (byModule[imp.module] ??= []).push(imp.name);
  const exportNames = new Set(exports.map((e) => e.name));
  const abi: GoAbi | null = byModule.gojs ? "gojs" : byModule.go ? "go" : null;
  const hasExit = abi !== null && byModule[abi].includes("runtime.wasmExit");
  if (byModule.wasi_snapshot_preview1 && (abi === null || !hasExit || byModule.env)) {
    throw new TypeError(
      "gojs: this is TinyGo's js/wasm flavour (it imports wasi_snapshot_preview1 and has no runtime.wasmExit), "
        + "which the gojs host does not run; build with TinyGo -target=wasip1 and run it with the WASI facade",
    );
  }
  if (abi === null || !hasExit) {
    if (byModule.wasi_snapshot_preview1) {
      throw new TypeError("gojs: this is a WASI module (GOOS=wasip1?), not Go js/wasm; use the WASI facade");
    }
    if (abi !== null || byModule.env) {
      throw new TypeError(
        "gojs: the module imports gojs/syscall-js functions but not runtime.wasmExit: TinyGo's js flavour is not supported",
      );
    }
    throw new TypeError("gojs: not a Go js/wasm module (no import module 'go' or 'gojs')");
  }
  for (const name of ["run", "resume", "getsp", "mem"]) {
    if (!exportNames.has(name)) {
      throw new TypeError(`gojs: module does not export '${name}': not a Go js/wasm module`);
    }
  }
  const otherImports: Record<string, string[]> = {};
  for (const [mod, names] of Object.entries(byModule)) if (mod !== abi) otherImports[mod] = names;
  const wasmExports = exports.filter((e) => e.kind === "function" && !CORE_EXPORTS.has(e.name)).map((e) =>
    e.name
  );
  return { abi, wasmExports, otherImports };
}

/** Options of a {@link GoRuntime}. */
export interface GoRuntimeOptions extends GlobalOptions {
  /** Receives one line per fs/process call and lifecycle event. */
  trace?: (line: string) => void;
  /** Import objects for the module's own `//go:wasmimport`s (native wasm ABI). */
  imports?: WebAssembly.Imports;
  /**
   * Keep the program alive while it waits for calls from the embedder
   * (wasmexport functions, js.Func values it handed out): no deadlock is
   * reported until {@link GoRuntime.release} is called.
   */
  keepAlive?: boolean;
  /**
   * Call `fs` callbacks inside the call when the kernel answers at once
   * (default false: in a microtask). Faster for some workloads, but a
   * goroutine inside a testing/synctest bubble then panics ("goroutine is
   * already bubbled"), because the callback runs on the calling goroutine.
   */
  syncCallbacks?: boolean;
}

/** Thrown through the guest's frames when it exits, to unwind every nested call. */
class ExitSignal {
  constructor(readonly code: number) {}
}

/** The pending event object Go reads from the Go object. */
interface PendingEvent {
  id: number;
  this?: unknown;
  args?: unknown[];
  result?: unknown;
}

/** The Go object (value id 6): what Go's syscall/js reads and writes on it. */
interface GoObject {
  _pendingEvent: PendingEvent | null;
  _makeFuncWrapper(id: number): unknown;
  exited: boolean;
  readonly _values: { length: number; };
}

/** The exports every Go js/wasm module has. */
interface GoExports {
  run(argc: number, argv: number): void;
  resume(): void;
  getsp(): number;
  mem: WebAssembly.Memory;
}

interface Timer {
  due: bigint;
  handle?: ReturnType<typeof setTimeout>;
}

/** Added to the kernel's monotonic clock: Go's runtime requires nanotime() > 0 at start. */
const NANOTIME_BASE = 1_000_000_000;

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

// Chosen at first use: in Deno, even `typeof setImmediate` loads the Node compatibility layer.
let macrotaskImpl: ((fn: () => void) => void) | null = null;
const macrotask = (fn: () => void): void => {
  macrotaskImpl ??= typeof setImmediate === "function"
    ? (f) => void setImmediate(f)
    : (f) => void setTimeout(f, 0);
  macrotaskImpl(fn);
};

/**
 * One Go js/wasm program on a kernel process.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { GoRuntime } from "./runtime.ts";
 * const kernel = createKernel();
 * const proc = kernel.createProcess({ args: ["prog"] });
 * // const rt = await GoRuntime.instantiate(kernel, proc, module, {});
 * // rt.start(); const code = await rt.exited;
 * ```
 */
export class GoRuntime {
  /** The kernel process the program runs as. */
  readonly proc: Process;
  /** The program's global object (what `js.Global()` returns). */
  readonly global: Record<string, unknown>;
  /** Resolves with the exit status; rejects if the guest traps or the host fails. */
  readonly exited: Promise<number>;
  /** The module's `//go:wasmexport` functions, callable once the program started. */
  readonly exports: Record<string, (...args: unknown[]) => unknown> = {};
  /** What {@link detectGoAbi} found in the module. */
  readonly info: GoModuleInfo;

  readonly #kernel: Kernel;
  readonly #options: GoRuntimeOptions;
  readonly #go: GoObject;
  readonly #values: ValueTable;
  #instance: WebAssembly.Instance | null = null;
  #wasm!: GoExports;
  #view!: DataView;
  #depth = 0;
  #started = false;
  #exited = false;
  #exitCode: number | null = null;
  #pending = 0;
  #holds = 0;
  #idleQueued = false;
  #needsResume = false;
  #barrier: Promise<unknown> | null = null;
  readonly #timers = new Map<number, Timer>();
  #nextTimerId = 1;
  readonly #virtualTime: boolean;
  #resolveExit!: (code: number) => void;
  #rejectExit!: (error: unknown) => void;

  private constructor(kernel: Kernel, proc: Process, info: GoModuleInfo, options: GoRuntimeOptions) {
    this.#kernel = kernel;
    this.proc = proc;
    this.info = info;
    this.#options = options;
    this.#virtualTime = kernel.clock.deterministic;
    this.exited = new Promise<number>((resolve, reject) => {
      this.#resolveExit = resolve;
      this.#rejectExit = reject;
    });
    // The embedder may never look at `exited` when it uses the exit code another way.
    this.exited.catch(() => {});
    const invoke = (event: PendingEvent): unknown => {
      this.#go._pendingEvent = event;
      this.#callGo(() => this.#wasm.resume());
      return event.result;
    };
    const slots = () => this.#values.slots;
    this.#go = {
      _pendingEvent: null,
      exited: false,
      // Go's syscall/js tests read `_values.length` to see that unused refs are freed.
      get _values() {
        return { length: slots() };
      },
      _makeFuncWrapper(id: number) {
        // A plain function: Go reads the JavaScript `this` it is called with.
        return function(this: unknown, ...args: unknown[]): unknown {
          return invoke({ id, this: this, args });
        };
      },
    };
    const trace = options.trace;
    this.global = createGlobal({
      proc,
      clock: kernel.clock,
      random: kernel.random,
      track: (p) => this.#track(p),
      deliver: (fn) => this.#deliver(fn),
      soon: (fn) => this.#soon(fn),
      barrier: () => this.#barrier,
      setBarrier: (p) => this.#setBarrier(p),
      syncCallbacks: options.syncCallbacks,
      trace: trace
        ? (call, args, outcome) => trace(`${proc.pid} fs.${call}(${args.map(show).join(", ")}) -> ${outcome}`)
        : undefined,
    }, options);
    this.#values = new ValueTable(this.global, this.#go);
    if (options.keepAlive) this.#holds++;
  }

  /** Compiles (if needed) and instantiates `wasm` for `proc`. */
  static async instantiate(
    kernel: Kernel,
    proc: Process,
    module: WebAssembly.Module,
    options: GoRuntimeOptions = {},
  ): Promise<GoRuntime> {
    const info = detectGoAbi(module);
    const rt = new GoRuntime(kernel, proc, info, options);
    const imports: WebAssembly.Imports = { ...options.imports, [info.abi]: rt.#imports() };
    for (const [mod, names] of Object.entries(info.otherImports)) {
      const given = imports[mod];
      const missing = names.filter((n) => given?.[n] === undefined);
      if (missing.length > 0) {
        throw new TypeError(
          `gojs: the module imports ${
            missing.map((n) => `${mod}.${n}`).join(", ")
          }; pass them in options.imports`,
        );
      }
    }
    rt.#instance = await WebAssembly.instantiate(module, imports);
    const e = rt.#instance.exports as Record<string, unknown>;
    rt.#wasm = e as unknown as GoExports;
    rt.#view = new DataView(rt.#wasm.mem.buffer);
    for (const name of info.wasmExports) {
      const fn = e[name] as (...args: unknown[]) => unknown;
      rt.exports[name] = (...args: unknown[]) => {
        if (!rt.#started) throw new Error(`gojs: ${name} called before the program started`);
        const topLevel = rt.#depth === 0;
        const result = rt.#callGo(() => fn(...args));
        // Goroutines the call made runnable run at the next resume.
        if (topLevel) rt.#needsResume = true;
        return result;
      };
    }
    return rt;
  }

  /** The guest's linear memory. */
  get memory(): WebAssembly.Memory {
    return this.#wasm.mem;
  }

  /** Whether the program has exited. */
  get hasExited(): boolean {
    return this.#exited;
  }

  /** The exit status, once exited. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /**
   * Writes argv/env (from the process) and runs Go until it first waits.
   * Throws a RangeError, before running anything, if they do not fit.
   */
  start(): void {
    if (this.#started) throw new Error("gojs: the program was already started");
    const { argc, argv } = writeArgs(this.#wasm.mem, this.proc.args, this.proc.env);
    this.#started = true;
    this.#trace(`start ${JSON.stringify(this.proc.args)} (${this.info.abi})`);
    this.#callGo(() => this.#wasm.run(argc, argv));
  }

  /** Keeps the program from being declared deadlocked until the returned function is called. */
  hold(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#queueIdle();
    };
  }

  /** Drops the hold that `keepAlive` took. */
  release(): void {
    if (this.#options.keepAlive && this.#holds > 0) {
      this.#holds--;
      this.#queueIdle();
    }
  }

  /** Ends the program from outside with `code` (as if killed); no more Go code runs. */
  kill(code = 137): void {
    if (this.#exited) return;
    this.#trace(`killed with ${code}`);
    this.#finish(code);
  }

  // ------------------------------------------------------------ event loop

  #trace(line: string): void {
    this.#options.trace?.(`${this.proc.pid} ${line}`);
  }

  /** Calls into Go. Exits unwind to the outermost call; traps end the program. */
  #callGo<T>(fn: () => T): T | undefined {
    if (this.#exited) throw new Error("Go program has already exited");
    this.#depth++;
    try {
      return fn();
    } catch (error) {
      if (this.#depth > 1) throw error;
      if (!(error instanceof ExitSignal)) this.#crash(error);
      return undefined;
    } finally {
      this.#depth--;
      if (this.#depth === 0) this.#queueIdle();
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending++;
    const done = () => {
      this.#pending--;
      if (this.#pending === 0) this.#queueIdle();
    };
    promise.then(done, done);
    return promise;
  }

  #soon(fn: () => void): void {
    this.#pending++;
    queueMicrotask(() => {
      this.#pending--;
      if (this.#pending === 0) this.#queueIdle();
      this.#deliver(fn);
    });
  }

  #deliver(fn: () => void): void {
    if (this.#exited) return;
    try {
      fn();
    } catch (error) {
      if (error instanceof ExitSignal) return;
      this.#crash(error);
    }
  }

  #setBarrier(promise: Promise<unknown>): void {
    const p = this.#track(promise.catch(() => {}));
    this.#barrier = p;
    p.then(() => {
      if (this.#barrier === p) this.#barrier = null;
    });
  }

  #queueIdle(): void {
    if (this.#idleQueued || this.#exited) return;
    this.#idleQueued = true;
    macrotask(() => {
      this.#idleQueued = false;
      this.#onIdle();
    });
  }

  /** Go is waiting: fire a virtual timer, or report a deadlock when nothing can wake it. */
  #onIdle(): void {
    if (this.#exited || this.#depth > 0 || !this.#started) return;
    if (this.#needsResume) {
      this.#needsResume = false;
      this.#callGo(() => this.#wasm.resume());
      return;
    }
    if (this.#pending > 0) return;
    if (this.#virtualTime && this.#timers.size > 0) {
      this.#fireVirtualTimer();
      return;
    }
    if (this.#timers.size > 0 || this.#holds > 0) return;
    this.#deadlock();
  }

  #fireVirtualTimer(): void {
    let firstId = 0;
    let first: Timer | null = null;
    for (const [id, timer] of this.#timers) {
      if (first === null || timer.due < first.due) {
        first = timer;
        firstId = id;
      }
    }
    if (first === null) return;
    const clock = this.#kernel.clock;
    const wait = first.due - clock.now(1);
    const fire = () => {
      if (this.#exited || !this.#timers.has(firstId)) {
        this.#queueIdle();
        return;
      }
      this.#timers.delete(firstId);
      this.#callGo(() => this.#wasm.resume());
    };
    if (wait > 0n) clock.sleep(wait).then(fire);
    else fire();
  }

  #deadlock(): void {
    this.#trace("deadlock: nothing can wake the program");
    this.#go._pendingEvent = { id: 0 };
    this.#callGo(() => this.#wasm.resume());
    if (!this.#exited) {
      // Go always exits here; if it did not, end it the way Go would have.
      const r = write(this.proc, 2, encoder.encode("fatal error: all goroutines are asleep - deadlock!\n"));
      if (r instanceof Promise) r.catch(() => {});
      this.#finish(2);
    }
  }

  #scheduleTimeout(delayMs: number): number {
    const id = this.#nextTimerId++;
    const clock = this.#kernel.clock;
    const timer: Timer = { due: clock.now(1) + BigInt(Math.max(0, delayMs)) * 1_000_000n };
    if (!this.#virtualTime) {
      timer.handle = setTimeout(() => {
        if (this.#exited || !this.#timers.has(id)) return;
        this.#timers.delete(id);
        this.#callGo(() => this.#wasm.resume());
      }, delayMs);
    }
    this.#timers.set(id, timer);
    return id;
  }

  #clearTimeout(id: number): void {
    const timer = this.#timers.get(id);
    if (!timer) return;
    if (timer.handle !== undefined) clearTimeout(timer.handle);
    this.#timers.delete(id);
  }

  #clearTimers(): void {
    for (const timer of this.#timers.values()) if (timer.handle !== undefined) clearTimeout(timer.handle);
    this.#timers.clear();
  }

  #finish(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#exitCode = code;
    this.#go.exited = true;
    this.#clearTimers();
    this.#trace(`exit ${code}`);
    this.proc.exit(code);
    this.#resolveExit(code);
  }

  #crash(error: unknown): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#go.exited = true;
    this.#exitCode = 1;
    this.#clearTimers();
    this.#trace(`crashed: ${error instanceof Error ? error.message : String(error)}`);
    this.proc.exit(1);
    this.#rejectExit(error);
  }

  // ------------------------------------------------------------ memory

  #dv(): DataView {
    if (this.#view.buffer !== this.#wasm.mem.buffer) this.#view = new DataView(this.#wasm.mem.buffer);
    return this.#view;
  }

  #sp(): number {
    return this.#wasm.getsp() >>> 0;
  }

  #getInt64(addr: number): number {
    const dv = this.#dv();
    return dv.getUint32(addr, true) + dv.getInt32(addr + 4, true) * 4294967296;
  }

  #setInt64(addr: number, v: number): void {
    const dv = this.#dv();
    dv.setUint32(addr, v, true);
    dv.setUint32(addr + 4, Math.floor(v / 4294967296), true);
  }

  #bytes(addr: number): Uint8Array {
    const ptr = this.#getInt64(addr);
    const len = this.#getInt64(addr + 8);
    return new Uint8Array(this.#wasm.mem.buffer, ptr, len);
  }

  #string(addr: number): string {
    return decoder.decode(this.#bytes(addr));
  }

  #load(addr: number): unknown {
    const dv = this.#dv();
    const f = dv.getFloat64(addr, true);
    if (f === 0) return undefined;
    if (!Number.isNaN(f)) return f;
    return this.#values.get(dv.getUint32(addr, true));
  }

  #loadValues(addr: number): unknown[] {
    const array = this.#getInt64(addr);
    const len = this.#getInt64(addr + 8);
    const out = new Array(len);
    for (let i = 0; i < len; i++) out[i] = this.#load(array + i * 8);
    return out;
  }

  #store(addr: number, value: unknown): void {
    const ref = this.#values.store(value) as Ref | number;
    const dv = this.#dv();
    if (typeof ref === "number") {
      dv.setFloat64(addr, ref, true);
      return;
    }
    dv.setUint32(addr + 4, ref.high, true);
    dv.setUint32(addr, ref.low, true);
  }

  // ------------------------------------------------------------ imports

  #imports(): Record<string, (sp: number) => void> {
    const kernel = this.#kernel;
    const alive = (): void => {
      if (this.#exited) throw new ExitSignal(this.#exitCode ?? 0);
    };
    /** Runs JS that may re-enter Go; an exit inside unwinds, anything else is reported to Go. */
    const attempt = (fn: () => unknown): [unknown, boolean] => {
      try {
        const result = fn();
        alive();
        return [result, true];
      } catch (error) {
        if (error instanceof ExitSignal || this.#exited) {
          throw error instanceof ExitSignal
            ? error
            : new ExitSignal(0);
        }
        return [error, false];
      }
    };

    const imports: Record<string, (sp: number) => void> = {
      "runtime.wasmExit": (sp) => {
        sp >>>= 0;
        const code = this.#dv().getInt32(sp + 8, true);
        this.#finish(code);
        throw new ExitSignal(code);
      },
      "runtime.wasmWrite": (sp) => {
        sp >>>= 0;
        alive();
        const fd = this.#getInt64(sp + 8);
        const p = this.#getInt64(sp + 16);
        const n = this.#dv().getInt32(sp + 24, true);
        const data = new Uint8Array(this.#wasm.mem.buffer, p, n).slice();
        try {
          const r = write(this.proc, fd, data);
          if (r instanceof Promise) this.#track(r).catch(() => {});
        } catch { /* runtime output to a closed fd is lost, as on a host */ }
      },
      "runtime.resetMemoryDataView": (_sp) => {
        this.#view = new DataView(this.#wasm.mem.buffer);
      },
      "runtime.nanotime1": (sp) => {
        sp >>>= 0;
        // Go refuses a monotonic clock that reads 0; a virtual clock starts there.
        this.#setInt64(sp + 8, Number(kernel.clock.now(1)) + NANOTIME_BASE);
      },
      "runtime.walltime": (sp) => {
        sp >>>= 0;
        const ns = kernel.clock.now(0);
        this.#setInt64(sp + 8, Number(ns / 1_000_000_000n));
        this.#dv().setInt32(sp + 16, Number(ns % 1_000_000_000n), true);
      },
      "runtime.scheduleTimeoutEvent": (sp) => {
        sp >>>= 0;
        const id = this.#scheduleTimeout(this.#getInt64(sp + 8));
        this.#dv().setInt32(sp + 16, id, true);
      },
      "runtime.clearTimeoutEvent": (sp) => {
        sp >>>= 0;
        this.#clearTimeout(this.#dv().getInt32(sp + 8, true));
      },
      "runtime.getRandomData": (sp) => {
        sp >>>= 0;
        kernel.random.fill(this.#bytes(sp + 8));
      },
      "syscall/js.finalizeRef": (sp) => {
        sp >>>= 0;
        this.#values.release(this.#dv().getUint32(sp + 8, true));
      },
      "syscall/js.stringVal": (sp) => {
        sp >>>= 0;
        this.#store(sp + 24, this.#string(sp + 8));
      },
      "syscall/js.valueGet": (sp) => {
        sp >>>= 0;
        alive();
        const result = Reflect.get(this.#load(sp + 8) as object, this.#string(sp + 16));
        alive();
        sp = this.#sp();
        this.#store(sp + 32, result);
      },
      "syscall/js.valueSet": (sp) => {
        sp >>>= 0;
        alive();
        Reflect.set(this.#load(sp + 8) as object, this.#string(sp + 16), this.#load(sp + 32));
        alive();
      },
      "syscall/js.valueDelete": (sp) => {
        sp >>>= 0;
        Reflect.deleteProperty(this.#load(sp + 8) as object, this.#string(sp + 16));
      },
      "syscall/js.valueIndex": (sp) => {
        sp >>>= 0;
        alive();
        const result = Reflect.get(this.#load(sp + 8) as object, this.#getInt64(sp + 16));
        alive();
        sp = this.#sp();
        this.#store(sp + 24, result);
      },
      "syscall/js.valueSetIndex": (sp) => {
        sp >>>= 0;
        alive();
        Reflect.set(this.#load(sp + 8) as object, this.#getInt64(sp + 16), this.#load(sp + 24));
        alive();
      },
      "syscall/js.valueCall": (sp) => {
        sp >>>= 0;
        alive();
        const v = this.#load(sp + 8) as Record<string, unknown>;
        const name = this.#string(sp + 16);
        const args = this.#loadValues(sp + 32);
        const [result, ok] = attempt(() => {
          const m = Reflect.get(v, name) as (...a: unknown[]) => unknown;
          const r = Reflect.apply(m, v, args);
          // Go waits on promise callbacks: count the promise as pending work until it settles.
          if (name === "then" && v instanceof Promise) this.#track(v).catch(() => {});
          return r;
        });
        sp = this.#sp();
        this.#store(sp + 56, result);
        this.#dv().setUint8(sp + 64, ok ? 1 : 0);
      },
      "syscall/js.valueInvoke": (sp) => {
        sp >>>= 0;
        alive();
        const v = this.#load(sp + 8) as (...a: unknown[]) => unknown;
        const args = this.#loadValues(sp + 16);
        const [result, ok] = attempt(() => Reflect.apply(v, undefined, args));
        sp = this.#sp();
        this.#store(sp + 40, result);
        this.#dv().setUint8(sp + 48, ok ? 1 : 0);
      },
      "syscall/js.valueNew": (sp) => {
        sp >>>= 0;
        alive();
        const v = this.#load(sp + 8) as new(...a: unknown[]) => unknown;
        const args = this.#loadValues(sp + 16);
        const [result, ok] = attempt(() => Reflect.construct(v, args));
        sp = this.#sp();
        this.#store(sp + 40, result);
        this.#dv().setUint8(sp + 48, ok ? 1 : 0);
      },
      "syscall/js.valueLength": (sp) => {
        sp >>>= 0;
        alive();
        const length = Number((this.#load(sp + 8) as { length: unknown; }).length);
        alive();
        sp = this.#sp();
        this.#setInt64(sp + 16, Number.isFinite(length) ? Math.trunc(length) : 0);
      },
      "syscall/js.valuePrepareString": (sp) => {
        sp >>>= 0;
        alive();
        const bytes = encoder.encode(String(this.#load(sp + 8)));
        alive();
        sp = this.#sp();
        this.#store(sp + 16, bytes);
        this.#setInt64(sp + 24, bytes.length);
      },
      "syscall/js.valueLoadString": (sp) => {
        sp >>>= 0;
        const str = this.#load(sp + 8) as Uint8Array;
        this.#bytes(sp + 16).set(str);
      },
      "syscall/js.valueInstanceOf": (sp) => {
        sp >>>= 0;
        alive();
        // A throwing instanceof (a right side that is not callable) is false.
        const [result] = attempt(() =>
          (this.#load(sp + 8) as object) instanceof (this.#load(sp + 16) as new() => unknown)
        );
        sp = this.#sp();
        this.#dv().setUint8(sp + 24, result === true ? 1 : 0);
      },
      "syscall/js.copyBytesToGo": (sp) => {
        sp >>>= 0;
        const dst = this.#bytes(sp + 8);
        const src = this.#load(sp + 32);
        if (!(src instanceof Uint8Array || src instanceof Uint8ClampedArray)) {
          this.#dv().setUint8(sp + 48, 0);
          return;
        }
        const part = src.subarray(0, dst.length);
        dst.set(part);
        this.#setInt64(sp + 40, part.length);
        this.#dv().setUint8(sp + 48, 1);
      },
      "syscall/js.copyBytesToJS": (sp) => {
        sp >>>= 0;
        const dst = this.#load(sp + 8);
        const src = this.#bytes(sp + 16);
        if (!(dst instanceof Uint8Array || dst instanceof Uint8ClampedArray)) {
          this.#dv().setUint8(sp + 48, 0);
          return;
        }
        const part = src.subarray(0, dst.length);
        dst.set(part);
        this.#setInt64(sp + 40, part.length);
        this.#dv().setUint8(sp + 48, 1);
      },
      debug: (value) => {
        this.#trace(`debug ${value}`);
      },
    };
    return imports;
  }
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Uint8Array) return `u8[${value.length}]`;
  if (typeof value === "function") return "fn";
  return String(value);
}

/** For tests: the predefined ids. */
export { PredefinedId };
