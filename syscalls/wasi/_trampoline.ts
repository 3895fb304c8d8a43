/**
 * JSPI trampolines: a tiny generated wasm module that lets an import which
 * *may* block cost a plain import call when it does not.
 *
 * A `WebAssembly.Suspending` import switches stacks on every call, even when
 * the JavaScript side returns a plain value (~0.24 µs in Deno, ~1-1.8 µs in
 * Bun, `bench/jspi_bench.ts`). So the guest imports, for each blocking
 * function, an export of this module instead:
 *
 * ```wat
 * (import "t" "s0" (func $s0 (param i32 i32 i32 i32) (result i32)))  ;; plain JS import
 * (import "t" "w" (func $w (result i32)))                             ;; Suspending
 * (func (export "f0") (param i32 i32 i32 i32) (result i32) (local $r i32)
 *   (local.set $r (call $s0 (local.get 0) ... (local.get 3)))
 *   (if (result i32) (i32.eq (local.get $r) (i32.const -1))
 *     (then (call $w))               ;; awaits the Promise s0 parked, returns its errno
 *     (else (local.get $r))))
 * ```
 *
 * `s<i>` runs the call; when the kernel returned a Promise it parks it and
 * returns -1 (never an errno); `w` is the one Suspending import, which returns
 * the parked Promise, so the guest waits for it. The operation runs exactly
 * once, and only the calls that really wait pay for JSPI. Wasm-to-wasm calls
 * keep the stack free of JavaScript frames, as JSPI requires.
 *
 * The binary is written by hand below (a minimal encoder: types, imports,
 * functions, exports, code); modules are cached per list of signatures.
 *
 * @module
 */

import type { WasmType } from "./_registry.ts";

/** What the plain import returns when the call was parked (the guest then waits). */
export const PARKED = -1;

const I32 = 0x7f;
const I64 = 0x7e;
const FUNC = 0x60;

function leb(n: number, out: number[]): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

function name(text: string, out: number[]): void {
  leb(text.length, out);
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 0x7f);
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  leb(body.length, out);
  for (const b of body) out.push(b);
}

/** The module's bytes for these signatures (parameters of each function; every result is i32). */
export function encodeTrampolines(signatures: readonly (readonly WasmType[])[]): Uint8Array {
  const n = signatures.length;
  // Types: one per distinct signature, then () -> i32 for the wait import.
  const typeKeys: string[] = [];
  const typeOf: number[] = [];
  const types: number[] = [];
  for (const sig of signatures) {
    const key = sig.join(",");
    let index = typeKeys.indexOf(key);
    if (index < 0) {
      index = typeKeys.length;
      typeKeys.push(key);
      types.push(FUNC);
      leb(sig.length, types);
      for (const t of sig) types.push(t === "i64" ? I64 : I32);
      types.push(1, I32);
    }
    typeOf.push(index);
  }
  const waitType = typeKeys.length;
  types.push(FUNC, 0, 1, I32);

  const typeSection: number[] = [];
  leb(typeKeys.length + 1, typeSection);
  typeSection.push(...types);

  // Imports: s0..s(n-1) (function indices 0..n-1), then w (index n).
  const imports: number[] = [];
  leb(n + 1, imports);
  for (let i = 0; i < n; i++) {
    name("t", imports);
    name(`s${i}`, imports);
    imports.push(0x00);
    leb(typeOf[i], imports);
  }
  name("t", imports);
  name("w", imports);
  imports.push(0x00);
  leb(waitType, imports);

  // Defined functions f0..f(n-1): indices n+1..2n.
  const functions: number[] = [];
  leb(n, functions);
  for (let i = 0; i < n; i++) leb(typeOf[i], functions);

  const exports: number[] = [];
  leb(n, exports);
  for (let i = 0; i < n; i++) {
    name(`f${i}`, exports);
    exports.push(0x00);
    leb(n + 1 + i, exports);
  }

  const code: number[] = [];
  leb(n, code);
  for (let i = 0; i < n; i++) {
    const arity = signatures[i].length;
    const body: number[] = [];
    body.push(1, 1, I32); // one local group: 1 x i32 ($r, index = arity)
    for (let a = 0; a < arity; a++) {
      body.push(0x20); // local.get a
      leb(a, body);
    }
    body.push(0x10); // call s_i
    leb(i, body);
    body.push(0x22); // local.tee $r
    leb(arity, body);
    body.push(0x41, 0x7f); // i32.const -1
    body.push(0x46); // i32.eq
    body.push(0x04, I32); // if (result i32)
    body.push(0x10); // call w
    leb(n, body);
    body.push(0x05); // else
    body.push(0x20); // local.get $r
    leb(arity, body);
    body.push(0x0b, 0x0b); // end if, end function
    leb(body.length, code);
    code.push(...body);
  }

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(1, typeSection, out);
  section(2, imports, out);
  section(3, functions, out);
  section(7, exports, out);
  section(10, code, out);
  return new Uint8Array(out);
}

const modules = new Map<string, WebAssembly.Module>();

/** The compiled trampoline module for these signatures (compiled once per process). */
export function trampolineModule(signatures: readonly (readonly WasmType[])[]): WebAssembly.Module {
  const key = signatures.map((s) => s.join(",")).join(";");
  let module = modules.get(key);
  if (!module) {
    module = new WebAssembly.Module(encodeTrampolines(signatures) as BufferSource);
    modules.set(key, module);
  }
  return module;
}

/**
 * Instantiates trampolines: for each plain function `sync[i]` (its wasm
 * parameters in `signatures[i]`), a wasm function that calls it and, when it
 * returns {@link PARKED}, calls `wait` (a `WebAssembly.Suspending` import)
 * and returns what that resolves to.
 */
export function makeTrampolines(
  signatures: readonly (readonly WasmType[])[],
  sync: readonly ((...args: never[]) => number)[],
  wait: WebAssembly.ImportValue,
): WebAssembly.ImportValue[] {
  const t: Record<string, WebAssembly.ImportValue> = { w: wait };
  sync.forEach((fn, i) => (t[`s${i}`] = fn as unknown as WebAssembly.ImportValue));
  const instance = new WebAssembly.Instance(trampolineModule(signatures), { t });
  return sync.map((_, i) => instance.exports[`f${i}`] as WebAssembly.ImportValue);
}
