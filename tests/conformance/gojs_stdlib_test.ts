/**
 * Go's own standard-library tests (GOOS=js) on vkernel, through the same
 * set-up as `go_stdlib_js.ts`: GOROOT, /etc and /usr/bin mounted read-only,
 * a writable /tmp, cwd = the package directory, `-test.short -test.v`.
 *
 * The quick packages always run; `os`, `time` and `net/http` (30-60 s each)
 * run when VKERNEL_GO_STDLIB=all. Run the script itself for the side-by-side
 * table with Go's Node runner. Skipped without a Go toolchain.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { buildTestBinary, runOurs } from "./go_stdlib_js.ts";
import { goBinary } from "./gojs_support.ts";

const QUICK = ["io/fs", "path/filepath", "syscall", "testing/fstest", "syscall/js"];
const SLOW = ["os", "time", "net/http"];

const noGo = goBinary() === null ? "no Go toolchain" : false;

for (const pkg of [...QUICK, ...SLOW]) {
  const skip = noGo || (SLOW.includes(pkg) && process.env.VKERNEL_GO_STDLIB !== "all"
    ? "slow: set VKERNEL_GO_STDLIB=all"
    : false);
  test(`go stdlib tests on gojs: ${pkg}`, { skip, timeout: 900_000 }, async () => {
    const binary = buildTestBinary(pkg);
    const r = await runOurs(pkg, binary, [], 600_000);
    const failures = r.failed.join(" ");
    assert.equal(r.fail, 0, `failed: ${failures}\n${r.output.slice(-4000)}`);
    assert.equal(r.exitCode, 0, r.output.slice(-4000));
    assert.ok(r.pass > 0, r.output.slice(-4000));
    assert.match(r.output, /^PASS$/m);
  });
}
