import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { isKernelError } from "../../kernel/errno.ts";
import { CONTIGUOUS_LIMIT, FileData, PAGE_SIZE, SpaceAccount } from "./file_data.ts";

const GiB = 2 ** 30;

function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff || 1;
  return out;
}

function readAll(data: FileData, position = 0, length = data.size - position): Uint8Array {
  const out = new Uint8Array(length);
  assert.equal(data.read(out, position), length);
  return out;
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("FileData", () => {
  test("an empty file allocates nothing and reads nothing", () => {
    const data = new FileData();
    assert.equal(data.size, 0);
    assert.equal(data.allocated, 0);
    assert.equal(data.read(new Uint8Array(10), 0), 0);
  });

  test("small writes stay contiguous and read back", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(bytes(100), 0, space);
    data.write(bytes(50, 7), 100, space);
    assert.equal(data.size, 150);
    assert.equal(data.paged, false);
    assert.deepEqual(readAll(data, 0, 100), bytes(100));
    assert.deepEqual(readAll(data, 100), bytes(50, 7));
    assert.equal(data.allocated, 150);
    assert.equal(space.used, 150);
  });

  test("reads are clipped at the end and return 0 past it", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(bytes(10), 0, space);
    const out = new Uint8Array(20);
    assert.equal(data.read(out, 5), 5);
    assert.deepEqual(out.subarray(0, 5), bytes(10).subarray(5));
    assert.equal(data.read(out, 10), 0);
    assert.equal(data.read(out, 1000), 0);
  });

  test("a write past the end leaves a hole of zeros", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(new Uint8Array([1, 2, 3]), 1000, space);
    assert.equal(data.size, 1003);
    const all = readAll(data);
    assert.ok(all.subarray(0, 1000).every((b) => b === 0));
    assert.deepEqual([...all.subarray(1000)], [1, 2, 3]);
  });

  test("growing past the contiguous limit switches to pages and keeps the data", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    const head = bytes(CONTIGUOUS_LIMIT - 10, 3);
    data.write(head, 0, space);
    assert.equal(data.paged, false);
    const tail = bytes(PAGE_SIZE * 2, 9);
    data.write(tail, CONTIGUOUS_LIMIT - 10, space);
    assert.equal(data.paged, true);
    assert.equal(data.size, CONTIGUOUS_LIMIT - 10 + PAGE_SIZE * 2);
    assert.deepEqual(readAll(data, 0, head.length), head);
    assert.deepEqual(readAll(data, head.length), tail);
    assert.equal(data.allocated % PAGE_SIZE, 0);
    assert.equal(space.used, data.allocated);
    assert.equal(data.allocated, Math.ceil(data.size / PAGE_SIZE) * PAGE_SIZE);
  });

  test("a byte at 5 GiB allocates one page; holes read as zeros", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(new Uint8Array([0xab]), 5 * GiB, space);
    assert.equal(data.size, 5 * GiB + 1);
    assert.equal(data.allocated, PAGE_SIZE);
    assert.equal(space.used, PAGE_SIZE);
    const hole = new Uint8Array(3 * PAGE_SIZE + 17).fill(0xee);
    assert.equal(data.read(hole, 4 * GiB + 5), hole.length);
    assert.ok(hole.every((b) => b === 0));
    const around = new Uint8Array(4).fill(0xee);
    assert.equal(data.read(around, 5 * GiB - 2), 3);
    assert.deepEqual([...around], [0, 0, 0xab, 0xee]);
  });

  test("writes spanning page boundaries, partial and whole pages", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(new Uint8Array([1]), 10 * PAGE_SIZE, space); // force paged mode
    const chunk = bytes(3 * PAGE_SIZE + 100, 5);
    data.write(chunk, PAGE_SIZE - 50, space);
    assert.deepEqual(readAll(data, PAGE_SIZE - 50, chunk.length), chunk);
    assert.deepEqual(readAll(data, 0, PAGE_SIZE - 50), new Uint8Array(PAGE_SIZE - 50));
  });

  test("a full-page write does not alias the caller's buffer (Uint8Array and Buffer)", () => {
    for (const make of [(n: number) => new Uint8Array(n), (n: number) => Buffer.alloc(n)]) {
      const space = new SpaceAccount();
      const data = new FileData();
      data.write(new Uint8Array([1]), 2 * CONTIGUOUS_LIMIT, space);
      const source = make(PAGE_SIZE);
      source.fill(7);
      data.write(source, 0, space);
      source.fill(9);
      const out = readAll(data, 0, PAGE_SIZE);
      assert.ok(out.every((b) => b === 7));
    }
  });

  test("truncate shrink zeroes the tail; a later grow reads zeros (contiguous)", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(bytes(1000), 0, space);
    data.truncate(400, space);
    assert.equal(data.size, 400);
    assert.equal(data.allocated, 400);
    assert.equal(space.used, 400);
    data.truncate(1000, space);
    assert.equal(data.size, 1000);
    assert.equal(data.allocated, 400, "growing is a hole");
    const all = readAll(data);
    assert.deepEqual(all.subarray(0, 400), bytes(1000).subarray(0, 400));
    assert.ok(all.subarray(400).every((b) => b === 0));
    // Writing after the hole must not resurrect old bytes.
    data.write(new Uint8Array([5]), 999, space);
    assert.ok(readAll(data, 400, 599).every((b) => b === 0));
  });

  test("truncate shrink drops pages and zeroes the tail of the last page (paged)", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    const content = bytes(10 * PAGE_SIZE, 11);
    data.write(content, 0, space);
    assert.equal(data.paged, true);
    assert.equal(data.allocated, 10 * PAGE_SIZE);
    const cut = 3 * PAGE_SIZE + 123;
    data.truncate(cut, space);
    assert.equal(data.allocated, 4 * PAGE_SIZE);
    assert.equal(space.used, 4 * PAGE_SIZE);
    data.truncate(10 * PAGE_SIZE, space);
    assert.equal(data.allocated, 4 * PAGE_SIZE);
    const all = readAll(data);
    assert.deepEqual(all.subarray(0, cut), content.subarray(0, cut));
    assert.ok(all.subarray(cut).every((b) => b === 0));
  });

  test("truncate of a huge sparse file is cheap and frees its pages", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(new Uint8Array([1]), 0, space);
    data.write(new Uint8Array([2]), 2 ** 52, space);
    data.truncate(2 ** 52 + 1000, space);
    data.truncate(PAGE_SIZE * 1000, space); // iterates pages, not the 2^36 page range
    assert.equal(data.size, PAGE_SIZE * 1000);
    assert.equal(data.allocated, data.paged ? PAGE_SIZE : 1);
    data.truncate(0, space);
    assert.equal(data.size, 0);
    assert.equal(data.allocated, 0);
    assert.equal(space.used, 0);
    assert.equal(data.paged, false);
  });

  test("truncate to 0 and clear release everything", () => {
    const space = new SpaceAccount();
    const data = new FileData();
    data.write(bytes(CONTIGUOUS_LIMIT + 1), 0, space);
    assert.ok(space.used > 0);
    data.truncate(0, space);
    assert.equal(space.used, 0);
    data.write(bytes(10), 0, space);
    assert.equal(data.paged, false);
    data.clear(space);
    assert.equal(space.used, 0);
    assert.equal(data.size, 0);
  });

  test("ENOSPC changes nothing: contiguous, converting and paged writes", () => {
    const space = new SpaceAccount(3 * PAGE_SIZE);
    const data = new FileData();
    data.write(bytes(1000), 0, space);
    const before = readAll(data);
    const failing = [
      () => data.write(bytes(2 * PAGE_SIZE + 2), CONTIGUOUS_LIMIT * 4, space), // conversion + 3 far pages
      () => data.write(bytes(CONTIGUOUS_LIMIT * 2), 0, space),
    ];
    for (const write of failing) {
      assert.throws(write, (e) => isKernelError(e, "ENOSPC"));
      assert.equal(data.size, 1000);
      assert.equal(data.paged, false);
      assert.equal(space.used, 1000);
      assert.deepEqual(readAll(data), before);
    }
    data.write(bytes(10), CONTIGUOUS_LIMIT + 10, space); // converts: 2 pages
    assert.equal(data.paged, true);
    const used = space.used;
    const size = data.size;
    assert.throws(
      () => data.write(bytes(PAGE_SIZE * 3), 40 * PAGE_SIZE, space),
      (e) => isKernelError(e, "ENOSPC"),
    );
    assert.equal(space.used, used);
    assert.equal(data.size, size);
    assert.deepEqual(readAll(data, 0, 1000), before);
  });

  test("random writes and truncates match a plain array model", () => {
    const random = prng(12345);
    const limit = 3 * CONTIGUOUS_LIMIT;
    for (let round = 0; round < 20; round++) {
      const space = new SpaceAccount();
      const data = new FileData();
      let model = new Uint8Array(0);
      for (let step = 0; step < 40; step++) {
        const choice = random();
        if (choice < 0.7) {
          const position = Math.floor(random() * limit);
          const length = Math.floor(random() * (random() < 0.5 ? 300 : 3 * PAGE_SIZE)) + 1;
          const chunk = bytes(length, step + round);
          data.write(chunk, position, space);
          if (position + length > model.length) {
            const grown = new Uint8Array(position + length);
            grown.set(model);
            model = grown;
          }
          model.set(chunk, position);
        } else {
          const size = Math.floor(random() * limit);
          data.truncate(size, space);
          const resized = new Uint8Array(size);
          resized.set(model.subarray(0, size));
          model = resized;
        }
        assert.equal(data.size, model.length);
        assert.equal(space.used, data.allocated);
      }
      assert.deepEqual(readAll(data), model);
      // Unaligned reads too.
      for (let i = 0; i < 10; i++) {
        const position = Math.floor(random() * (model.length + 10));
        const out = new Uint8Array(Math.floor(random() * 2 * PAGE_SIZE));
        const count = data.read(out, position);
        const expected = model.subarray(Math.min(position, model.length), position + out.length);
        assert.equal(count, expected.length);
        assert.deepEqual(out.subarray(0, count), expected);
      }
    }
  });
});

describe("SpaceAccount", () => {
  test("rejects a negative limit", () => {
    assert.throws(() => new SpaceAccount(-1), RangeError);
  });

  test("reserve up to the limit, ENOSPC beyond", () => {
    const account = new SpaceAccount(10);
    account.reserve(10);
    assert.throws(() => account.reserve(1), (e) => isKernelError(e, "ENOSPC"));
    assert.equal(account.used, 10);
  });
});
