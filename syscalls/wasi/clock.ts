/**
 * `clock_res_get` and `clock_time_get`: the kernel's clocks in nanoseconds.
 *
 * @module
 */

import { isClockId } from "../../kernel/clock.ts";
import { define, i32, i64, out, type WasiFunction } from "./_registry.ts";
import { fail } from "./errno.ts";

function clockId(id: number): 0 | 1 | 2 | 3 {
  const n = id >>> 0;
  if (!isClockId(n)) fail("EINVAL", `unknown clock id ${n}`);
  return n;
}

/** `clock_res_get`, `clock_time_get`. */
export const CLOCK_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "clock_res_get",
    params: [i32("id"), i32("resolution_ptr")],
    status: "full",
    note: "realtime, monotonic, process and thread CPU time; EINVAL for other ids",
    blocking: "never",
    writes: (a) => [out(a[1], 8)],
    impl: (ctx, id: number, ptr: number) => {
      const clock = clockId(id);
      ctx.memory.check(ptr, 8);
      ctx.memory.setU64(ptr, ctx.kernel.clock.resolution(clock));
    },
  }),
  define({
    name: "clock_time_get",
    params: [i32("id"), i64("precision"), i32("time_ptr")],
    status: "full",
    note:
      "nanoseconds; CPU-time clocks are what the kernel clock offers (wall time since start on real clocks)",
    blocking: "never",
    writes: (a) => [out(a[2], 8)],
    impl: (ctx, id: number, _precision: bigint, ptr: number) => {
      const clock = clockId(id);
      ctx.memory.check(ptr, 8);
      ctx.memory.setU64(ptr, ctx.kernel.clock.now(clock));
    },
  }),
];
