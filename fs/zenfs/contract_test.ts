import { CopyOnWrite, InMemory, resolveMountConfig, SingleBuffer } from "@zenfs/core";
import { driverContract } from "../_contract/driver_contract.ts";
import { ZenFsFileSystem } from "./mod.ts";

const exactNanoseconds =
  "ZenFS stores times as doubles of milliseconds (about 0.24 µs precision at today's dates)";

driverContract("zenfs InMemory (sync)", async () => {
  const fs = new ZenFsFileSystem(await resolveMountConfig({ backend: InMemory, disableAsyncCache: true }));
  if (!fs.synchronous) throw new Error("InMemory should be synchronous");
  return { fs };
}, { "timestamps are nanoseconds and setattr sets them": exactNanoseconds });

driverContract("zenfs InMemory (async methods)", async () => {
  const zen = await resolveMountConfig({ backend: InMemory, disableAsyncCache: true });
  return { fs: new ZenFsFileSystem(zen, { synchronous: false }) };
}, { "timestamps are nanoseconds and setattr sets them": exactNanoseconds });

driverContract("zenfs SingleBuffer (sync)", async () => {
  const zen = await resolveMountConfig({ backend: SingleBuffer, buffer: new ArrayBuffer(4 << 20) });
  return { fs: new ZenFsFileSystem(zen) };
}, { "timestamps are nanoseconds and setattr sets them": exactNanoseconds });

driverContract("zenfs CopyOnWrite of InMemory (sync)", async () => {
  const zen = await resolveMountConfig({
    backend: CopyOnWrite,
    readable: { backend: InMemory },
    writable: { backend: InMemory },
  });
  return { fs: new ZenFsFileSystem(zen) };
}, { "timestamps are nanoseconds and setattr sets them": exactNanoseconds });
