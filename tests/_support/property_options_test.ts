import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { PROPERTY_PATH_ENV, PROPERTY_SEED_ENV, propertyOptions } from "./property_options.ts";
import { PROPERTY_RUNS_ENV } from "./property_runs.ts";

function withEnv(values: Record<string, string | undefined>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const set = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  set(values);
  try {
    body();
  } finally {
    set(saved);
  }
}

test("propertyOptions: runs from the environment, verbose, no seed by default", () => {
  withEnv(
    { [PROPERTY_RUNS_ENV]: "7", [PROPERTY_SEED_ENV]: undefined, [PROPERTY_PATH_ENV]: undefined },
    () => {
      assert.deepEqual(propertyOptions(), { numRuns: 7, verbose: 1 });
    },
  );
});

test("propertyOptions: a seed and a path replay a counterexample", () => {
  withEnv({ [PROPERTY_RUNS_ENV]: "7", [PROPERTY_SEED_ENV]: "-42", [PROPERTY_PATH_ENV]: "3:1:0" }, () => {
    assert.deepEqual(propertyOptions(), {
      numRuns: 7,
      verbose: 1,
      seed: -42,
      path: "3:1:0",
      endOnFailure: true,
    });
  });
  withEnv({ [PROPERTY_SEED_ENV]: "x" }, () => assert.throws(() => propertyOptions(), RangeError));
});
