/**
 * The driver contract: one suite every filesystem driver passes. It talks to
 * the driver interface directly (one component at a time, as the kernel does)
 * and awaits every result, so synchronous and asynchronous drivers run the
 * same checks.
 *
 * This module registers the checks of `checks.ts` with `node:test`; the same
 * checks run without `node:test` (in a browser worker, say) through
 * `runContractChecks` from `checks.ts`.
 *
 * @example
 * ```ts
 * import { driverContract } from "./driver_contract.ts";
 * import { MemoryFileSystem } from "../memory/mod.ts";
 * driverContract("memory", () => ({ fs: new MemoryFileSystem() }));
 * ```
 *
 * @module
 */

import { describe, test } from "node:test";
import { CONTRACT_CHECKS, type ContractExceptions, type ContractSubject, runCheck } from "./checks.ts";

export {
  CONTRACT_CHECKS,
  type ContractCheck,
  type ContractExceptions,
  type ContractResult,
  type ContractSubject,
  runContractChecks,
} from "./checks.ts";

/**
 * Registers the contract tests for a driver.
 *
 * @param name shown in test names
 * @param make builds a fresh, empty filesystem for each test
 * @param exceptions checks to skip, by test name, with the reason
 */
export function driverContract(
  name: string,
  make: () => ContractSubject | Promise<ContractSubject>,
  exceptions: ContractExceptions = {},
): void {
  describe(`driver contract: ${name}`, () => {
    for (const check of CONTRACT_CHECKS) {
      const reason = exceptions[check.title];
      test(check.title, { skip: reason ? `${name} cannot: ${reason}` : false }, () => runCheck(check, make));
    }
  });
}
