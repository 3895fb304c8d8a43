import assert from "node:assert/strict";
import { test } from "node:test";
import { ARGS_END, ARGS_START, argsSize, checkArgsFit, writeArgs } from "./argv.ts";

function readCString(mem: Uint8Array, at: number): string {
  let end = at;
  while (mem[end] !== 0) end++;
  return new TextDecoder().decode(mem.subarray(at, end));
}

function readTable(memory: WebAssembly.Memory, argv: number): string[][] {
  const view = new DataView(memory.buffer);
  const bytes = new Uint8Array(memory.buffer);
  const lists: string[][] = [[], []];
  let at = argv;
  for (const list of lists) {
    for (;;) {
      const p = view.getUint32(at, true);
      assert.equal(view.getUint32(at + 4, true), 0);
      at += 8;
      if (p === 0) break;
      assert.equal(p % 8, 0, "strings are 8-byte aligned");
      assert.ok(p >= ARGS_START && p < ARGS_END);
      list.push(readCString(bytes, p));
    }
  }
  assert.ok(at <= ARGS_END);
  return lists;
}

test("argv: strings then the pointer table at 4096, env sorted by key", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { argc, argv } = writeArgs(memory, ["prog", "héllo wörld", ""], { ZED: "z", ALPHA: "a=b", MID: "" });
  assert.equal(argc, 3);
  assert.equal(argv % 8, 0);
  assert.deepEqual(readTable(memory, argv), [["prog", "héllo wörld", ""], ["ALPHA=a=b", "MID=", "ZED=z"]]);
  assert.equal(new DataView(memory.buffer).getUint32(ARGS_START, true) !== 0, true);
  assert.equal(
    argsSize(["prog", "héllo wörld", ""], { ZED: "z", ALPHA: "a=b", MID: "" }),
    argv + 8 * 8 - ARGS_START,
  );
});

test("argv: the 8 KiB limit, pointers included, is a RangeError", () => {
  // One argv string of n bytes takes pad8(n + 1) bytes plus 3 pointer slots (argv, 0, 0).
  const fits = "x".repeat(8192 - 24 - 8 - 1); // pad8(8160) = 8160; 8160 + 24 = 8184 < 8192
  checkArgsFit([fits], {});
  const memory = new WebAssembly.Memory({ initial: 1 });
  writeArgs(memory, [fits], {});
  assert.throws(() => checkArgsFit([fits + "xxxxxxxx"], {}), RangeError);
  assert.throws(() => writeArgs(memory, ["p"], { BIG: "y".repeat(9000) }), RangeError);
});

test("argv: bad strings are TypeErrors", () => {
  assert.throws(() => checkArgsFit(["a\0b"], {}), TypeError);
  assert.throws(() => checkArgsFit(["a"], { "A=B": "x" }), TypeError);
  assert.throws(() => checkArgsFit(["a"], { "": "x" }), TypeError);
  assert.throws(() => checkArgsFit([1 as unknown as string], {}), TypeError);
});
