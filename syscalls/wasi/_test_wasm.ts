/**
 * A tiny WebAssembly assembler for the facade's tests: enough of the binary
 * format (types, imports, functions, one memory, globals, exports, code, data)
 * to write small guests by hand, so unit tests need no toolchain.
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;

/** A few opcodes. */
export const OP = {
  unreachable: 0x00,
  call: 0x10,
  drop: 0x1a,
  localGet: 0x20,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Add: 0x6a,
  end: 0x0b,
} as const;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (bigint, for i32 and i64 constants). */
export function sleb(value: number | bigint): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A function type: params and results. */
export type FuncType = [params: number[], results: number[]];

/** What {@link assemble} takes. */
export interface ModuleSpec {
  types: FuncType[];
  imports?: { module: string; name: string; type: number; }[];
  /** Defined functions: their type index and body (without the trailing `end`). */
  funcs?: { type: number; locals?: number[]; body: number[]; }[];
  /** One memory: defined, or imported from `import` ([module, name]); `max`/`shared` set its limits. */
  memory?: {
    min: number;
    max?: number;
    shared?: boolean;
    export?: string;
    import?: readonly [string, string];
  };
  globals?: { type: number; mutable: boolean; init: number; }[];
  exports?: { name: string; func: number; }[];
  data?: { offset: number; bytes: Uint8Array; }[];
}

/**
 * The module's bytes. Function indices count imports first.
 *
 * @example
 * ```ts
 * import { assemble, OP } from "./_test_wasm.ts";
 * const bytes = assemble({ types: [[[], []]], funcs: [{ type: 0, body: [] }], exports: [{ name: "f", func: 0 }] });
 * console.assert(WebAssembly.validate(bytes));
 * ```
 */
export function assemble(spec: ModuleSpec): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  out.push(
    ...section(
      1,
      vec(spec.types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))])),
    ),
  );
  const mem = spec.memory;
  const limits = mem
    ? [
      (mem.max !== undefined ? 1 : 0) | (mem.shared ? 2 : 0),
      ...uleb(mem.min),
      ...(mem.max !== undefined ? uleb(mem.max) : []),
    ]
    : [];
  const imports = (spec.imports ?? []).map((
    i,
  ) => [...name(i.module), ...name(i.name), 0x00, ...uleb(i.type)]);
  if (mem?.import) imports.push([...name(mem.import[0]), ...name(mem.import[1]), 0x02, ...limits]);
  if (imports.length) out.push(...section(2, vec(imports)));
  const funcs = spec.funcs ?? [];
  if (funcs.length) out.push(...section(3, vec(funcs.map((f) => uleb(f.type)))));
  if (mem && !mem.import) out.push(...section(5, vec([limits])));
  if (spec.globals?.length) {
    out.push(
      ...section(
        6,
        vec(spec.globals.map((g) => [g.type, g.mutable ? 1 : 0, OP.i32Const, ...sleb(g.init), OP.end])),
      ),
    );
  }
  const exports: number[][] = (spec.exports ?? []).map((e) => [...name(e.name), 0x00, ...uleb(e.func)]);
  if (spec.memory?.export) exports.push([...name(spec.memory.export), 0x02, 0x00]);
  if (exports.length) out.push(...section(7, vec(exports)));
  if (funcs.length) {
    out.push(...section(
      10,
      vec(funcs.map((f) => {
        const locals = vec((f.locals ?? []).map((t) => [1, t]));
        const body = [...locals, ...f.body, OP.end];
        return [...uleb(body.length), ...body];
      })),
    ));
  }
  if (spec.data?.length) {
    out.push(...section(
      11,
      vec(
        spec.data.map((
          d,
        ) => [0x00, OP.i32Const, ...sleb(d.offset), OP.end, ...uleb(d.bytes.length), ...d.bytes]),
      ),
    ));
  }
  return new Uint8Array(out);
}

/** `i32.const n`. */
export const i32c = (n: number): number[] => [OP.i32Const, ...sleb(n)];
/** `i64.const n`. */
export const i64c = (n: number | bigint): number[] => [OP.i64Const, ...sleb(n)];
/** `call f`. */
export const call = (f: number): number[] => [OP.call, ...uleb(f)];
