/**
 * The few pieces of the WebAssembly binary format that module rewrites
 * (`memory_limit.ts`, `shared_memory.ts`) need: unsigned LEB128 in both
 * directions and length-prefixed names.
 *
 * @module
 */

/**
 * Reads an unsigned LEB128 at `at`; returns the value and the offset after it.
 *
 * @example
 * ```ts
 * import { readLeb } from "./_wasm_binary.ts";
 * console.assert(readLeb(new Uint8Array([0xe5, 0x8e, 0x26]), 0)[0] === 624485);
 * ```
 */
export function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length) throw new RangeError("truncated LEB128 in module");
    const b = bytes[at++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, at];
    shift += 7;
    if (shift > 35) throw new RangeError("LEB128 too long in module");
  }
}

/**
 * Encodes `value` as unsigned LEB128.
 *
 * @example
 * ```ts
 * import { leb } from "./_wasm_binary.ts";
 * console.assert(leb(624485).join() === [0xe5, 0x8e, 0x26].join());
 * ```
 */
export function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** Reads a name (length-prefixed UTF-8) at `at`; returns it and the offset after it. */
export function readName(bytes: Uint8Array, at: number): [name: string, next: number] {
  const [len, start] = readLeb(bytes, at);
  const end = start + len;
  if (end > bytes.length) throw new RangeError("truncated name in module");
  return [new TextDecoder().decode(bytes.subarray(start, end)), end];
}
