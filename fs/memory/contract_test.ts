import { driverContract } from "../_contract/driver_contract.ts";
import { MemoryFileSystem } from "./mod.ts";

driverContract("memory", () => ({ fs: new MemoryFileSystem() }));
