/** The published shapes: `deno publish --dry-run` (JSR) and `npm pack --dry-run` (npm) succeed. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../fixtures/build.ts";

function tool(name: string): string | null {
  const local = join(repoRoot, "node_modules/.bin", name);
  for (const candidate of [local, name]) {
    if (spawnSync(candidate, ["--version"]).status === 0) return candidate;
  }
  return null;
}

const deno = tool("deno");
const npm = tool("npm");

test("deno publish --dry-run", { skip: deno ? false : "no deno" }, () => {
  const r = spawnSync(deno!, ["publish", "--dry-run", "--allow-dirty"], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Dry run complete/);
});

test("npm pack --dry-run ships the library, its bins, and no tests", { skip: npm ? false : "no npm" }, () => {
  const r = spawnSync(npm!, ["pack", "--dry-run", "--json"], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const [pack] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string; }>; }>;
  const files = pack.files.map((f) => f.path);
  for (
    const wanted of ["mod.ts", "cli.ts", "bin/vkernel", "bin/go_js_wasm_exec", "bin/go_wasip1_wasm_exec"]
  ) {
    assert.ok(files.includes(wanted), `${wanted} is packed`);
  }
  assert.ok(!files.some((f) => f.endsWith("_test.ts")), "no test files");
  assert.ok(!files.some((f) => f.startsWith("tests/")), "no tests/ folder");
});
