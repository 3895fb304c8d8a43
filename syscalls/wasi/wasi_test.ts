import assert from "node:assert/strict";
import { test } from "node:test";
import { collector } from "../../drivers/stdio.ts";
import { createKernel } from "../../mod.ts";
import { assemble, call, I32, i32c, type ModuleSpec, OP } from "./_test_wasm.ts";
import { ERRNO, MODULE } from "./abi.ts";
import { WasiExit } from "./errno.ts";
import { supportTable } from "./support_table.ts";
import { hasJspi, instantiateWasi, runWasi, WASI_FUNCTIONS, WasiHost } from "./wasi.ts";

const T_VOID = 0, T_I32 = 1, T_4I32 = 2, T_I32_I32 = 3;
const TYPES: ModuleSpec["types"] = [[[], []], [[I32], []], [[I32, I32, I32, I32], [I32]], [[I32], [I32]]];
const IMPORTS: ModuleSpec["imports"] = [
  { module: MODULE, name: "proc_exit", type: T_I32 },
  { module: MODULE, name: "fd_write", type: T_4I32 },
  { module: MODULE, name: "poll_oneoff", type: T_4I32 },
];
const PROC_EXIT = 0, FD_WRITE = 1, POLL_ONEOFF = 2, FIRST = 3;

function command(body: number[], extra: Partial<ModuleSpec> = {}): Uint8Array {
  return assemble({
    types: TYPES,
    imports: IMPORTS,
    funcs: [{ type: T_VOID, body }],
    exports: [{ name: "_start", func: FIRST }],
    memory: { min: 1, export: "memory" },
    ...extra,
  });
}

function subscriptionBytes(timeoutNs: bigint): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 0x1234n, true);
  v.setUint8(8, 0); // clock
  v.setUint32(16, 1, true); // monotonic
  v.setBigUint64(24, timeoutNs, true);
  return b;
}

test("the import object has all 46 functions; the support table lists them", async () => {
  assert.equal(WASI_FUNCTIONS.length, 46);
  assert.equal(new Set(WASI_FUNCTIONS.map((f) => f.name)).size, 46);
  const host = await WasiHost.create(createKernel(), { jspi: false });
  assert.equal(Object.keys(host.imports[MODULE]).length, 46);
  host.process.exit(0);
  const table = supportTable();
  for (const fn of WASI_FUNCTIONS) assert.ok(table.includes(`| \`${fn.name}\` | ${fn.status} |`));
  assert.match(table, /46 functions: \d+ full, \d+ partial, 1 ENOSYS\./);
});

test("exit status: proc_exit value, 0 when _start returns, 134 on a trap", async () => {
  const kernel = createKernel();
  const exit42 = await runWasi(kernel, command([...i32c(42), ...call(PROC_EXIT)]), { jspi: false });
  assert.equal(exit42.exitCode, 42);
  assert.equal(exit42.process.exitCode, 42);
  assert.equal(exit42.error, undefined);
  const big = await runWasi(kernel, command([...i32c(-1), ...call(PROC_EXIT)]), { jspi: false });
  assert.equal(big.exitCode, 0xffffffff, "rval is reported as u32");
  assert.equal((await runWasi(kernel, command([]), { jspi: false })).exitCode, 0);
  const err = collector();
  const trapped = await runWasi(kernel, command([OP.unreachable]), { stderr: err.sink });
  assert.equal(trapped.exitCode, 134);
  assert.ok(trapped.error instanceof WebAssembly.RuntimeError);
  assert.match(err.text(), /^wasm trap: RuntimeError: /);
  await assert.rejects(runWasi(kernel, assemble({ types: TYPES }), {}), TypeError, "no _start");
});

test("a module without memory runs until it needs memory: the import returns EFAULT", async () => {
  const lines: string[] = [];
  const noMemory = assemble({
    types: TYPES,
    imports: IMPORTS,
    funcs: [{
      type: T_VOID,
      body: [...i32c(1), ...i32c(0), ...i32c(1), ...i32c(0), ...call(FD_WRITE), ...call(PROC_EXIT)],
    }],
    exports: [{ name: "_start", func: FIRST }],
  });
  const r = await runWasi(createKernel(), noMemory, { jspi: false, trace: (l) => lines.push(l) });
  assert.equal(r.exitCode, ERRNO.FAULT);
  assert.ok(lines.includes("fd_write(1, 0, 1, 0) = 21 FAULT"), lines.join("\n"));
  assert.ok(lines.includes("proc_exit(21)"));
});

test("memory growth: views are re-derived", async () => {
  const store = (addr: number, value: number) => [...i32c(addr), ...i32c(value), OP.i32Store, 2, 0];
  const body = [
    ...i32c(1),
    0x40,
    0x00, // memory.grow 1
    OP.drop,
    ...store(65536, 0), // iovec.buf
    ...store(65540, 3), // iovec.len
    ...i32c(1),
    ...i32c(65536),
    ...i32c(1),
    ...i32c(65544),
    ...call(FD_WRITE),
    ...call(PROC_EXIT),
  ];
  const out = collector();
  const bytes = command(body, { data: [{ offset: 0, bytes: new TextEncoder().encode("hi\n") }] });
  const r = await runWasi(createKernel(), bytes, { jspi: false, stdout: out.sink });
  assert.equal(r.exitCode, 0);
  assert.equal(out.text(), "hi\n");
});

for (const jspi of [true, false]) {
  test(`a sleep in poll_oneoff blocks for real (jspi: ${jspi})`, { skip: jspi && !hasJspi() }, async () => {
    const body = [
      ...i32c(0),
      ...i32c(64),
      ...i32c(1),
      ...i32c(128),
      ...call(POLL_ONEOFF),
      ...call(PROC_EXIT),
    ];
    const bytes = command(body, { data: [{ offset: 0, bytes: subscriptionBytes(30_000_000n) }] });
    const t0 = performance.now();
    const r = await runWasi(createKernel(), bytes, { jspi });
    const elapsed = performance.now() - t0;
    assert.equal(r.exitCode, 0);
    assert.ok(elapsed >= 29, `slept ${elapsed} ms`);
  });
}

test("jspi: true without JSPI is a TypeError; bad options too", { skip: hasJspi() }, async () => {
  await assert.rejects(WasiHost.create(createKernel(), { jspi: true }), TypeError);
});

test("bad options are TypeErrors", async () => {
  await assert.rejects(WasiHost.create(createKernel(), { jspi: "yes" as unknown as boolean }), TypeError);
  await assert.rejects(WasiHost.create(createKernel(), { preopens: ["/missing"] }));
  await assert.rejects(WasiHost.create(createKernel(), { sockets: [{} as never] }), TypeError);
});

test("reactor: _initialize runs once, exports are called (through JSPI when on), proc_exit ends it", async () => {
  const bytes = assemble({
    types: TYPES,
    imports: IMPORTS,
    funcs: [
      { type: T_VOID, body: [...i32c(40), OP.globalSet, 0] }, // _initialize
      { type: T_I32_I32, body: [OP.globalGet, 0, OP.localGet, 0, OP.i32Add] }, // add(x) = g + x
      { type: T_I32, body: [OP.localGet, 0, ...call(PROC_EXIT)] }, // quit(code)
    ],
    globals: [{ type: I32, mutable: true, init: 0 }],
    exports: [{ name: "_initialize", func: FIRST }, { name: "add", func: FIRST + 1 }, {
      name: "quit",
      func: FIRST + 2,
    }],
    memory: { min: 1, export: "memory" },
  });
  for (const jspi of hasJspi() ? [true, false] : [false]) {
    const reactor = await instantiateWasi(createKernel(), bytes, { jspi });
    assert.equal(await reactor.call("add", 2), 42);
    assert.equal(await reactor.invoke("add", 5), 45);
    await assert.rejects(reactor.call("quit", 3), (e: unknown) => e instanceof WasiExit && e.code === 3);
    assert.equal(reactor.exitCode, 3);
    assert.equal(reactor.process.exitCode, 3);
    assert.throws(() => reactor.alloc("x"), TypeError, "no malloc export");
  }
});
