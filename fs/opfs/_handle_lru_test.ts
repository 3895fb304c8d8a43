import assert from "node:assert/strict";
import { test } from "node:test";
import { HandleLru, type HandleOwner } from "./_handle_lru.ts";
import type { OpfsSyncAccessHandle } from "./_opfs_api.ts";

function handle(name: string, closed: string[]): OpfsSyncAccessHandle {
  return {
    read: () => 0,
    write: () => 0,
    truncate() {},
    getSize: () => 0,
    flush() {},
    close() {
      closed.push(name);
    },
  };
}

test("HandleLru closes the least recently used handle past its capacity", () => {
  const closed: string[] = [];
  const lru = new HandleLru<HandleOwner & { name: string; }>(2);
  const [a, b, c] = ["a", "b", "c"].map((name) => ({ name, sah: null }));
  lru.add(a, handle("a", closed));
  lru.add(b, handle("b", closed));
  lru.touch(a);
  lru.add(c, handle("c", closed));
  assert.deepEqual(closed, ["b"]);
  assert.equal(b.sah, null);
  assert.deepEqual(lru.owners().map((o) => o.name), ["a", "c"]);
  lru.touch(a);
  lru.add(b, handle("b2", closed));
  assert.deepEqual(closed, ["b", "c"]);
  lru.close(a);
  assert.equal(a.sah, null);
  lru.close(a); // closing twice is harmless
  lru.closeAll((owner) => owner.name === "x");
  assert.equal(lru.size, 1);
  lru.closeAll();
  assert.deepEqual(closed, ["b", "c", "a", "b2"]);
  assert.equal(lru.size, 0);
});

test("HandleLru needs a capacity of at least one", () => {
  assert.throws(() => new HandleLru(0), RangeError);
  assert.throws(() => new HandleLru(1.5), RangeError);
});
