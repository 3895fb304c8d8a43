import assert from "node:assert/strict";
import { test } from "node:test";
import { createKernel, FileType } from "../mod.ts";

test("files: write, read, list, stat, symlink, remove", async () => {
  const kernel = createKernel({ deterministic: true });
  await kernel.files.writeFile("/a/b/c.txt", "hello", { recursive: true });
  await kernel.files.writeFile("/a/b/c.txt", " world", { append: true });
  assert.equal(await kernel.files.readText("/a/b/c.txt"), "hello world");
  await kernel.files.mkdir("/a/b/d/e", { recursive: true });
  await kernel.files.mkdir("/a/b/d/e", { recursive: true });
  assert.deepEqual((await kernel.files.readdir("/a/b")).sort(), ["c.txt", "d"]);
  await kernel.files.symlink("b/c.txt", "/a/link");
  assert.equal((await kernel.files.stat("/a/link")).size, 11);
  assert.equal((await kernel.files.stat("/a/link", { lstat: true })).type, FileType.Symlink);
  assert.equal(await kernel.files.exists("/a/nope"), false);
  await assert.rejects(async () => await kernel.files.remove("/a"), { code: "ENOTEMPTY" });
  await kernel.files.remove("/a", { recursive: true });
  assert.equal(await kernel.files.exists("/a"), false);
  assert.equal(kernel.processes.size, 0, "helper processes are reaped");
});

test("files: large files round-trip", async () => {
  const kernel = createKernel();
  const data = new Uint8Array(300_000).map((_, i) => i * 7);
  await kernel.files.writeFile("/tmp/big", data);
  assert.deepEqual(await kernel.files.readFile("/tmp/big"), data);
});
