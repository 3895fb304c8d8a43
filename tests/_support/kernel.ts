/**
 * Shorthands for kernel tests: a fresh kernel and process, and sync unwrapping
 * of syscall results over synchronous drivers.
 *
 * @module
 */

import { isPromise } from "../../kernel/_maybe.ts";
import { KernelError } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import type { Process } from "../../kernel/process.ts";
import type { Maybe } from "../../kernel/types.ts";
import { createKernel, type CreateKernelOptions } from "../../mod.ts";

/** A kernel (deterministic by default) with one process. */
export function setup(options: CreateKernelOptions = {}): { kernel: Kernel; proc: Process; } {
  const kernel = createKernel({ deterministic: true, ...options });
  return { kernel, proc: kernel.createProcess() };
}

/** The value of a syscall that must have completed synchronously. */
export function sync<T>(value: Maybe<T>): T {
  if (isPromise(value)) throw new Error("expected a synchronous result");
  return value;
}

/** The errno name a call fails with, or "ok" when it succeeds. */
export function errnoOf(fn: () => unknown): string {
  try {
    const r = fn();
    if (isPromise(r)) throw new Error("expected a synchronous result");
    return "ok";
  } catch (error) {
    if (error instanceof KernelError) return error.code;
    throw error;
  }
}

/** UTF-8 bytes of a string. */
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A string from UTF-8 bytes. */
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
