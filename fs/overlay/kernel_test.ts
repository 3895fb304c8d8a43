import assert from "node:assert/strict";
import { test } from "node:test";
import { AT, createKernel, MemoryFileSystem, O, sys } from "../../mod.ts";
import { populate, snapshotTree } from "./_testing.ts";
import { CopyOnWriteFileSystem, ReadOnlyFileSystem } from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test("the kernel uses read-only and copy-on-write mounts over one image", async () => {
  const image = new MemoryFileSystem();
  await populate(image, image.root(), { etc: { hosts: "127.0.0.1 localhost" }, motd: "hi" });
  const before = await snapshotTree(image);
  const kernel = createKernel({ deterministic: true });
  const proc = kernel.createProcess();
  for (const dir of ["/ro", "/rw"]) sys.mkdirat(proc, AT.FDCWD, dir, 0o755);
  kernel.mount("/ro", new ReadOnlyFileSystem(image));
  kernel.mount("/rw", new CopyOnWriteFileSystem({ lower: new ReadOnlyFileSystem(image) }));

  assert.throws(() => sys.openat(proc, AT.FDCWD, "/ro/motd", O.WRONLY), { code: "EROFS" });
  assert.throws(() => sys.openat(proc, AT.FDCWD, "/ro/new", O.CREAT | O.WRONLY, 0o644), { code: "EROFS" });
  assert.throws(() => sys.unlinkat(proc, AT.FDCWD, "/ro/motd", 0), { code: "EROFS" });

  const fd = sys.openat(proc, AT.FDCWD, "/rw/etc/hosts", O.WRONLY | O.APPEND) as number;
  sys.write(proc, fd, encoder.encode("\n10.0.0.2 db"));
  sys.close(proc, fd);
  sys.renameat(proc, AT.FDCWD, "/rw/etc", AT.FDCWD, "/rw/config");
  sys.unlinkat(proc, AT.FDCWD, "/rw/motd", 0);
  const hosts = sys.openat(proc, AT.FDCWD, "/rw/config/hosts", O.RDONLY) as number;
  const buffer = new Uint8Array(64);
  const count = sys.read(proc, hosts, buffer) as number;
  assert.equal(decoder.decode(buffer.subarray(0, count)), "127.0.0.1 localhost\n10.0.0.2 db");
  sys.close(proc, hosts);
  const root = sys.openat(proc, AT.FDCWD, "/rw", O.RDONLY | O.DIRECTORY) as number;
  const names = (sys.getdents(proc, root, 100) as { name: string; }[]).map((e) => e.name).sort();
  assert.deepEqual(names, [".", "..", "config"]);
  const ro = sys.openat(proc, AT.FDCWD, "/ro", O.RDONLY | O.DIRECTORY) as number;
  const roNames = (sys.getdents(proc, ro, 100) as { name: string; }[]).map((e) => e.name).sort();
  assert.deepEqual(roNames, [".", "..", "etc", "motd"]);
  assert.deepEqual(await snapshotTree(image), before);
});
