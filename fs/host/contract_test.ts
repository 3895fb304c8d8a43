import { makeTempDir, removeDir } from "../../tests/_support/temp_dir.ts";
import { driverContract } from "../_contract/driver_contract.ts";
import { HostFileSystem } from "./mod.ts";

for (const backend of ["node", ...(typeof Deno === "object" ? ["deno" as const] : [])] as const) {
  driverContract(`host (${backend})`, () => {
    const dir = makeTempDir("vkernel-contract-");
    return { fs: new HostFileSystem({ root: dir, backend }), cleanup: () => removeDir(dir) };
  });
}
