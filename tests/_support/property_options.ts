/**
 * fast-check options for the property tests of tests/properties: the number
 * of runs from {@link propertyRuns}, verbose failure reports, and an optional
 * replay of a reported counterexample.
 *
 * A failing property prints `{ seed: S, path: "P", ... }`. To replay exactly
 * that counterexample, run the one test again with
 * `VKERNEL_PROPERTY_SEED=S VKERNEL_PROPERTY_PATH=P` (and `--filter` /
 * `--test-name-pattern` for that test alone: the path only means something to
 * the property that printed it).
 *
 * @module
 */

import process from "node:process";
import { propertyRuns } from "./property_runs.ts";

/** The environment variable holding a seed to replay. */
export const PROPERTY_SEED_ENV = "VKERNEL_PROPERTY_SEED";
/** The environment variable holding a counterexample path to replay (with the seed). */
export const PROPERTY_PATH_ENV = "VKERNEL_PROPERTY_PATH";

/** The options {@link propertyOptions} returns. */
export interface PropertyOptions {
  numRuns: number;
  verbose: 1;
  seed?: number;
  path?: string;
  endOnFailure?: boolean;
}

/**
 * Options for `fc.assert`: `numRuns` from `VKERNEL_PROPERTY_RUNS`, verbose
 * reports, and `seed` / `path` from `VKERNEL_PROPERTY_SEED` /
 * `VKERNEL_PROPERTY_PATH` when set.
 *
 * @throws {RangeError} when `VKERNEL_PROPERTY_SEED` is not an integer.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { propertyOptions } from "./property_options.ts";
 * fc.assert(fc.property(fc.nat(), (n) => n >= 0), propertyOptions());
 * ```
 */
export function propertyOptions(): PropertyOptions {
  const options: PropertyOptions = { numRuns: propertyRuns(), verbose: 1 };
  const seed = process.env[PROPERTY_SEED_ENV]?.trim();
  if (seed) {
    const value = Number(seed);
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`${PROPERTY_SEED_ENV} must be an integer, got ${seed}`);
    }
    options.seed = value;
    const path = process.env[PROPERTY_PATH_ENV]?.trim();
    if (path) {
      options.path = path;
      options.endOnFailure = true;
    }
  }
  return options;
}
