/**
 * The differential check shared by the Go and C conformance tests: run a
 * case under vkernel and under node:wasi; every line where they differ must
 * be one where vkernel matches the recorded expected output and node:wasi
 * does not, and DIFFERENCES.md must explain it.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { hasJspi } from "../../syscalls/wasi/mod.ts";
import {
  build,
  expectedStdout,
  type FixtureCase,
  haveNode,
  knownDifferences,
  lineDiff,
  runNodeWasi,
  runVkernel,
} from "./wasi_support.ts";

/** Runs the comparison for one case (skips without node or the toolchain). */
export async function differential(t: TestContext, kind: "c" | "go-wasip1", c: FixtureCase): Promise<void> {
  if (!haveNode()) return t.skip("no node with node:wasi");
  if (c.stdinChunks && !hasJspi()) return t.skip("needs JSPI");
  if (c.slow) return t.skip("slow case: checked by the plain conformance test only");
  const wasm = await build(kind, c.name);
  if (!wasm) return t.skip("toolchain missing");
  const ours = await runVkernel(kind, wasm, c);
  const node = await runNodeWasi(kind, wasm, c);
  const same = ours.stdout === node.stdout && ours.exitCode === node.exitCode;
  if (same) return;
  const why = knownDifferences(c, kind);
  const expected = expectedStdout(kind, c);
  const report = `vkernel vs node:wasi (exit ${ours.exitCode} vs ${node.exitCode ?? "killed/hung"}):\n`
    + lineDiff(ours.stdout, node.stdout);
  assert.ok(why.length > 0, `unexplained difference; ${report}`);
  if (expected !== null) {
    assert.equal(ours.stdout, expected, "where the hosts differ, vkernel must match the expected output");
  }
  t.diagnostic(`node:wasi differs, vkernel is right:\n${why.join("\n")}`);
}
