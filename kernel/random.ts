/**
 * Random bytes: the host's CSPRNG, or a seeded generator for reproducible runs.
 *
 * @module
 */

/** A source of random bytes. */
export interface RandomSource {
  /** Whether the bytes are reproducible from a seed. */
  readonly deterministic: boolean;
  /** Fills `buffer` with random bytes. */
  fill(buffer: Uint8Array): void;
}

/** `crypto.getRandomValues` accepts at most this many bytes per call. */
const CRYPTO_CHUNK = 65536;

/**
 * Bytes from `crypto.getRandomValues`, in 64 KiB chunks.
 *
 * @example
 * ```ts
 * import { CryptoRandom } from "./random.ts";
 * const bytes = new Uint8Array(100_000);
 * new CryptoRandom().fill(bytes);
 * ```
 */
export class CryptoRandom implements RandomSource {
  readonly deterministic = false;
  fill(buffer: Uint8Array): void {
    for (let i = 0; i < buffer.length; i += CRYPTO_CHUNK) {
      crypto.getRandomValues(buffer.subarray(i, Math.min(buffer.length, i + CRYPTO_CHUNK)));
    }
  }
}

/**
 * A seeded generator (xoshiro128**, seeded through splitmix32). Not for
 * cryptography: for reproducible test runs.
 *
 * @example
 * ```ts
 * import { SeededRandom } from "./random.ts";
 * const a = new Uint8Array(8), b = new Uint8Array(8);
 * new SeededRandom(42).fill(a);
 * new SeededRandom(42).fill(b);
 * console.assert(a.join() === b.join());
 * ```
 */
export class SeededRandom implements RandomSource {
  readonly deterministic = true;
  readonly #s = new Uint32Array(4);

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new RangeError("seed must be a finite number");
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  #next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  fill(buffer: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= buffer.length; i += 4) {
      const v = this.#next();
      buffer[i] = v;
      buffer[i + 1] = v >>> 8;
      buffer[i + 2] = v >>> 16;
      buffer[i + 3] = v >>> 24;
    }
    if (i < buffer.length) {
      let v = this.#next();
      for (; i < buffer.length; i++, v >>>= 8) buffer[i] = v;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
