/**
 * Property: whatever arguments a guest passes to any WASI function, the
 * import returns an errno (or proc_exit unwinds with WasiExit), never throws a
 * host exception, never turns a host exception into EIO behind our back, and
 * writes guest memory only inside the ranges the function declares.
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import { test } from "node:test";
import { propertyRuns } from "../../tests/_support/property_runs.ts";
import type { Arg, Range } from "./_registry.ts";
import { type Harness, harness } from "./_test_support.ts";
import { ERRNO_MAX, OFLAGS, RIGHTS } from "./abi.ts";
import { WasiExit } from "./errno.ts";
import { WASI_FUNCTIONS } from "./wasi.ts";

const i32 = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 9 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 65600 }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
);
const i64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 200n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

const call = fc.integer({ min: 0, max: WASI_FUNCTIONS.length - 1 }).chain((index) => {
  const fn = WASI_FUNCTIONS[index];
  return fc.tuple(fc.constant(index), fc.tuple(...fn.params.map(([, type]) => (type === "i64" ? i64 : i32))));
});

const pattern = fc.tuple(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.boolean()).map(
  ([bytes, small]) => {
    if (small) { for (const i of [2, 3, 6, 7]) bytes[i] = 0; // u32s below 64 KiB: plausible pointers and lengths
     }
    return bytes;
  },
);

async function world(): Promise<Harness> {
  const h = await harness({ stdin: "abc", preopens: ["/", "/tmp"] });
  const open = (path: string, oflags: number) => {
    const len = h.put(0, path);
    h.call(
      "path_open",
      3,
      1,
      0,
      len,
      oflags,
      RIGHTS.FD_READ | RIGHTS.FD_WRITE | RIGHTS.FD_READDIR,
      0n,
      0,
      64,
    );
  };
  h.call("path_create_directory", 3, 0, h.put(0, "tmp/d"));
  open("tmp/f", OFLAGS.CREAT); // fd 5
  open("tmp/d", OFLAGS.DIRECTORY); // fd 6
  h.call("path_symlink", 0, h.put(0, "f"), 4, 32, h.put(32, "l"));
  return h;
}

function inside(ranges: readonly Range[], at: number): boolean {
  return ranges.some(([ptr, len]) => at >= ptr && at < ptr + len);
}

test("property: any arguments to any function give an errno and write only declared memory", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 4 }), pattern, async (calls, fill) => {
      const h = await world();
      try {
        for (const [index, args] of calls) {
          const fn = WASI_FUNCTIONS[index];
          const bytes = h.bytes();
          for (let i = 0; i < bytes.length; i++) bytes[i] = fill[i & 7];
          const before = bytes.slice();
          const allowed = fn.writes(args as Arg[], h.host.context);
          let result: unknown;
          try {
            result = h.host.syscall(fn.name, ...(args as Arg[]));
          } catch (error) {
            if (fn.name === "proc_exit" && error instanceof WasiExit) return;
            throw new Error(`${fn.name}(${args.join(", ")}) threw ${error}`);
          }
          assert.ok(!(result instanceof Promise), `${fn.name} returned a Promise without JSPI`);
          assert.equal(typeof result, "number", `${fn.name} returned ${result}`);
          assert.ok(Number.isInteger(result) && (result as number) >= 0 && (result as number) <= ERRNO_MAX);
          assert.equal(h.host.lastHostError, undefined, `${fn.name}: ${h.host.lastHostError}`);
          const after = h.bytes();
          for (let i = 0; i < before.length; i++) {
            if (after[i] !== before[i] && !inside(allowed, i)) {
              assert.fail(
                `${fn.name}(${args.join(", ")}) = ${result} wrote byte ${i} outside ${
                  JSON.stringify(allowed)
                }`,
              );
            }
          }
        }
      } finally {
        h.host.process.exit(0);
      }
    }),
    { numRuns: propertyRuns() },
  );
});

test("property: every function fails cleanly (EFAULT or another errno) without any memory", async () => {
  const h = await harness();
  h.host.context.memory.bind(null);
  await fc.assert(
    fc.property(call, ([index, args]) => {
      const fn = WASI_FUNCTIONS[index];
      try {
        const r = h.host.syscall(fn.name, ...(args as Arg[]));
        assert.equal(typeof r, "number");
      } catch (error) {
        if (!(fn.name === "proc_exit" && error instanceof WasiExit)) throw error;
      }
      assert.equal(h.host.lastHostError, undefined);
    }),
    { numRuns: propertyRuns() },
  );
});
