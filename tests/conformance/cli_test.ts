/**
 * The command line as a user meets it: Go js, Go wasip1 and C programs with
 * --dir, --env and exit codes; usage errors; `go test` through the shims.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { EXIT, main } from "../../cli.ts";
import { buildFixture, repoRoot } from "../fixtures/build.ts";

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const status = await main(argv, {
    stdout: (b) => void out.push(b.slice()),
    stderr: (b) => void err.push(b.slice()),
    env: () => env,
  });
  const text = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));
  return { status, stdout: text(out), stderr: text(err) };
}

describe("vkernel run", () => {
  test("a Go js program, a Go wasip1 program and a C program", async () => {
    for (const kind of ["go-js", "go-wasip1"] as const) {
      const r = await run(["run", await buildFixture(kind, "hello")]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^hello from Go\n/);
      assert.match(r.stdout, new RegExp(`GOOS=${kind === "go-js" ? "js" : "wasip1"}`));
    }
    const c = await run(["run", await buildFixture("c", "hello")]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /hello from C/);
  });

  test("--dir, --env and the guest's exit status", async () => {
    const host = mkdtempSync(join(tmpdir(), "vkernel-cli-"));
    try {
      writeFileSync(join(host, "note.txt"), "from the host\n");
      for (const kind of ["go-js", "go-wasip1"] as const) {
        const wasm = await buildFixture(kind, "argsenv_exit");
        const r = await run(["run", "--dir", `${host}::/work`, "--env", "FX_EMPTY_SET=", wasm, "exit7"]);
        assert.equal(r.status, 7, `${kind}: ${r.stderr}`);
        assert.match(r.stdout, /arg\[1\] "exit7"/);
      }
      const c = await run([
        "run",
        "--dir",
        `${host}::/work`,
        "--env",
        "GREETING=hi",
        await buildFixture("c", "args_env_exit"),
        "exit",
        "3",
      ]);
      assert.ok(c.status !== 0 || c.stdout.length > 0, c.stderr);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  test("a Go program writes through --dir into the host directory, and not outside it", async () => {
    const host = mkdtempSync(join(tmpdir(), "vkernel-cli-"));
    try {
      const r = await run([
        "run",
        "--dir",
        `${host}::/work`,
        "--cwd",
        "/work",
        await buildFixture("go-wasip1", "demo"),
      ]);
      assert.equal(r.status, 0, r.stderr);
      const listed = spawnSync("ls", ["-R", host], { encoding: "utf8" }).stdout;
      assert.ok(listed.length > 0);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  test("usage errors, unreadable files and non-programs have distinct statuses", async () => {
    assert.equal((await run(["run", "--bogus", "x.wasm"])).status, EXIT.USAGE);
    assert.equal((await run(["run"])).status, EXIT.USAGE);
    const missing = await run(["run", "/nonexistent/x.wasm"]);
    assert.equal(missing.status, EXIT.NOT_FOUND);
    assert.equal(missing.stderr.trim().split("\n").length, 1);
    const notWasm = await run(["run", join(repoRoot, "cli.ts")]);
    assert.equal(notWasm.status, EXIT.CANNOT_EXECUTE);
    assert.match(notWasm.stderr, /not a WebAssembly module/);
    const help = await run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--dir HOST\[::GUEST\]/);
  });

  test("--max-memory refuses a module that needs more at start", async () => {
    const r = await run(["run", "--max-memory", "1000000", await buildFixture("go-js", "hello")]);
    assert.equal(r.status, EXIT.USAGE);
    assert.match(r.stderr, /more than the limit/);
  });

  test("--deterministic runs are reproducible", async () => {
    const wasm = await buildFixture("go-wasip1", "rand_crypto");
    const a = await run(["run", "--deterministic", "--seed", "3", wasm]);
    const b = await run(["run", "--deterministic", "--seed", "3", wasm]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
  });
});

describe("go test through the shims", () => {
  const go = ["/usr/local/go/bin/go", "go"].find((g) => spawnSync(g, ["version"]).status === 0);
  for (const goos of ["wasip1", "js"]) {
    test(`GOOS=${goos} go test of tests/fixtures/gopkg`, { skip: go ? false : "no Go toolchain" }, () => {
      const pkg = join(repoRoot, "tests/fixtures/gopkg");
      const env = {
        ...process.env,
        GOOS: goos,
        GOARCH: "wasm",
        PATH: `${join(repoRoot, "bin")}:/usr/local/go/bin:${process.env.PATH}`,
        GOFLAGS: "-count=1",
      };
      const r = spawnSync(go!, ["test", "-v", "./..."], {
        cwd: pkg,
        env,
        encoding: "utf8",
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /--- PASS: TestFiles/);
      assert.match(r.stdout, /^ok\s/m);
    });
  }

  test("the shims are executable and documented", () => {
    for (const shim of ["go_js_wasm_exec", "go_wasip1_wasm_exec", "vkernel"]) {
      const text = readFileSync(join(repoRoot, "bin", shim), "utf8");
      assert.ok(text.startsWith("#!/usr/bin/env bash"), shim);
    }
  });
});
