/**
 * Helpers for the facade's unit tests: a host over a deterministic kernel
 * with a bound 1-page memory, and small memory accessors.
 *
 * @module
 */

import type { Kernel } from "../../kernel/kernel.ts";
import { createKernel, type CreateKernelOptions } from "../../mod.ts";
import type { Arg } from "./_registry.ts";
import { WasiHost, type WasiOptions } from "./wasi.ts";

/** A test harness: call WASI functions directly on a real memory. */
export interface Harness {
  kernel: Kernel;
  host: WasiHost;
  memory: WebAssembly.Memory;
  /** Calls a function synchronously; throws if it returned a Promise. */
  call(name: string, ...args: Arg[]): number;
  /** Calls a function that may wait (the context is put in blocking mode). */
  callAsync(name: string, ...args: Arg[]): Promise<number>;
  bytes(): Uint8Array;
  view(): DataView;
  /** Writes a UTF-8 string at ptr; returns its length. */
  put(ptr: number, text: string | Uint8Array): number;
  text(ptr: number, len: number): string;
  u32(ptr: number): number;
  u64(ptr: number): bigint;
  /** Writes iovecs at `at`: each [buf, len]. */
  iovecs(at: number, list: [number, number][]): void;
}

/** Builds a harness (deterministic kernel, JSPI off, preopen "/" unless given). */
export async function harness(
  options: WasiOptions = {},
  kernelOptions: CreateKernelOptions = {},
): Promise<Harness> {
  const kernel = createKernel({ deterministic: true, ...kernelOptions });
  const host = await WasiHost.create(kernel, { jspi: false, ...options });
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  host.context.memory.bind(memory);
  const h: Harness = {
    kernel,
    host,
    memory,
    call(name, ...args) {
      host.context.canBlock = false;
      const r = host.syscall(name, ...args);
      if (r instanceof Promise) throw new Error(`${name} returned a Promise`);
      return r ?? 0;
    },
    async callAsync(name, ...args) {
      host.context.canBlock = true;
      try {
        return (await host.syscall(name, ...args)) ?? 0;
      } finally {
        host.context.canBlock = false;
      }
    },
    bytes: () => new Uint8Array(memory.buffer),
    view: () => new DataView(memory.buffer),
    put(ptr, text) {
      const b = typeof text === "string" ? new TextEncoder().encode(text) : text;
      new Uint8Array(memory.buffer).set(b, ptr);
      return b.length;
    },
    text: (ptr, len) => new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len)),
    u32: (ptr) => new DataView(memory.buffer).getUint32(ptr, true),
    u64: (ptr) => new DataView(memory.buffer).getBigUint64(ptr, true),
    iovecs(at, list) {
      const v = new DataView(memory.buffer);
      list.forEach(([buf, len], i) => {
        v.setUint32(at + i * 8, buf, true);
        v.setUint32(at + i * 8 + 4, len, true);
      });
    },
  };
  return h;
}
