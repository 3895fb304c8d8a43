import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FileType } from "../../kernel/types.ts";
import type { VNode } from "../../kernel/vfs/driver.ts";
import { Directory } from "./directory.ts";

let nextIno = 100;
function node(): VNode {
  return { ino: nextIno++, type: FileType.RegularFile };
}

function listAll(dir: Directory<VNode>, batch: number): string[] {
  const names: string[] = [];
  let cookie = 0;
  for (;;) {
    const entries = dir.list(cookie, batch);
    if (entries.length === 0) return names;
    for (const entry of entries) names.push(entry.name);
    cookie = entries[entries.length - 1].next;
  }
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

describe("Directory", () => {
  test("add, get, has, remove, replace", () => {
    const dir = new Directory<VNode>();
    const a = node();
    const b = node();
    assert.equal(dir.add("a", a), true);
    assert.equal(dir.add("a", b), false);
    assert.equal(dir.get("a"), a);
    assert.equal(dir.has("a"), true);
    assert.equal(dir.size, 1);
    assert.equal(dir.replace("a", b), a);
    assert.equal(dir.get("a"), b);
    assert.equal(dir.remove("a"), b);
    assert.equal(dir.remove("a"), undefined);
    assert.equal(dir.get("a"), undefined);
    assert.equal(dir.has("a"), false);
    assert.equal(dir.size, 0);
    assert.throws(() => dir.replace("a", a), RangeError);
  });

  test("entries carry ino, type and increasing cookies", () => {
    const dir = new Directory<VNode>();
    const nodes = [node(), node(), node()];
    nodes.forEach((n, i) => dir.add(`n${i}`, n));
    const entries = dir.list(0, 10);
    assert.deepEqual(entries.map((e) => e.name), ["n0", "n1", "n2"]);
    assert.deepEqual(entries.map((e) => e.ino), nodes.map((n) => n.ino));
    assert.ok(entries.every((e) => e.type === FileType.RegularFile));
    assert.ok(entries.every((e, i) => i === 0 || e.next > entries[i - 1].next));
    assert.ok(entries[0].next > 0);
    assert.deepEqual(dir.list(0, 0), []);
    assert.deepEqual(dir.list(entries[2].next, 10), []);
    assert.deepEqual([...dir.entries()].map(([name]) => name), ["n0", "n1", "n2"]);
  });

  test("cookies survive compaction", () => {
    const dir = new Directory<VNode>();
    for (let i = 0; i < 1000; i++) dir.add(`f${i}`, node());
    const first = dir.list(0, 500);
    const cookie = first[first.length - 1].next;
    for (let i = 0; i < 900; i++) if (i % 10 !== 0) dir.remove(`f${i}`); // many compactions
    const rest = dir.list(cookie, 10_000).map((e) => e.name);
    const expected: string[] = [];
    for (let i = 500; i < 1000; i++) if (i >= 900 || i % 10 === 0) expected.push(`f${i}`);
    assert.deepEqual(rest, expected);
  });

  test("a removed name is not listed; re-adding it before compaction keeps its place", () => {
    const dir = new Directory<VNode>();
    for (const name of ["a", "b", "c"]) dir.add(name, node());
    const first = dir.list(0, 2); // a, b
    dir.remove("a");
    dir.remove("c");
    dir.add("a", node());
    const rest = dir.list(first[1].next, 10).map((e) => e.name);
    assert.deepEqual(rest, [], "a was already listed, c is gone");
    assert.deepEqual(listAll(dir, 10), ["a", "b"]);
  });

  test("replacing a node keeps the name's place (no repeat)", () => {
    const dir = new Directory<VNode>();
    for (const name of ["a", "b", "c"]) dir.add(name, node());
    const first = dir.list(0, 2);
    dir.replace("a", node());
    assert.deepEqual(dir.list(first[1].next, 10).map((e) => e.name), ["c"]);
  });

  test("clear forgets everything", () => {
    const dir = new Directory<VNode>();
    for (let i = 0; i < 10; i++) dir.add(`x${i}`, node());
    dir.clear();
    assert.equal(dir.size, 0);
    assert.deepEqual(dir.list(0, 100), []);
  });

  test("listing 100,000 entries in small batches is fast (no quadratic scan)", () => {
    const dir = new Directory<VNode>();
    for (let i = 0; i < 100_000; i++) dir.add(`file-${i}`, node());
    const start = performance.now();
    const names = listAll(dir, 7);
    const elapsed = performance.now() - start;
    assert.equal(names.length, 100_000);
    assert.equal(new Set(names).size, 100_000);
    assert.ok(elapsed < 5000, `listing took ${elapsed} ms`);
  });

  for (const readd of [false, true]) {
    test(`listing under concurrent change (property, ${readd ? "re-adding removed names" : "fresh names"})`, () => {
      const random = prng(readd ? 99 : 7);
      for (let round = 0; round < 60; round++) {
        const dir = new Directory<VNode>();
        let fresh = 0;
        const initial = Math.floor(random() * 300);
        for (let i = 0; i < initial; i++) dir.add(`n${fresh++}`, node());
        const removedEver = new Set<string>();
        const addedDuring = new Set<string>();
        const returned: string[] = [];
        let cookie = 0;
        for (;;) {
          const entries = dir.list(cookie, 1 + Math.floor(random() * 20));
          for (const entry of entries) {
            assert.ok(dir.has(entry.name), `${entry.name} returned while absent`);
            returned.push(entry.name);
          }
          if (entries.length === 0) break;
          cookie = entries[entries.length - 1].next;
          // Mutate between batches.
          const changes = Math.floor(random() * 30);
          for (let c = 0; c < changes; c++) {
            if (random() < 0.5 && dir.size > 0) {
              const names = [...dir.entries()].map(([name]) => name);
              const victim = names[Math.floor(random() * names.length)];
              dir.remove(victim);
              removedEver.add(victim);
            } else {
              let name: string;
              if (readd && removedEver.size > 0 && random() < 0.5) {
                const candidates = [...removedEver].filter((n) => !dir.has(n));
                name = candidates.length > 0
                  ? candidates[Math.floor(random() * candidates.length)]
                  : `n${fresh++}`;
              } else {
                name = `n${fresh++}`;
              }
              if (dir.add(name, node())) addedDuring.add(name);
            }
          }
        }
        // Every name present for the whole listing appears exactly once.
        const counts = new Map<string, number>();
        for (const name of returned) counts.set(name, (counts.get(name) ?? 0) + 1);
        for (let i = 0; i < initial; i++) {
          const name = `n${i}`;
          if (!removedEver.has(name)) assert.equal(counts.get(name), 1, `${name} present throughout`);
        }
        // No repeats, except (re-add variant) a name removed and created again during the listing.
        for (const [name, count] of counts) {
          if (count > 1) {
            assert.ok(readd && removedEver.has(name) && addedDuring.has(name), `${name} repeated`);
          }
        }
      }
    });
  }
});
