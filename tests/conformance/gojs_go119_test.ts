/**
 * A program built by Go 1.19 (Debian's golang-1.19-go), whose import module
 * is "go" with the `debug` import, runs to its expected output.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { collector, createKernel, detectProgram, spawn } from "../../mod.ts";
import { fixturesDir } from "../fixtures/build.ts";

const GO119 = "/usr/lib/go-1.19/bin/go";

test('a Go 1.19 program (import module "go") runs on the kernel', {
  skip: existsSync(GO119) ? false : "Debian's golang-1.19-go is not installed (.ci/run installs it)",
}, async () => {
  const out = mkdtempSync(join(tmpdir(), "vkernel-go119-"));
  try {
    const wasm = join(out, "hello.wasm");
    const build = spawnSync(GO119, ["build", "-o", wasm, "./hello"], {
      cwd: join(fixturesDir, "go"),
      env: {
        ...process.env,
        GOOS: "js",
        GOARCH: "wasm",
        GOTOOLCHAIN: "local",
        GOFLAGS: "-mod=mod",
        GOCACHE: join(out, "cache"),
      },
      encoding: "utf8",
    });
    assert.equal(build.status, 0, build.stderr);
    const bytes = readFileSync(wasm);
    const module = await WebAssembly.compile(bytes);
    assert.ok(WebAssembly.Module.imports(module).some((i) => i.module === "go" && i.name === "debug"));
    assert.equal(detectProgram(module).kind, "gojs");
    const stdout = collector();
    const child = await spawn(createKernel(), bytes, { args: ["hello"], stdout: stdout.sink });
    assert.equal(await child.exited, 0);
    assert.equal(stdout.text(), readFileSync(join(fixturesDir, "go/hello/expected_js.txt"), "utf8"));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
