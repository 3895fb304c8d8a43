/**
 * Guest memory access for the WASI facade. Every pointer and length goes
 * through {@link GuestMemory}, which bounds-checks it (EFAULT, never a host
 * exception) and re-derives its views whenever the memory has grown (growth
 * detaches the old `ArrayBuffer`).
 *
 * Pointers arrive from wasm as signed i32; {@link GuestMemory} reads them as
 * u32. A module without a memory gets EFAULT from every access.
 *
 * @module
 */

import { ERRNO, LAYOUT } from "./abi.ts";
import { WasiError } from "./errno.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** EFAULT for a range outside the guest memory. */
function fault(ptr: number, len: number): never {
  throw new WasiError(ERRNO.FAULT, `range ${ptr}+${len} is outside guest memory`);
}

/**
 * A bounds-checked window on a wasm memory.
 *
 * @example
 * ```ts
 * import { GuestMemory } from "./memory.ts";
 * const mem = new GuestMemory(new WebAssembly.Memory({ initial: 1 }));
 * mem.setU32(16, 42);
 * console.assert(mem.getU32(16) === 42);
 * try { mem.getU32(65534); } catch (e) { console.assert((e as { errno: number }).errno === 21); }
 * ```
 */
export class GuestMemory {
  #memory: WebAssembly.Memory | null;
  #buffer: ArrayBufferLike | null = null;
  #view: DataView = new DataView(new ArrayBuffer(0));
  #bytes: Uint8Array = new Uint8Array(0);

  constructor(memory: WebAssembly.Memory | null = null) {
    this.#memory = memory;
  }

  /** Attaches the instance's memory (null: none, every access is EFAULT). */
  bind(memory: WebAssembly.Memory | null): void {
    this.#memory = memory;
    this.#buffer = null;
  }

  /** The attached memory, if any. */
  get memory(): WebAssembly.Memory | null {
    return this.#memory;
  }

  /** Current size in bytes (0 without a memory). */
  get size(): number {
    return this.#refresh().length;
  }

  #refresh(): Uint8Array {
    const memory = this.#memory;
    if (memory === null) return this.#bytes.length === 0 ? this.#bytes : (this.#bytes = new Uint8Array(0));
    const buffer = memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#view = new DataView(buffer);
      this.#bytes = new Uint8Array(buffer);
    }
    return this.#bytes;
  }

  /** Checks that `[ptr, ptr + len)` lies in memory; returns ptr as u32. EFAULT otherwise. */
  check(ptr: number, len: number): number {
    const p = ptr >>> 0;
    const size = this.#refresh().length;
    if (!Number.isSafeInteger(len) || len < 0 || p + len > size) fault(p, len);
    return p;
  }

  /** Checks that `count` values of `size` bytes fit at `ptr`. */
  checkArray(ptr: number, count: number, size: number): number {
    return this.check(ptr, (count >>> 0) * size);
  }

  /** A live view on `[ptr, ptr + len)` (valid until the memory grows). */
  bytes(ptr: number, len: number): Uint8Array {
    const p = this.check(ptr, len >>> 0);
    return this.#bytes.subarray(p, p + (len >>> 0));
  }

  /** A copy of `[ptr, ptr + len)`. */
  copy(ptr: number, len: number): Uint8Array {
    return this.bytes(ptr, len).slice();
  }

  /** Writes `data` at `ptr`. */
  write(ptr: number, data: Uint8Array): void {
    const p = this.check(ptr, data.length);
    this.#bytes.set(data, p);
  }

  /** Fills `[ptr, ptr + len)` with `value`. */
  fill(ptr: number, len: number, value = 0): void {
    const p = this.check(ptr, len);
    this.#bytes.fill(value, p, p + len);
  }

  /** Decodes a UTF-8 string; ILSEQ if it is not valid UTF-8. */
  string(ptr: number, len: number): string {
    const view = this.bytes(ptr, len);
    try {
      return decoder.decode(view);
    } catch {
      throw new WasiError(ERRNO.ILSEQ, "string is not valid UTF-8");
    }
  }

  // Each accessor checks (which re-derives the views) before it touches a view:
  // `this.#view.get...(this.check(...))` would read the stale view first.
  getU8(ptr: number): number {
    const p = this.check(ptr, 1);
    return this.#bytes[p];
  }
  getU16(ptr: number): number {
    const p = this.check(ptr, 2);
    return this.#view.getUint16(p, true);
  }
  getU32(ptr: number): number {
    const p = this.check(ptr, 4);
    return this.#view.getUint32(p, true);
  }
  getU64(ptr: number): bigint {
    const p = this.check(ptr, 8);
    return this.#view.getBigUint64(p, true);
  }
  setU8(ptr: number, value: number): void {
    const p = this.check(ptr, 1);
    this.#bytes[p] = value;
  }
  setU16(ptr: number, value: number): void {
    const p = this.check(ptr, 2);
    this.#view.setUint16(p, value, true);
  }
  setU32(ptr: number, value: number): void {
    const p = this.check(ptr, 4);
    this.#view.setUint32(p, value >>> 0, true);
  }
  setU64(ptr: number, value: bigint | number): void {
    const p = this.check(ptr, 8);
    this.#view.setBigUint64(p, BigInt.asUintN(64, BigInt(value)), true);
  }

  /**
   * Reads an iovec array and returns a live view per entry, each bounds-checked.
   * The total length is capped to what fits in memory, so a sum never overflows.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    const n = count >>> 0;
    const base = this.checkArray(ptr, n, LAYOUT.IOVEC_SIZE);
    const views: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const at = base + i * LAYOUT.IOVEC_SIZE;
      const buf = this.getU32(at);
      const len = this.getU32(at + 4);
      views.push(this.bytes(buf, len));
    }
    return views;
  }
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Total length of some views. */
export function totalLength(views: readonly Uint8Array[]): number {
  let n = 0;
  for (const v of views) n += v.length;
  return n;
}

/** Copies views into one new buffer (for one kernel write of several iovecs). */
export function gather(views: readonly Uint8Array[]): Uint8Array {
  if (views.length === 1) return views[0];
  const out = new Uint8Array(totalLength(views));
  let at = 0;
  for (const v of views) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/** Copies the first `n` bytes of `data` into the views in order (after one kernel read). */
export function scatter(data: Uint8Array, n: number, views: readonly Uint8Array[]): void {
  let at = 0;
  for (const v of views) {
    if (at >= n) break;
    const k = Math.min(v.length, n - at);
    v.set(data.subarray(at, at + k));
    at += k;
  }
}
