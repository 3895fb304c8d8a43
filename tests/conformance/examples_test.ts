/** The README demo and both embedding examples, run as a user would. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../fixtures/build.ts";

function binary(name: "deno" | "bun"): string {
  const local = join(repoRoot, "node_modules/.bin", name);
  return spawnSync(local, ["--version"]).status === 0 ? local : name;
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: "utf8", timeout: 240_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const expectedEmbed = [
  /demo \(gojs\) exited 0; last line: ok demo/,
  /hello \(wasi-command\) exited 0; first line: hello from Go/,
  /the demo left README\.md, log, plants in the host directory/,
  /producer exited 0, consumer exited 0/,
  /the consumer saw: line 1: hello from Go \/ line 2: GOOS=js GOARCH=wasm \/ line 3: ok hello/,
];

describe("examples", () => {
  test("deno task demo", () => {
    const r = run(binary("deno"), ["task", "demo"]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /Hello! I am a Go program built for GOOS=js\./);
    assert.match(r.out, /\[host\] garden\/README\.md says: Tomatoes, basil and one stubborn lemon tree\./);
    assert.match(r.out, /pesto\.txt \(36 bytes, mode 644\)/);
  });

  test("bun examples/demo.ts", () => {
    const r = run(binary("bun"), ["examples/demo.ts"]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\[host\] the Go program exited with status 0/);
  });

  test("the Deno embedding example", () => {
    const r = run(binary("deno"), ["run", "-A", "examples/deno_embed.ts"]);
    assert.equal(r.status, 0, r.out);
    for (const line of expectedEmbed) assert.match(r.out, line);
  });

  test("the Bun embedding example", () => {
    const r = run(binary("bun"), ["examples/bun_embed.ts"]);
    assert.equal(r.status, 0, r.out);
    for (const line of expectedEmbed) assert.match(r.out, line);
  });
});
