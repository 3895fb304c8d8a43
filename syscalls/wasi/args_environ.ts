/**
 * `args_*` and `environ_*`: the process's argv and environment, as
 * NUL-terminated UTF-8 strings in one buffer plus an array of pointers into it.
 *
 * @module
 */

import type { Process } from "../../kernel/process.ts";
import { type Arg, define, i32, out, type Range, type WasiFunction } from "./_registry.ts";
import type { WasiContext } from "./context.ts";
import { utf8 } from "./memory.ts";

function encodeAll(strings: readonly string[]): { items: Uint8Array[]; size: number; } {
  const items = strings.map((s) => utf8(s + "\0"));
  let size = 0;
  for (const item of items) size += item.length;
  return { items, size };
}

function environStrings(proc: Process): string[] {
  return Object.entries(proc.env).map(([k, v]) => `${k}=${v}`);
}

function sizesGet(ctx: WasiContext, strings: readonly string[], countPtr: number, sizePtr: number): void {
  const { items, size } = encodeAll(strings);
  const mem = ctx.memory;
  mem.check(countPtr, 4);
  mem.check(sizePtr, 4);
  mem.setU32(countPtr, items.length);
  mem.setU32(sizePtr, size);
}

function stringsGet(ctx: WasiContext, strings: readonly string[], ptrsPtr: number, bufPtr: number): void {
  const { items, size } = encodeAll(strings);
  const mem = ctx.memory;
  const table = mem.checkArray(ptrsPtr, items.length, 4);
  let at = mem.check(bufPtr, size);
  for (let i = 0; i < items.length; i++) {
    mem.setU32(table + i * 4, at);
    mem.write(at, items[i]);
    at += items[i].length;
  }
}

/** What the `*_get` functions write: the pointer array and the string buffer. */
function getRanges(strings: (proc: Process) => readonly string[]) {
  return (args: readonly Arg[], ctx: WasiContext): Range[] => {
    const { items, size } = encodeAll(strings(ctx.proc));
    return [out(args[0], items.length * 4), out(args[1], size)];
  };
}

/** `args_sizes_get`, `args_get`, `environ_sizes_get`, `environ_get`. */
export const ARGS_ENVIRON_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "args_get",
    params: [i32("argv"), i32("argv_buf")],
    status: "full",
    note: "pointers point into the caller's buffer (Go relies on it)",
    blocking: "never",
    writes: getRanges((proc) => proc.args),
    impl: (ctx, ptrs: number, buf: number) => stringsGet(ctx, ctx.proc.args, ptrs, buf),
  }),
  define({
    name: "args_sizes_get",
    params: [i32("argc_ptr"), i32("argv_buf_size_ptr")],
    status: "full",
    note: "argc and the total size of the NUL-terminated UTF-8 strings",
    blocking: "never",
    writes: (a) => [out(a[0], 4), out(a[1], 4)],
    impl: (ctx, countPtr: number, sizePtr: number) => sizesGet(ctx, ctx.proc.args, countPtr, sizePtr),
  }),
  define({
    name: "environ_get",
    params: [i32("environ"), i32("environ_buf")],
    status: "full",
    note: "`KEY=value` strings; pointers point into the caller's buffer",
    blocking: "never",
    writes: getRanges(environStrings),
    impl: (ctx, ptrs: number, buf: number) => stringsGet(ctx, environStrings(ctx.proc), ptrs, buf),
  }),
  define({
    name: "environ_sizes_get",
    params: [i32("environ_count_ptr"), i32("environ_buf_size_ptr")],
    status: "full",
    note: "count and total size of the `KEY=value` strings",
    blocking: "never",
    writes: (a) => [out(a[0], 4), out(a[1], 4)],
    impl: (ctx, countPtr: number, sizePtr: number) =>
      sizesGet(ctx, environStrings(ctx.proc), countPtr, sizePtr),
  }),
];
