/**
 * Guest memory access for the WASI facade. Every pointer and length goes
 * through {@link GuestMemory}, which bounds-checks it (EFAULT, never a host
 * exception) and re-derives its cached views when an access does not fit in
 * them: after a growth (which detaches a non-shared memory's old `ArrayBuffer`
 * and lengthens a shared one's), so a check is one comparison.
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

/** Whether a memory's buffer is a SharedArrayBuffer (there may be none at all). */
const isShared = (buffer: ArrayBufferLike | null): boolean =>
  typeof SharedArrayBuffer === "function" && buffer instanceof SharedArrayBuffer;

/** EFAULT for a range outside the guest memory. */
function fault(ptr: number, len: number): never {
  throw new WasiError(ERRNO.FAULT, `range ${ptr}+${len} is outside guest memory`);
}

/** Paths up to this many bytes are decoded by hand when they are ASCII (no TextDecoder call). */
const SHORT_STRING = 64;
const TWO_32 = 4294967296;

/**
 * A bounds-checked window on a wasm memory.
 *
 * The views are cached and re-derived only when an access does not fit in
 * them: a grown (non-shared) memory detaches its old buffer, whose views then
 * have length 0, and a grown shared memory gets a longer buffer, so "does not
 * fit in the cached view" covers both, and costs one comparison per access.
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
  // The last short string decoded, and its bytes: the same path again (a program
  // stat'ing or opening one file in a loop) gives the same string, without decoding.
  readonly #lastBytes = new Uint8Array(SHORT_STRING);
  #lastView: Uint8Array = new Uint8Array(0);
  #lastViewAt = -1;
  #lastLength = -1;
  #lastString = "";

  constructor(memory: WebAssembly.Memory | null = null) {
    this.#memory = memory;
  }

  /** Attaches the instance's memory (null: none, every access is EFAULT). */
  bind(memory: WebAssembly.Memory | null): void {
    this.#memory = memory;
    this.#buffer = null;
    this.#bytes = new Uint8Array(0);
    this.#view = new DataView(this.#bytes.buffer);
    this.#lastViewAt = -1;
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
    if (memory === null) return this.#bytes; // empty since bind()
    const buffer = memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#view = new DataView(buffer);
      this.#bytes = new Uint8Array(buffer);
      this.#lastViewAt = -1;
    }
    return this.#bytes;
  }

  /** Checks that `[ptr, ptr + len)` lies in memory; returns ptr as u32. EFAULT otherwise. */
  check(ptr: number, len: number): number {
    const p = ptr >>> 0;
    // Strictly below the cached length: a detached view (length 0) never passes.
    if ((len >>> 0) === len && p + len < this.#bytes.length) return p;
    return this.#checkSlow(p, len);
  }

  #checkSlow(p: number, len: number): number {
    let size = this.#refresh().length;
    if (p + len > size && isShared(this.#buffer)) {
      // A shared memory another thread grew (the worker bridge): V8 hands this thread
      // the longer buffer only after an interrupt; grow(0) makes it current now.
      this.#memory!.grow(0);
      size = this.#refresh().length;
    }
    if (!Number.isSafeInteger(len) || len < 0 || p + len > size) fault(p, len);
    return p;
  }

  /** Checks that `count` values of `size` bytes fit at `ptr`. */
  checkArray(ptr: number, count: number, size: number): number {
    return this.check(ptr, (count >>> 0) * size);
  }

  /** A live view on `[ptr, ptr + len)` (valid until the memory grows). */
  bytes(ptr: number, len: number): Uint8Array {
    const n = len >>> 0;
    const p = this.check(ptr, n);
    const buffer = this.#buffer;
    if (buffer === null) return this.#bytes.subarray(p, p + n);
    // Programs reuse their I/O buffers: the same range of the same buffer gives the
    // same (live) view again, instead of a new object per call.
    // (#refresh forgets the view when the buffer changes.)
    if (p === this.#lastViewAt && n === this.#lastView.length) return this.#lastView;
    this.#lastViewAt = p;
    return (this.#lastView = new Uint8Array(buffer, p, n));
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
    const n = len >>> 0;
    const p = this.check(ptr, n);
    if (n <= SHORT_STRING) {
      const bytes = this.#bytes;
      const last = this.#lastBytes;
      if (n === this.#lastLength) {
        let i = 0;
        while (i < n && bytes[p + i] === last[i]) i++;
        if (i === n) return this.#lastString;
      }
      let i = 0;
      for (; i < n; i++) {
        const c = bytes[p + i];
        if (c > 0x7f) break;
        last[i] = c;
      }
      if (i === n) {
        let text = "";
        for (let at = 0; at < n; at += 16) text += ascii(last, at, Math.min(16, n - at));
        this.#lastLength = n;
        this.#lastString = text;
        return text;
      }
      this.#lastLength = -1;
    }
    try {
      return decoder.decode(this.#bytes.subarray(p, p + n));
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
    writeU64(this.#view, p, value);
  }

  /**
   * The views after a successful {@link check} (valid until the memory grows):
   * for encoders that write a whole record after one check.
   */
  get view(): DataView {
    return this.#view;
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

  /**
   * The one buffer of a single-entry iovec array as a live view, or null when
   * the array has another length (then use {@link iovecs}). Same checks.
   */
  iovec1(ptr: number, count: number): Uint8Array | null {
    if ((count >>> 0) !== 1) return null;
    const at = this.check(ptr, LAYOUT.IOVEC_SIZE);
    const view = this.#view;
    return this.bytes(view.getUint32(at, true), view.getUint32(at + 4, true));
  }
}

const char = String.fromCharCode;

/**
 * `n` (at most 16) ASCII bytes from `b[p]` as one flat string: fromCharCode with
 * the bytes as arguments beats TextDecoder, `apply` and concatenation (which
 * makes rope strings that are flattened again when hashed) in V8 and
 * JavaScriptCore.
 */
function ascii(b: Uint8Array, p: number, n: number): string {
  switch (n) {
    case 0:
      return "";
    case 1:
      return char(b[p]);
    case 2:
      return char(b[p], b[p + 1]);
    case 3:
      return char(b[p], b[p + 1], b[p + 2]);
    case 4:
      return char(b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 5:
      return char(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
    case 6:
      return char(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
    case 7:
      return char(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
    case 8:
      return char(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    case 9:
      return char(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8]);
    case 10:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
      );
    case 11:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
        b[p + 10],
      );
    case 12:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
        b[p + 10],
        b[p + 11],
      );
    case 13:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
        b[p + 10],
        b[p + 11],
        b[p + 12],
      );
    case 14:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
        b[p + 10],
        b[p + 11],
        b[p + 12],
        b[p + 13],
      );
    case 15:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
        b[p + 10],
        b[p + 11],
        b[p + 12],
        b[p + 13],
        b[p + 14],
      );
    case 16:
      return char(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
        b[p + 9],
        b[p + 10],
        b[p + 11],
        b[p + 12],
        b[p + 13],
        b[p + 14],
        b[p + 15],
      );
    default:
      throw new RangeError("at most 16 bytes");
  }
}

/**
 * Writes a u64 at `p` of `view` (already bounds-checked): a non-negative safe
 * integer as two u32 halves (no BigInt), anything else as a BigInt, wrapped
 * to 64 bits (negative values as two's complement).
 */
export function writeU64(view: DataView, p: number, value: bigint | number): void {
  if (typeof value === "number" && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
    view.setUint32(p, value >>> 0, true);
    view.setUint32(p + 4, (value / TWO_32) >>> 0, true);
  } else {
    // setBigUint64 wraps modulo 2^64 itself; BigInt() throws for a fractional number, as before.
    view.setBigUint64(p, typeof value === "bigint" ? value : BigInt(value), true);
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
