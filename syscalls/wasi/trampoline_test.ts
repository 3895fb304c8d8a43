/**
 * The JSPI trampolines (`_trampoline.ts`): the generated module's encoding,
 * plain calls that never touch JSPI, and calls that really wait: their results
 * still reach guest memory (even when it grew during the wait), exits and
 * drivers with i64 parameters still work.
 *
 * @module
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryFileSystem } from "../../fs/memory/mod.ts";
import { AsyncFileSystem } from "../../fs/overlay/_testing.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { createPipe } from "../../kernel/pipe.ts";
import { createKernel } from "../../mod.ts";
import { assemble, call, I32, i32c, I64, i64c, type ModuleSpec, OP } from "./_test_wasm.ts";
import { encodeTrampolines, makeTrampolines, PARKED } from "./_trampoline.ts";
import { MODULE } from "./abi.ts";
import { hasJspi, instantiateWasi, runWasi, WasiHost } from "./wasi.ts";

interface Jspi {
  Suspending: new(fn: (...args: never[]) => unknown) => WebAssembly.ImportValue;
  promising(fn: unknown): (...args: unknown[]) => Promise<unknown>;
}
const jspi = (): Jspi => WebAssembly as unknown as Jspi;

const I32_LOAD = [0x28, 0x02, 0x00], I32_STORE = [0x36, 0x02, 0x00];
const MEMORY_GROW = [0x40, 0x00];

test("trampoline module: valid for any mix of i32/i64 signatures, cached per signature list", () => {
  const sigs = [[], ["i32"], ["i32", "i64", "i64", "i32"], ["i32", "i32", "i32", "i32"], ["i32"]] as const;
  assert.ok(WebAssembly.validate(encodeTrampolines(sigs) as BufferSource));
  // Without a wait, the plain functions are all that runs (no JSPI needed to call them).
  const seen: unknown[][] = [];
  const fns = sigs.map((_, i) => (...args: unknown[]) => (seen.push(args), i * 10));
  const wait = () => {
    throw new Error("never called");
  };
  const out = makeTrampolines(sigs, fns, wait) as unknown as ((...a: unknown[]) => number)[];
  assert.equal(out[0](), 0);
  assert.equal(out[1](7), 10);
  assert.equal(out[2](1, 2n, -3n, 4), 20);
  assert.equal(out[3](1, 2, 3, 4), 30);
  assert.deepEqual(seen[2], [1, 2n, -3n, 4], "i64 arguments arrive as BigInts");
  assert.equal(PARKED, -1);
});

test("trampoline: PARKED calls the Suspending import, whose Promise the guest waits for", async (t) => {
  if (!hasJspi()) return t.skip("needs JSPI");
  let parked: Promise<number> | null = null;
  const plain = (x: number) => {
    if (x % 3 !== 0) return x;
    parked = new Promise((resolve) => setTimeout(() => resolve(x + 1000), 1));
    return PARKED;
  };
  const wait = new (jspi().Suspending)(() => parked);
  const [f] = makeTrampolines([["i32"]], [plain], wait);
  // A guest summing f(i) for i < n.
  const guest = new WebAssembly.Instance(
    new WebAssembly.Module(
      assemble({
        types: [[[I32], [I32]]],
        imports: [{ module: "env", name: "f", type: 0 }],
        funcs: [{
          type: 0,
          locals: [I32, I32], // i, s
          body: [
            ...[0x02, 0x40, 0x03, 0x40], // block, loop
            ...[OP.localGet, 1, OP.localGet, 0, 0x4e, 0x0d, 1], // i >= n: break
            ...[OP.localGet, 2, OP.localGet, 1, OP.call, 0, OP.i32Add, 0x21, 2], // s += f(i)
            ...[OP.localGet, 1, ...i32c(1), OP.i32Add, 0x21, 1], // i++
            ...[0x0c, 0, OP.end, OP.end],
            ...[OP.localGet, 2],
          ],
        }],
        exports: [{ name: "run", func: 1 }],
      }) as BufferSource,
    ),
    { env: { f } },
  );
  const sum = await jspi().promising(guest.exports.run)(10);
  // 0..9, plus 1000 for each multiple of 3 (0, 3, 6, 9) that waited.
  assert.equal(sum, 45 + 4000);
});

test("under JSPI, blocking imports are trampolines (wasm functions), not Suspending objects", async (t) => {
  if (!hasJspi()) return t.skip("needs JSPI");
  const host = await WasiHost.create(createKernel(), { jspi: true });
  const imports = host.imports[MODULE];
  for (const name of ["fd_read", "fd_write", "poll_oneoff", "sock_recv", "sock_send", "sock_accept"]) {
    assert.equal(typeof imports[name], "function", name);
  }
  host.process.exit(0);
});

// A reactor: read() = fd_read(0, one iovec {buf 256, len 16} at 16, nread at 8); grow() = memory.grow(1).
function reactorModule(): Uint8Array {
  const types: ModuleSpec["types"] = [[[I32, I32, I32, I32], [I32]], [[], [I32]]];
  return assemble({
    types,
    imports: [{ module: MODULE, name: "fd_read", type: 0 }],
    funcs: [
      {
        type: 1,
        body: [
          ...[...i32c(16), ...i32c(256), ...I32_STORE],
          ...[...i32c(20), ...i32c(16), ...I32_STORE],
          ...[...i32c(0), ...i32c(16), ...i32c(1), ...i32c(8), ...call(0)],
        ],
      },
      { type: 1, body: [...i32c(1), ...MEMORY_GROW] },
    ],
    exports: [{ name: "read", func: 1 }, { name: "grow", func: 2 }],
    memory: { min: 1, export: "memory" },
  });
}

test("a read that waits lands in memory that grew meanwhile (views re-derived after the wait)", async (t) => {
  if (!hasJspi()) return t.skip("needs JSPI");
  const [readEnd, writeEnd] = createPipe();
  const reactor = await instantiateWasi(createKernel(), reactorModule(), { stdin: readEnd, jspi: true });
  const reading = reactor.call("read");
  await new Promise((r) => setTimeout(r, 5));
  // While read() is parked, grow() detaches the buffer read() started with.
  const before = reactor.memory.size;
  assert.equal(await reactor.call("grow"), 1);
  assert.equal(reactor.memory.size, before + 65536);
  writeEnd.write(new TextEncoder().encode("late stdin"), false);
  assert.equal(await reading, 0);
  assert.equal(reactor.memory.getU32(8), 10);
  assert.equal(new TextDecoder().decode(reactor.readBytes(256, 10)), "late stdin");
  writeEnd.close();
  reactor.exit(0);
});

test("proc_exit after a call that waited; a trap after one; an errno answered at once", async (t) => {
  if (!hasJspi()) return t.skip("needs JSPI");
  const types: ModuleSpec["types"] = [[[I32, I32, I32, I32], [I32]], [[I32], []], [[], []]];
  const imports: ModuleSpec["imports"] = [
    { module: MODULE, name: "fd_read", type: 0 },
    { module: MODULE, name: "proc_exit", type: 1 },
  ];
  const read = [
    ...[...i32c(16), ...i32c(256), ...I32_STORE],
    ...[...i32c(20), ...i32c(16), ...I32_STORE],
    ...[...i32c(0), ...i32c(16), ...i32c(1), ...i32c(8), ...call(0)],
  ];
  const build = (body: number[]) =>
    assemble({
      types,
      imports,
      funcs: [{ type: 2, body }],
      exports: [{ name: "_start", func: 2 }],
      memory: { min: 1, export: "memory" },
    });
  const late = () => {
    const [readEnd, writeEnd] = createPipe();
    setTimeout(() => {
      writeEnd.write(new TextEncoder().encode("abc"), false);
      writeEnd.close();
    }, 5);
    return readEnd;
  };
  // Exit with nread (3) after the wait.
  const exits = build([...read, OP.drop, ...i32c(8), ...I32_LOAD, ...call(1)]);
  assert.equal((await runWasi(createKernel(), exits, { stdin: late(), jspi: true })).exitCode, 3);
  // A trap after the wait.
  const traps = build([...read, OP.drop, OP.unreachable]);
  const trapped = await runWasi(createKernel(), traps, { stdin: late(), jspi: true });
  assert.equal(trapped.exitCode, 134);
  assert.ok(trapped.error instanceof WebAssembly.RuntimeError);
  // An errno answered at once (a bad iovec: EFAULT) comes straight from the plain import.
  const fault = build([...i32c(0), ...i32c(1 << 20), ...i32c(1), ...i32c(8), ...call(0), ...call(1)]);
  assert.equal((await runWasi(createKernel(), fault, { jspi: true })).exitCode, 21);
});

test("an asynchronous driver: i64-parameter calls (path_open) go through a trampoline and wait", async (t) => {
  if (!hasJspi()) return t.skip("needs JSPI");
  const kernel = new Kernel({ root: new AsyncFileSystem(new MemoryFileSystem()) });
  const types: ModuleSpec["types"] = [
    [[I32, I32, I32, I32, I32, I64, I64, I32, I32], [I32]],
    [[I32], []],
    [[], []],
  ];
  const name = new TextEncoder().encode("made");
  const bytes = assemble({
    types,
    imports: [
      { module: MODULE, name: "path_open", type: 0 },
      { module: MODULE, name: "proc_exit", type: 1 },
    ],
    funcs: [{
      type: 2,
      body: [
        ...i32c(3), // the preopened root
        ...i32c(0),
        ...i32c(64), // path
        ...i32c(name.length),
        ...i32c(1), // OFLAGS_CREAT
        ...i64c(0x7fn), // rights base (read, write among them)
        ...i64c(0n),
        ...i32c(0),
        ...i32c(8), // fd out
        ...call(0),
        ...call(1),
      ],
    }],
    exports: [{ name: "_start", func: 2 }],
    memory: { min: 1, export: "memory" },
    data: [{ offset: 64, bytes: name }],
  });
  const r = await runWasi(kernel, bytes, { jspi: true });
  assert.equal(r.exitCode, 0);
  const st = await kernel.files.stat("/made");
  assert.equal(st.size, 0);
});
