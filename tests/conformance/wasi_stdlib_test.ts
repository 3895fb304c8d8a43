/**
 * Go's own standard-library tests (GOOS=wasip1) on vkernel, through the same
 * set-up as `go_stdlib_wasip1.ts`: GOROOT (and /proc/sys/fs) mounted
 * read-only at their real paths, a writable in-memory /tmp, preopen `/`, cwd (`PWD`) = the package
 * directory, `GOWASIRUNTIME=vkernel`, JSPI and real clocks,
 * `-test.short -test.v -test.timeout=300s`.
 *
 * The quick packages (well under a second each once built) always run; `os`
 * (3-5 s), `time` (12-17 s of real sleeps) and the cheap extras `io`, `bufio`
 * and `strings` run when VKERNEL_GO_STDLIB=all. Building a binary the first time takes a few seconds
 * (about 15 s for the first one with a cold Go build cache); binaries are
 * cached in build/go-stdlib-wasip1/ by Go version. Run the script itself for the
 * side-by-side table with node:wasi. Skipped without a Go toolchain.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { buildTestBinary, goBinary, runOurs } from "./go_stdlib_wasip1.ts";

const QUICK = ["io/fs", "path/filepath", "syscall", "testing/fstest"];
const SLOW = ["os", "time", "io", "bufio", "strings"];

/**
 * Tests passed to `-test.skip`, by package, each with the reason: only for
 * what WASI preview1 cannot do. Empty on Go 1.26: every such test skips itself
 * on wasip1 (Chmod/Chown, pipes, exec, signals, absolute symlink targets in
 * os.Root, ...), and the rest pass on vkernel. (wazero skips
 * `TestFileReaddir/sysdir`, `TestFileReadDir/sysdir` and
 * `TestFileReaddirnames/sysdir`: on wasip1 they list GOROOT, which passes here.)
 * Write a name as `-test.skip` matches it: `TestA`, or `TestA/sub` for a subtest.
 */
const SKIP: Record<string, Record<string, string>> = {
  // "os": { "TestExample": "why WASI preview1 cannot do it" },
};

/** The `-test.skip` flag for a package's {@link SKIP} entries, if any. */
function skipArgs(pkg: string): string[] {
  const names = Object.keys(SKIP[pkg] ?? {});
  if (names.length === 0) return [];
  // Go splits the pattern at top-level "|" into alternatives, and each at "/" into one regexp per level.
  const exact = (name: string) =>
    name.split("/").map((part) => `^${part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  return [`-test.skip=${names.map((n) => exact(n).join("/")).join("|")}`];
}

const noGo = goBinary() === null ? "no Go toolchain" : false;

for (const pkg of [...QUICK, ...SLOW]) {
  const skip = noGo || (SLOW.includes(pkg) && process.env.VKERNEL_GO_STDLIB !== "all"
    ? "not in the quick set: set VKERNEL_GO_STDLIB=all"
    : false);
  test(`go stdlib tests on wasip1: ${pkg}`, { skip, timeout: 900_000 }, async () => {
    const binary = buildTestBinary(pkg);
    const r = await runOurs(pkg, binary, { args: skipArgs(pkg), timeoutMs: 600_000 });
    const tail = r.output.slice(-4000);
    assert.equal(r.fail, 0, `failed: ${r.failed.join(" ")}\n${tail}`);
    assert.equal(r.exitCode, 0, tail);
    assert.ok(r.pass > 0, tail);
    assert.match(r.output, /^PASS$/m);
  });
}
