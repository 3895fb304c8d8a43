import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join } from "node:path";
import { test } from "node:test";
import { makeTempDir, removeDir } from "./temp_dir.ts";

test("makeTempDir creates a new empty directory named after the prefix", () => {
  const first = makeTempDir("vkernel-temp-dir-test-");
  const second = makeTempDir("vkernel-temp-dir-test-");
  try {
    assert.ok(isAbsolute(first));
    assert.ok(basename(first).startsWith("vkernel-temp-dir-test-"));
    assert.ok(statSync(first).isDirectory());
    assert.deepEqual(readdirSync(first), []);
    assert.notEqual(first, second);
  } finally {
    removeDir(first);
    removeDir(second);
  }
});

test("removeDir removes a tree and tolerates a missing path", () => {
  const dir = makeTempDir("vkernel-temp-dir-test-");
  mkdirSync(join(dir, "a", "b"), { recursive: true });
  writeFileSync(join(dir, "a", "b", "file"), "data");
  removeDir(dir);
  assert.equal(existsSync(dir), false);
  removeDir(dir);
});

test("bad arguments are refused", () => {
  assert.throws(() => makeTempDir("a/b"), TypeError);
  assert.throws(() => makeTempDir(1 as unknown as string), TypeError);
  assert.throws(() => removeDir(""), TypeError);
  assert.throws(() => removeDir("/"), RangeError);
  assert.throws(() => removeDir(tmpdir()), RangeError);
});
