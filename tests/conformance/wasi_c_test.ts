/**
 * C (wasi-libc) fixtures under vkernel's WASI facade, every run listed in
 * tests/fixtures/cases.json: exact stdout (`<name>[.<variant>].expected`),
 * exit code and stderr checks; the same binaries under node:wasi
 * (differential); and a C reactor driven through instantiateWasi with
 * strings passed in and out through its malloc/free exports.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { collector, createKernel } from "../../mod.ts";
import { hasJspi, instantiateWasi } from "../../syscalls/wasi/mod.ts";
import { makeTempDir, removeDir } from "../_support/temp_dir.ts";
import { differential } from "./wasi_differential.ts";
import { build, checkCase, fixtureCases, runVkernel } from "./wasi_support.ts";

const KIND = "c";

/**
 * Cases this toolchain cannot pass on any host. c/times: Debian's wasi-libc
 * ships `sys/stat.h` with musl's UTIME_NOW/UTIME_OMIT (0x3fffffff/0x3ffffffe)
 * while libc.a was built with wasi-libc's (-1/-2), so `utimensat` with
 * UTIME_OMIT/UTIME_NOW fails with EINVAL inside libc before any WASI call, and
 * `utimensat(..., NULL, 0)` arrives as ATIM|MTIM with 0 (seen with `trace`).
 * The expected file assumes a consistent libc.
 */
const TOOLCHAIN_BROKEN: Record<string, string> = {
  "c/times": "Debian wasi-libc header/library mismatch for UTIME_NOW/UTIME_OMIT (see above)",
};

for (const c of fixtureCases(KIND)) {
  test(`c ${c.id.slice(2)}`, async (t) => {
    if (TOOLCHAIN_BROKEN[c.id]) return t.skip(TOOLCHAIN_BROKEN[c.id]);
    if (c.stdinChunks && !hasJspi()) return t.skip("needs JSPI");
    const wasm = await build(KIND, c.name);
    if (!wasm) return t.skip("no clang + wasi-libc");
    assert.deepEqual(checkCase(KIND, c, await runVkernel(KIND, wasm, c)), []);
  });
}

for (const c of fixtureCases(KIND)) {
  test(`differential: ${c.id} under vkernel and node:wasi`, (t) => {
    if (TOOLCHAIN_BROKEN[c.id]) return t.skip(TOOLCHAIN_BROKEN[c.id]);
    return differential(t, KIND, c);
  });
}

const REACTOR = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

static int calls;

__attribute__((export_name("count_vowels"))) int count_vowels(const char *s, int n) {
  int k = 0;
  for (int i = 0; i < n; i++) k += strchr("aeiouAEIOU", s[i]) != NULL && s[i] != 0;
  calls++;
  return k;
}

/* Upper-cases into a new malloc'ed buffer; returns it (the host frees it). */
__attribute__((export_name("shout"))) char *shout(const char *s, int n) {
  char *out = malloc(n + 1);
  for (int i = 0; i < n; i++) out[i] = toupper((unsigned char)s[i]);
  out[n] = 0;
  calls++;
  return out;
}

/* Writes a file through WASI and reports on stdout. */
__attribute__((export_name("save"))) int save(const char *s, int n) {
  FILE *f = fopen("/tmp/saved.txt", "w");
  if (!f) return -1;
  fwrite(s, 1, n, f);
  fclose(f);
  printf("saved %d bytes after %d calls\\n", n, calls);
  fflush(stdout);
  return 0;
}
`;

test("c reactor: _initialize, exported functions, strings in and out through malloc/free", async (t) => {
  const clang = spawnSync("clang", ["--version"], { stdio: "ignore" });
  if (clang.status !== 0) return t.skip("no clang");
  const dir = makeTempDir("vkernel-reactor-");
  try {
    writeFileSync(join(dir, "reactor.c"), REACTOR);
    const r = spawnSync("clang", [
      "--target=wasm32-wasi",
      "--sysroot=/usr",
      "-O2",
      "-mexec-model=reactor",
      "-Wl,--export=malloc",
      "-Wl,--export=free",
      "-o",
      join(dir, "reactor.wasm"),
      join(dir, "reactor.c"),
    ], { encoding: "utf8" });
    if (r.status !== 0) return t.skip(`cannot build a reactor: ${r.stderr}`);
    const kernel = createKernel();
    const out = collector();
    for (const jspi of hasJspi() ? [true, false] : [false]) {
      const reactor = await instantiateWasi(kernel, readFileSync(join(dir, "reactor.wasm")), {
        stdout: out.sink,
        jspi,
      });
      assert.equal(typeof reactor.exports._initialize, "function");
      assert.equal(await reactor.invoke("count_vowels", "hello wasm reactor"), 6);
      const text = "héllo";
      const { ptr, len } = reactor.alloc(text);
      const shouted = (await reactor.call("shout", ptr, len)) as number;
      reactor.free(ptr);
      assert.equal(reactor.readString(shouted, len), "HéLLO");
      reactor.free(shouted);
      assert.equal(await reactor.invoke("save", new TextEncoder().encode("kept")), 0);
      reactor.exit(0);
    }
    assert.match(out.text(), /saved 4 bytes after 2 calls\n/);
    const proc = kernel.createProcess();
    const { openat, read } = await import("../../mod.ts").then((m) => m.sys);
    const fd = openat(proc, -100, "/tmp/saved.txt", 0) as number;
    const buf = new Uint8Array(16);
    assert.equal(new TextDecoder().decode(buf.subarray(0, read(proc, fd, buf) as number)), "kept");
    proc.exit(0);
  } finally {
    removeDir(dir);
  }
});
