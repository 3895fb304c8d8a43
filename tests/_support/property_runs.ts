/**
 * How many runs each fast-check property makes in this test run.
 *
 * `tests/run.sh` exports `VKERNEL_PROPERTY_RUNS` (1000 in CI, 200 locally by
 * default); property tests pass {@link propertyRuns} to `fc.assert` as
 * `numRuns`, so one knob scales every property suite.
 *
 * @module
 */

/** Runs used when `VKERNEL_PROPERTY_RUNS` is unset, empty or unreadable. */
export const DEFAULT_PROPERTY_RUNS = 200;

/** The name of the environment variable read by {@link propertyRuns}. */
export const PROPERTY_RUNS_ENV = "VKERNEL_PROPERTY_RUNS";

type ProcessLike = { env?: Record<string, string | undefined>; };
type DenoLike = { env?: { get(name: string): string | undefined; }; };

/**
 * Reads an environment variable in Node, Bun or Deno. Returns `undefined` when
 * it is unset or when reading it is not allowed (Deno without `--allow-env`).
 */
function readEnv(name: string): string | undefined {
  const global = globalThis as { process?: ProcessLike; Deno?: DenoLike; };
  try {
    const env = global.process?.env;
    if (env !== undefined) return env[name];
    return global.Deno?.env?.get(name);
  } catch {
    return undefined;
  }
}

/**
 * The number of runs per property: `VKERNEL_PROPERTY_RUNS` when set, else
 * {@link DEFAULT_PROPERTY_RUNS}. Works under Deno (with or without env
 * permission) and Bun.
 *
 * @throws {RangeError} when the variable is set to anything but a positive integer.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { propertyRuns } from "./property_runs.ts";
 * fc.assert(fc.property(fc.nat(), (n) => n >= 0), { numRuns: propertyRuns() });
 * ```
 */
export function propertyRuns(): number {
  const raw = readEnv(PROPERTY_RUNS_ENV)?.trim();
  if (raw === undefined || raw === "") return DEFAULT_PROPERTY_RUNS;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new RangeError(`${PROPERTY_RUNS_ENV} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return runs;
}
