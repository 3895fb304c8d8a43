import { InMemory, resolveMountConfig } from "@zenfs/core";
import assert from "node:assert/strict";
import { test } from "node:test";
import { AT, createKernel, type FileSystem, FileType, O, sys } from "../../mod.ts";
import { ZenFsFileSystem } from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Path-level use of a ZenFS mount through the kernel's syscalls (awaited, so sync and async mounts alike). */
async function exercise(fs: FileSystem): Promise<void> {
  const kernel = createKernel({ deterministic: true });
  const proc = kernel.createProcess({ umask: 0o022 });
  await sys.mkdirat(proc, AT.FDCWD, "/zen", 0o755);
  await kernel.mount("/zen", fs);
  await sys.mkdirat(proc, AT.FDCWD, "/zen/dir", 0o755);
  const fd = await sys.openat(proc, AT.FDCWD, "/zen/dir/file.txt", O.CREAT | O.RDWR | O.TRUNC, 0o666);
  assert.equal(await sys.write(proc, fd, encoder.encode("hello")), 5);
  await sys.close(proc, fd);
  const append = await sys.openat(proc, AT.FDCWD, "/zen/dir/file.txt", O.WRONLY | O.APPEND);
  await sys.write(proc, append, encoder.encode(", world"));
  await sys.close(proc, append);
  await sys.symlinkat(proc, "dir/file.txt", AT.FDCWD, "/zen/link");
  assert.equal(await sys.readlinkat(proc, AT.FDCWD, "/zen/link"), "dir/file.txt");
  const viaLink = await sys.openat(proc, AT.FDCWD, "/zen/link", O.RDONLY);
  const buffer = new Uint8Array(64);
  const count = await sys.read(proc, viaLink, buffer);
  assert.equal(decoder.decode(buffer.subarray(0, count)), "hello, world");
  const st = await sys.fstat(proc, viaLink);
  assert.equal(st.type, FileType.RegularFile);
  assert.equal(st.mode, 0o644);
  await sys.renameat(proc, AT.FDCWD, "/zen/dir", AT.FDCWD, "/zen/moved");
  await sys.unlinkat(proc, AT.FDCWD, "/zen/moved/file.txt", 0);
  assert.equal(await sys.pread(proc, viaLink, buffer, 7), 5, "the open file outlives its name");
  await sys.close(proc, viaLink);
  const trunc = await sys.openat(proc, AT.FDCWD, "/zen/moved/new", O.CREAT | O.WRONLY | O.EXCL, 0o600);
  await sys.ftruncate(proc, trunc, 3);
  await sys.close(proc, trunc);
  const dirFd = await sys.openat(proc, AT.FDCWD, "/zen/moved", O.RDONLY | O.DIRECTORY);
  const names = (await sys.getdents(proc, dirFd, 100)).map((e) => e.name).sort();
  assert.deepEqual(names, [".", "..", "new"]);
  await sys.close(proc, dirFd);
  await assert.rejects(
    async () => await sys.openat(proc, AT.FDCWD, "/zen/moved/new", O.CREAT | O.EXCL, 0o600),
    {
      code: "EEXIST",
    },
  );
}

test("the kernel uses a synchronous ZenFS mount", async () => {
  await exercise(new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory })));
});

test("the kernel uses an asynchronous ZenFS mount", async () => {
  await exercise(
    new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory }), { synchronous: false }),
  );
});
