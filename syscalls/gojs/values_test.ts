import assert from "node:assert/strict";
import { test } from "node:test";
import { NAN_HEAD, PredefinedId, type Ref, TypeFlag, ValueTable } from "./values.ts";

const global = { name: "global" };
const go = { name: "go" };

test("values: numbers other than 0 and NaN are refs by themselves; undefined is 0", () => {
  const t = new ValueTable(global, go);
  assert.equal(t.store(1.5), 1.5);
  assert.equal(t.store(-7), -7);
  assert.equal(t.store(undefined), 0);
  assert.deepEqual(t.store(NaN), { high: NAN_HEAD, low: PredefinedId.NaN });
  assert.deepEqual(t.store(0), { high: NAN_HEAD, low: PredefinedId.Zero });
  assert.deepEqual(t.store(-0), { high: NAN_HEAD, low: PredefinedId.Zero });
});

test("values: predefined ids", () => {
  const t = new ValueTable(global, go);
  assert.deepEqual(t.store(null), { high: NAN_HEAD, low: PredefinedId.Null });
  assert.deepEqual(t.store(true), { high: NAN_HEAD, low: PredefinedId.True });
  assert.deepEqual(t.store(false), { high: NAN_HEAD, low: PredefinedId.False });
  assert.deepEqual(t.store(global), { high: NAN_HEAD | TypeFlag.Object, low: PredefinedId.Global });
  assert.deepEqual(t.store(go), { high: NAN_HEAD | TypeFlag.Object, low: PredefinedId.Go });
  assert.equal(t.get(PredefinedId.Global), global);
  assert.equal(t.get(PredefinedId.Go), go);
  assert.ok(Number.isNaN(t.get(PredefinedId.NaN) as number));
  // Releasing a predefined id never frees it.
  t.release(PredefinedId.Global);
  t.release(PredefinedId.Null);
  assert.equal(t.get(PredefinedId.Global), global);
  assert.equal(t.refCount(PredefinedId.Global), Infinity);
  assert.equal(t.size, 7);
});

test("values: type flags", () => {
  const t = new ValueTable(global, go);
  const flag = (v: unknown) => ((t.store(v) as Ref).high & 7);
  assert.equal(flag({}), TypeFlag.Object);
  assert.equal(flag([]), TypeFlag.Object);
  assert.equal(flag("s"), TypeFlag.String);
  assert.equal(flag(Symbol("x")), TypeFlag.Symbol);
  assert.equal(flag(() => 1), TypeFlag.Function);
  assert.equal(flag(10n), TypeFlag.None);
});

test("values: reference counting and id reuse", () => {
  const t = new ValueTable(global, go);
  const a = {};
  const b = {};
  const ra = t.store(a) as Ref;
  assert.equal(ra.low, 7);
  assert.equal((t.store(a) as Ref).low, 7);
  assert.equal(t.refCount(7), 2);
  const rb = t.store(b) as Ref;
  assert.equal(rb.low, 8);
  t.release(7);
  assert.equal(t.get(7), a);
  t.release(7);
  assert.equal(t.get(7), undefined);
  assert.equal(t.size, 8);
  // Extra releases of a freed id are ignored.
  t.release(7);
  t.release(7);
  const c = {};
  assert.equal((t.store(c) as Ref).low, 7);
  assert.equal((t.store(a) as Ref).low, 9);
  assert.equal(t.size, 10);
  // Strings are table values too (same string, same id while alive).
  const s1 = t.store("hello") as Ref;
  assert.equal((t.store("hello") as Ref).low, s1.low);
});
