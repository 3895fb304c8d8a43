/**
 * The WASI preview1 facade: all 46 functions of `wasi_snapshot_preview1` on
 * a vkernel process, with JSPI for the calls that block.
 *
 * ```ts
 * import { collector, createKernel } from "../../mod.ts";
 * import { runWasi } from "./mod.ts";
 * const kernel = createKernel();
 * const out = collector();
 * // const { exitCode } = await runWasi(kernel, await Deno.readFile("hello.wasm"), {
 * //   args: ["hello"], env: { PWD: "/" }, preopens: ["/"], stdout: out.sink,
 * // });
 * ```
 *
 * @module
 */

export type { SupportStatus, WasiFunction } from "./_registry.ts";
export * as abi from "./abi.ts";
export { WasiContext } from "./context.ts";
export { WASI_ERRNO, WasiError, WasiExit } from "./errno.ts";
export { GuestMemory } from "./memory.ts";
export { type PreopenSpec } from "./preopens.ts";
export { listenTcp, type SocketSource } from "./tcp.ts";
export {
  hasJspi,
  instantiateWasi,
  runWasi,
  type StdinOption,
  type StdoutOption,
  WASI_FUNCTIONS,
  WasiHost,
  type WasiOptions,
  WasiReactor,
  type WasiResult,
} from "./wasi.ts";
export {
  hasWorkerBridge,
  rememberModuleBytes,
  runWasiInWorker,
  wasiRunMode,
  type WorkerBridgeOptions,
  type WorkerWasiOptions,
} from "./worker_bridge.ts";
