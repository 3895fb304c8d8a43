/**
 * What kind of WebAssembly program a module is, decided from its imports and
 * exports: a Go js/wasm program, a WASI command or reactor, or something we
 * cannot run (with a sentence saying what it is).
 *
 * @module
 */

/** The kinds of module vkernel recognises. */
export type ProgramKind =
  | "gojs"
  | "wasi-command"
  | "wasi-reactor"
  | "tinygo-js"
  | "component"
  | "unknown";

/** What {@link detectProgram} found. */
export interface ProgramInfo {
  kind: ProgramKind;
  /** Whether vkernel can run it. */
  runnable: boolean;
  /** One sentence for people: what it is and, if not runnable, why. */
  description: string;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * Classifies raw bytes before compiling: not wasm at all, or a component
 * (WASI preview2), which `WebAssembly.compile` cannot load.
 *
 * @example
 * ```ts
 * import { sniffBytes } from "./program.ts";
 * console.assert(sniffBytes(new TextEncoder().encode("#!/bin/sh"))?.kind === "unknown");
 * ```
 */
export function sniffBytes(bytes: Uint8Array): ProgramInfo | null {
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    return { kind: "unknown", runnable: false, description: "not a WebAssembly module (no \\0asm header)" };
  }
  // Core modules have version 1 (01 00 00 00); components have layer 1 (xx xx 01 00).
  if (bytes[6] === 0x01 && bytes[7] === 0x00 && !(bytes[4] === 1 && bytes[5] === 0)) {
    return {
      kind: "component",
      runnable: false,
      description: "a WebAssembly component (WASI preview2); build for wasip1 instead (e.g. -target=wasip1)",
    };
  }
  return null;
}

/**
 * Classifies a compiled module.
 *
 * @example
 * ```ts
 * import { detectProgram } from "./program.ts";
 * const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
 * console.assert(detectProgram(empty).kind === "unknown");
 * ```
 */
export function detectProgram(module: WebAssembly.Module): ProgramInfo {
  const imports = WebAssembly.Module.imports(module);
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const modules = new Set(imports.map((i) => i.module));
  const hasWasmExit = imports.some((i) =>
    (i.module === "go" || i.module === "gojs") && i.name === "runtime.wasmExit"
  );
  if (hasWasmExit && exports.has("run") && exports.has("resume")) {
    const abi = modules.has("go") ? 'module "go", Go ≤ 1.20' : 'module "gojs", Go ≥ 1.21';
    return { kind: "gojs", runnable: true, description: `a Go js/wasm program (${abi})` };
  }
  if ((modules.has("gojs") || modules.has("env")) && modules.has("wasi_snapshot_preview1") && !hasWasmExit) {
    if (imports.some((i) => i.name.startsWith("syscall/js.") || i.name.startsWith("runtime.ticks"))) {
      return {
        kind: "tinygo-js",
        runnable: false,
        description:
          "a TinyGo -target=wasm program (TinyGo's own js ABI), which vkernel does not support; build it with -target=wasip1",
      };
    }
  }
  const foreign = [...modules].filter((m) => m !== "wasi_snapshot_preview1" && m !== "wasi_unstable");
  if (modules.has("wasi_unstable")) {
    return {
      kind: "unknown",
      runnable: false,
      description: "a WASI snapshot 0 (wasi_unstable) program; vkernel runs wasi_snapshot_preview1",
    };
  }
  if (exports.has("_start")) {
    return {
      kind: "wasi-command",
      runnable: true,
      description: foreign.length
        ? `a WASI command that also imports ${foreign.join(", ")}`
        : "a WASI preview1 command (_start)",
    };
  }
  if (exports.has("_initialize") || (modules.has("wasi_snapshot_preview1") && exports.size > 0)) {
    return { kind: "wasi-reactor", runnable: true, description: "a WASI preview1 reactor (no _start)" };
  }
  const what = modules.size ? `imports from ${[...modules].join(", ")}` : "no imports";
  return {
    kind: "unknown",
    runnable: false,
    description: `neither a WASI program nor a Go js/wasm program (${what}; exports ${
      [...exports].join(", ") || "nothing"
    })`,
  };
}
