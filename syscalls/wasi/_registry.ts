/**
 * How each WASI function is declared: its wasm signature, its support status
 * (the README's support table is generated from these), whether it can block,
 * which guest memory it may write, and its implementation.
 *
 * @module
 */

import type { Maybe } from "../../kernel/types.ts";
import { LAYOUT } from "./abi.ts";
import type { WasiContext } from "./context.ts";
import type { GuestMemory } from "./memory.ts";

/** A wasm value type of a parameter. */
export type WasmType = "i32" | "i64";

/** A raw import argument: i32 as number, i64 as bigint. */
export type Arg = number | bigint;

/** How completely a function is implemented. */
export type SupportStatus = "full" | "partial" | "enosys";

/**
 * When an import may have to wait:
 * - `never`: pure (clock, random, args); always a plain import.
 * - `stream`: may wait on a stream or a timer (poll, read, write, sockets);
 *   a `WebAssembly.Suspending` import under JSPI.
 * - `driver`: waits only if it meets an asynchronous filesystem driver;
 *   suspending under JSPI only when some mount is asynchronous.
 */
export type Blocking = "never" | "stream" | "driver";

/** A half-open guest memory range `[ptr, ptr + len)` a function may write. */
export type Range = readonly [ptr: number, len: number];

/** One `wasi_snapshot_preview1` function. */
export interface WasiFunction {
  readonly name: string;
  readonly params: readonly (readonly [name: string, type: WasmType])[];
  /** False only for proc_exit, which returns nothing. */
  readonly returnsErrno: boolean;
  readonly status: SupportStatus;
  /** What is and is not done, for the support table. */
  readonly note: string;
  readonly blocking: Blocking;
  /**
   * The guest memory the function may write, computed from its arguments, the
   * memory as it was before the call (it reads iovecs and the like from there)
   * and the process (argv sizes).
   */
  readonly writes: (args: readonly Arg[], ctx: WasiContext) => Range[];
  /** Decodes, makes one kernel call, encodes. Throws kernel or facade errors; returns nothing (success) or an errno. */
  readonly impl: (ctx: WasiContext, ...args: never[]) => Maybe<number | void>;
}

/** Declares a function (a typed identity, so implementations keep their own parameter types). */
export function define<A extends Arg[]>(spec: {
  name: string;
  params: readonly (readonly [string, WasmType])[];
  returnsErrno?: boolean;
  status: SupportStatus;
  note: string;
  blocking: Blocking;
  writes?: (args: readonly Arg[], ctx: WasiContext) => Range[];
  impl: (ctx: WasiContext, ...args: A) => Maybe<number | void>;
}): WasiFunction {
  return {
    returnsErrno: true,
    writes: () => [],
    ...spec,
    impl: spec.impl as unknown as WasiFunction["impl"],
  };
}

/** i32 helper for parameter lists. */
export const i32 = (name: string): readonly [string, "i32"] => [name, "i32"];
/** i64 helper for parameter lists. */
export const i64 = (name: string): readonly [string, "i64"] => [name, "i64"];

/** The range `[ptr, ptr + len)` with ptr read as u32. */
export function out(ptr: Arg, len: number): Range {
  return [Number(ptr) >>> 0, len];
}

/** The buffers an iovec array at `ptr` points to, read tolerantly (a bad array allows nothing). */
export function iovecRanges(mem: GuestMemory, ptr: Arg, count: Arg): Range[] {
  const n = Number(count) >>> 0;
  const ranges: Range[] = [];
  try {
    const base = mem.checkArray(Number(ptr), n, LAYOUT.IOVEC_SIZE);
    for (let i = 0; i < n; i++) {
      const at = base + i * LAYOUT.IOVEC_SIZE;
      ranges.push([mem.getU32(at), mem.getU32(at + 4)]);
    }
  } catch {
    return [];
  }
  return ranges;
}
