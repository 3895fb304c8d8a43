/**
 * Makes a module's linear memory shared by rewriting its bytes, so the
 * module can run in a worker while the main thread reads and writes the same
 * `WebAssembly.Memory` (see `wasi/worker_bridge.ts`). The shared flag needs a
 * maximum: the module's own, else the cap given, else 4 GiB (65536 pages).
 *
 * Both a defined memory (memory section) and an imported one (import
 * section) are rewritten; for an imported one the caller creates the shared
 * memory with the limits returned. Nothing else in the module changes.
 *
 * @module
 */

import { leb, readLeb, readName } from "./_wasm_binary.ts";

const PAGE = 65536;
const MAX_PAGES = 65536;

/** Where the module's memory comes from, and its limits after the rewrite (in pages). */
export interface SharedMemoryInfo {
  /** `defined`: in the memory section; `imported`: from `module`.`name`. */
  readonly kind: "defined" | "imported";
  /** Import module, for an imported memory. */
  readonly module?: string;
  /** Import name, for an imported memory. */
  readonly name?: string;
  readonly initial: number;
  readonly maximum: number;
  /** The memory was already shared before the rewrite. */
  readonly wasShared: boolean;
}

/** What {@link shareMemory} returns. */
export interface SharedModule {
  /** The rewritten module (the input itself when nothing had to change). */
  readonly bytes: Uint8Array;
  /** The memory, or null for a module without one. */
  readonly memory: SharedMemoryInfo | null;
}

/** Skips table/memory limits: flags, min, and max if flagged. */
function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at++];
  [, at] = readLeb(bytes, at);
  if (flags & 0x01) [, at] = readLeb(bytes, at);
  return at;
}

interface Limits {
  flags: number;
  min: number;
  max: number | undefined;
  next: number;
}

function readMemoryLimits(bytes: Uint8Array, at: number): Limits {
  const flags = bytes[at++];
  if (flags & 0x04) throw new RangeError("64-bit memories are not supported");
  if (flags & ~0x07) throw new RangeError(`unsupported memory limits flags 0x${flags.toString(16)}`);
  let min: number;
  [min, at] = readLeb(bytes, at);
  let max: number | undefined;
  if (flags & 0x01) [max, at] = readLeb(bytes, at);
  return { flags, min, max, next: at };
}

/** The shared limits of a memory: the encoded bytes and the info. */
function share(limits: Limits, capPages: number): { encoded: number[]; min: number; max: number; } {
  const { flags, min } = limits;
  if (min > capPages) {
    throw new RangeError(
      `the module needs ${min * PAGE} bytes of memory at start, more than the limit of ${capPages * PAGE}`,
    );
  }
  const max = limits.max === undefined ? capPages : Math.min(limits.max, capPages);
  return { encoded: [flags | 0x03, ...leb(min), ...leb(max)], min, max };
}

function splice(bytes: Uint8Array, start: number, end: number, replacement: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length - (end - start) + replacement.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(replacement, start);
  out.set(bytes.subarray(end), start + replacement.length);
  return out;
}

/**
 * Returns a copy of `bytes` whose memory is shared, and where that memory
 * comes from. `maxBytes` caps the memory's maximum (as `limitMemory` does),
 * and is the maximum of a memory that declares none (default 4 GiB).
 * Throws RangeError for a module with more than one memory, a 64-bit memory,
 * or an initial size above the cap.
 *
 * @example
 * ```ts
 * import { shareMemory } from "./shared_memory.ts";
 * // (module (memory 1))
 * const mod = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1]);
 * const { bytes, memory } = shareMemory(mod);
 * console.assert(WebAssembly.validate(bytes) && memory?.kind === "defined" && memory.maximum === 65536);
 * ```
 */
export function shareMemory(bytes: Uint8Array, maxBytes?: number): SharedModule {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new TypeError("not a WebAssembly module");
  }
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < PAGE)) {
    throw new RangeError("memory limit must be at least 64 KiB");
  }
  const capPages = maxBytes === undefined ? MAX_PAGES : Math.min(MAX_PAGES, Math.floor(maxBytes / PAGE));
  let memory: SharedMemoryInfo | null = null;
  let out = bytes;
  let at = 8;
  while (at < out.length) {
    const id = out[at];
    const [size, bodyStart] = readLeb(out, at + 1);
    const bodyEnd = bodyStart + size;
    if (bodyEnd > out.length) throw new RangeError("truncated section in module");
    if (id !== 2 && id !== 5) {
      at = bodyEnd;
      continue;
    }
    // Re-encode the section body with the memory entries' limits replaced.
    let [count, p] = readLeb(out, bodyStart);
    let changed = false;
    const body: number[] = [...leb(count)];
    let copied = p;
    const copyTo = (end: number) => {
      for (let i = copied; i < end; i++) body.push(out[i]);
      copied = end;
    };
    while (count-- > 0) {
      let module: string | undefined;
      let name: string | undefined;
      let kind = 0x02;
      if (id === 2) {
        [module, p] = readName(out, p);
        [name, p] = readName(out, p);
        kind = out[p++];
      }
      switch (kind) {
        case 0x00: // func: type index
          [, p] = readLeb(out, p);
          break;
        case 0x01: // table: reftype, limits
          p = skipLimits(out, p + 1);
          break;
        case 0x03: // global: valtype, mutability
          p += 2;
          break;
        case 0x04: // tag: attribute, type index
          [, p] = readLeb(out, p + 1);
          break;
        case 0x02: { // memory
          if (memory) throw new RangeError("modules with more than one memory are not supported");
          const limits = readMemoryLimits(out, p);
          const shared = share(limits, capPages);
          copyTo(p);
          body.push(...shared.encoded);
          p = copied = limits.next;
          changed = true;
          memory = {
            kind: id === 2 ? "imported" : "defined",
            ...(id === 2 ? { module, name } : {}),
            initial: shared.min,
            maximum: shared.max,
            wasShared: (limits.flags & 0x02) !== 0,
          };
          break;
        }
        default:
          throw new RangeError(`unknown import kind 0x${kind.toString(16)}`);
      }
    }
    if (!changed) {
      at = bodyEnd;
      continue;
    }
    copyTo(bodyEnd);
    const section = [id, ...leb(body.length), ...body];
    out = splice(out, at, bodyEnd, section);
    at += section.length;
  }
  return { bytes: out, memory };
}
