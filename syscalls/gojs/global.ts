/**
 * The per-process global object of a gojs program (value id 5, what
 * `js.Global()` returns). It is never the host's `globalThis`: `fs`,
 * `process`, `path`, `crypto`, `Date`, `console` and `performance` are backed
 * by the kernel and the process; plain ECMAScript built-ins are shared; `fetch`
 * is there only when the embedder grants network access.
 *
 * @module
 */

import type { Clock } from "../../kernel/clock.ts";
import type { Process } from "../../kernel/process.ts";
import type { RandomSource } from "../../kernel/random.ts";
import { write } from "../../kernel/syscalls/mod.ts";
import { createFs, type FsHost } from "./fs.ts";
import { type NetOptions, restrictedFetch } from "./net.ts";
import { createPathObject, createProcessObject, CwdCache, type ProcessHost } from "./process.ts";

/** Options for {@link createGlobal}. */
export interface GlobalOptions {
  /** Network access; without it there is no `fetch`. */
  net?: NetOptions;
  /** Minutes west of UTC that `new Date().getTimezoneOffset()` reports (default: the host's; 0 when deterministic). */
  timezoneOffset?: number;
  /** Extra values put on the global object (they override the built-in ones). */
  globals?: Record<string, unknown>;
}

/** ECMAScript built-ins that hold no host capability, shared by every process. */
const BUILTINS = [
  "Object",
  "Array",
  "String",
  "Number",
  "Boolean",
  "Symbol",
  "BigInt",
  "Math",
  "JSON",
  "Reflect",
  "Proxy",
  "Promise",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "ArrayBuffer",
  "DataView",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "TextEncoder",
  "TextDecoder",
  "URL",
  "URLSearchParams",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "encodeURIComponent",
  "decodeURIComponent",
  "encodeURI",
  "decodeURI",
  "NaN",
  "Infinity",
] as const;

/** A `Date` whose "now" is the kernel's realtime clock. */
export function kernelDate(clock: Clock, timezoneOffset?: number): DateConstructor {
  const nowMs = (): number => Number(clock.now(0) / 1_000_000n);
  class KernelDate extends Date {
    constructor(...args: unknown[]) {
      super(...((args.length === 0 ? [nowMs()] : args) as [number]));
    }
    static override now(): number {
      return nowMs();
    }
    override getTimezoneOffset(): number {
      return timezoneOffset ?? super.getTimezoneOffset();
    }
  }
  return KernelDate as unknown as DateConstructor;
}

function formatArgs(args: unknown[]): string {
  return args.map((a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return a.stack ?? String(a);
    try {
      return typeof a === "object" && a !== null ? JSON.stringify(a) : String(a);
    } catch {
      return String(a);
    }
  }).join(" ") + "\n";
}

/** A `console` writing to the process's fd 1 (log, info, debug) and fd 2 (error, warn, trace). */
export function processConsole(proc: Process, track: (p: Promise<unknown>) => void) {
  const encoder = new TextEncoder();
  const out = (fd: number) => (...args: unknown[]): void => {
    try {
      const r = write(proc, fd, encoder.encode(formatArgs(args)));
      if (r instanceof Promise) track(r.catch(() => {}));
    } catch { /* a closed stdio fd: console output is dropped, as on a host */ }
  };
  return { log: out(1), info: out(1), debug: out(1), error: out(2), warn: out(2), trace: out(2) };
}

/** What {@link createGlobal} needs from the runtime. */
export interface GlobalHost extends FsHost, ProcessHost {
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Builds the global object for one process.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { createGlobal } from "./global.ts";
 * const kernel = createKernel({ deterministic: true });
 * const proc = kernel.createProcess();
 * const g = createGlobal({
 *   proc, clock: kernel.clock, random: kernel.random,
 *   track: (p) => p, deliver: (fn) => fn(), soon: queueMicrotask, barrier: () => null, setBarrier: () => {},
 * }, {});
 * console.assert(g.fetch === undefined && (g.process as { pid: number }).pid === proc.pid);
 * ```
 */
export function createGlobal(host: GlobalHost, options: GlobalOptions): Record<string, unknown> {
  const proc = host.proc;
  const global: Record<string, unknown> = {};
  const hostGlobal = globalThis as unknown as Record<string, unknown>;
  for (const name of BUILTINS) {
    if (name in hostGlobal) global[name] = hostGlobal[name];
  }
  const cwd = new CwdCache(proc);
  const safeCwd = (): string => {
    try {
      return cwd.get();
    } catch {
      return cwd.last;
    }
  };
  const timezoneOffset = options.timezoneOffset ?? (host.clock.deterministic ? 0 : undefined);
  global.globalThis = global;
  global.self = global;
  global.fs = createFs(host);
  global.process = createProcessObject(host, cwd);
  global.path = createPathObject(safeCwd);
  global.Date = kernelDate(host.clock, timezoneOffset);
  global.console = processConsole(proc, (p) => void host.track(p));
  global.performance = {
    now: (): number => Number(host.clock.now(1)) / 1e6,
    timeOrigin: Number(host.clock.now(0) - host.clock.now(1)) / 1e6,
  };
  global.crypto = {
    getRandomValues<T extends ArrayBufferView>(array: T): T {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
        throw new TypeError("crypto.getRandomValues: an integer typed array is required");
      }
      host.random.fill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
  };
  if (options.net) {
    global.fetch = restrictedFetch(options.net);
    global.Headers = hostGlobal.Headers;
    global.AbortController = hostGlobal.AbortController;
    global.AbortSignal = hostGlobal.AbortSignal;
    global.Request = hostGlobal.Request;
    global.Response = hostGlobal.Response;
  }
  if (options.globals) {
    if (typeof options.globals !== "object") throw new TypeError("globals must be an object");
    Object.assign(global, options.globals);
  }
  return global;
}
