/**
 * The layout of the control buffer shared by the worker bridge's two sides
 * (`worker_bridge.ts` on the kernel's thread, `bridge_worker.mjs` in the
 * worker). Plain JavaScript without imports, so the worker starts without
 * TypeScript (no per-worker transpiling or type checking in Deno, loadable
 * by Node as is).
 *
 * One call at a time: the worker writes the import's index and arguments,
 * stores {@link STATE_REQUEST} in the state word and notifies; the kernel's
 * thread (woken by `Atomics.waitAsync`) runs the import, writes the result,
 * stores {@link STATE_RESPONSE} and notifies; the worker, blocked in
 * `Atomics.wait`, reads the result.
 *
 * Byte layout:
 *
 * | bytes      | what                                                        |
 * | ---------- | ----------------------------------------------------------- |
 * | 0..4       | state (i32)                                                 |
 * | 4..8       | import index (i32)                                          |
 * | 8..12      | argument count (i32)                                        |
 * | 12..16     | result kind (i32, `RESULT_*`)                               |
 * | 16..20     | length of the error message (i32)                           |
 * | 64..128    | argument kinds, one i32 per argument (0 number, 1 bigint)   |
 * | 128..256   | arguments, 8 bytes each (f64 or i64)                        |
 * | 256..264   | result (f64 or i64), or the exit status for `RESULT_EXIT`   |
 * | 512..4096  | error message (UTF-8) for `RESULT_THROW`                    |
 *
 * Messages, worker to kernel thread: `{ type: "ready", memory }` (instantiated;
 * the instance's memory), `{ type: "call" }` (a request waits; only with
 * `ping`), `{ type: "exit", code }`, `{ type: "trap", name, message, stack }`,
 * `{ type: "error", name, message }` (instantiation failed). Kernel thread to
 * worker: one {@link StartMessage}.
 *
 * @module
 */

/** Size of the control buffer in bytes. */
export const CONTROL_BYTES = 4096;
/** Most arguments an import call can pass through the bridge. */
export const MAX_ARGS = 16;

/** i32 index: the state word. */
export const I_STATE = 0;
/** i32 index: which import. */
export const I_CALL = 1;
/** i32 index: argument count. */
export const I_ARGC = 2;
/** i32 index: result kind. */
export const I_RESULT_KIND = 3;
/** i32 index: error message length. */
export const I_MESSAGE_LENGTH = 4;
/** i32 index: first argument kind. */
export const I_ARG_KINDS = 16;
/** 8-byte slot index (Float64Array / BigInt64Array): first argument. */
export const Q_ARGS = 16;
/** 8-byte slot index: the result. */
export const Q_RESULT = 32;
/** Byte offset of the error message. */
export const MESSAGE_START = 512;
/** Byte end of the error message. */
export const MESSAGE_END = CONTROL_BYTES;

/** State word: nothing asked yet. */
export const STATE_IDLE = 0;
/** State word: the worker waits for an answer. */
export const STATE_REQUEST = 1;
/** State word: answered. */
export const STATE_RESPONSE = 2;

/** Argument kind: a number (i32, f32, f64). */
export const ARG_NUMBER = 0;
/** Argument kind: a bigint (i64). */
export const ARG_BIGINT = 1;

/** Result kind: a number. */
export const RESULT_NUMBER = 0;
/** Result kind: a bigint. */
export const RESULT_BIGINT = 1;
/** Result kind: nothing. */
export const RESULT_VOID = 2;
/** Result kind: proc_exit; unwind the guest, the status is the result slot (a number). */
export const RESULT_EXIT = 3;
/** Result kind: the import threw; the worker throws an Error with the message, which traps the guest. */
export const RESULT_THROW = 4;

/**
 * Kernel thread to worker: instantiate and run.
 *
 * @typedef {object} StartMessage
 * @property {"start"} type
 * @property {WebAssembly.Module} module  the rewritten module (memory shared)
 * @property {SharedArrayBuffer} control  the control buffer ({@link CONTROL_BYTES} bytes)
 * @property {ReadonlyArray<readonly [string, string]>} imports  function imports forwarded, by index: [module, name]
 * @property {WebAssembly.Memory} [memory]  the shared memory of a module that imports its memory
 * @property {string} entry  the export to call
 * @property {boolean} ping  post `{ type: "call" }` after each request (where `Atomics.waitAsync` is missing)
 */

/**
 * Worker to kernel thread.
 *
 * @typedef {{ type: "ready", memory: WebAssembly.Memory | null }
 *   | { type: "call" }
 *   | { type: "exit", code: number }
 *   | { type: "trap", name: string, message: string, stack?: string }
 *   | { type: "error", name: string, message: string }} WorkerMessage
 */

export {};
