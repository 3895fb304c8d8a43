import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, isAbsolute } from "node:path";
import { test } from "node:test";
import { fastTempRoot, makeFastTempDir } from "./fast_temp_dir.ts";
import { removeDir } from "./temp_dir.ts";

test("makeFastTempDir creates a new empty directory under fastTempRoot", () => {
  const dir = makeFastTempDir("vkernel-fast-temp-dir-test-");
  try {
    assert.ok(isAbsolute(dir));
    assert.ok(dir.startsWith(fastTempRoot()));
    assert.ok(basename(dir).startsWith("vkernel-fast-temp-dir-test-"));
    assert.ok(statSync(dir).isDirectory());
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    removeDir(dir);
  }
  assert.equal(existsSync(dir), false);
});

test("makeFastTempDir refuses a prefix with a separator", () => {
  assert.throws(() => makeFastTempDir("a/b"), TypeError);
});
