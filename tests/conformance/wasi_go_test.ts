/**
 * Go GOOS=wasip1 fixtures under vkernel's WASI facade, every run listed in
 * tests/fixtures/cases.json: exact stdout (expected_wasip1*.txt), exit code,
 * stderr checks, slow stdin, and the net/http server on a preopened socket.
 * Then the same binaries under Node's node:wasi: where the outputs differ,
 * vkernel must match the expected file and tests/fixtures/DIFFERENCES.md must
 * say why node:wasi is wrong.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { hasJspi, listenTcp } from "../../syscalls/wasi/mod.ts";
import { differential } from "./wasi_differential.ts";
import { build, checkCase, type FixtureCase, fixtureCases, runVkernel } from "./wasi_support.ts";

const KIND = "go-wasip1";

async function serveAndRun(wasm: string, c: FixtureCase) {
  const listener = await listenTcp();
  const base = `http://127.0.0.1:${listener.address!.port}`;
  const running = runVkernel(KIND, wasm, c, [listener]);
  const answers: string[] = [];
  try {
    for (const step of c.client ?? []) {
      const response = await fetch(`${base}${step.path}`, { method: step.method, body: step.requestBody });
      const body = await response.text();
      if (response.status !== step.status) answers.push(`${step.path}: status ${response.status}`);
      if (body !== step.body) answers.push(`${step.path}: body ${JSON.stringify(body)}`);
      for (const [k, v] of Object.entries(step.headers ?? {})) {
        if (response.headers.get(k) !== v) {
          answers.push(`${step.path}: header ${k}=${response.headers.get(k)}`);
        }
      }
    }
  } finally {
    const out = await running;
    answers.push(...checkCase(KIND, c, out));
  }
  return answers;
}

for (const c of fixtureCases(KIND)) {
  const label = `go wasip1 ${c.id.slice(3)}`;
  test(label, async (t) => {
    if (c.needs?.includes("http-server")) return t.skip("needs an HTTP server (GOOS=js only)");
    if ((c.stdinChunks || c.needs?.includes("listen-socket")) && !hasJspi()) return t.skip("needs JSPI");
    const wasm = await build(KIND, c.name);
    if (!wasm) return t.skip("no Go toolchain");
    const problems = c.needs?.includes("listen-socket")
      ? await serveAndRun(wasm, c)
      : checkCase(KIND, c, await runVkernel(KIND, wasm, c));
    assert.deepEqual(problems, []);
  });
}

for (const c of fixtureCases(KIND)) {
  if (c.needs?.length) continue;
  test(`differential: ${c.id} under vkernel and node:wasi`, (t) => differential(t, KIND, c));
}
