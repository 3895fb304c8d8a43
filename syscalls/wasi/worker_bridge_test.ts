/**
 * The worker bridge (`worker_bridge.ts`): WASI programs in a worker whose
 * imports block on a SharedArrayBuffer while this thread's kernel stays
 * asynchronous. Small hand-assembled guests (no toolchain) cover the protocol;
 * real C and Go fixtures (skipped without a toolchain) cover pipes, late
 * stdin, sleeps and asynchronous drivers.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import { describe, test } from "node:test";
import { collector } from "../../drivers/stdio.ts";
import { MemoryFileSystem } from "../../fs/memory/mod.ts";
import { AsyncFileSystem } from "../../fs/overlay/_testing.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { createPipe } from "../../kernel/pipe.ts";
import { createKernel } from "../../mod.ts";
import { checkCase, fixtureCases, runVkernel } from "../../tests/conformance/wasi_support.ts";
import { buildFixture, type FixtureKind } from "../../tests/fixtures/build.ts";
import { assemble, call, I32, i32c, type ModuleSpec, OP } from "./_test_wasm.ts";
import { MODULE } from "./abi.ts";
import { hasJspi, runWasi } from "./wasi.ts";
import { hasWorkerBridge, runWasiInWorker, wasiRunMode } from "./worker_bridge.ts";

const T_VOID = 0, T_I32 = 1, T_4I32 = 2, T_2I32 = 3, T_RET = 4;
const TYPES: ModuleSpec["types"] = [
  [[], []],
  [[I32], []],
  [[I32, I32, I32, I32], [I32]],
  [[I32, I32], [I32]],
  [[], [I32]],
];
const IMPORTS: ModuleSpec["imports"] = [
  { module: MODULE, name: "proc_exit", type: T_I32 },
  { module: MODULE, name: "fd_write", type: T_4I32 },
  { module: MODULE, name: "fd_read", type: T_4I32 },
  { module: MODULE, name: "fd_filestat_get", type: T_2I32 },
];
const PROC_EXIT = 0, FD_WRITE = 1, FD_READ = 2, FD_FILESTAT_GET = 3, FIRST = 4;
const I32_LOAD = [0x28, 0x02, 0x00], I32_STORE = [0x36, 0x02, 0x00];
const MEMORY_GROW = [0x40, 0x00];

const u32s = (...values: number[]) => new Uint8Array(new Uint32Array(values).buffer);

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

/** fd_write(1, iovec at 0 = [64, len]) of `text` placed at 64. */
function writer(text: string, extra: Partial<ModuleSpec> = {}): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  return command(
    [...i32c(1), ...i32c(0), ...i32c(1), ...i32c(16), ...call(FD_WRITE), OP.drop],
    { data: [{ offset: 0, bytes: u32s(64, bytes.length) }, { offset: 64, bytes }], ...extra },
  );
}

/** Reads up to 32 bytes of stdin (blocking), writes them back, exits with fd_read's errno. */
const ECHO = command(
  [
    ...[...i32c(0), ...i32c(0), ...i32c(1), ...i32c(16), ...call(FD_READ)],
    ...[...i32c(36), ...i32c(16), ...I32_LOAD, ...I32_STORE], // out iovec len = nread
    ...[...i32c(1), ...i32c(32), ...i32c(1), ...i32c(20), ...call(FD_WRITE), OP.drop],
    ...call(PROC_EXIT),
  ],
  { data: [{ offset: 0, bytes: u32s(64, 32) }, { offset: 32, bytes: u32s(64, 0) }] },
);

/** Input that arrives after `delayMs`, then EOF. */
function late(delayMs: number, text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      await new Promise((r) => setTimeout(r, delayMs));
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

async function fixture(kind: FixtureKind, name: string): Promise<Uint8Array | null> {
  try {
    return readFileSync(await buildFixture(kind, name));
  } catch (error) {
    if (error instanceof Error && error.name === "ToolchainMissingError") return null;
    throw error;
  }
}

const skip = hasWorkerBridge() ? false : "no Workers / SharedArrayBuffer here";

describe("worker bridge", { skip }, () => {
  test("which mode runWasi picks", async () => {
    const bytes = writer("x");
    assert.equal(wasiRunMode(bytes), hasJspi() ? "jspi" : "worker");
    assert.equal(wasiRunMode(bytes, { worker: true }), "worker");
    assert.equal(wasiRunMode(bytes, { jspi: false, worker: true }), "worker");
    assert.equal(wasiRunMode(bytes, { worker: { maxMemoryBytes: 1 << 20 } }), "worker");
    assert.equal(wasiRunMode(bytes, { jspi: false }), "sync");
    assert.equal(wasiRunMode(bytes, { jspi: "auto", worker: false }), hasJspi() ? "jspi" : "sync");
    assert.throws(() => wasiRunMode(bytes, { jspi: true, worker: true }), TypeError);
    const bare = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    await assert.rejects(runWasi(createKernel(), bare, { worker: true }), /needs the module's bytes/);
  });

  test("output, exit status: proc_exit value (as u32), 0 when _start returns", async () => {
    const kernel = createKernel();
    const out = collector();
    const r = await runWasi(kernel, writer("hello from the worker\n"), { worker: true, stdout: out.sink });
    assert.equal(r.exitCode, 0);
    assert.equal(r.error, undefined);
    assert.equal(out.text(), "hello from the worker\n");
    assert.equal(r.process.exitCode, 0);
    const exit42 = await runWasi(kernel, command([...i32c(42), ...call(PROC_EXIT), OP.unreachable]), {
      worker: true,
    });
    assert.equal(exit42.exitCode, 42, "proc_exit unwinds: the unreachable after it never runs");
    assert.equal(exit42.process.exitCode, 42);
    const big = await runWasi(kernel, command([...i32c(-1), ...call(PROC_EXIT)]), { worker: true });
    assert.equal(big.exitCode, 0xffffffff);
  });

  test("a trap: exit 134, the error rebuilt, reported on stderr", async () => {
    const err = collector();
    const lines: string[] = [];
    const r = await runWasi(createKernel(), command([OP.unreachable]), {
      worker: true,
      stderr: err.sink,
      trace: (l) => lines.push(l),
    });
    assert.equal(r.exitCode, 134);
    assert.ok(r.error instanceof WebAssembly.RuntimeError, String(r.error));
    assert.match(err.text(), /^wasm trap: RuntimeError: (unreachable|Unreachable)/);
    assert.ok(lines.some((l) => l.startsWith("trap: RuntimeError")), lines.join("\n"));
  });

  test("instantiation failures reject; a module without _start is refused", async () => {
    const kernel = createKernel();
    const missing = assemble({
      types: TYPES,
      imports: [{ module: "env", name: "nothere", type: T_VOID }],
      funcs: [{ type: T_VOID, body: [] }],
      exports: [{ name: "_start", func: 1 }],
    });
    // As without the bridge: a missing import module is a TypeError, a missing field a LinkError.
    await assert.rejects(runWasi(kernel, missing, { worker: true }), /nothere|Import #0/);
    const plain = await runWasi(kernel, missing, { jspi: false }).catch((e) => e);
    const bridged = await runWasi(kernel, missing, { worker: true }).catch((e) => e);
    assert.equal(bridged.constructor, plain.constructor);
    const reactor = assemble({ types: TYPES, funcs: [{ type: T_VOID, body: [] }] });
    await assert.rejects(runWasi(kernel, reactor, { worker: true }), /no _start/);
  });

  test("stdin arriving late: the guest blocks, this thread keeps running, nobody spins", async () => {
    const out = collector();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    try {
      const r = await runWasi(createKernel(), ECHO, {
        worker: true,
        stdin: late(400, "late line\n"),
        stdout: out.sink,
      });
      assert.equal(r.exitCode, 0);
    } finally {
      clearInterval(timer);
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    assert.equal(out.text(), "late line\n");
    assert.ok(wall >= 390);
    assert.ok(ticks >= 10, `the kernel's thread ran timers while the guest waited (${ticks} ticks)`);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    assert.ok(cpuMs < wall / 2, `CPU ${cpuMs.toFixed(0)} ms over ${wall.toFixed(0)} ms: no busy-waiting`);
  });

  test("waking this thread by message (where Atomics.waitAsync is missing) works the same", async () => {
    const out = collector();
    const r = await runWasi(createKernel(), ECHO, {
      worker: { wake: "message" },
      stdin: late(30, "by message\n"),
      stdout: out.sink,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(out.text(), "by message\n");
    const exit7 = await runWasiInWorker(createKernel(), command([...i32c(7), ...call(PROC_EXIT)]), {
      wake: "message",
    });
    assert.equal(exit7.exitCode, 7);
  });

  test("an asynchronous driver: the bridge waits for it; sync mode gets NOTSUP", async () => {
    const kernel = new Kernel({ root: new AsyncFileSystem(new MemoryFileSystem()) });
    // fd_filestat_get on the preopened root (fd 3), exit with its errno.
    const stat = command([...i32c(3), ...i32c(128), ...call(FD_FILESTAT_GET), ...call(PROC_EXIT)]);
    assert.equal((await runWasi(kernel, stat, { worker: true })).exitCode, 0);
    assert.equal((await runWasi(kernel, stat, { jspi: false })).exitCode, 58);
  });

  test("memory: growth in the worker is seen here; an imported memory is created shared", async () => {
    const grow = command([
      ...i32c(1),
      ...MEMORY_GROW,
      OP.drop,
      ...[...i32c(65536), ...i32c(0x776f7267), ...I32_STORE], // "grow"
      ...[...i32c(65540), ...i32c(0x000a216e), ...I32_STORE], // "n!\n"
      ...[...i32c(1), ...i32c(0), ...i32c(1), ...i32c(16), ...call(FD_WRITE), ...call(PROC_EXIT)],
    ], { data: [{ offset: 0, bytes: u32s(65536, 7) }] });
    const out = collector();
    const r = await runWasi(createKernel(), grow, { worker: true, stdout: out.sink });
    assert.equal(r.exitCode, 0);
    assert.equal(out.text(), "grown!\n");

    const imported = writer("imported memory\n", { memory: { min: 1, import: ["env", "memory"] } });
    const out2 = collector();
    const r2 = await runWasi(createKernel(), imported, { worker: true, stdout: out2.sink });
    assert.equal(r2.exitCode, 0);
    assert.equal(out2.text(), "imported memory\n");
  });

  test("maxMemoryBytes caps the shared memory", async () => {
    // memory.grow(100) with a 4-page cap fails (-1): exit with the result + 1 = 0.
    const grow = command([...i32c(100), ...MEMORY_GROW, ...i32c(1), OP.i32Add, ...call(PROC_EXIT)]);
    const capped = await runWasiInWorker(createKernel(), grow, { maxMemoryBytes: 4 * 65536 });
    assert.equal(capped.exitCode, 0);
    const free = await runWasiInWorker(createKernel(), grow, {});
    assert.equal(free.exitCode, 2, "grew from 1 page: memory.grow returned 1");
  });

  test("other imports are forwarded too, and may return Promises", async () => {
    const bytes = assemble({
      types: TYPES,
      imports: [...IMPORTS!, { module: "env", name: "answer", type: T_RET }],
      funcs: [{ type: T_VOID, body: [...call(FIRST), ...call(PROC_EXIT)] }],
      exports: [{ name: "_start", func: FIRST + 1 }],
      memory: { min: 1, export: "memory" },
    });
    const answer = () => new Promise<number>((r) => setTimeout(() => r(42), 20));
    const r = await runWasi(createKernel(), bytes, { worker: true, imports: { env: { answer } } });
    assert.equal(r.exitCode, 42);
    const throwing = () => {
      throw new Error("no answer");
    };
    const err = collector();
    const t = await runWasi(createKernel(), bytes, {
      worker: true,
      imports: { env: { answer: throwing } },
      stderr: err.sink,
    });
    assert.equal(t.exitCode, 134);
    assert.match(err.text(), /wasm trap: Error: Error: no answer/);
  });

  test("trace lines come from this thread's WasiHost", async () => {
    const lines: string[] = [];
    await runWasi(createKernel(), writer("x"), { worker: true, trace: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /^fd_write\(1, 0, 1, 16\) = 0$/.test(l)), lines.join("\n"));
  });

  test("a pipe between two bridged programs", async (t) => {
    const reader = await fixture("go-wasip1", "stdin_echo");
    const hello = await fixture("c", "hello");
    if (!reader || !hello) return t.skip("no Go or C toolchain");
    const kernel = createKernel();
    const [readEnd, writeEnd] = createPipe();
    const out = collector();
    const reading = runWasi(kernel, reader, {
      worker: true,
      args: ["stdin_echo", "lines"],
      env: { PWD: "/" },
      stdin: readEnd,
      stdout: out.sink,
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.text(), "", "the reader waits for the writer");
    const writing = runWasi(kernel, hello, { worker: true, args: ["hello"], stdout: writeEnd });
    const [w, r] = await Promise.all([writing, reading]);
    assert.deepEqual([w.exitCode, r.exitCode], [0, 0]);
    assert.match(out.text(), /line 1: hello from C/);
    assert.match(out.text(), /eof after \d+ lines/);
  });

  test("a C program's files on an asynchronous mount", async (t) => {
    const files = await fixture("c", "files");
    if (!files) return t.skip("no C toolchain");
    const kernel = createKernel();
    const init = kernel.createProcess();
    init.exit(0);
    await kernel.mount("/tmp", new AsyncFileSystem(new MemoryFileSystem()));
    const out = collector(), err = collector();
    const r = await runWasi(kernel, files, {
      worker: true,
      args: ["files"],
      env: { FIXTURE_DIR: "/tmp" },
      stdout: out.sink,
      stderr: err.sink,
    });
    assert.equal(r.exitCode, 0, err.text());
    assert.equal(
      out.text(),
      readFileSync(new URL("../../tests/fixtures/c/files.expected", import.meta.url), "utf8"),
    );
  });
});

// Real programs that block (late stdin, sleeps, poll timeouts), exit, panic or grow memory, from
// tests/fixtures/cases.json, through the bridge.
const BRIDGED_CASES = new Set([
  "c/poll_stdin/timeout",
  "c/args_env_exit/exit7",
  "go/stdin_echo/slow",
  "go/time_goroutines",
  "go/time_goroutines/deadlock",
  "go/large_file/small",
  "go/panic_paths/panic",
]);
describe("fixtures through the worker bridge", { skip }, () => {
  for (const kind of ["c", "go-wasip1"] as const) {
    for (const c of fixtureCases(kind)) {
      if (!BRIDGED_CASES.has(c.id)) continue;
      test(c.id, async (t) => {
        let wasm: string;
        try {
          wasm = await buildFixture(kind, c.name);
        } catch (error) {
          if (error instanceof Error && error.name === "ToolchainMissingError") return t.skip("no toolchain");
          throw error;
        }
        assert.deepEqual(checkCase(kind, c, await runVkernel(kind, wasm, c, [], { worker: true })), []);
      });
    }
  }
});
