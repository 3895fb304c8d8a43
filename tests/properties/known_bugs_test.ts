/**
 * One test per known bug of tests/_support/known_bugs.ts: the minimal
 * reproduction, expecting Linux's behaviour.
 *
 * While a bug is present its test is a todo named "KNOWN BUG <id>" (reported
 * as todo/ignored, so the suite stays green for everyone working in this
 * checkout); the property tests step around its operations meanwhile. Once
 * it is fixed the test runs and guards the fix. `VKERNEL_STRICT_KNOWN_BUGS=1`
 * runs every one of them as a normal (failing) test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { bugPresent, KNOWN_BUGS, KNOWN_HOST_DRIVER_BUGS, strictKnownBugs } from "../_support/known_bugs.ts";

for (const bug of [...KNOWN_BUGS, ...KNOWN_HOST_DRIVER_BUGS]) {
  const present = bugPresent(bug);
  const todo = present && !strictKnownBugs() ? `not fixed yet: ${bug.repro}` : false;
  test(`${present ? "KNOWN BUG" : "fixed bug"} ${bug.id} (${bug.where})`, { todo }, () => {
    assert.equal(bugPresent(bug), false, `${bug.id}: ${bug.title}\nReproduction: ${bug.repro}`);
  });
}
