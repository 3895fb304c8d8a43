// vkernel on Node 20 (no JSPI, no TypeScript), through the bundle tests/node20/build.ts makes
// (build/node20/vkernel.mjs + bridge_worker.mjs). Run: node --test tests/node20/node20_test.mjs
//
// - A C program that never blocks runs in the synchronous mode (jspi: false).
// - Go wasip1 programs that sleep and read stdin arriving late run through the worker bridge
//   (the default "auto" where JSPI is missing), and so does one whose files live on an
//   asynchronous driver; two bridged programs connected by a pipe; exit codes and traps.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildFixture, fixturesDir } from "../fixtures/build.mjs";

// Deno and Bun would pick this file up as a test too: there node20_test.ts runs it under Node.
const onNode = typeof globalThis.Deno === "undefined" && !process.versions.bun;
const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const vk = onNode ? await import(join(repoRoot, "build", "node20", "vkernel.mjs")) : {};
const { collector, createKernel, createPipe, MemoryFileSystem, runWasi, sys, wasiRunMode } = vk;

/** @param {"c" | "go-wasip1"} kind @param {string} name */
async function fixture(kind, name) {
  return readFileSync(await buildFixture(kind, name));
}

/** @param {string} rel */
const expected = (rel) => readFileSync(join(fixturesDir, rel), "utf8");

/** Every method of a synchronous driver answered with a Promise on a later microtask. */
function asyncDriver(inner) {
  return new Proxy(inner, {
    get(target, key) {
      if (key === "synchronous") return false;
      if (key === "name") return `async:${target.name}`;
      const value = target[key];
      if (typeof value !== "function") return value;
      if (key === "root" || key === "attach") return value.bind(target);
      return (...args) => Promise.resolve().then(() => value.apply(target, args));
    },
  });
}

/** Chunks written after delays, then EOF. */
function lateInput(chunks) {
  return new ReadableStream({
    async start(controller) {
      for (const [delayMs, data] of chunks) {
        await new Promise((r) => setTimeout(r, delayMs));
        controller.enqueue(new TextEncoder().encode(data));
      }
      controller.close();
    },
  });
}

const ENV = { HOME: "/home/user", TMPDIR: "/tmp" };

describe("vkernel on Node 20", { skip: onNode ? false : "Node only (node20_test.ts runs it there)" }, () => {
  test("no JSPI here; the worker bridge is available and chosen by default", async () => {
    assert.equal(vk.hasWorkerBridge(), true);
    assert.equal(typeof WebAssembly.Suspending, "undefined");
    const bytes = await fixture("c", "hello");
    assert.equal(wasiRunMode(bytes), "worker");
    assert.equal(wasiRunMode(bytes, { jspi: false }), "sync");
    assert.equal(wasiRunMode(bytes, { worker: false }), "sync");
    assert.equal(
      wasiRunMode(await WebAssembly.compile(bytes)),
      "sync",
      "a bare module has no bytes to rewrite",
    );
  });

  test("a C program that never blocks runs in sync mode", async () => {
    const out = collector(), err = collector();
    const r = await runWasi(createKernel(), await fixture("c", "hello"), {
      args: ["hello"],
      stdout: out.sink,
      stderr: err.sink,
      jspi: false,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(out.text(), expected("c/hello.expected"));
    assert.match(err.text(), /hello on stderr/);
  });

  test("Go: stdin arriving late, read through the worker bridge", async () => {
    const out = collector(), err = collector();
    const r = await runWasi(createKernel(), await fixture("go-wasip1", "stdin_echo"), {
      args: ["stdin_echo"],
      env: { ...ENV, PWD: "/" },
      stdin: lateInput([[350, "hi\n"], [300, "there\n"]]),
      stdout: out.sink,
      stderr: err.sink,
    });
    assert.equal(r.exitCode, 0, err.text());
    assert.equal(out.text(), expected("go/stdin_echo/expected_wasip1_slow.txt"));
    assert.match(err.text(), /heartbeat 1\n/, "the program kept running while stdin was empty");
  });

  test("Go: sleeps, timers and goroutines, through the worker bridge", async () => {
    const out = collector(), err = collector();
    const r = await runWasi(createKernel(), await fixture("go-wasip1", "time_goroutines"), {
      args: ["time_goroutines"],
      env: { ...ENV, PWD: "/" },
      stdout: out.sink,
      stderr: err.sink,
    });
    assert.equal(r.exitCode, 0, err.text());
    assert.equal(out.text(), expected("go/time_goroutines/expected_wasip1.txt"));
  });

  test("files on an asynchronous driver: the bridge works, sync mode gets NOTSUP", async () => {
    const kernel = createKernel();
    const init = kernel.createProcess();
    sys.mkdirat(init, -100, "/work", 0o755);
    sys.mkdirat(init, -100, "/home", 0o755);
    sys.mkdirat(init, -100, "/home/user", 0o755);
    init.exit(0);
    await kernel.mount("/work", asyncDriver(new MemoryFileSystem()));
    const wasm = await fixture("c", "files");
    const run = (extra) => {
      const out = collector(), err = collector();
      return runWasi(kernel, wasm, {
        args: ["files"],
        env: { ...ENV, FIXTURE_DIR: "/work" },
        stdout: out.sink,
        stderr: err.sink,
        ...extra,
      }).then((r) => ({ ...r, out: out.text(), err: err.text() }));
    };
    const bridged = await run({});
    assert.equal(bridged.exitCode, 0, bridged.err);
    assert.equal(bridged.out, expected("c/files.expected"));
    const sync = await run({ jspi: false });
    assert.notEqual(
      sync.out,
      expected("c/files.expected"),
      "without the bridge an async driver cannot be waited for",
    );
  });

  test("a pipe between two bridged programs started with spawn", async () => {
    const kernel = createKernel();
    const [readEnd, writeEnd] = createPipe();
    const out = collector();
    // spawn compiles the bytes (loadProgram remembers them, so the bridge can rewrite them).
    const reader = await vk.spawn(kernel, await fixture("go-wasip1", "stdin_echo"), {
      args: ["stdin_echo", "lines"],
      stdin: readEnd,
      stdout: out.sink,
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.text(), "", "the reader waits for the writer");
    const writer = await vk.spawn(kernel, await fixture("go-wasip1", "hello"), {
      args: ["hello"],
      stdout: writeEnd,
    });
    assert.deepEqual(await Promise.all([writer.exited, reader.exited]), [0, 0]);
    assert.match(out.text(), /line 3: ok hello/);
  });

  test("exit codes and traps through the bridge", async () => {
    const kernel = createKernel();
    const exit7 = await runWasi(kernel, await fixture("c", "args_env_exit"), {
      args: ["args_env_exit", "exit7"],
      env: { FX_A: "alpha" },
    });
    assert.equal(exit7.exitCode, 7);
    const err = collector();
    const panicked = await runWasi(kernel, await fixture("go-wasip1", "panic_paths"), {
      args: ["panic_paths", "panic"],
      env: { PWD: "/" },
      stderr: err.sink,
    });
    assert.equal(panicked.exitCode, 2);
    assert.match(err.text(), /panic: /);
    // (module (memory (export "memory") 1) (func (export "_start") unreachable))
    const trap = new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      3,
      2,
      1,
      0,
      5,
      3,
      1,
      0,
      1,
      7,
      19,
      2,
      6,
      109,
      101,
      109,
      111,
      114,
      121,
      2,
      0,
      6,
      95,
      115,
      116,
      97,
      114,
      116,
      0,
      0,
      10,
      5,
      1,
      3,
      0,
      0,
      11,
    ]);
    const trapErr = collector();
    const trapped = await runWasi(kernel, trap, { stderr: trapErr.sink });
    assert.equal(trapped.exitCode, 134);
    assert.ok(trapped.error instanceof WebAssembly.RuntimeError, String(trapped.error));
    assert.match(trapErr.text(), /^wasm trap: RuntimeError: unreachable/i);
  });
});
