/**
 * What a JSPI `WebAssembly.Suspending` import costs when it does not wait, and a way around it:
 * a tiny wasm trampoline that calls a plain import first and only calls the `Suspending` one
 * when the plain one reports "would block" (-1). This backs the fix proposed in bench/README.md
 * for the "1M writes to /dev/null" row of wasi_bench.ts.
 *
 * The two modules are encoded below by hand (no toolchain needed):
 *
 *   guest:       (import "env" "f" (func (param i32) (result i32)))
 *                (func (export "run") (param $n i32) (result i32)   ;; sum of f(i) for i < n
 *   trampoline:  (import "env" "f_sync" ...) (import "env" "f_async" ...)
 *                (func (export "f") (param $x i32) (result i32)
 *                  r = f_sync(x); return r == -1 ? f_async(x) : r)
 *
 * Run: `deno run -A bench/jspi_bench.ts` or `bun bench/jspi_bench.ts` (`--calls N`).
 *
 * @module
 */

import { median, numberOption, table } from "./_peers.ts";
import { runtimeName } from "./_timing.ts";

interface Jspi {
  Suspending: new(fn: (...args: never[]) => unknown) => WebAssembly.ImportValue;
  promising(fn: unknown): (...args: number[]) => Promise<number>;
}
const maybeJspi = WebAssembly as unknown as Partial<Jspi>;
const jspi: Jspi | null = maybeJspi.Suspending && maybeJspi.promising ? maybeJspi as Jspi : null;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
const str = (s: string) => [...leb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const I32 = 0x7f;
const FUNC_I32_I32 = [0x60, 1, I32, 1, I32];
const importFunc = (name: string) => [...str("env"), ...str(name), 0x00, 0x00];
const body = (locals: number[][], code: number[]) => {
  const b = [...vec(locals), ...code, 0x0b];
  return [...leb(b.length), ...b];
};

function module(
  imports: string[],
  exportName: string,
  locals: number[][],
  code: number[],
): WebAssembly.Module {
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([FUNC_I32_I32])),
    ...section(2, vec(imports.map(importFunc))),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str(exportName), 0x00, ...leb(imports.length)]])),
    ...section(10, vec([body(locals, code)])),
  ];
  return new WebAssembly.Module(new Uint8Array(bytes));
}

// run(n): locals 1 = i, 2 = s.
const guest = module(["f"], "run", [[2, I32]], [
  ...[0x02, 0x40, 0x03, 0x40], // block, loop
  ...[0x20, 1, 0x20, 0, 0x4e, 0x0d, 1], // i >= n: br_if 1
  ...[0x20, 2, 0x20, 1, 0x10, 0, 0x6a, 0x21, 2], // s += f(i)
  ...[0x20, 1, 0x41, 1, 0x6a, 0x21, 1], // i++
  ...[0x0c, 0, 0x0b, 0x0b], // br 0, end loop, end block
  ...[0x20, 2], // s
]);
// f(x): local 1 = r.
const trampoline = module(["f_sync", "f_async"], "f", [[1, I32]], [
  ...[0x20, 0, 0x10, 0, 0x22, 1], // r = f_sync(x)
  ...[0x41, 0x7f, 0x46], // r == -1
  ...[0x04, I32, 0x20, 0, 0x10, 1, 0x05, 0x20, 1, 0x0b], // if: f_async(x) else r
]);

const calls = numberOption("calls", 1_000_000);
const plain = (x: number) => x & 1;

async function perCall(f: WebAssembly.ImportValue): Promise<number> {
  const run = jspi!.promising(new WebAssembly.Instance(guest, { env: { f } }).exports.run);
  await run(1000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run(calls);
    samples.push((performance.now() - t0) / calls);
  }
  return median(samples);
}

if (!jspi) {
  console.log(`JSPI is not available on ${runtimeName()}`);
} else {
  const viaTrampoline = (fSync: (x: number) => number, fAsync: (x: number) => Promise<number>) =>
    new WebAssembly.Instance(trampoline, { env: { f_sync: fSync, f_async: new jspi.Suspending(fAsync) } })
      .exports
      .f as WebAssembly.ImportValue;
  const rows: Array<[string, number]> = [
    ["plain import (inside `promising`)", await perCall(plain)],
    ["`Suspending` import returning a plain value", await perCall(new jspi.Suspending(plain))],
    [
      "trampoline: plain import, `Suspending` only on -1",
      await perCall(viaTrampoline(plain, (x) => Promise.resolve(x & 1))),
    ],
  ];
  // The trampoline still suspends when it must: every 1000th call waits for a promise.
  let waits = 0;
  const sometimes = viaTrampoline((x) => (x % 1000 === 0 ? -1 : 1), async () => {
    waits++;
    await null;
    return 1;
  });
  const sum = await jspi!.promising(new WebAssembly.Instance(guest, { env: { f: sometimes } }).exports.run)(
    10_000,
  );
  if (sum !== 10_000 || waits !== 10) throw new Error(`trampoline: sum ${sum}, waits ${waits}`);
  console.log(
    `### JSPI import cost (${runtimeName()}), median of 5 x ${calls.toLocaleString("en-US")} calls`,
  );
  console.log("");
  console.log(
    table(["import", "per call"], rows.map(([label, t]) => [label, `${(t * 1000).toFixed(3)} µs`])),
  );
  console.log("");
  console.log("Check: through the trampoline, 10 of 10,000 calls suspended and resumed correctly.");
}
