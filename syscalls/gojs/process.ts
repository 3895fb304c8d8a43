/**
 * The `process` and `path` objects of a gojs process, backed by the kernel
 * process: working directory, umask, credentials, pids, and `path.resolve`
 * against the process's own working directory.
 *
 * @module
 */

import { isPromise } from "../../kernel/_maybe.ts";
import type { Process } from "../../kernel/process.ts";
import { chdir, getcwd } from "../../kernel/syscalls/mod.ts";
import { toGoError } from "./errno.ts";

/** The `process.argv0` Go sees. It must not start with "node" (Go then disables fetch). */
export const ARGV0 = "vkernel";

/** What the process object needs besides the kernel process. */
export interface ProcessHost {
  readonly proc: Process;
  /** Records a chdir that the kernel finishes later; later fs calls wait for it. */
  setBarrier(promise: Promise<unknown>): void;
}

/**
 * Tracks the working directory as a string for the synchronous calls
 * (`process.cwd()`, `path.resolve`) when the kernel can only answer later.
 */
export class CwdCache {
  #path = "/";
  #generation = 0;
  #changing = 0;
  constructor(readonly proc: Process) {
    this.refresh();
  }

  /** The working directory, from the kernel when it answers at once. Throws a coded error if it was removed. */
  get(): string {
    if (this.#changing === 0) this.refresh();
    return this.#path;
  }

  /** Re-reads the kernel's working directory (errors propagate). */
  refresh(): void {
    const generation = this.#generation;
    const cwd = getcwd(this.proc);
    if (isPromise(cwd)) {
      cwd.then((p) => {
        if (generation === this.#generation && this.#changing === 0) this.#path = p;
      }, () => {});
      return;
    }
    this.#path = cwd;
  }

  /** The last known path, without asking the kernel. */
  get last(): string {
    return this.#path;
  }

  /**
   * Records a chdir the kernel finishes later: `path` is the working
   * directory until `done` settles, then the kernel is asked again.
   */
  changing(path: string, done: Promise<unknown>): Promise<void> {
    this.#generation++;
    this.#changing++;
    this.#path = path;
    const settle = () => {
      this.#changing--;
      this.#generation++;
      if (this.#changing === 0) this.refresh();
    };
    return done.then(settle, settle);
  }
}

/**
 * Builds `process` for one gojs process.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { createProcessObject, CwdCache } from "./process.ts";
 * const proc = createKernel().createProcess({ args: ["prog"] });
 * const p = createProcessObject({ proc, setBarrier: () => {} }, new CwdCache(proc));
 * console.assert(p.cwd() === "/" && p.umask(0o027) === 0o022);
 * ```
 */
export function createProcessObject(host: ProcessHost, cwd: CwdCache) {
  const proc = host.proc;
  return {
    get pid(): number {
      return proc.pid;
    },
    get ppid(): number {
      return proc.ppid;
    },
    argv0: ARGV0,
    get argv(): string[] {
      return [ARGV0, ...proc.args];
    },
    get env(): Record<string, string> {
      return { ...proc.env };
    },
    platform: "js",
    title: ARGV0,
    cwd(): string {
      try {
        return cwd.get();
      } catch (error) {
        throw toGoError(error, "getcwd");
      }
    },
    chdir(path: unknown): void {
      let r;
      try {
        r = chdir(proc, String(path));
      } catch (error) {
        throw toGoError(error, "chdir");
      }
      if (isPromise(r)) {
        // The kernel finishes later (an asynchronous filesystem): Go's chdir is
        // synchronous, so report success now, and make later fs calls wait.
        host.setBarrier(cwd.changing(resolvePath(cwd.last, [String(path)]), r));
        return;
      }
      try {
        cwd.refresh();
      } catch { /* the new cwd has no name (removed): process.cwd() reports it */ }
    },
    umask(mask?: unknown): number {
      const old = proc.umask;
      if (mask !== undefined && mask !== null) {
        const m = typeof mask === "string" ? parseInt(mask, 8) : Number(mask);
        if (Number.isInteger(m)) proc.umask = m & 0o777;
      }
      return old;
    },
    getuid: (): number => proc.uid,
    geteuid: (): number => proc.uid,
    getgid: (): number => proc.gid,
    getegid: (): number => proc.gid,
    getgroups: (): number[] => [proc.gid],
  };
}

/** Normalizes an absolute POSIX path: collapses `//`, `.`, `..`; no trailing slash. */
export function normalizeAbsolute(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Node's `path.posix.resolve`, with `cwd` as the starting point. */
export function resolvePath(cwd: string, segments: readonly string[]): string {
  let resolved = "";
  for (let i = segments.length - 1; i >= 0 && !resolved.startsWith("/"); i--) {
    const s = segments[i];
    if (s === "") continue;
    resolved = resolved === "" ? s : `${s}/${resolved}`;
  }
  if (!resolved.startsWith("/")) resolved = resolved === "" ? cwd : `${cwd}/${resolved}`;
  return normalizeAbsolute(resolved);
}

function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  let result = (absolute ? "/" : "") + out.join("/");
  if (result === "") result = absolute ? "/" : ".";
  if (trailing && !result.endsWith("/")) result += "/";
  return result;
}

/**
 * Builds `path` (the POSIX subset Go and simple host code use) for one process.
 *
 * @example
 * ```ts
 * import { createPathObject } from "./process.ts";
 * const path = createPathObject(() => "/home/go");
 * console.assert(path.resolve("a", "../b") === "/home/go/b");
 * console.assert(path.resolve("/x/", "y/") === "/x/y");
 * ```
 */
export function createPathObject(cwd: () => string) {
  return {
    sep: "/",
    delimiter: ":",
    resolve: (...segments: unknown[]): string => resolvePath(cwd(), segments.map(String)),
    normalize: (path: unknown): string => normalize(String(path)),
    join: (...parts: unknown[]): string => normalize(parts.map(String).filter((p) => p !== "").join("/")),
    isAbsolute: (path: unknown): boolean => String(path).startsWith("/"),
    dirname(path: unknown): string {
      const p = String(path).replace(/\/+$/, "");
      if (p === "") return String(path).startsWith("/") ? "/" : ".";
      const i = p.lastIndexOf("/");
      if (i < 0) return ".";
      return i === 0 ? "/" : p.slice(0, i).replace(/\/+$/, "") || "/";
    },
    basename(path: unknown, ext?: unknown): string {
      const p = String(path).replace(/\/+$/, "");
      let base = p.slice(p.lastIndexOf("/") + 1);
      if (typeof ext === "string" && ext !== base && base.endsWith(ext)) base = base.slice(0, -ext.length);
      return base;
    },
  };
}
