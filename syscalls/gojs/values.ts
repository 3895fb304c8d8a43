/**
 * The gojs value table: how JavaScript values cross into Go as 8-byte refs.
 *
 * A ref is read as a float64. `0` is `undefined`; any other number that is not
 * NaN is that number; a NaN-boxed ref carries a type flag in its high word
 * (`0x7FF80000 | flag`) and an id into this table in its low word. Ids 0-6 are
 * predefined (NaN, 0, null, true, false, the global object, the Go object) and
 * never freed; other ids are reference counted (Go calls `finalizeRef` when a
 * `js.Value` dies) and reused once free.
 *
 * @module
 */

/** The high word of a NaN-boxed ref, before the type flag is or'ed in. */
export const NAN_HEAD = 0x7ff80000;

/** Type flags in the high word of a ref (Go's `typeFlag*`). */
export const TypeFlag = { None: 0, Object: 1, String: 2, Symbol: 3, Function: 4 } as const;

/** The predefined ids. */
export const PredefinedId = { NaN: 0, Zero: 1, Null: 2, True: 3, False: 4, Global: 5, Go: 6 } as const;

const PREDEFINED_COUNT = 7;

/** A ref as two 32-bit words, ready to be stored little-endian. */
export interface Ref {
  high: number;
  low: number;
}

function typeFlagOf(value: unknown): number {
  switch (typeof value) {
    case "object":
      return value === null ? TypeFlag.None : TypeFlag.Object;
    case "string":
      return TypeFlag.String;
    case "symbol":
      return TypeFlag.Symbol;
    case "function":
      return TypeFlag.Function;
    default:
      return TypeFlag.None;
  }
}

/**
 * The table of JavaScript values a Go program holds refs to.
 *
 * @example
 * ```ts
 * import { ValueTable } from "./values.ts";
 * const global = {}, go = {};
 * const table = new ValueTable(global, go);
 * const ref = table.store("hello");
 * console.assert(table.get(ref.low) === "hello");
 * table.release(ref.low);
 * console.assert(table.size === 7);
 * ```
 */
export class ValueTable {
  readonly #values: unknown[];
  readonly #counts: number[];
  readonly #ids = new Map<unknown, number>();
  readonly #free: number[] = [];

  constructor(global: object, go: object) {
    this.#values = [NaN, 0, null, true, false, global, go];
    this.#counts = new Array(PREDEFINED_COUNT).fill(Infinity);
    // NaN (id 0) is found by a test, not through the map (NaN !== NaN).
    this.#ids.set(0, PredefinedId.Zero);
    this.#ids.set(null, PredefinedId.Null);
    this.#ids.set(true, PredefinedId.True);
    this.#ids.set(false, PredefinedId.False);
    this.#ids.set(global, PredefinedId.Global);
    this.#ids.set(go, PredefinedId.Go);
  }

  /** Number of live ids, predefined ones included. */
  get size(): number {
    return this.#values.length - this.#free.length;
  }

  /** Number of slots, free ones included (what `_values.length` is in wasm_exec.js). */
  get slots(): number {
    return this.#values.length;
  }

  /** The value with `id` (undefined for a freed or unknown id). */
  get(id: number): unknown {
    return this.#values[id];
  }

  /**
   * The ref for `value`, taking one reference when the value lives in the
   * table. Numbers other than 0 and NaN are refs by themselves.
   */
  store(value: unknown): Ref | number {
    if (typeof value === "number" && value !== 0) {
      if (!Number.isNaN(value)) return value;
      return { high: NAN_HEAD, low: PredefinedId.NaN };
    }
    if (value === undefined) return 0;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#free.pop();
      if (id === undefined) {
        id = this.#values.length;
        this.#values.push(undefined);
        this.#counts.push(0);
      }
      this.#values[id] = value;
      this.#counts[id] = 0;
      this.#ids.set(value, id);
    }
    this.#counts[id]++;
    return { high: NAN_HEAD | typeFlagOf(value), low: id };
  }

  /** Drops one reference to `id`; the last one frees the id for reuse. */
  release(id: number): void {
    if (id < PREDEFINED_COUNT || id >= this.#values.length || !(this.#counts[id] > 0)) return;
    if (--this.#counts[id] > 0) return;
    const value = this.#values[id];
    this.#values[id] = undefined;
    this.#ids.delete(value);
    this.#free.push(id);
  }

  /** The reference count of `id` (Infinity for the predefined ids). */
  refCount(id: number): number {
    return this.#counts[id] ?? 0;
  }
}
