/**
 * The browser demo's page script: starts the kernel worker (`worker.ts`),
 * asks it to run the Go and C programs on the OPFS mount at `/data`, and
 * lists the files they wrote, twice: as the kernel sees them (modes, links,
 * inode numbers from the OPFS driver's index) and as raw OPFS (what any other
 * code of the origin sees). The listing is shown on load, so a reload shows
 * what persisted.
 *
 * The tests drive the page through `window.vkernelDemo` ({@link DemoApi}).
 * Bundled by `build.ts` into `dist/main.js`.
 *
 * @module
 */

import type { ContractResult } from "../../fs/_contract/checks.ts";
import type {
  BenchRow,
  Capabilities,
  DemoResult,
  ListedFile,
  WorkerRequest,
  WorkerResponse,
} from "./worker.ts";

/** One entry of the raw OPFS listing. */
export interface OpfsEntry {
  path: string;
  kind: "file" | "directory";
  size?: number;
}

/** What the page offers to scripts (and to the tests, through `page.evaluate`). */
export interface DemoApi {
  /** Runs the Go and the C program in the worker; resolves when both ended. */
  runDemo(): Promise<DemoResult>;
  /** The files under /data, as the kernel sees them. */
  list(): Promise<ListedFile[]>;
  /** Writes a file through the kernel; with `keepOpen` it stays open in the worker. */
  write(path: string, text: string, keepOpen?: boolean): Promise<void>;
  /** The demo's OPFS directory, read directly from the page (no kernel). */
  listOpfs(): Promise<OpfsEntry[]>;
  /** The driver contract, run in the worker on OPFS. */
  contract(): Promise<ContractResult[]>;
  /** OPFS versus memfs throughput in the worker. */
  bench(options?: { fileMiB?: number; smallFiles?: number; }): Promise<BenchRow[]>;
  /** What the worker's OPFS and WebAssembly offer (file/directory `move`, JSPI, isolation). */
  capabilities(): Promise<Capabilities>;
  /** Unmounts and deletes the demo's OPFS directory. */
  reset(): Promise<void>;
  /** Resolves once the page has shown its first listing. */
  ready: Promise<void>;
}

type RequestBody = WorkerRequest extends infer R ? R extends { id: number; } ? Omit<R, "id"> : never : never;

const DEMO_DIRECTORY = "vkernel-demo";
const worker = new Worker("./dist/worker.js", { type: "module" });
const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; }>();
let nextId = 1;

worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
  const response = event.data;
  const entry = waiting.get(response.id);
  if (!entry) return;
  waiting.delete(response.id);
  if (response.ok) entry.resolve(response.value);
  else entry.reject(new Error(response.error));
};
worker.onerror = (event) => {
  const error = new Error(`worker failed: ${event.message}`);
  for (const entry of waiting.values()) entry.reject(error);
  waiting.clear();
  show("status", error.message);
};

function call<T>(body: RequestBody): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ ...body, id });
  });
}

async function listOpfs(): Promise<OpfsEntry[]> {
  const root = await navigator.storage.getDirectory();
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await root.getDirectoryHandle(DEMO_DIRECTORY);
  } catch {
    return [];
  }
  const out: OpfsEntry[] = [];
  const walk = async (handle: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
    const children: [string, FileSystemHandle][] = [];
    const iterable = handle as unknown as AsyncIterable<[string, FileSystemHandle]>;
    for await (const entry of iterable) children.push(entry);
    children.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    for (const [name, child] of children) {
      const path = `${prefix}/${name}`;
      if (child.kind === "directory") {
        out.push({ path, kind: "directory" });
        await walk(child as FileSystemDirectoryHandle, path);
      } else {
        const file = await (child as FileSystemFileHandle).getFile();
        out.push({ path, kind: "file", size: file.size });
      }
    }
  };
  await walk(dir, "");
  return out;
}

function show(id: string, text: string): void {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}

function table(id: string, head: string[], rows: (string | number)[][]): void {
  const element = document.getElementById(id);
  if (!element) return;
  const escape = (value: string | number) =>
    String(value).replace(/[&<>]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;");
  element.innerHTML = `<table><thead><tr>${
    head.map((h) => `<th>${escape(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((row) => `<tr>${row.map((cell) => `<td>${escape(cell)}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

async function refresh(): Promise<void> {
  const [files, raw] = await Promise.all([call<ListedFile[]>({ op: "list" }), listOpfs()]);
  table(
    "files",
    ["mode", "links", "inode", "size", "path", "contents"],
    files.map((f) => [
      f.mode,
      f.nlink,
      f.ino,
      f.size,
      f.path + (f.target !== undefined ? ` -> ${f.target}` : ""),
      f.text?.trimEnd().split("\n").slice(-2).join(" | ") ?? "",
    ]),
  );
  table(
    "opfs",
    ["kind", "size", "OPFS path"],
    raw.map((e) => [e.kind, e.size ?? "", `${DEMO_DIRECTORY}${e.path}`]),
  );
  show(
    "status",
    files.length === 0 ? "/data is empty: run the programs." : `/data holds ${files.length} entries.`,
  );
}

const api: DemoApi = {
  async runDemo() {
    show("status", "running the Go and C programs in the worker...");
    // Absolute URLs: the worker resolves relative ones against dist/worker.js.
    const result = await call<DemoResult>({
      op: "demo",
      goUrl: new URL("./dist/demo_go.wasm", location.href).href,
      cUrl: new URL("./dist/demo_c.wasm", location.href).href,
    });
    show(
      "go-output",
      `exit ${result.go.exitCode} in ${result.go.ms.toFixed(0)} ms\n${result.go.output}${
        result.go.error ?? ""
      }`,
    );
    show(
      "c-output",
      `exit ${result.c.exitCode} in ${result.c.ms.toFixed(0)} ms\n${result.c.output}${result.c.error ?? ""}`,
    );
    await refresh();
    return result;
  },
  list: () => call<ListedFile[]>({ op: "list" }),
  capabilities: () => call<Capabilities>({ op: "capabilities" }),
  write: (path, text, keepOpen) => call<void>({ op: "write", path, text, keepOpen }),
  listOpfs,
  async contract() {
    show("status", "running the driver contract on OPFS...");
    const results = await call<ContractResult[]>({ op: "contract" });
    table(
      "contract-table",
      ["result", "ms", "check", "message"],
      results.map((r) => [r.status, r.ms.toFixed(1), r.title, r.message ?? ""]),
    );
    const failed = results.filter((r) => r.status === "failed").length;
    show("status", `contract: ${results.length - failed} of ${results.length} checks passed on OPFS`);
    return results;
  },
  async bench(options = {}) {
    show("status", "measuring...");
    const rows = await call<BenchRow[]>({ op: "bench", ...options });
    table(
      "bench-table",
      ["filesystem", "64 KiB write MB/s", "64 KiB read MB/s", "create+stat+unlink /s"],
      rows.map((
        r,
      ) => [r.fs, r.writeMBps.toFixed(0), r.readMBps.toFixed(0), r.smallFileOpsPerSecond.toFixed(0)]),
    );
    show("status", "benchmark done");
    return rows;
  },
  async reset() {
    await call<void>({ op: "reset" });
    await refresh();
  },
  ready: Promise.resolve(),
};

api.ready = refresh().catch((error) => show("status", `listing failed: ${error}`));
(globalThis as unknown as { vkernelDemo: DemoApi; }).vkernelDemo = api;

for (
  const [id, action] of Object.entries({
    run: () => api.runDemo(),
    contract: () => api.contract(),
    bench: () => api.bench(),
    reset: () => api.reset(),
  })
) {
  document.getElementById(id)?.addEventListener("click", () => {
    action().catch((error) => show("status", String(error)));
  });
}
