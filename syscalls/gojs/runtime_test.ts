import assert from "node:assert/strict";
import { test } from "node:test";
import { collector, createKernel, sinkStream } from "../../mod.ts";
import { fakeOldGo, fakeTinyGo, fakeTrappingGo, fakeWasi } from "./_testing.ts";
import { compileGo, detectGoAbi, runGo, startGo } from "./mod.ts";

test("runtime: a Go <= 1.20 module (import module 'go', with debug) is recognised and runs", async () => {
  const module = await WebAssembly.compile(fakeOldGo());
  const info = detectGoAbi(module);
  assert.equal(info.abi, "go");
  assert.deepEqual(info.wasmExports, []);
  const kernel = createKernel();
  const out = collector();
  const trace: string[] = [];
  const { exitCode } = await runGo(kernel, module, {
    args: ["prog", "x"],
    stdout: sinkStream(out.sink),
    trace: (line) => trace.push(line),
  });
  // The fake writes "hi\n" through runtime.wasmWrite to fd 1, then exits with argc + 40.
  assert.equal(out.text(), "hi\n");
  assert.equal(exitCode, 42);
  assert.ok(trace.some((l) => l.includes("(go)")));
  assert.ok(trace.some((l) => l.endsWith("exit 42")));
  assert.equal(kernel.processes.size, 0);
});

test("runtime: TinyGo's js flavour is refused with a clear TypeError", async () => {
  const module = await WebAssembly.compile(fakeTinyGo());
  assert.throws(() => detectGoAbi(module), (e: Error) => e instanceof TypeError && /TinyGo/.test(e.message));
  const kernel = createKernel();
  await assert.rejects(runGo(kernel, fakeTinyGo()), /TinyGo/);
  assert.equal(kernel.processes.size, 0);
});

test("runtime: WASI and other modules are refused", async () => {
  await assert.rejects(compileGo(fakeWasi()), (e: Error) => e instanceof TypeError && /WASI/.test(e.message));
  await assert.rejects(
    compileGo(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])),
    /not a Go js\/wasm module/,
  );
  await assert.rejects(compileGo("nope" as unknown as Uint8Array), TypeError);
});

test("runtime: bad options are TypeErrors before anything runs", async () => {
  const kernel = createKernel();
  const bytes = fakeOldGo();
  await assert.rejects(runGo(kernel, bytes, { args: "prog" as unknown as string[] }), TypeError);
  await assert.rejects(runGo(kernel, bytes, { env: { A: 1 as unknown as string } }), TypeError);
  await assert.rejects(runGo(kernel, bytes, { stdout: ((b: Uint8Array) => b) as never }), TypeError);
  await assert.rejects(runGo(kernel, bytes, { env: { X: "y".repeat(9000) } }), RangeError);
  assert.equal(kernel.processes.size, 0);
});

test("runtime: a program that exits during run() comes back exited; kill afterwards is a no-op", async () => {
  const kernel = createKernel();
  const program = await startGo(kernel, fakeOldGo(), { args: ["p"] });
  assert.equal(await program.exited, 41);
  program.kill(9);
  assert.equal(program.exitCode, 41);
});

test("runtime: a trap in the guest rejects the run (a host-level failure) and ends the process", async () => {
  const kernel = createKernel();
  const trace: string[] = [];
  await assert.rejects(
    runGo(kernel, fakeTrappingGo(), { trace: (l) => trace.push(l) }),
    WebAssembly.RuntimeError,
  );
  assert.equal(kernel.processes.size, 0);
  assert.ok(trace.some((l) => l.includes("crashed")));
});
