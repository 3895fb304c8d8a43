import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { DEFAULT_PROPERTY_RUNS, PROPERTY_RUNS_ENV, propertyRuns } from "./property_runs.ts";

/** Runs `body` with `VKERNEL_PROPERTY_RUNS` set to `value` (unset when undefined), then restores it. */
function withEnv(value: string | undefined, body: () => void): void {
  const saved = process.env[PROPERTY_RUNS_ENV];
  if (value === undefined) delete process.env[PROPERTY_RUNS_ENV];
  else process.env[PROPERTY_RUNS_ENV] = value;
  try {
    body();
  } finally {
    if (saved === undefined) delete process.env[PROPERTY_RUNS_ENV];
    else process.env[PROPERTY_RUNS_ENV] = saved;
  }
}

test("propertyRuns defaults to 200 when unset or empty", () => {
  assert.equal(DEFAULT_PROPERTY_RUNS, 200);
  withEnv(undefined, () => assert.equal(propertyRuns(), 200));
  withEnv("", () => assert.equal(propertyRuns(), 200));
});

test("propertyRuns reads VKERNEL_PROPERTY_RUNS", () => {
  withEnv("1000", () => assert.equal(propertyRuns(), 1000));
  withEnv(" 7 ", () => assert.equal(propertyRuns(), 7));
});

test("propertyRuns rejects values that are not positive integers", () => {
  for (const bad of ["0", "-3", "1.5", "many", "1e400"]) {
    withEnv(bad, () => assert.throws(() => propertyRuns(), RangeError, bad));
  }
});
