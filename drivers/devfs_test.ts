import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { close, fstat, getdents, openat, read, write } from "../kernel/syscalls/mod.ts";
import { FileType, O } from "../kernel/types.ts";
import { collector, createKernel, sinkStream, sourceStream } from "../mod.ts";
import { bytes, errnoOf, setup, sync, text } from "../tests/_support/kernel.ts";

const CWD = -100;

describe("devfs", () => {
  test("null discards and reads EOF; zero reads zeros; full is ENOSPC", () => {
    const { proc } = setup();
    const nul = sync(openat(proc, CWD, "/dev/null", O.RDWR));
    assert.equal(sync(write(proc, nul, bytes("gone"))), 4);
    assert.equal(sync(read(proc, nul, new Uint8Array(8))), 0);
    const zero = sync(openat(proc, CWD, "/dev/zero", O.RDONLY));
    const buf = new Uint8Array(16).fill(9);
    assert.equal(sync(read(proc, zero, buf)), 16);
    assert.deepEqual([...buf], new Array(16).fill(0));
    const full = sync(openat(proc, CWD, "/dev/full", O.WRONLY));
    assert.equal(errnoOf(() => write(proc, full, bytes("x"))), "ENOSPC");
    assert.equal(sync(fstat(proc, nul)).type, FileType.CharDevice);
  });

  test("random and urandom come from the kernel's source (seeded when deterministic)", () => {
    const a = setup({ seed: 5 });
    const b = setup({ seed: 5 });
    const read16 = (p: typeof a.proc, path: string) => {
      const fd = sync(openat(p, CWD, path, O.RDONLY));
      const out = new Uint8Array(16);
      sync(read(p, fd, out));
      sync(close(p, fd));
      return out;
    };
    assert.deepEqual(read16(a.proc, "/dev/urandom"), read16(b.proc, "/dev/urandom"));
    assert.notDeepEqual(read16(a.proc, "/dev/random"), new Uint8Array(16));
  });

  test("stdout, stderr and stdin open the process's own fds", () => {
    const kernel = createKernel();
    const out = collector();
    const proc = kernel.createProcess({ stdin: sourceStream("typed"), stdout: sinkStream(out.sink) });
    const fd = sync(openat(proc, CWD, "/dev/stdout", O.WRONLY));
    sync(write(proc, fd, bytes("via /dev/stdout\n")));
    assert.equal(out.text(), "via /dev/stdout\n");
    const inFd = sync(openat(proc, CWD, "/dev/stdin", O.RDONLY));
    const buf = new Uint8Array(16);
    assert.equal(text(buf.subarray(0, sync(read(proc, inFd, buf)))), "typed");
    const bare = kernel.createProcess();
    assert.equal(errnoOf(() => openat(bare, CWD, "/dev/stderr", O.WRONLY)), "EBADF");
  });

  test("tty without a terminal is ENXIO; the tree is fixed", () => {
    const { proc } = setup();
    assert.equal(errnoOf(() => openat(proc, CWD, "/dev/tty", O.RDWR)), "ENXIO");
    assert.equal(errnoOf(() => openat(proc, CWD, "/dev/new", O.CREAT | O.WRONLY)), "EACCES");
    const dir = sync(openat(proc, CWD, "/dev", O.RDONLY | O.DIRECTORY));
    const names = sync(getdents(proc, dir, 100)).map((e) => e.name).sort();
    assert.deepEqual(names, [
      ".",
      "..",
      "full",
      "null",
      "random",
      "stderr",
      "stdin",
      "stdout",
      "tty",
      "urandom",
      "zero",
    ]);
  });

  test("a terminal behind /dev/tty", () => {
    const out = collector();
    const kernel = createKernel({ tty: sinkStream(out.sink, { isTerminal: true }) });
    const proc = kernel.createProcess();
    const fd = sync(openat(proc, CWD, "/dev/tty", O.WRONLY));
    sync(write(proc, fd, bytes("hi tty")));
    assert.equal(out.text(), "hi tty");
  });
});
