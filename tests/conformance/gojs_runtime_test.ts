/**
 * The gojs host with small Go programs built for GOOS=js from `gojs_testdata/`:
 * embedder globals, wasmexport functions, two programs sharing one kernel,
 * deterministic timers, the process environment, network access policy.
 * Skipped when there is no Go toolchain.
 */

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createKernel, sys } from "../../mod.ts";
import { buildGoProgram, goBinary, loadModule, runCollect, startCollect } from "./gojs_support.ts";

const skip = goBinary() === null ? "no Go toolchain" : false;

test("gojs: embedder globals are reachable from Go through js.Global()", { skip }, async () => {
  const wasm = buildGoProgram("globals");
  const kernel = createKernel();
  const r = await runCollect(kernel, wasm, {
    args: ["globals"],
    globals: {
      hostAdd: (a: number, b: number) => a + b,
      host: { greet: (name: string) => `hello, ${name}` },
      hostEach(items: string[], cb: (item: string) => number) {
        let last = 0;
        for (const item of items) last = cb(item);
        return last;
      },
      hostLater: (value: string) => new Promise((resolve) => setTimeout(() => resolve(value), 20)),
      hostFail() {
        throw new Error("no such thing");
      },
    },
  });
  assert.equal(r.stderr, "");
  assert.equal(
    r.stdout,
    [
      "hostAdd(2, 40) = 42",
      "host.greet: hello, gopher",
      "hostEach called back 3 times with [a b c]",
      "hostLater resolved: slow value",
      "hostFail threw: no such thing",
      "has Deno: false has Bun: false",
      "process.argv0: vkernel",
      "ok globals",
      "",
    ].join("\n"),
  );
  assert.equal(r.exitCode, 0);
});

test("gojs: wasmexport functions are callable while the program waits", { skip }, async () => {
  const wasm = buildGoProgram("exports");
  const kernel = createKernel();
  const { program, output } = await startCollect(kernel, wasm, { args: ["exports"], keepAlive: true });
  assert.equal(output().stdout, "exports ready\n");
  assert.deepEqual(Object.keys(program.exports).sort(), ["add", "mul64", "stop"]);
  assert.equal(program.exports.add(40, 2), 42);
  assert.equal(program.exports.mul64(3_000_000_000n, 3n), 9_000_000_000n);
  assert.equal(program.hasExited, false);
  program.exports.stop(5);
  assert.equal(await program.exited, 5);
  assert.equal(output().stdout, "exports ready\ncalls: 3\nok exports\n");
  assert.throws(() => program.exports.add(1, 1), /already exited/);
});

test("gojs: without keepAlive a program blocked on exports is a deadlock (exit 2)", { skip }, async () => {
  const wasm = buildGoProgram("exports");
  const kernel = createKernel();
  const { program, output } = await startCollect(kernel, wasm, { args: ["exports"] });
  assert.equal(await program.exited, 2);
  assert.match(output().stderr, /fatal error: all goroutines are asleep - deadlock!/);
});

test("gojs: releasing keepAlive lets the deadlock be reported", { skip }, async () => {
  const wasm = buildGoProgram("exports");
  const kernel = createKernel();
  const { program, output } = await startCollect(kernel, wasm, { args: ["exports"], keepAlive: true });
  assert.equal(program.exports.add(1, 2), 3);
  program.release();
  assert.equal(await program.exited, 2);
  assert.match(output().stderr, /all goroutines are asleep/);
});

test("gojs: two programs in one kernel have their own cwd and fds and share files", { skip }, async () => {
  const wasm = buildGoProgram("shared");
  const kernel = createKernel();
  const init = kernel.createProcess();
  for (const dir of ["/work", "/work/ping", "/work/pong", "/work/shared"]) {
    sys.mkdirat(init, -100, dir, 0o755);
  }
  init.exit(0);
  const [ping, pong] = await Promise.all(
    ["ping", "pong"].map((role) =>
      runCollect(kernel, wasm, { args: ["shared", role, "/work/shared"], cwd: `/work/${role}` })
    ),
  );
  assert.equal(
    ping.stdout,
    'ping: cwd /work/ping, first fd 3\nping: read "pong answers"\nping: other\'s own.txt "pong was here" <nil>\nok ping\n',
  );
  assert.equal(
    pong.stdout,
    'pong: cwd /work/pong, first fd 3\npong: read "ping says hi"\npong: other\'s own.txt "ping was here" <nil>\nok pong\n',
  );
  assert.equal(ping.exitCode, 0);
  assert.equal(pong.exitCode, 0);
  assert.equal(kernel.processes.size, 0);
});

test("gojs: a deterministic kernel runs timers on virtual time", { skip }, async () => {
  const wasm = buildGoProgram("sleeper");
  const run = async () => {
    const kernel = createKernel({ deterministic: true });
    const started = performance.now();
    const r = await runCollect(kernel, wasm, { args: ["sleeper"] });
    return { ...r, ms: performance.now() - started };
  };
  const a = await run();
  const b = await run();
  assert.equal(a.exitCode, 0);
  assert.equal(a.stdout, b.stdout);
  assert.equal(
    a.stdout,
    [
      "start 2000-01-01T00:00:00Z",
      "ticks 30",
      "elapsed 1h30m0s",
      "now 2000-01-01T01:30:00Z",
      "zone offset 0",
      "ok sleeper",
      "",
    ].join("\n"),
  );
  assert.ok(a.ms < 10_000, `90 virtual minutes took ${a.ms} ms of real time`);
});

test("gojs: argv, env, cwd, ids, umask, random and println reach the program", { skip }, async () => {
  const wasm = buildGoProgram("env");
  const kernel = createKernel({ deterministic: true, seed: 7 });
  const parent = kernel.createProcess();
  const r = await runCollect(kernel, wasm, {
    args: ["env", "one", "two words"],
    env: { B: "2", A: "1" },
    cwd: "/tmp",
    uid: 1000,
    gid: 100,
    umask: 0o022,
    parent,
  });
  const again = await runCollect(createKernel({ deterministic: true, seed: 7 }), wasm, { args: ["env"] });
  const random = (s: string) => /random ([0-9a-f]+)/.exec(s)![1];
  assert.equal(random(r.stdout), random(again.stdout));
  assert.equal(
    r.stdout.replace(/random [0-9a-f]+/, "random X"),
    [
      "args [env one two words]",
      "env [A=1 B=2]",
      "wd /tmp <nil>",
      `pid ${parent.pid + 1} ppid ${parent.pid} uid 1000 gid 100`,
      "umask 022",
      "created with -rw-------",
      "random X",
      "ok env",
      "",
    ].join("\n"),
  );
  assert.equal(r.stderr, "to stderr via println\n");
});

test(
  "gojs: argv plus env over 8 KiB is a RangeError for the embedder, and no process is left",
  { skip },
  async () => {
    const wasm = buildGoProgram("env");
    const kernel = createKernel();
    await assert.rejects(
      runCollect(kernel, wasm, { args: ["env"], env: { BIG: "x".repeat(8200) } }),
      RangeError,
    );
    assert.equal(kernel.processes.size, 0);
    // Just under the limit still runs.
    const r = await runCollect(kernel, wasm, { args: ["env"], env: { BIG: "x".repeat(7000) } });
    assert.equal(r.exitCode, 0);
  },
);

test("gojs: a missing cwd is an error before the program starts", { skip }, async () => {
  const wasm = buildGoProgram("env");
  const kernel = createKernel();
  await assert.rejects(runCollect(kernel, wasm, { args: ["env"], cwd: "/nope" }), { code: "ENOENT" });
  assert.equal(kernel.processes.size, 0);
});

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; base: string; }> {
  const server = createServer(handler);
  return new Promise((done) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      done({ server, base: `http://127.0.0.1:${port}` });
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((done) => server.close(() => done()));
}

test("gojs: fetch exists only when granted, and only reaches allowed origins", { skip }, async () => {
  const wasm = buildGoProgram("netprobe");
  const allowed = await listen((req, res) => {
    if (req.url === "/hop") {
      res.writeHead(302, { location: `${other.base}/secret` });
      res.end();
      return;
    }
    res.end(`allowed ${req.url}`);
  });
  const other = await listen((_req, res) => res.end("secret"));
  try {
    const kernel = createKernel();
    const granted = await runCollect(kernel, wasm, {
      args: ["netprobe", `${allowed.base}/a`, `${other.base}/b`, `${allowed.base}/hop`],
      net: { allow: [allowed.base] },
    });
    const lines = granted.stdout.split("\n");
    assert.equal(lines[0], "fetch present: true");
    assert.equal(lines[1], `${allowed.base}/a: 200 "allowed /a"`);
    assert.match(
      lines[2],
      /\/b: error: .*fetch\(\) failed: TypeError: vkernel: network access to .* is not allowed/,
    );
    assert.match(lines[3], /\/hop: error: .*not allowed/);
    assert.equal(lines[4], "ok netprobe");

    const denied = await runCollect(kernel, wasm, { args: ["netprobe", `${allowed.base}/a`] });
    assert.equal(denied.stdout.split("\n")[0], "fetch present: false");
    // Without fetch, net/http dials Go's in-process fake network, where nothing listens.
    assert.match(denied.stdout, /\/a: error: .*(connection refused|connect)/);
  } finally {
    await close(allowed.server);
    await close(other.server);
  }
});

test("gojs: the program's module is compiled once and reusable", { skip }, async () => {
  const wasm = buildGoProgram("sleeper");
  const module = await loadModule(wasm);
  assert.ok(WebAssembly.Module.imports(module).some((i) => i.module === "gojs"));
});
