/**
 * The few assertions the driver contract uses, with no `node:` import so the
 * checks also run in a browser worker (`node:assert` is not there). Failures
 * throw {@link AssertionError} with the values in the message.
 *
 * @module
 */

/** A failed contract assertion. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  try {
    return JSON.stringify(value, (_, v) => typeof v === "bigint" ? `${v}n` : v) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Strict equality (`Object.is`).
 *
 * @example
 * ```ts
 * import { equal } from "./_assert.ts";
 * equal(1 + 1, 2);
 * ```
 */
export function equal(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

/**
 * Truthiness.
 *
 * @example
 * ```ts
 * import { ok } from "./_assert.ts";
 * ok([].length === 0, "empty");
 * ```
 */
export function ok(value: unknown, message?: string): void {
  if (!value) throw new AssertionError(message ?? `expected a truthy value, got ${show(value)}`);
}

/**
 * Deep equality of arrays and plain values (element by element, `Object.is`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "./_assert.ts";
 * deepEqual([1, [2, "x"]], [1, [2, "x"]]);
 * ```
 */
export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!same(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((value, i) => same(value, b[i]));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length
      && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
