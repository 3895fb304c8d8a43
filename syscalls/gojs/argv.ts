/**
 * argv and environment for gojs: written into the 8 KiB that Go reserves at
 * offset 4096 of linear memory (`[4096, 12288)`), before `run(argc, argv)`.
 *
 * Layout: each argv string NUL-terminated and padded to 8 bytes, then each
 * `KEY=VALUE` string (sorted by key) the same way, then a table of 8-byte
 * little-endian pointers: argv..., 0, env..., 0. `argv` is the table's offset.
 *
 * @module
 */

/** Where the argv/env area starts. */
export const ARGS_START = 4096;
/** Where Go's data begins: the argv/env area must end before it. */
export const ARGS_END = 4096 + 8192;

const encoder = new TextEncoder();

function padded(n: number): number {
  return (n + 7) & ~7;
}

function envStrings(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env).sort().map((key) => {
    if (key === "" || key.includes("=")) {
      throw new TypeError(`environment variable name ${JSON.stringify(key)} is invalid`);
    }
    return `${key}=${env[key]}`;
  });
}

function checkString(s: unknown, what: string): string {
  if (typeof s !== "string") throw new TypeError(`${what} must be a string`);
  if (s.includes("\0")) throw new TypeError(`${what} must not contain NUL`);
  return s;
}

/**
 * Bytes the argv/env area needs, pointer table included.
 *
 * @example
 * ```ts
 * import { argsSize } from "./argv.ts";
 * console.assert(argsSize(["prog"], { A: "1" }) === 8 + 8 + 4 * 8);
 * ```
 */
export function argsSize(args: readonly string[], env: Readonly<Record<string, string>>): number {
  let size = 0;
  for (const a of args) size += padded(encoder.encode(checkString(a, "argument")).length + 1);
  const envs = envStrings(env);
  for (const e of envs) size += padded(encoder.encode(checkString(e, "environment variable")).length + 1);
  return size + (args.length + 1 + envs.length + 1) * 8;
}

/**
 * Throws a RangeError when argv and env do not fit Go's 8 KiB area.
 *
 * @example
 * ```ts
 * import { checkArgsFit } from "./argv.ts";
 * let threw = false;
 * try {
 *   checkArgsFit(["prog"], { BIG: "x".repeat(9000) });
 * } catch (e) {
 *   threw = e instanceof RangeError;
 * }
 * console.assert(threw);
 * ```
 */
export function checkArgsFit(args: readonly string[], env: Readonly<Record<string, string>>): void {
  const size = argsSize(args, env);
  if (ARGS_START + size >= ARGS_END) {
    throw new RangeError(
      `gojs: command line and environment take ${size} bytes (pointers included); Go allows less than ${
        ARGS_END - ARGS_START
      }`,
    );
  }
}

/** Writes argv and env into `memory`; returns `run`'s arguments. Throws RangeError when they do not fit. */
export function writeArgs(
  memory: WebAssembly.Memory,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): { argc: number; argv: number; } {
  checkArgsFit(args, env);
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  let offset = ARGS_START;
  const put = (s: string): number => {
    const at = offset;
    const data = encoder.encode(s);
    bytes.set(data, at);
    bytes[at + data.length] = 0;
    offset = padded(at + data.length + 1);
    return at;
  };
  const pointers = [...args.map(put), 0, ...envStrings(env).map(put), 0];
  const argv = offset;
  for (const p of pointers) {
    view.setUint32(offset, p, true);
    view.setUint32(offset + 4, 0, true);
    offset += 8;
  }
  return { argc: args.length, argv };
}
