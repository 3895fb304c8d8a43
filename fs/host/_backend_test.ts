import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import { tmpdir } from "node:os";
import { describe, test } from "node:test";
import { KernelError } from "../../kernel/errno.ts";
import { FileType } from "../../kernel/types.ts";
import { fileTypeOfMode, type HostBackend, nsToSeconds, toKernelError } from "./_backend.ts";
import { createDenoBackend } from "./_deno_backend.ts";
import { InodeNumbers } from "./_inodes.ts";
import { createNodeBackend } from "./_node_backend.ts";

const hasDeno = typeof (globalThis as { Deno?: unknown; }).Deno !== "undefined";

describe("toKernelError", () => {
  test("keeps POSIX codes from node:fs and Deno errors", () => {
    for (
      const code of [
        "ENOENT",
        "EEXIST",
        "ENOTDIR",
        "EISDIR",
        "ENOTEMPTY",
        "ELOOP",
        "EACCES",
        "EPERM",
        "EXDEV",
      ]
    ) {
      const error = toKernelError(Object.assign(new Error("host"), { code }));
      assert.ok(error instanceof KernelError);
      assert.equal(error.code, code);
    }
  });

  test("maps aliases, Deno class names, and falls back to EIO", () => {
    const cases: [object, string][] = [
      [{ code: "EOPNOTSUPP" }, "ENOTSUP"],
      [{ code: "EWOULDBLOCK" }, "EAGAIN"],
      [{ code: "EDQUOT" }, "ENOSPC"],
      [{ code: "ERR_INVALID_ARG_VALUE" }, "EINVAL"],
      [{ name: "NotFound" }, "ENOENT"],
      [{ name: "AlreadyExists" }, "EEXIST"],
      [{ name: "NotADirectory" }, "ENOTDIR"],
      [{ name: "IsADirectory" }, "EISDIR"],
      [{ name: "PermissionDenied" }, "EACCES"],
      [{ name: "DirectoryNotEmpty" }, "ENOTEMPTY"],
      [{ name: "FilesystemLoop" }, "ELOOP"],
      [{ name: "InvalidData" }, "EIO"],
      [{ name: "InvalidData", code: "EINVAL" }, "EINVAL"],
      [{ code: "EWEIRD" }, "EIO"],
      [{}, "EIO"],
    ];
    for (const [fields, code] of cases) {
      assert.equal(
        toKernelError(Object.assign(new Error("host"), fields)).code,
        code,
        JSON.stringify(fields),
      );
    }
    assert.equal(toKernelError("a string").code, "EIO");
    assert.equal(toKernelError(null).code, "EIO");
    const original = new KernelError("EBADF");
    assert.equal(toKernelError(original), original);
  });
});

describe("helpers", () => {
  test("fileTypeOfMode and nsToSeconds", () => {
    assert.equal(fileTypeOfMode(0o100644), FileType.RegularFile);
    assert.equal(fileTypeOfMode(0o040755), FileType.Directory);
    assert.equal(fileTypeOfMode(0o120777), FileType.Symlink);
    assert.equal(fileTypeOfMode(0o010644), FileType.Fifo);
    assert.equal(fileTypeOfMode(0o644), FileType.Unknown);
    assert.equal(nsToSeconds(1_500_000_000n), 1.5);
    assert.equal(nsToSeconds(-1_500_000_000n), -1.5);
  });

  test("InodeNumbers: host numbers on the root device, synthetic elsewhere, stable", () => {
    const inodes = new InodeNumbers(7n);
    const own = { dev: 7n, ino: 123n };
    assert.equal(inodes.number(own, inodes.key(own, "/r/a")), 123);
    const mounted = { dev: 8n, ino: 123n };
    const k1 = inodes.key(mounted, "/r/m");
    const first = inodes.number(mounted, k1);
    assert.ok(first >= 2 ** 52 && first <= Number.MAX_SAFE_INTEGER);
    assert.equal(inodes.number(mounted, k1), first, "stable");
    const huge = { dev: 7n, ino: 2n ** 60n };
    const second = inodes.number(huge, inodes.key(huge, "/r/h"));
    assert.notEqual(second, first);
    // Inode 0: keyed by path, distinct per path, never 0.
    const zero = { dev: 7n, ino: 0n };
    const za = inodes.number(zero, inodes.key(zero, "/r/x"));
    const zb = inodes.number(zero, inodes.key(zero, "/r/y"));
    assert.ok(za > 0 && zb > 0 && za !== zb);
    assert.equal(inodes.number(zero, inodes.key(zero, "/r/x")), za);
  });
});

const backends: [string, () => HostBackend][] = [["node", createNodeBackend]];
if (hasDeno) backends.push(["deno", createDenoBackend]);

for (const [name, make] of backends) {
  describe(`${name} backend`, () => {
    test("positional I/O, fstat, and errors that carry POSIX codes", () => {
      const dir = nodeFs.realpathSync(nodeFs.mkdtempSync(`${tmpdir()}/vkernel-backend-test-`));
      try {
        const host = make();
        assert.equal(host.name, name);
        const created = host.createExclusive(`${dir}/f`, 0o600);
        host.close(created);
        const file = host.open(`${dir}/f`, "rw");
        assert.equal(host.write(file, new TextEncoder().encode("abcdef"), 2), 6);
        const buffer = new Uint8Array(4);
        assert.equal(host.read(file, buffer, 4), 4);
        assert.equal(new TextDecoder().decode(buffer), "cdef");
        assert.equal(host.read(file, buffer, 100), 0);
        const st = host.fstat(file);
        assert.equal(st.type, FileType.RegularFile);
        assert.equal(st.size, 8);
        assert.equal(st.ino, host.lstat(`${dir}/f`).ino);
        host.close(file);
        assert.equal(toKernelError(catchError(() => host.createExclusive(`${dir}/f`, 0o600))).code, "EEXIST");
        assert.equal(toKernelError(catchError(() => host.lstat(`${dir}/missing`))).code, "ENOENT");
        assert.equal(toKernelError(catchError(() => host.readdir(`${dir}/f`))).code, "ENOTDIR");
        assert.equal(toKernelError(catchError(() => host.readlink(`${dir}/f`))).code, "EINVAL");
        host.symlink("f", `${dir}/l`);
        assert.equal(host.lstat(`${dir}/l`).type, FileType.Symlink);
        assert.deepEqual(host.readdir(dir).map((e) => e.name).sort(), ["f", "l"]);
      } finally {
        nodeFs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
