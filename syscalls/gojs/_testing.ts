/**
 * A tiny WebAssembly module writer for the gojs unit tests: enough to fake
 * the import/export shape of Go (old and new), TinyGo and WASI modules.
 *
 * @module
 */

/** A function type: params and results as wasm value type bytes (0x7f i32, 0x7e i64). */
export interface FuncType {
  params: number[];
  results: number[];
}

/** One function import. */
export interface FuncImport {
  module: string;
  name: string;
  type: FuncType;
}

/** One defined, exported function: its body is raw instruction bytes (without locals and `end`). */
export interface FuncExport {
  name: string;
  type: FuncType;
  body: number[];
}

/** What {@link buildModule} writes. */
export interface ModuleSpec {
  imports: FuncImport[];
  exports: FuncExport[];
  /** Export one memory of this many pages under `memoryName`. */
  memoryPages?: number;
  memoryName?: string;
  /** Active data segments. */
  data?: Array<{ offset: number; bytes: Uint8Array; }>;
}

export const I32 = 0x7f;
export const I64 = 0x7e;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const / i64.const within ±2^31). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function str(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Instruction helpers. */
export const op = {
  i32Const: (n: number): number[] => [0x41, ...sleb(n)],
  i64Const: (n: number): number[] => [0x42, ...sleb(n)],
  localGet: (i: number): number[] => [0x20, ...uleb(i)],
  i32Add: [0x6a],
  i32Store: (offset: number): number[] => [0x36, 2, ...uleb(offset)],
  i64Store: (offset: number): number[] => [0x37, 3, ...uleb(offset)],
  call: (f: number): number[] => [0x10, ...uleb(f)],
};

/**
 * Builds a module from `spec`.
 *
 * @example
 * ```ts
 * import { buildModule, I32 } from "./_testing.ts";
 * const bytes = buildModule({ imports: [], exports: [{ name: "f", type: { params: [], results: [I32] }, body: [0x41, 7] }] });
 * const { instance } = await WebAssembly.instantiate(bytes);
 * console.assert((instance.exports.f as () => number)() === 7);
 * ```
 */
export function buildModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const types: FuncType[] = [];
  const typeIndex = (t: FuncType): number => {
    const i = types.findIndex((u) =>
      u.params.join() === t.params.join() && u.results.join() === t.results.join()
    );
    if (i >= 0) return i;
    types.push(t);
    return types.length - 1;
  };
  const importEntries = spec.imports.map((
    imp,
  ) => [...str(imp.module), ...str(imp.name), 0x00, ...uleb(typeIndex(imp.type))]);
  const funcTypes = spec.exports.map((e) => uleb(typeIndex(e.type)));
  const typeEntries = types.map((
    t,
  ) => [0x60, ...vec(t.params.map((p) => [p])), ...vec(t.results.map((r) => [r]))]);
  const exportEntries = spec.exports.map((e, i) => [...str(e.name), 0x00, ...uleb(spec.imports.length + i)]);
  if (spec.memoryPages !== undefined) exportEntries.push([...str(spec.memoryName ?? "mem"), 0x02, 0]);
  const bodies = spec.exports.map((e) => {
    const body = [0x00, ...e.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(typeEntries)),
    ...section(2, vec(importEntries)),
    ...section(3, vec(funcTypes)),
    ...(spec.memoryPages !== undefined ? section(5, vec([[0x00, ...uleb(spec.memoryPages)]])) : []),
    ...section(7, vec(exportEntries)),
    ...section(10, vec(bodies)),
    ...(spec.data
      ? section(
        11,
        vec(
          spec.data.map((d) => [0x00, ...op.i32Const(d.offset), 0x0b, ...uleb(d.bytes.length), ...d.bytes]),
        ),
      )
      : []),
  ];
  return new Uint8Array(bytes);
}

const SP_TYPE: FuncType = { params: [I32], results: [] };

/**
 * A fake Go ≤ 1.20 (import module `go`, with `debug`) program: `run(argc, argv)`
 * writes "hi\n" through runtime.wasmWrite to fd 1, then exits with argc + 40.
 */
export function fakeOldGo(): Uint8Array<ArrayBuffer> {
  const SP = 0xff00;
  const TEXT = 0xf000;
  const imports: FuncImport[] = [
    { module: "go", name: "debug", type: SP_TYPE },
    { module: "go", name: "runtime.wasmExit", type: SP_TYPE },
    { module: "go", name: "runtime.wasmWrite", type: SP_TYPE },
  ];
  const run = [
    ...op.i32Const(SP),
    ...op.i64Const(1),
    ...op.i64Store(8),
    ...op.i32Const(SP),
    ...op.i64Const(TEXT),
    ...op.i64Store(16),
    ...op.i32Const(SP),
    ...op.i32Const(3),
    ...op.i32Store(24),
    ...op.i32Const(SP),
    ...op.call(2),
    ...op.i32Const(SP),
    ...op.localGet(0),
    ...op.i32Const(40),
    ...op.i32Add,
    ...op.i32Store(8),
    ...op.i32Const(SP),
    ...op.call(1),
  ];
  return buildModule({
    imports,
    exports: [
      { name: "run", type: { params: [I32, I32], results: [] }, body: run },
      { name: "resume", type: { params: [], results: [] }, body: [] },
      { name: "getsp", type: { params: [], results: [I32] }, body: op.i32Const(SP) },
    ],
    memoryPages: 1,
    data: [{ offset: TEXT, bytes: new TextEncoder().encode("hi\n") }],
  });
}

/** A module shaped like TinyGo's js target: WASI plus gojs imports, no runtime.wasmExit. */
export function fakeTinyGo(): Uint8Array<ArrayBuffer> {
  return buildModule({
    imports: [
      {
        module: "wasi_snapshot_preview1",
        name: "fd_write",
        type: { params: [I32, I32, I32, I32], results: [I32] },
      },
      {
        module: "gojs",
        name: "syscall/js.valueGet",
        type: { params: [I32, I32, I32, I32, I32], results: [] },
      },
    ],
    exports: [
      { name: "_start", type: { params: [], results: [] }, body: [] },
      { name: "resume", type: { params: [], results: [] }, body: [] },
    ],
    memoryPages: 1,
    memoryName: "memory",
  });
}

/** A plain WASI command module. */
export function fakeWasi(): Uint8Array<ArrayBuffer> {
  return buildModule({
    imports: [{ module: "wasi_snapshot_preview1", name: "proc_exit", type: SP_TYPE }],
    exports: [{ name: "_start", type: { params: [], results: [] }, body: [] }],
    memoryPages: 1,
    memoryName: "memory",
  });
}

/**
 * Wraps a synchronous filesystem so that every method (but `root` and
 * `attach`) answers with a Promise settled in a later macrotask: the kernel
 * then returns Promises, and gojs delivers callbacks in `.then`.
 */
export function asyncFileSystem<T extends object>(fs: T): T {
  return new Proxy(fs, {
    get(target, key) {
      if (key === "synchronous") return false;
      if (key === "name") return "async-" + String(Reflect.get(target, key));
      const value = Reflect.get(target, key);
      if (typeof value !== "function" || key === "root" || key === "attach") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          setTimeout(() => {
            try {
              resolve(value.apply(target, args));
            } catch (error) {
              reject(error);
            }
          }, 0);
        });
    },
  });
}

/** A fake Go module whose `run` traps (`unreachable`), like a crashed runtime. */
export function fakeTrappingGo(): Uint8Array<ArrayBuffer> {
  return buildModule({
    imports: [{ module: "gojs", name: "runtime.wasmExit", type: SP_TYPE }],
    exports: [
      { name: "run", type: { params: [I32, I32], results: [] }, body: [0x00] },
      { name: "resume", type: { params: [], results: [] }, body: [] },
      { name: "getsp", type: { params: [], results: [I32] }, body: op.i32Const(0xff00) },
    ],
    memoryPages: 1,
  });
}
