/**
 * The Go fixture programs (`tests/fixtures/go`, GOOS=js) on the gojs host,
 * one test per `js` case of `tests/fixtures/cases.json`: its arguments,
 * environment (over the file's defaults), stdin (a file, or chunks sent with
 * delays), umask, extra files copied into the kernel, and an HTTP server for
 * `{HTTP_BASE}`. Stdout must equal `expected_js[_<variant>].txt`; stderr must
 * contain each `stderrContains` string (and equal `stderrFile`, match the
 * digests, when those files exist); the exit status must be the case's.
 *
 * Without an expected file the case is compared with Go's own Node runner
 * (`go_js_wasm_exec`) instead. Also here: some fixtures on a deterministic
 * kernel and on an asynchronous filesystem. Skipped without a Go toolchain.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { createKernel, type Kernel, MemoryFileSystem, O, type Source, sys } from "../../mod.ts";
import { asyncFileSystem } from "../../syscalls/gojs/_testing.ts";
import { makeTempDir, removeDir } from "../_support/temp_dir.ts";
import { buildFixture, fixturesDir } from "../fixtures/build.ts";
import { goBinary, runCollect, type RunOutput, runWithNode } from "./gojs_support.ts";

/** One case of cases.json (the fields this harness uses). */
interface FixtureCase {
  id: string;
  name: string;
  variant?: string;
  goos?: string[];
  args: string[];
  env?: Record<string, string>;
  stdin?: string;
  stdinChunks?: Array<{ delayMs: number; data: string; }>;
  stderrContains?: string[];
  stderrFile?: string;
  stdoutDigest?: string;
  stderrDigest?: string;
  umask?: string;
  files?: Record<string, string>;
  needs?: string[];
  exitCode?: number;
  timeoutMs?: number;
}

interface CasesFile {
  defaults: { env: Record<string, string>; timeoutMs: number; };
  cases: FixtureCase[];
}

const casesFile = JSON.parse(readFileSync(join(fixturesDir, "cases.json"), "utf8")) as CasesFile;
const CASES = casesFile.cases.filter((c) => c.id.startsWith("go/") && c.goos?.includes("js"));

/** Exit statuses of the cases that do not end with 0 (when cases.json does not say). */
const EXIT_CODES: Record<string, number> = {
  "go/argsenv_exit/exit7": 7,
  "go/argsenv_exit/fatal": 1,
  "go/panic_paths/panic": 2,
  "go/panic_paths/nil": 2,
  "go/panic_paths/goroutine": 2,
  "go/panic_paths/exit": 3,
  "go/panic_paths/repanic": 2,
  "go/panic_paths/stack": 2,
  "go/time_goroutines/deadlock": 2,
};

/**
 * Where vkernel knowingly differs from the expected output, with the reason.
 * Each entry: the expected line, and what vkernel prints instead (that line and
 * the ones after it). The rest of the output must still match exactly.
 */
const KNOWN_DEVIATIONS: Record<string, Array<{ expected: string[]; ours: string[]; why: string; }>> = {};

const skip = goBinary() === null ? "no Go toolchain" : false;

function fixturePath(rel: string): string {
  return join(fixturesDir, rel);
}

function expectedStdout(c: FixtureCase): string | null {
  const file = join(
    fixturesDir,
    "go",
    c.name,
    c.variant ? `expected_js_${c.variant}.txt` : "expected_js.txt",
  );
  return existsSync(file) ? readFileSync(file, "utf8") : null;
}

function stdinOf(c: FixtureCase): { kernel?: Source; text?: string; } {
  if (c.stdin) {
    const text = readFileSync(fixturePath(c.stdin), "utf8");
    return { kernel: text, text };
  }
  if (c.stdinChunks) {
    const chunks = c.stdinChunks;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const chunk of chunks) {
          await new Promise((resolve) => setTimeout(resolve, chunk.delayMs));
          controller.enqueue(encoder.encode(chunk.data));
        }
        controller.close();
      },
    });
    return { kernel: stream, text: chunks.map((ch) => ch.data).join("") };
  }
  return { kernel: "", text: "" };
}

/** Copies `files` (kernel path -> "host:/path") into the kernel, creating directories. */
function installFiles(kernel: Kernel, files: Record<string, string>): void {
  const init = kernel.createProcess({ umask: 0o022 });
  for (const [path, source] of Object.entries(files)) {
    if (!source.startsWith("host:")) throw new TypeError(`unsupported file source ${source}`);
    let dir = "";
    for (const part of dirname(path).split("/").filter(Boolean)) {
      dir += `/${part}`;
      try {
        sys.mkdirat(init, -100, dir, 0o755);
      } catch (error) {
        if ((error as { code?: string; }).code !== "EEXIST") throw error;
      }
    }
    const fd = sys.openat(init, -100, path, O.CREAT | O.WRONLY | O.TRUNC, 0o644) as number;
    sys.write(init, fd, new Uint8Array(readFileSync(source.slice(5))));
    sys.close(init, fd);
  }
  init.exit(0);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** `actual` with each known deviation put back to the expected lines (after checking it is exactly that). */
function undoDeviations(id: string, actual: string): string {
  let text = actual;
  for (const d of KNOWN_DEVIATIONS[id] ?? []) {
    const ours = d.ours.join("\n") + "\n";
    if (text.includes(ours)) text = text.replace(ours, d.expected.join("\n") + "\n");
  }
  return text;
}

async function runCase(
  c: FixtureCase,
  options: { deterministic?: boolean; base?: string; } = {},
): Promise<RunOutput> {
  const wasm = await buildFixture("go-js", c.name);
  const kernel = createKernel({ deterministic: options.deterministic });
  if (c.files) installFiles(kernel, c.files);
  const args = c.args.map((a) => a.replaceAll("{HTTP_BASE}", options.base ?? ""));
  return runCollect(kernel, wasm, {
    args: [c.name, ...args],
    env: { ...casesFile.defaults.env, ...c.env },
    stdin: stdinOf(c).kernel,
    umask: c.umask ? parseInt(c.umask, 8) : undefined,
    net: options.base ? { allow: [options.base] } : undefined,
  });
}

for (const c of CASES) {
  const timeout = c.timeoutMs ?? casesFile.defaults.timeoutMs;
  test(`gojs fixture ${c.id}`, { skip, timeout }, async () => {
    const server = c.needs?.includes("http-server") ? await fetchServer() : null;
    try {
      const ours = await runCase(c, { base: server?.base });
      const context = `stdout:\n${ours.stdout}\nstderr:\n${ours.stderr.slice(0, 4000)}`;
      assert.equal(ours.exitCode, c.exitCode ?? EXIT_CODES[c.id] ?? 0, `exit status; ${context}`);
      for (const s of c.stderrContains ?? []) {
        assert.ok(ours.stderr.includes(s), `stderr has ${JSON.stringify(s)}`);
      }
      if (c.stderrFile && existsSync(fixturePath(c.stderrFile))) {
        assert.equal(ours.stderr, readFileSync(fixturePath(c.stderrFile), "utf8"));
      }
      if (c.stdoutDigest && existsSync(fixturePath(c.stdoutDigest))) {
        assert.equal(
          sha256(ours.stdout),
          readFileSync(fixturePath(c.stdoutDigest), "utf8").trim().split(/\s/)[0],
        );
      }
      if (c.stderrDigest && existsSync(fixturePath(c.stderrDigest))) {
        assert.equal(
          sha256(ours.stderr),
          readFileSync(fixturePath(c.stderrDigest), "utf8").trim().split(/\s/)[0],
        );
      }
      const expected = expectedStdout(c);
      if (expected !== null) {
        assert.equal(undoDeviations(c.id, ours.stdout), expected);
        return;
      }
      if (server) return;
      // No expected file yet: Go's own Node runner is the reference.
      const dir = makeTempDir(`vkernel-gojs-${c.name}-`);
      try {
        const wasm = await buildFixture("go-js", c.name);
        const node = await runWithNode(wasm, c.args, {
          cwd: dir,
          env: { ...casesFile.defaults.env, TMPDIR: dir, ...c.env },
          stdin: stdinOf(c).text,
        });
        if (node === null) return;
        assert.equal(ours.stdout, node.stdout);
      } finally {
        removeDir(dir);
      }
    } finally {
      if (server) await closeServer(server.server);
    }
  });
}

// ---------------------------------------------------------------- other kernels

for (
  const id of ["go/hello", "go/file_crud_flags", "go/rand_crypto", "go/time_goroutines", "go/stdin_echo"]
) {
  const c = CASES.find((x) => x.id === id);
  if (!c) continue;
  test(`gojs fixture ${id} on a deterministic kernel: reproducible, no real waiting`, { skip }, async () => {
    const started = performance.now();
    const a = await runCase(c, { deterministic: true });
    const b = await runCase(c, { deterministic: true });
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.ok(a.stdout.endsWith(`ok ${c.name}\n`), a.stdout);
    assert.ok(performance.now() - started < 20_000);
  });
}

for (const name of ["file_crud_flags", "seek_pread_truncate", "stat_chmod_times", "rename_links"]) {
  test(`gojs fixture go/${name} on an asynchronous filesystem (callbacks in .then)`, { skip }, async () => {
    const wasm = await buildFixture("go-js", name);
    const env = { ...casesFile.defaults.env };
    const plain = await runCollect(createKernel(), wasm, { args: [name], env, umask: 0o022 });
    const kernel = createKernel();
    const init = kernel.createProcess();
    sys.mkdirat(init, -100, "/slow", 0o755);
    init.exit(0);
    kernel.mount("/slow", asyncFileSystem(new MemoryFileSystem()));
    const slow = await runCollect(kernel, wasm, {
      args: [name],
      env: { ...env, TMPDIR: "/slow" },
      umask: 0o022,
    });
    assert.equal(slow.exitCode, 0, slow.stderr);
    assert.equal(slow.stdout, plain.stdout);
  });
}

// ---------------------------------------------------------------- the HTTP server of http_fetch

function fetchServer(): Promise<{ server: Server; base: string; }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    switch (req.url) {
      case "/hello":
        res.setHeader("X-Test", "yes");
        res.setHeader("Content-Type", "text/plain");
        res.end("hello from server\n");
        return;
      case "/echo": {
        const chunks: Uint8Array[] = [];
        req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
        req.on("end", () => {
          const leaked = Object.keys(req.headers).some((h) => h.startsWith("js.fetch"));
          res.setHeader("X-Echo-Method", req.method ?? "");
          res.setHeader("X-Echo-Fx", String(req.headers["x-fx"] ?? ""));
          res.setHeader("X-Echo-Jsfetch", leaked ? "yes" : "no");
          res.end(Buffer.concat(chunks));
        });
        return;
      }
      case "/chunked":
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.write("one\n");
        setTimeout(() => {
          res.write("two\n");
          setTimeout(() => res.end("three\n"), 5);
        }, 5);
        return;
      case "/gzip":
        res.setHeader("Content-Encoding", "gzip");
        res.end(gzipSync("compressed hello\n"));
        return;
      case "/redirect":
        res.writeHead(302, { Location: "/hello" });
        res.end();
        return;
      case "/missing":
        res.statusCode = 404;
        res.end("not found\n");
        return;
      case "/slow": {
        const timer = setTimeout(() => res.end("slow\n"), 3000);
        res.on("close", () => clearTimeout(timer));
        return;
      }
      default:
        res.statusCode = 500;
        res.end();
    }
  });
  return new Promise((done) => {
    server.listen(0, "127.0.0.1", () => {
      done({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((done) => server.close(() => done()));
}

test(
  "gojs fixture go/http_fetch/fetch to an origin that is not allowed: every request fails",
  { skip },
  async () => {
    const c = CASES.find((x) => x.id === "go/http_fetch/fetch");
    assert.ok(c);
    const { server, base } = await fetchServer();
    try {
      const wasm = await buildFixture("go-js", "http_fetch");
      const r = await runCollect(createKernel(), wasm, {
        args: ["http_fetch", "fetch", base],
        net: { allow: ["http://127.0.0.1:1"] },
      });
      assert.equal(r.exitCode, 0, r.stderr);
      // The fixture prints errors by kind only ("error"); the message is checked in gojs_runtime_test.ts.
      assert.match(r.stdout, /^fetch present: true$/m);
      for (
        const what of [
          "GET /hello",
          "POST /echo",
          "GET /chunked",
          "GET /gzip",
          "GET /redirect",
          "GET /missing",
        ]
      ) {
        assert.match(r.stdout, new RegExp(`^${what}: error error$`, "m"));
      }
      assert.match(r.stdout, /^GET \/slow with 200ms timeout: failed true deadline false/m);
    } finally {
      await closeServer(server);
    }
  },
);
