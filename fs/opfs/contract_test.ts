import { driverContract } from "../_contract/driver_contract.ts";
import { createFakeOpfs, OpfsFileSystem } from "./mod.ts";

// The real OPFS runs the same checks in headless Chromium: tests/browser/opfs_browser_test.ts.
for (const directoryMove of [false, true]) {
  driverContract(`opfs (in-memory imitation${directoryMove ? ", directory move" : ""})`, async () => {
    const fs = await OpfsFileSystem.open({ root: createFakeOpfs({ directoryMove }), maxOpenHandles: 4 });
    return { fs, cleanup: () => fs.unmount() };
  });
}
