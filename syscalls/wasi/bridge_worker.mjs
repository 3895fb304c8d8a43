/**
 * The worker side of the worker bridge (see `worker_bridge.ts`): instantiates
 * the program with stub imports that forward each call to the kernel's thread
 * through the control buffer and block in `Atomics.wait` until it answers,
 * then runs the entry point and reports how it ended.
 *
 * Plain JavaScript, loaded as a module worker: a web `Worker` (Deno, Bun,
 * browsers) or a `node:worker_threads` Worker (Node).
 *
 * @module
 */

import {
  ARG_BIGINT,
  ARG_NUMBER,
  I_ARG_KINDS,
  I_ARGC,
  I_CALL,
  I_MESSAGE_LENGTH,
  I_RESULT_KIND,
  I_STATE,
  MAX_ARGS,
  MESSAGE_START,
  Q_ARGS,
  Q_RESULT,
  RESULT_BIGINT,
  RESULT_EXIT,
  RESULT_NUMBER,
  RESULT_THROW,
  STATE_REQUEST,
} from "./bridge_protocol.mjs";

/** Loads of the state word before falling back to Atomics.wait (about 20-50 µs). */
const SPIN_LIMIT = 20000;

/** @typedef {import("./bridge_protocol.mjs").StartMessage} StartMessage */
/** @typedef {import("./bridge_protocol.mjs").WorkerMessage} WorkerMessage */
/** @typedef {(message: WorkerMessage) => void} Post */

/** Thrown by a stub when the kernel answered proc_exit: unwinds the entry point. */
class ExitSignal {
  /** @param {number} code */
  constructor(code) {
    this.code = code;
  }
}

/**
 * A stub maker: the stub for import `id` forwards its arguments and blocks.
 * @param {StartMessage} start
 * @param {Post} post
 * @returns {(id: number) => (...args: unknown[]) => unknown}
 */
function stubs(start, post) {
  const i32 = new Int32Array(start.control);
  const f64 = new Float64Array(start.control);
  const i64 = new BigInt64Array(start.control);
  const ping = start.ping;
  const decoder = new TextDecoder();
  return (id) => (...args) => {
    const n = args.length;
    if (n > MAX_ARGS) throw new RangeError(`an import with ${n} arguments cannot cross the worker bridge`);
    i32[I_CALL] = id;
    i32[I_ARGC] = n;
    for (let i = 0; i < n; i++) {
      const a = args[i];
      if (typeof a === "bigint") {
        i32[I_ARG_KINDS + i] = ARG_BIGINT;
        i64[Q_ARGS + i] = a;
      } else {
        i32[I_ARG_KINDS + i] = ARG_NUMBER;
        f64[Q_ARGS + i] = /** @type {number} */ (a);
      }
    }
    Atomics.store(i32, I_STATE, STATE_REQUEST);
    Atomics.notify(i32, I_STATE);
    if (ping) post({ type: "call" });
    // Spin briefly before sleeping: most calls are answered within microseconds, and waking a
    // sleeping thread costs tens of microseconds on an idle (virtual) CPU.
    for (let spin = 0; spin < SPIN_LIMIT && Atomics.load(i32, I_STATE) === STATE_REQUEST; spin++);
    while (Atomics.load(i32, I_STATE) === STATE_REQUEST) Atomics.wait(i32, I_STATE, STATE_REQUEST);
    switch (i32[I_RESULT_KIND]) {
      case RESULT_NUMBER:
        return f64[Q_RESULT];
      case RESULT_BIGINT:
        return i64[Q_RESULT];
      case RESULT_EXIT:
        throw new ExitSignal(f64[Q_RESULT]);
      case RESULT_THROW: {
        // TextDecoder refuses shared views in some runtimes: copy first.
        const bytes = new Uint8Array(start.control, MESSAGE_START, i32[I_MESSAGE_LENGTH]).slice();
        throw new Error(decoder.decode(bytes));
      }
      default:
        return undefined;
    }
  };
}

/**
 * @param {unknown} error
 * @returns {{ name: string, message: string, stack?: string }}
 */
function describe(error) {
  const e = /** @type {{ name?: unknown, message?: unknown, stack?: unknown } | null} */ (error);
  return {
    name: typeof e?.name === "string" ? e.name : "Error",
    message: typeof e?.message === "string" ? e.message : String(error),
    stack: typeof e?.stack === "string" ? e.stack : undefined,
  };
}

/**
 * @param {StartMessage} start
 * @param {Post} post
 */
async function run(start, post) {
  /** @type {WebAssembly.Instance} */
  let instance;
  let memory = start.memory ?? null;
  try {
    const stub = stubs(start, post);
    /** @type {Map<string, number>} */
    const forwarded = new Map();
    start.imports.forEach(([module, name], id) => forwarded.set(`${module}\0${name}`, id));
    /** @type {Record<string, Record<string, WebAssembly.ImportValue>>} */
    const imports = {};
    for (const imp of WebAssembly.Module.imports(start.module)) {
      /** @type {WebAssembly.ImportValue | undefined} */
      let value;
      if (imp.kind === "memory") {
        value = start.memory;
      } else if (imp.kind === "function") {
        const id = forwarded.get(`${imp.module}\0${imp.name}`);
        if (id !== undefined) value = /** @type {WebAssembly.ImportValue} */ (stub(id));
      }
      if (value === undefined) continue; // instantiate reports the missing import
      (imports[imp.module] ??= {})[imp.name] = value;
    }
    instance = await WebAssembly.instantiate(start.module, imports);
    const exported = instance.exports.memory;
    if (!memory && exported instanceof WebAssembly.Memory) memory = exported;
  } catch (error) {
    const { name, message } = describe(error);
    post({ type: "error", name, message });
    return;
  }
  post({ type: "ready", memory });
  const entry = instance.exports[start.entry];
  try {
    if (typeof entry !== "function") throw new TypeError(`the module has no ${start.entry} export`);
    entry();
    post({ type: "exit", code: 0 });
  } catch (error) {
    if (error instanceof ExitSignal) post({ type: "exit", code: error.code });
    else post({ type: "trap", ...describe(error) });
  }
}

const scope = /** @type {{ self?: unknown, postMessage?: (m: unknown) => void, onmessage?: unknown }} */ (
  globalThis
);
if (typeof scope.self !== "undefined" && typeof scope.postMessage === "function") {
  const postMessage = scope.postMessage.bind(globalThis);
  /** @type {Post} */
  const post = (m) => postMessage(m);
  scope.onmessage = (/** @type {{ data: StartMessage }} */ event) => {
    if (event.data?.type === "start") void run(event.data, post);
  };
} else {
  const { parentPort } = await import("node:worker_threads");
  if (!parentPort) throw new Error("bridge_worker: not running in a worker");
  /** @type {Post} */
  const post = (m) => parentPort.postMessage(m);
  parentPort.on("message", (/** @type {StartMessage} */ data) => {
    if (data?.type === "start") void run(data, post);
  });
}
