/**
 * `proc_exit`, `proc_raise`, `sched_yield`.
 *
 * @module
 */

import { define, i32, type WasiFunction } from "./_registry.ts";
import { fail, WasiExit } from "./errno.ts";

/** `proc_exit`, `proc_raise`, `sched_yield`. */
export const PROC_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "proc_exit",
    params: [i32("rval")],
    returnsErrno: false,
    status: "full",
    note: "unwinds the instance; the runner reports rval (as u32) as the exit status",
    blocking: "never",
    impl: (_ctx, code: number) => {
      throw new WasiExit(code >>> 0);
    },
  }),
  define({
    name: "proc_raise",
    params: [i32("sig")],
    status: "enosys",
    note: "ENOSYS: no signals (removed after preview1; wasi-libc's abort traps instead)",
    blocking: "never",
    impl: () => fail("ENOSYS", "proc_raise"),
  }),
  define({
    name: "sched_yield",
    params: [],
    status: "full",
    note: "returns at once: an instance has one thread, nothing else to run",
    blocking: "never",
    impl: () => {},
  }),
];
