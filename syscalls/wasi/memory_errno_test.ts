import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelError } from "../../kernel/errno.ts";
import { ERRNO, ERRNO_NAMES } from "./abi.ts";
import { errnoOf, WASI_ERRNO, WasiError, WasiExit } from "./errno.ts";
import { gather, GuestMemory, scatter } from "./memory.ts";

test("errno table: every kernel name maps to a distinct WASI number in range", () => {
  const seen = new Map<number, string>();
  for (const [name, value] of Object.entries(WASI_ERRNO)) {
    assert.ok(value > 0 && value <= 76, name);
    assert.equal(ERRNO_NAMES[value], name.slice(1).replace(/^2BIG$/, "2BIG"), name);
    assert.ok(!seen.has(value), `${name} and ${seen.get(value)} share ${value}`);
    seen.set(value, name);
  }
  assert.equal(WASI_ERRNO.EPERM, 63);
  assert.equal(WASI_ERRNO.ENOENT, 44);
  assert.equal(WASI_ERRNO.EAGAIN, 6);
  assert.equal(WASI_ERRNO.ENOSYS, 52);
});

test("errnoOf converts kernel and facade errors, turns anything else into EIO, rethrows exits", () => {
  assert.equal(errnoOf(new KernelError("EBADF")), ERRNO.BADF);
  assert.equal(errnoOf(new WasiError(ERRNO.NOTCAPABLE)), ERRNO.NOTCAPABLE);
  let heard: unknown;
  assert.equal(errnoOf(new TypeError("bug"), (e) => (heard = e)), ERRNO.IO);
  assert.ok(heard instanceof TypeError);
  assert.equal(errnoOf("a string"), ERRNO.IO);
  assert.throws(() => errnoOf(new WasiExit(3)), WasiExit);
});

test("GuestMemory: bounds checks are EFAULT, pointers are u32, views follow growth", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const mem = new GuestMemory(memory);
  const efault = (fn: () => unknown) =>
    assert.throws(fn, (e: unknown) => e instanceof WasiError && e.errno === ERRNO.FAULT);
  mem.setU32(65532, 7);
  assert.equal(mem.getU32(65532), 7);
  efault(() => mem.getU32(65533));
  efault(() => mem.bytes(65535, 2));
  efault(() => mem.check(-1, 1)); // -1 is 0xffffffff as u32
  efault(() => mem.checkArray(0, 0x20000000, 8));
  assert.equal(mem.bytes(65536, 0).length, 0);
  const before = mem.bytes(0, 4);
  memory.grow(1);
  assert.equal(before.length, 0, "the old view was detached by growth");
  mem.setU64(70000, 2n ** 64n - 1n);
  assert.equal(mem.getU64(70000), 2n ** 64n - 1n);
  assert.equal(mem.size, 131072);
});

test("GuestMemory without a memory: every access is EFAULT; invalid UTF-8 is ILSEQ", () => {
  const none = new GuestMemory(null);
  assert.equal(none.size, 0);
  assert.throws(() => none.getU8(0), (e: unknown) => (e as WasiError).errno === ERRNO.FAULT);
  const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
  mem.write(0, new Uint8Array([0x66, 0xff, 0x6f]));
  assert.throws(() => mem.string(0, 3), (e: unknown) => (e as WasiError).errno === ERRNO.ILSEQ);
  mem.write(0, new TextEncoder().encode("héllo"));
  assert.equal(mem.string(0, 6), "héllo");
});

test("iovecs, gather and scatter", () => {
  const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
  mem.setU32(0, 100);
  mem.setU32(4, 3);
  mem.setU32(8, 200);
  mem.setU32(12, 2);
  const views = mem.iovecs(0, 2);
  scatter(new Uint8Array([1, 2, 3, 4, 5]), 4, views);
  assert.deepEqual([...mem.bytes(100, 3)], [1, 2, 3]);
  assert.deepEqual([...mem.bytes(200, 2)], [4, 0]);
  assert.deepEqual([...gather(views)], [1, 2, 3, 4, 0]);
  mem.setU32(12, 70000);
  assert.throws(() => mem.iovecs(0, 2), (e: unknown) => (e as WasiError).errno === ERRNO.FAULT);
});
