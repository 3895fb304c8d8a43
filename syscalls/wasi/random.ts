/**
 * `random_get`: bytes from the kernel's random source (seeded in deterministic kernels).
 *
 * @module
 */

import { define, i32, out, type WasiFunction } from "./_registry.ts";

/** `random_get`. */
export const RANDOM_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "random_get",
    params: [i32("buf"), i32("buf_len")],
    status: "full",
    note: "the kernel's random source (crypto, or seeded when deterministic)",
    blocking: "never",
    writes: (a) => [out(a[0], Number(a[1]) >>> 0)],
    impl: (ctx, buf: number, len: number) => {
      const view = ctx.memory.bytes(buf, len >>> 0);
      if (view.buffer instanceof ArrayBuffer) {
        ctx.kernel.random.fill(view);
      } else {
        // Shared memory: getRandomValues refuses SharedArrayBuffer views.
        const tmp = new Uint8Array(view.length);
        ctx.kernel.random.fill(tmp);
        view.set(tmp);
      }
    },
  }),
];
