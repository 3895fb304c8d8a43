import assert from "node:assert/strict";
import { test } from "node:test";
import { limitMemory } from "./memory_limit.ts";

// (module (memory (export "memory") 1)) and (module (memory 2 10))
const oneMin = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  5,
  3,
  1,
  0,
  1,
  7,
  10,
  1,
  6,
  109,
  101,
  109,
  111,
  114,
  121,
  2,
  0,
]);
const withMax = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 1, 2, 10]);

function maxPages(bytes: Uint8Array): number | undefined {
  const memory = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).exports
    .memory as
      | WebAssembly.Memory
      | undefined;
  if (!memory) return undefined;
  let pages = memory.buffer.byteLength / 65536;
  while (true) {
    try {
      memory.grow(1);
      pages++;
    } catch {
      return pages;
    }
    if (pages > 64) return undefined;
  }
}

test("limitMemory caps growth inside the guest", () => {
  const capped = limitMemory(oneMin, 4 * 65536);
  assert.ok(WebAssembly.validate(capped as Uint8Array<ArrayBuffer>));
  assert.equal(maxPages(capped), 4);
});

test("limitMemory keeps a smaller maximum and refuses a too-large minimum", () => {
  const capped = limitMemory(withMax, 100 * 65536);
  assert.ok(WebAssembly.validate(capped as Uint8Array<ArrayBuffer>));
  assert.deepEqual([...capped.subarray(8)], [5, 4, 1, 1, 2, 10]);
  assert.throws(() => limitMemory(withMax, 65536), RangeError);
  assert.throws(() => limitMemory(oneMin, 1000), RangeError);
});
