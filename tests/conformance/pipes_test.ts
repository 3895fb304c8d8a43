/**
 * Processes that wait on each other through kernel pipes, in one thread:
 * a WASI reader blocks (under JSPI) until a WASI writer writes, and a Go js
 * reader takes what a WASI program writes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { collector, createKernel, createPipe, spawn } from "../../mod.ts";
import { hasJspi } from "../../syscalls/wasi/mod.ts";
import { buildFixture } from "../fixtures/build.ts";

const lines = (text: string) => text.split("\n").filter((l) => l.startsWith("line "));

describe("pipes between programs", () => {
  test("WASI | WASI: the reader blocks until the writer writes; both finish", {
    skip: hasJspi() ? false : "needs JSPI (Deno, Bun)",
  }, async () => {
    const kernel = createKernel();
    const [readEnd, writeEnd] = createPipe();
    const out = collector();
    // Start the reader first: it must block in fd_read/poll_oneoff, not fail with EOF or EAGAIN.
    const reader = await spawn(kernel, readFileSync(await buildFixture("go-wasip1", "stdin_echo")), {
      args: ["stdin_echo", "lines"],
      stdin: readEnd,
      stdout: out.sink,
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lines(out.text()).length, 0, "nothing read before the writer starts");
    const writer = await spawn(kernel, readFileSync(await buildFixture("c", "hello")), {
      args: ["hello"],
      stdout: writeEnd,
    });
    assert.deepEqual(await Promise.all([writer.exited, reader.exited]), [0, 0]);
    const got = lines(out.text());
    assert.ok(got.some((l) => l.includes("hello from C")), out.text());
    assert.match(out.text(), /eof after \d+ lines/);
  });

  test("WASI | Go js: a Go js program reads what a WASI program writes", async () => {
    const kernel = createKernel();
    const [readEnd, writeEnd] = createPipe();
    const out = collector();
    const reader = await spawn(kernel, await buildFixture("go-js", "stdin_echo"), {
      args: ["stdin_echo", "lines"],
      stdin: readEnd,
      stdout: out.sink,
    });
    const writer = await spawn(kernel, await buildFixture("go-wasip1", "hello"), {
      args: ["hello"],
      stdout: writeEnd,
    });
    assert.deepEqual(await Promise.all([writer.exited, reader.exited]), [0, 0]);
    assert.deepEqual(lines(out.text()), [
      "line 1: hello from Go",
      "line 2: GOOS=wasip1 GOARCH=wasm",
      "line 3: ok hello",
    ]);
  });

  test("a Go js program and a WASI program see each other's files", async () => {
    const kernel = createKernel();
    await kernel.files.mkdir("/shared", { recursive: true });
    const jsOut = collector();
    const js = await spawn(kernel, await buildFixture("go-js", "demo"), {
      args: ["demo", "--keep"],
      env: { FIXTURE_DIR: "/shared/js" },
      stdout: jsOut.sink,
    });
    assert.equal(await js.exited, 0, jsOut.text());
    // A C WASI program reads the file the Go js program wrote (57 bytes of garden/README.md).
    const wasiOut = collector();
    const wasi = await spawn(kernel, readFileSync(await buildFixture("c", "bench_io")), {
      args: ["bench_io", "seqread", "/shared/js/garden/README.md"],
      stdout: wasiOut.sink,
    });
    assert.equal(await wasi.exited, 0, wasiOut.text());
    assert.match(wasiOut.text(), /bytes=57\b/);
    assert.deepEqual((await kernel.files.readdir("/shared/js/garden")).sort(), [
      "README.md",
      "log",
      "plants",
    ]);
    await kernel.files.writeFile("/shared/from-host.txt", "x");
    assert.ok((await kernel.files.readdir("/shared")).includes("from-host.txt"));
  });
});
