/**
 * Runs vkernel's Node 20 tests from Deno and Bun: bundles the sources with
 * `bun build` (tests/node20/build.ts), then `node --test
 * tests/node20/node20_test.mjs` (Node's own runner), which must pass. Node 20
 * has no JSPI: there blocking WASI programs run through the worker bridge.
 * Skipped when `node` (or `$NODE`) is missing.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { buildNode20, repoRoot } from "./build.ts";

const env = (globalThis as { process?: { env?: Record<string, string | undefined>; }; }).process?.env ?? {};
const NODE = env.NODE ?? "node";

function nodeVersion(): string | null {
  const r = spawnSync(NODE, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string; }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Uint8Array) => (output += new TextDecoder().decode(d)));
    child.stderr.on("data", (d: Uint8Array) => (output += new TextDecoder().decode(d)));
    child.on("error", reject);
    child.on("close", (code: number | null) => resolve({ code, output }));
  });
}

test("Node 20: the bundle passes tests/node20/node20_test.mjs under node --test", async (t) => {
  const version = nodeVersion();
  if (version === null) return t.skip(`no ${NODE} on PATH`);
  buildNode20();
  const { code, output } = await run(NODE, ["--test", join(repoRoot, "tests", "node20", "node20_test.mjs")]);
  assert.equal(code, 0, `node ${version} --test failed:\n${output}`);
  assert.match(output, /# fail 0/);
  assert.doesNotMatch(output, /# pass 0\b/);
});
