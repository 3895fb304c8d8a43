import assert from "node:assert/strict";
import { test } from "node:test";
import { shareMemory } from "./shared_memory.ts";
import { assemble, call, I32, i32c } from "./wasi/_test_wasm.ts";

const TYPES: [number[], number[]][] = [[[], []], [[I32], []]];
const IMPORT_F = { module: "env", name: "f", type: 1 };

function memoryOf(bytes: Uint8Array, imports: WebAssembly.Imports = {}): WebAssembly.Memory | undefined {
  const instance = new WebAssembly.Instance(
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>),
    imports,
  );
  return instance.exports.memory as WebAssembly.Memory | undefined;
}

test("shareMemory: a defined memory without a maximum gets 65536 pages, shared", () => {
  const bytes = assemble({
    types: TYPES,
    imports: [IMPORT_F],
    funcs: [{ type: 0, body: [...i32c(1), ...call(0)] }],
    memory: { min: 2, export: "memory" },
  });
  const { bytes: out, memory } = shareMemory(bytes);
  assert.deepEqual(memory, { kind: "defined", initial: 2, maximum: 65536, wasShared: false });
  assert.ok(WebAssembly.validate(out as Uint8Array<ArrayBuffer>));
  const mem = memoryOf(out, { env: { f: () => {} } })!;
  const buffer: ArrayBufferLike = mem.buffer;
  assert.equal(buffer instanceof SharedArrayBuffer, true);
  assert.equal(buffer.byteLength, 2 * 65536);
  assert.equal(
    memoryOf(bytes, { env: { f: () => {} } })!.buffer instanceof SharedArrayBuffer,
    false,
    "input untouched",
  );
});

test("shareMemory: the module's own maximum is kept, and capped by maxBytes", () => {
  const bytes = assemble({ types: TYPES, memory: { min: 1, max: 10, export: "memory" } });
  assert.equal(shareMemory(bytes).memory?.maximum, 10);
  assert.equal(shareMemory(bytes, 4 * 65536).memory?.maximum, 4);
  assert.equal(shareMemory(bytes, 40 * 65536).memory?.maximum, 10);
  const noMax = assemble({ types: TYPES, memory: { min: 1, export: "memory" } });
  assert.equal(shareMemory(noMax, 3 * 65536 + 100).memory?.maximum, 3);
  assert.throws(() => shareMemory(assemble({ types: TYPES, memory: { min: 5 } }), 4 * 65536), RangeError);
  assert.throws(() => shareMemory(noMax, 1000), RangeError);
});

test("shareMemory: an imported memory is rewritten and described", () => {
  const bytes = assemble({
    types: TYPES,
    imports: [IMPORT_F],
    funcs: [{ type: 0, body: [] }],
    memory: { min: 3, import: ["env", "memory"] },
  });
  const { bytes: out, memory } = shareMemory(bytes);
  assert.deepEqual(memory, {
    kind: "imported",
    module: "env",
    name: "memory",
    initial: 3,
    maximum: 65536,
    wasShared: false,
  });
  const shared = new WebAssembly.Memory(
    { initial: 3, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor,
  );
  memoryOf(out, { env: { f: () => {}, memory: shared } });
  assert.throws(() =>
    memoryOf(out, { env: { f: () => {}, memory: new WebAssembly.Memory({ initial: 3 }) } })
  );
});

test("shareMemory: an already shared memory stays as it is; no memory, no change", () => {
  const shared = assemble({ types: TYPES, memory: { min: 1, max: 7, shared: true, export: "memory" } });
  const r = shareMemory(shared);
  assert.deepEqual(r.memory, { kind: "defined", initial: 1, maximum: 7, wasShared: true });
  assert.deepEqual(r.bytes, shared);
  const none = assemble({ types: TYPES, imports: [IMPORT_F], funcs: [{ type: 0, body: [] }] });
  const n = shareMemory(none);
  assert.equal(n.memory, null);
  assert.equal(n.bytes, none);
});

test("shareMemory: rejects what it cannot share", () => {
  assert.throws(() => shareMemory(new TextEncoder().encode("not wasm at all")), TypeError);
  // Two memories: one imported, one defined (multi-memory).
  const two = assemble({ types: TYPES, memory: { min: 1, import: ["env", "memory"] } });
  const withSecond = new Uint8Array([...two, 5, 3, 1, 0, 1]);
  assert.throws(() => shareMemory(withSecond), /more than one memory/);
  // memory64 flag.
  const m64 = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 1]);
  assert.throws(() => shareMemory(m64), /64-bit/);
});
