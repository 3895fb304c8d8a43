import assert from "node:assert/strict";
import { test } from "node:test";
import { collector, createKernel, sinkStream } from "../../mod.ts";
import { createGlobal, type GlobalHost } from "./global.ts";

function host(deterministic: boolean, seed = 1) {
  const kernel = createKernel({ deterministic, seed });
  const out = collector();
  const err = collector();
  const proc = kernel.createProcess({ stdout: sinkStream(out.sink), stderr: sinkStream(err.sink) });
  const h: GlobalHost = {
    proc,
    clock: kernel.clock,
    random: kernel.random,
    track: (p) => p,
    deliver: (fn) => fn(),
    soon: (fn) => queueMicrotask(fn),
    barrier: () => null,
    setBarrier: () => {},
  };
  return { kernel, proc, h, out, err };
}

test("global: a per-process object with kernel-backed members and no host capabilities", () => {
  const { h } = host(false);
  const g = createGlobal(h, {});
  assert.notEqual(g, globalThis);
  for (
    const name of ["fs", "process", "path", "crypto", "Date", "Object", "Array", "Uint8Array", "console"]
  ) {
    assert.ok(g[name] !== undefined, name);
  }
  for (
    const name of ["Deno", "Bun", "fetch", "Headers", "AbortController", "setTimeout", "require", "Function"]
  ) {
    assert.equal(g[name], undefined, name);
  }
  assert.equal(g.globalThis, g);
  assert.notEqual(g.process, (globalThis as Record<string, unknown>).process);
  assert.notEqual(createGlobal(h, {}).fs, g.fs);
});

test("global: fetch, Headers and AbortController only with net; embedder globals override", () => {
  const { h } = host(false);
  const g = createGlobal(h, { net: { allow: ["http://127.0.0.1:1"] }, globals: { extra: 42, Date: "mine" } });
  assert.equal(typeof g.fetch, "function");
  assert.equal(g.Headers, Headers);
  assert.equal(g.AbortController, AbortController);
  assert.equal(g.extra, 42);
  assert.equal(g.Date, "mine");
  assert.throws(() => createGlobal(h, { globals: 5 as unknown as Record<string, unknown> }), TypeError);
});

test("global: Date follows the kernel clock; deterministic kernels are in UTC", async () => {
  const { h, kernel } = host(true);
  const D = createGlobal(h, {}).Date as DateConstructor;
  assert.equal(new D().toISOString(), "2000-01-01T00:00:00.000Z");
  await kernel.clock.sleep(1_500_000_000n);
  assert.equal(D.now(), Date.UTC(2000, 0, 1, 0, 0, 1, 500));
  assert.equal(new D().getTimezoneOffset(), 0);
  assert.equal(new D(0).toISOString(), "1970-01-01T00:00:00.000Z");
  assert.ok(new D() instanceof Date);
  const real = createGlobal(host(false).h, {}).Date as DateConstructor;
  assert.ok(Math.abs(real.now() - Date.now()) < 1000);
  assert.equal(new real().getTimezoneOffset(), new Date().getTimezoneOffset());
  const shifted = createGlobal(host(false).h, { timezoneOffset: -540 }).Date as DateConstructor;
  assert.equal(new shifted().getTimezoneOffset(), -540);
});

test("global: crypto.getRandomValues uses the kernel's random source", () => {
  const a = createGlobal(host(true, 5).h, {}).crypto as Crypto;
  const b = createGlobal(host(true, 5).h, {}).crypto as Crypto;
  const x = a.getRandomValues(new Uint8Array(100_000));
  const y = b.getRandomValues(new Uint8Array(100_000));
  assert.deepEqual(x, y);
  assert.ok(x.some((v) => v !== 0));
  const words = a.getRandomValues(new Uint32Array(4));
  assert.equal(words.length, 4);
  assert.throws(() => a.getRandomValues(new Float64Array(1) as unknown as Uint8Array), TypeError);
});

test("global: console writes to the process's fd 1 and 2", () => {
  const { h, out, err } = host(false);
  const c = createGlobal(h, {}).console as Console;
  c.log("hello", 1, { a: 2 });
  c.error("oops");
  assert.equal(out.text(), 'hello 1 {"a":2}\n');
  assert.equal(err.text(), "oops\n");
});
