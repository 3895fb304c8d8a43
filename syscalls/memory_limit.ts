/**
 * Caps a module's linear memory by rewriting the maximum in its memory
 * section, so `memory.grow` past the cap fails inside the guest (Go reports
 * "out of memory", C's malloc returns NULL) exactly as under wasmtime's
 * memory limits. Only the module's own (defined) memories are changed.
 *
 * @module
 */

import { leb, readLeb } from "./_wasm_binary.ts";

const PAGE = 65536;

/**
 * Returns a copy of `bytes` whose defined memories may grow to at most
 * `maxBytes` (rounded down to whole 64 KiB pages). Throws RangeError when the
 * module's initial memory is already larger than that.
 *
 * @example
 * ```ts
 * import { limitMemory } from "./memory_limit.ts";
 * // (module (memory 1))
 * const mod = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1]);
 * const capped = limitMemory(mod, 4 * 65536);
 * console.assert(WebAssembly.validate(capped));
 * ```
 */
export function limitMemory(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < PAGE) {
    throw new RangeError("memory limit must be at least 64 KiB");
  }
  const maxPages = Math.min(65536, Math.floor(maxBytes / PAGE));
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, bodyStart] = readLeb(bytes, at + 1);
    const bodyEnd = bodyStart + size;
    if (id !== 5) {
      at = bodyEnd;
      continue;
    }
    let [count, p] = readLeb(bytes, bodyStart);
    const body: number[] = [...leb(count)];
    while (count-- > 0) {
      const flags = bytes[p++];
      if (flags & 0x04) throw new RangeError("64-bit memories are not supported");
      let min: number;
      [min, p] = readLeb(bytes, p);
      let max: number | undefined;
      if (flags & 0x01) [max, p] = readLeb(bytes, p);
      if (min > maxPages) {
        throw new RangeError(
          `the module needs ${min * PAGE} bytes of memory at start, more than the limit of ${
            maxPages * PAGE
          }`,
        );
      }
      const capped = max === undefined ? maxPages : Math.min(max, maxPages);
      body.push(flags | 0x01, ...leb(min), ...leb(capped));
    }
    const section = [5, ...leb(body.length), ...body];
    const out = new Uint8Array(bytes.length - (bodyEnd - at) + section.length);
    out.set(bytes.subarray(0, at), 0);
    out.set(section, at);
    out.set(bytes.subarray(bodyEnd), at + section.length);
    return out;
  }
  return bytes;
}
