/**
 * File-system operations as data, for the property tests in tests/properties/:
 * one {@link FsApi} implemented by the reference model (fs_model.ts), by a
 * kernel process ({@link KernelApi}) and by the host through `node:fs`
 * ({@link HostApi}); the operations ({@link Op}) with their fast-check
 * arbitraries and a readable `toString`; and {@link applyOp}, which runs one
 * operation on one implementation and returns its {@link Outcome}.
 *
 * @module
 */

import fc from "fast-check";
import type * as NodeFs from "node:fs";
import { isPromise } from "../../kernel/_maybe.ts";
import type { Process } from "../../kernel/process.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, FileType, type Maybe, O, SEEK, type Stat } from "../../kernel/types.ts";

/** The node types the tests create. */
export type NodeType = "file" | "dir" | "symlink";

/** The part of `stat` the tests compare. `size` is null for directories (it differs between file systems). */
export interface StatInfo {
  type: NodeType | "other";
  size: number | null;
  nlink: number;
  /** Permission bits. */
  mode: number;
  /** Compared only through identity (a bijection per run), never by value across systems. */
  ino: number;
}

/** One directory entry. */
export interface DirEnt {
  name: string;
  type: NodeType | "other";
  ino: number;
}

/**
 * The system calls the properties exercise. Every method throws an error with
 * a POSIX `code` (KernelError, a host error, ModelError) or returns a value.
 * Relative paths are relative to the implementation's working directory.
 */
export interface FsApi {
  mkdir(path: string, mode: number): void;
  /** Returns the new fd (the lowest free one). */
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
  dup(fd: number): number;
  read(fd: number, length: number): Uint8Array;
  write(fd: number, data: Uint8Array): number;
  pwrite(fd: number, data: Uint8Array, position: number): number;
  lseek(fd: number, offset: number, whence: number): number;
  ftruncate(fd: number, size: number): void;
  rename(from: string, to: string): void;
  /** `linkat(AT_FDCWD, from, AT_FDCWD, to, follow ? AT_SYMLINK_FOLLOW : 0)`. */
  link(from: string, to: string, follow: boolean): void;
  symlink(target: string, path: string): void;
  unlink(path: string): void;
  rmdir(path: string): void;
  readlink(path: string): string;
  stat(path: string, follow: boolean): StatInfo;
  fstat(fd: number): StatInfo;
  /** Up to `limit` entries from the fd's listing position (`.` and `..` included), advancing it. */
  getdents(fd: number, limit: number): DirEnt[];
  /** The whole listing of the directory open at `fd`, without `.` and `..`, sorted by name. */
  listdir(fd: number): DirEnt[];
  chdir(path: string): void;
  /** Whether the two paths (not following a final symlink) name the same file. */
  sameFile(a: string, b: string): boolean;
}

// ------------------------------------------------------------------ operations

/**
 * Which fd an operation uses: the `sel`-th (modulo) open fd of a kind, chosen
 * when the operation runs from the model's fd table (so sequences keep
 * hitting live fds), or a raw number (often a closed one: EBADF).
 */
export type FdRef = { kind: "file" | "dir" | "any"; sel: number; } | { kind: "raw"; fd: number; };

/** One operation. Data is a short ASCII string. */
export type Op =
  | { op: "mkdir"; path: string; }
  | { op: "open"; path: string; flags: number; }
  | { op: "close"; fd: FdRef; }
  | { op: "dup"; fd: FdRef; }
  | { op: "read"; fd: FdRef; length: number; }
  | { op: "write"; fd: FdRef; data: string; }
  | { op: "pwrite"; fd: FdRef; data: string; position: number; }
  | { op: "lseek"; fd: FdRef; offset: number; whence: number; }
  | { op: "ftruncate"; fd: FdRef; size: number; }
  | { op: "rename"; from: string; to: string; }
  | { op: "link"; from: string; to: string; follow: boolean; }
  | { op: "symlink"; target: string; path: string; }
  | { op: "unlink"; path: string; }
  | { op: "rmdir"; path: string; }
  | { op: "readlink"; path: string; }
  | { op: "stat"; path: string; follow: boolean; }
  | { op: "fstat"; fd: FdRef; }
  | { op: "getdents"; fd: FdRef; limit: number; }
  | { op: "listdir"; fd: FdRef; }
  | { op: "opendir"; path: string; limit: number; }
  | { op: "chdir"; path: string; }
  | { op: "samefile"; a: string; b: string; };

const FLAG_NAMES: Array<[number, string]> = [
  [O.CREAT, "CREAT"],
  [O.EXCL, "EXCL"],
  [O.TRUNC, "TRUNC"],
  [O.APPEND, "APPEND"],
  [O.DIRECTORY, "DIRECTORY"],
  [O.NOFOLLOW, "NOFOLLOW"],
];

/** `O_RDWR|O_CREAT` style. */
export function formatFlags(flags: number): string {
  const access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & O.ACCMODE];
  return [access, ...FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => `O_${name}`)].join("|");
}

function formatFd(ref: FdRef, fd: number | undefined): string {
  if (ref.kind === "raw") return String(ref.fd);
  const chosen = fd === undefined ? "" : `=${fd}`;
  return `${ref.kind}fd#${ref.sel}${chosen}`;
}

const q = JSON.stringify;
const WHENCE = ["SEEK_SET", "SEEK_CUR", "SEEK_END"];

/** A C-like rendering of an operation, with the fd it resolved to when known. */
export function formatOp(op: Op, fd?: number): string {
  switch (op.op) {
    case "mkdir":
      return `mkdir(${q(op.path)})`;
    case "open":
      return `open(${q(op.path)}, ${formatFlags(op.flags)})`;
    case "close":
    case "dup":
    case "fstat":
    case "listdir":
      return `${op.op}(${formatFd(op.fd, fd)})`;
    case "read":
      return `read(${formatFd(op.fd, fd)}, ${op.length})`;
    case "write":
      return `write(${formatFd(op.fd, fd)}, ${q(op.data)})`;
    case "pwrite":
      return `pwrite(${formatFd(op.fd, fd)}, ${q(op.data)}, ${op.position})`;
    case "lseek":
      return `lseek(${formatFd(op.fd, fd)}, ${op.offset}, ${WHENCE[op.whence]})`;
    case "ftruncate":
      return `ftruncate(${formatFd(op.fd, fd)}, ${op.size})`;
    case "rename":
      return `rename(${q(op.from)}, ${q(op.to)})`;
    case "link":
      return `link(${q(op.from)}, ${q(op.to)}${op.follow ? ", AT_SYMLINK_FOLLOW" : ""})`;
    case "symlink":
      return `symlink(${q(op.target)}, ${q(op.path)})`;
    case "unlink":
    case "rmdir":
    case "readlink":
    case "chdir":
      return `${op.op}(${q(op.path)})`;
    case "stat":
      return `${op.follow ? "stat" : "lstat"}(${q(op.path)})`;
    case "getdents":
      return `getdents(${formatFd(op.fd, fd)}, ${op.limit})`;
    case "samefile":
      return `samefile(${q(op.a)}, ${q(op.b)})`;
    case "opendir":
      return `opendir(${q(op.path)}) + getdents(fd, ${op.limit})`;
  }
}

/**
 * The fd an {@link FdRef} means given the open fds (`isDir` tells a directory
 * fd from a file fd): one of the kind asked for, else any open one, else the
 * selector itself as a number.
 */
export function resolveFd(ref: FdRef, open: number[], isDir: (fd: number) => boolean): number {
  if (ref.kind === "raw") return ref.fd;
  let pool = ref.kind === "any" ? open : open.filter((fd) => isDir(fd) === (ref.kind === "dir"));
  if (pool.length === 0) pool = open;
  if (pool.length === 0) return ref.sel;
  return pool[ref.sel % pool.length];
}

/** Whether the operation takes an fd. */
export function fdOf(op: Op): FdRef | null {
  return "fd" in op ? op.fd : null;
}

// ------------------------------------------------------------------ outcomes

/** What one operation did: a value, or an errno name. */
export type Outcome = { ok: true; value: unknown; } | { ok: false; errno: string; };

const encoder = new TextEncoder();

/** Bytes as a string of char codes (holes show as "\u0000"). */
export function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** The errno of an error thrown by an implementation, or the error itself when it is not one. */
export function errnoOf(error: unknown): string {
  const code = (error as { code?: unknown; } | null)?.code;
  if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
  throw error;
}

/** Runs `op` (already resolved to `fd`) on `api`. Unexpected exceptions propagate. */
export function applyOp(api: FsApi, op: Op, fd: number): Outcome {
  try {
    return { ok: true, value: perform(api, op, fd) };
  } catch (error) {
    return { ok: false, errno: errnoOf(error) };
  }
}

function perform(api: FsApi, op: Op, fd: number): unknown {
  switch (op.op) {
    case "mkdir":
      return api.mkdir(op.path, 0o777) ?? null;
    case "open":
      return api.open(op.path, op.flags, 0o666);
    case "close":
      return api.close(fd) ?? null;
    case "dup":
      return api.dup(fd);
    case "read":
      return latin1(api.read(fd, op.length));
    case "write":
      return api.write(fd, encoder.encode(op.data));
    case "pwrite":
      return api.pwrite(fd, encoder.encode(op.data), op.position);
    case "lseek":
      return api.lseek(fd, op.offset, op.whence);
    case "ftruncate":
      return api.ftruncate(fd, op.size) ?? null;
    case "rename":
      return api.rename(op.from, op.to) ?? null;
    case "link":
      return api.link(op.from, op.to, op.follow) ?? null;
    case "symlink":
      return api.symlink(op.target, op.path) ?? null;
    case "unlink":
      return api.unlink(op.path) ?? null;
    case "rmdir":
      return api.rmdir(op.path) ?? null;
    case "readlink":
      return api.readlink(op.path);
    case "stat":
      return api.stat(op.path, op.follow);
    case "fstat":
      return api.fstat(fd);
    case "getdents":
      return api.getdents(fd, op.limit);
    case "listdir":
      return api.listdir(fd);
    case "chdir":
      return api.chdir(op.path) ?? null;
    case "samefile":
      return api.sameFile(op.a, op.b);
    case "opendir": {
      // The differential form: open, then the whole listing (the model test checks getdents instead).
      const fd = api.open(op.path, O.RDONLY | O.DIRECTORY, 0);
      return { fd, entries: api.listdir(fd) };
    }
  }
}

/** An outcome with inode numbers removed (they are compared through identity, not value). */
export function withoutInodes(outcome: Outcome): Outcome {
  if (!outcome.ok) return outcome;
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).filter(([key]) => key !== "ino").map(([k, v]) => [k, strip(v)]),
    );
  };
  return { ok: true, value: strip(outcome.value) };
}

/** A short rendering of an outcome for messages. */
export function formatOutcome(outcome: Outcome): string {
  return outcome.ok ? `ok ${JSON.stringify(outcome.value)}` : outcome.errno;
}

// ------------------------------------------------------------------ arbitraries

/** What the generated operations may contain. */
export interface OpOptions {
  /** Absolute paths and absolute symlink targets (not on a host whose root is not the real root). */
  absolute: boolean;
  /** chdir (the host harness has one fixed working directory). */
  chdir: boolean;
  /** Incremental getdents (the host harness only lists whole directories). */
  getdents: boolean;
  /** linkat with AT_SYMLINK_FOLLOW (node:fs has no linkat). */
  linkFollow: boolean;
  /**
   * Only what the node:fs host harness can pass to the host as it is:
   *
   * - open flags that Deno's node:fs hands over unchanged (it turns numeric
   *   flags into Rust OpenOptions: O_RDONLY|O_APPEND opens for writing,
   *   O_TRUNC|O_APPEND is EINVAL, O_EXCL without O_CREAT is EEXIST);
   * - no zero-byte read or write: Deno and Bun return 0 without asking the
   *   host, so a read from a write-only fd "succeeds" (Linux: EBADF).
   */
  host: boolean;
}

const nameArb = fc.constantFrom("a", "b", "c");

const componentArb = fc.oneof(
  { weight: 8, arbitrary: nameArb },
  { weight: 1, arbitrary: fc.constant(".") },
  { weight: 2, arbitrary: fc.constant("..") },
);

/** A path over the tiny alphabet: 1-3 components of a, b, c, ., .., maybe absolute, maybe with a trailing slash. */
export function pathArb(absolute: boolean): fc.Arbitrary<string> {
  const shaped = fc.record({
    parts: fc.oneof(
      { weight: 5, arbitrary: fc.tuple(componentArb) },
      { weight: 3, arbitrary: fc.tuple(componentArb, componentArb) },
      { weight: 1, arbitrary: fc.tuple(componentArb, componentArb, componentArb) },
    ),
    trailing: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    doubled: fc.integer({ min: 0, max: 15 }).map((n) => n === 0),
  });
  const built = shaped.map(({ parts, trailing, doubled }) => {
    return parts.join(doubled ? "//" : "/") + (trailing ? "/" : "");
  });
  const arbs: Array<fc.WeightedArbitrary<string>> = [
    { weight: 40, arbitrary: built },
    { weight: 1, arbitrary: fc.constant("") },
  ];
  if (absolute) {
    arbs.push({ weight: 8, arbitrary: built.map((p) => "/" + p) }, {
      weight: 1,
      arbitrary: fc.constant("/"),
    });
  }
  return fc.oneof(...arbs);
}

/** Symlink targets: like paths, often a single name, rarely empty (ENOENT). */
function targetArb(absolute: boolean): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: nameArb }, { weight: 4, arbitrary: pathArb(absolute) });
}

function flagsArb(host: boolean): fc.Arbitrary<number> {
  return fc.record({
    access: fc.constantFrom(O.RDONLY, O.WRONLY, O.RDWR, O.RDWR),
    creat: fc.integer({ min: 0, max: 4 }).map((n) => n < 3),
    excl: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    trunc: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    append: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    directory: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    nofollow: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  }).map((f) => {
    let flags = f.access;
    if (f.creat) flags |= O.CREAT;
    if (f.excl) flags |= O.EXCL;
    // Deliberately not generated (see the report / RATIONALE): O_RDONLY|O_TRUNC (Linux
    // truncates, or EISDIR on a directory; the kernel ignores O_TRUNC without write access).
    if (f.trunc && f.access !== O.RDONLY) flags |= O.TRUNC;
    if (f.append) flags |= O.APPEND;
    // Deliberately not generated: O_DIRECTORY|O_CREAT (EINVAL on Linux 6.4+, EISDIR/ENOTDIR in the kernel).
    if (f.directory && !f.creat) flags |= O.DIRECTORY;
    if (f.nofollow) flags |= O.NOFOLLOW;
    if (host) {
      if ((flags & O.APPEND) && f.access === O.RDONLY) flags &= ~O.APPEND;
      if ((flags & O.APPEND) && (flags & O.TRUNC)) flags &= ~O.TRUNC;
      if (!(flags & O.CREAT)) flags &= ~O.EXCL;
    }
    return flags;
  });
}

function fdArb(kind: "file" | "dir" | "any"): fc.Arbitrary<FdRef> {
  return fc.oneof(
    { weight: 9, arbitrary: fc.nat({ max: 7 }).map((sel): FdRef => ({ kind, sel })) },
    { weight: 1, arbitrary: fc.nat({ max: 5 }).map((fd): FdRef => ({ kind: "raw", fd })) },
  );
}

function dataArb(minLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom("x", "y", "z"), minLength, maxLength: 5 });
}

/** One random operation. */
export function opArb(options: OpOptions): fc.Arbitrary<Op> {
  const path = pathArb(options.absolute);
  const minLength = options.host ? 1 : 0;
  const arbs: Array<fc.WeightedArbitrary<Op>> = [
    { weight: 6, arbitrary: path.map((p): Op => ({ op: "mkdir", path: p })) },
    {
      weight: 12,
      arbitrary: fc.record({ path, flags: flagsArb(options.host) }).map((r): Op => ({ op: "open", ...r })),
    },
    {
      // Mostly new or existing regular files, so the fd operations have files to work on.
      weight: 6,
      arbitrary: fc.record({
        path: fc.constantFrom("c", "d", "a/c", "a/d", "b/d"),
        flags: fc.constantFrom(O.RDWR | O.CREAT, O.RDWR | O.CREAT | O.APPEND, O.WRONLY | O.CREAT | O.TRUNC),
      }).map((r): Op => ({ op: "open", ...r })),
    },
    { weight: 3, arbitrary: fdArb("any").map((fd): Op => ({ op: "close", fd })) },
    { weight: 2, arbitrary: fdArb("any").map((fd): Op => ({ op: "dup", fd })) },
    {
      weight: 4,
      arbitrary: fc.record({ fd: fdArb("file"), length: fc.integer({ min: minLength, max: 8 }) })
        .map((r): Op => ({ op: "read", ...r })),
    },
    {
      weight: 5,
      arbitrary: fc.record({ fd: fdArb("file"), data: dataArb(minLength) }).map((r): Op => ({
        op: "write",
        ...r,
      })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        fd: fdArb("file"),
        data: dataArb(minLength),
        position: fc.integer({ min: 0, max: 10 }),
      })
        .map((r): Op => ({ op: "pwrite", ...r })),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        fd: fdArb("any"),
        offset: fc.integer({ min: -4, max: 10 }),
        whence: fc.constantFrom(SEEK.SET, SEEK.CUR, SEEK.END),
      }).map((r): Op => ({ op: "lseek", ...r })),
    },
    // Rewinding a directory restarts its listing.
    {
      weight: 1,
      arbitrary: fdArb("dir").map((fd): Op => ({ op: "lseek", fd, offset: 0, whence: SEEK.SET })),
    },
    {
      weight: 2,
      arbitrary: fc.record({ fd: fdArb("file"), size: fc.integer({ min: 0, max: 10 }) })
        .map((r): Op => ({ op: "ftruncate", ...r })),
    },
    { weight: 5, arbitrary: fc.record({ from: path, to: path }).map((r): Op => ({ op: "rename", ...r })) },
    {
      weight: 3,
      arbitrary: fc.record({
        from: path,
        to: path,
        follow: options.linkFollow ? fc.boolean() : fc.constant(false),
      })
        .map((r): Op => ({ op: "link", ...r })),
    },
    {
      weight: 5,
      arbitrary: fc.record({ target: targetArb(options.absolute), path }).map((r): Op => ({
        op: "symlink",
        ...r,
      })),
    },
    { weight: 3, arbitrary: path.map((p): Op => ({ op: "unlink", path: p })) },
    { weight: 3, arbitrary: path.map((p): Op => ({ op: "rmdir", path: p })) },
    { weight: 1, arbitrary: path.map((p): Op => ({ op: "readlink", path: p })) },
    {
      weight: 3,
      arbitrary: fc.record({ path, follow: fc.boolean() }).map((r): Op => ({ op: "stat", ...r })),
    },
    { weight: 1, arbitrary: fdArb("any").map((fd): Op => ({ op: "fstat", fd })) },
    { weight: 1, arbitrary: fc.record({ a: path, b: path }).map((r): Op => ({ op: "samefile", ...r })) },
  ];
  const dirPath = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(".", "a", "b", "a/b", "..") },
    { weight: 1, arbitrary: path },
  );
  arbs.push({
    weight: 4,
    arbitrary: fc.record({ path: dirPath, limit: fc.integer({ min: 1, max: 3 }) })
      .map((r): Op => ({ op: "opendir", ...r })),
  });
  if (options.getdents) {
    arbs.push({
      weight: 8,
      arbitrary: fc.record({ fd: fdArb("dir"), limit: fc.integer({ min: 1, max: 4 }) })
        .map((r): Op => ({ op: "getdents", ...r })),
    });
  } else {
    arbs.push({ weight: 3, arbitrary: fdArb("dir").map((fd): Op => ({ op: "listdir", fd })) });
  }
  if (options.chdir) arbs.push({ weight: 2, arbitrary: path.map((p): Op => ({ op: "chdir", path: p })) });
  return fc.oneof(...arbs);
}

// ------------------------------------------------------------------ the kernel

function nodeType(type: number): NodeType | "other" {
  return type === FileType.RegularFile
    ? "file"
    : type === FileType.Directory
    ? "dir"
    : type === FileType.Symlink
    ? "symlink"
    : "other";
}

/** The {@link StatInfo} of a kernel stat. */
export function statInfo(st: Stat): StatInfo {
  const type = nodeType(st.type);
  return { type, size: type === "dir" ? null : st.size, nlink: st.nlink, mode: st.mode, ino: st.ino };
}

/** The value of a syscall over a synchronous driver. */
export function sync<T>(value: Maybe<T>): T {
  if (isPromise(value)) throw new Error("a syscall over a synchronous driver returned a Promise");
  return value;
}

function byName(a: DirEnt, b: DirEnt): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * {@link FsApi} over a kernel process: each method is one syscall of
 * kernel/syscalls with AT_FDCWD.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { KernelApi } from "./fs_ops.ts";
 * const api = new KernelApi(createKernel().createProcess());
 * api.mkdir("/tmp/x", 0o777);
 * console.assert(api.stat("/tmp/x", true).type === "dir");
 * ```
 */
export class KernelApi implements FsApi {
  constructor(readonly proc: Process) {}

  mkdir(path: string, mode: number): void {
    sync(sys.mkdirat(this.proc, AT.FDCWD, path, mode));
  }
  open(path: string, flags: number, mode: number): number {
    return sync(sys.openat(this.proc, AT.FDCWD, path, flags, mode));
  }
  close(fd: number): void {
    sync(sys.close(this.proc, fd));
  }
  dup(fd: number): number {
    return sys.dup(this.proc, fd);
  }
  read(fd: number, length: number): Uint8Array {
    const buffer = new Uint8Array(length);
    return buffer.subarray(0, sync(sys.read(this.proc, fd, buffer)));
  }
  write(fd: number, data: Uint8Array): number {
    return sync(sys.write(this.proc, fd, data));
  }
  pwrite(fd: number, data: Uint8Array, position: number): number {
    return sync(sys.pwrite(this.proc, fd, data, position));
  }
  lseek(fd: number, offset: number, whence: number): number {
    return sync(sys.lseek(this.proc, fd, offset, whence));
  }
  ftruncate(fd: number, size: number): void {
    sync(sys.ftruncate(this.proc, fd, size));
  }
  rename(from: string, to: string): void {
    sync(sys.renameat(this.proc, AT.FDCWD, from, AT.FDCWD, to));
  }
  link(from: string, to: string, follow: boolean): void {
    sync(sys.linkat(this.proc, AT.FDCWD, from, AT.FDCWD, to, follow ? AT.SYMLINK_FOLLOW : 0));
  }
  symlink(target: string, path: string): void {
    sync(sys.symlinkat(this.proc, target, AT.FDCWD, path));
  }
  unlink(path: string): void {
    sync(sys.unlinkat(this.proc, AT.FDCWD, path, 0));
  }
  rmdir(path: string): void {
    sync(sys.unlinkat(this.proc, AT.FDCWD, path, AT.REMOVEDIR));
  }
  readlink(path: string): string {
    return sync(sys.readlinkat(this.proc, AT.FDCWD, path));
  }
  stat(path: string, follow: boolean): StatInfo {
    return statInfo(sync(sys.fstatat(this.proc, AT.FDCWD, path, follow ? 0 : AT.SYMLINK_NOFOLLOW)));
  }
  fstat(fd: number): StatInfo {
    return statInfo(sync(sys.fstat(this.proc, fd)));
  }
  getdents(fd: number, limit: number): DirEnt[] {
    return sync(sys.getdents(this.proc, fd, limit)).map((e) => ({
      name: e.name,
      type: nodeType(e.type),
      ino: e.ino,
    }));
  }
  listdir(fd: number): DirEnt[] {
    const out: DirEnt[] = [];
    let cookie = 0;
    for (;;) {
      const batch = sync(sys.getdents(this.proc, fd, 64, cookie));
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.name !== "." && e.name !== "..") out.push({ name: e.name, type: nodeType(e.type), ino: e.ino });
      }
      cookie = batch[batch.length - 1].next;
    }
    return out.sort(byName);
  }
  chdir(path: string): void {
    sync(sys.chdir(this.proc, path));
  }
  sameFile(a: string, b: string): boolean {
    return this.stat(a, false).ino === this.stat(b, false).ino;
  }
}

// ------------------------------------------------------------------ the host

type Fs = typeof NodeFs;

interface HostDescription {
  real: number;
  offset: number;
  append: boolean;
  refs: number;
}

function hostType(st: NodeFs.Stats | NodeFs.Dirent): NodeType | "other" {
  return st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
}

function hostError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/**
 * {@link FsApi} over the host's own file system through `node:fs`, with the
 * working directory `cwd` (a host directory path): relative paths are joined to
 * it by string concatenation, never normalized, so `s/..` means what the host
 * says it means. Absolute paths are refused: the harness never sends any.
 *
 * `node:fs` has no `dup` and no `lseek`, so this harness keeps its own fd table
 * (lowest-free numbers) of open file descriptions, each holding one real host
 * fd and its own offset: read and write are pread/pwrite at that offset, and a
 * write to an O_APPEND file moves the offset to the size the host reports
 * afterwards. `dup` shares the description. `getdents` is not available (no
 * incremental listing); `listdir` reads `/proc/self/fd/N`, and reports ENOENT
 * for a removed directory as Linux getdents does (Deno's readdir says []).
 *
 * @example
 * ```ts
 * import * as fs from "node:fs";
 * import { HostApi } from "./fs_ops.ts";
 * import { makeTempDir, removeDir } from "./temp_dir.ts";
 * const dir = makeTempDir("vkernel-doc-");
 * const api = new HostApi(fs, dir);
 * api.mkdir("x", 0o777);
 * console.assert(api.stat("x", true).type === "dir");
 * api.closeAll();
 * removeDir(dir);
 * ```
 */
export class HostApi implements FsApi {
  readonly #fds: Array<HostDescription | undefined> = [];

  constructor(readonly fs: Fs, readonly cwd: string) {}

  #path(path: string): string {
    if (path.startsWith("/")) throw new RangeError(`the host harness takes relative paths only: ${path}`);
    return path === "" ? "" : `${this.cwd}/${path}`;
  }

  #get(fd: number): HostDescription {
    return (Number.isInteger(fd) && fd >= 0 ? this.#fds[fd] : undefined) ?? (() => {
      throw hostError("EBADF");
    })();
  }

  #allocate(description: HostDescription): number {
    let fd = 0;
    while (this.#fds[fd] !== undefined) fd++;
    this.#fds[fd] = description;
    return fd;
  }

  /** Closes every real fd (end of a run). */
  closeAll(): void {
    for (let fd = 0; fd < this.#fds.length; fd++) if (this.#fds[fd]) this.close(fd);
  }

  mkdir(path: string, mode: number): void {
    this.fs.mkdirSync(this.#path(path), { mode });
  }
  open(path: string, flags: number, mode: number): number {
    const real = this.fs.openSync(this.#path(path), flags, mode);
    return this.#allocate({ real, offset: 0, append: (flags & O.APPEND) !== 0, refs: 1 });
  }
  close(fd: number): void {
    const d = this.#get(fd);
    this.#fds[fd] = undefined;
    while (this.#fds.length > 0 && this.#fds[this.#fds.length - 1] === undefined) this.#fds.pop();
    if (--d.refs === 0) this.fs.closeSync(d.real);
  }
  dup(fd: number): number {
    const d = this.#get(fd);
    d.refs++;
    return this.#allocate(d);
  }
  read(fd: number, length: number): Uint8Array {
    const d = this.#get(fd);
    const buffer = new Uint8Array(length);
    const n = this.fs.readSync(d.real, buffer, 0, length, d.offset);
    d.offset += n;
    return buffer.subarray(0, n);
  }
  write(fd: number, data: Uint8Array): number {
    const d = this.#get(fd);
    const n = this.fs.writeSync(d.real, data, 0, data.length, d.offset);
    // Linux moves the offset of an O_APPEND file to the end after a write (not after a zero-byte one).
    if (d.append) {
      if (n > 0) d.offset = this.fs.fstatSync(d.real).size;
    } else d.offset += n;
    return n;
  }
  pwrite(fd: number, data: Uint8Array, position: number): number {
    const d = this.#get(fd);
    return this.fs.writeSync(d.real, data, 0, data.length, position);
  }
  lseek(fd: number, offset: number, whence: number): number {
    const d = this.#get(fd);
    const base = whence === SEEK.SET ? 0 : whence === SEEK.CUR ? d.offset : this.fs.fstatSync(d.real).size;
    if (base + offset < 0) throw hostError("EINVAL");
    d.offset = base + offset;
    return d.offset;
  }
  ftruncate(fd: number, size: number): void {
    this.fs.ftruncateSync(this.#get(fd).real, size);
  }
  rename(from: string, to: string): void {
    this.fs.renameSync(this.#path(from), this.#path(to));
  }
  link(from: string, to: string, follow: boolean): void {
    if (follow) throw new RangeError("node:fs has no linkat(AT_SYMLINK_FOLLOW)");
    this.fs.linkSync(this.#path(from), this.#path(to));
  }
  symlink(target: string, path: string): void {
    if (target.startsWith("/")) {
      throw new RangeError(`the host harness takes relative targets only: ${target}`);
    }
    this.fs.symlinkSync(target, this.#path(path));
  }
  unlink(path: string): void {
    this.fs.unlinkSync(this.#path(path));
  }
  rmdir(path: string): void {
    this.fs.rmdirSync(this.#path(path));
  }
  readlink(path: string): string {
    return this.fs.readlinkSync(this.#path(path), "utf8");
  }
  #info(st: NodeFs.Stats): StatInfo {
    const type = hostType(st);
    return {
      type,
      size: type === "dir" ? null : st.size,
      nlink: st.nlink,
      mode: st.mode & 0o7777,
      ino: st.ino,
    };
  }
  stat(path: string, follow: boolean): StatInfo {
    return this.#info(follow ? this.fs.statSync(this.#path(path)) : this.fs.lstatSync(this.#path(path)));
  }
  fstat(fd: number): StatInfo {
    return this.#info(this.fs.fstatSync(this.#get(fd).real));
  }
  getdents(): DirEnt[] {
    throw new RangeError("the host harness has no incremental getdents");
  }
  listdir(fd: number): DirEnt[] {
    const d = this.#get(fd);
    const st = this.fs.fstatSync(d.real);
    if (!st.isDirectory()) throw hostError("ENOTDIR");
    if (st.nlink === 0) throw hostError("ENOENT");
    return this.fs.readdirSync(`/proc/self/fd/${d.real}`, { withFileTypes: true })
      .map((e) => ({ name: e.name, type: hostType(e), ino: 0 }))
      .sort(byName);
  }
  chdir(): void {
    throw new RangeError("the host harness has a fixed working directory");
  }
  sameFile(a: string, b: string): boolean {
    return this.fs.lstatSync(this.#path(a)).ino === this.fs.lstatSync(this.#path(b)).ino;
  }
}

// ------------------------------------------------------------------ starting trees

const raw0: FdRef = { kind: "raw", fd: 0 };
const CREATE = O.CREAT | O.WRONLY;

/**
 * Trees a sequence may start from (the runs start with no fd open, so fd 0 is
 * the file just opened). Starting from populated trees makes short sequences
 * reach the interesting states (symlinks among directories, hard links, a
 * deeper cwd) instead of spending their steps on ENOENT. `host` marks the
 * ones the node:fs harness can build: relative paths and targets, no chdir.
 */
export const TEMPLATES: Readonly<Record<string, { host: boolean; ops: readonly Op[]; }>> = {
  empty: { host: true, ops: [] },
  nested: {
    host: true,
    ops: [
      { op: "mkdir", path: "a" },
      { op: "mkdir", path: "a/b" },
      { op: "open", path: "a/c", flags: CREATE },
      { op: "write", fd: raw0, data: "xyz" },
      { op: "close", fd: raw0 },
      { op: "symlink", target: "a", path: "b" },
      { op: "open", path: "c", flags: CREATE },
      { op: "write", fd: raw0, data: "hello" },
      { op: "close", fd: raw0 },
      { op: "link", from: "c", to: "a/b/c", follow: false },
    ],
  },
  links: {
    host: true,
    ops: [
      { op: "mkdir", path: "a" },
      { op: "mkdir", path: "b" },
      { op: "mkdir", path: "b/c" },
      { op: "symlink", target: "../b", path: "a/a" },
      { op: "symlink", target: "b/c", path: "c" },
      { op: "open", path: "a/b", flags: CREATE },
      { op: "write", fd: raw0, data: "xy" },
      { op: "close", fd: raw0 },
      { op: "symlink", target: "a/a/c/..", path: "b/a" },
      { op: "symlink", target: "b", path: "b/b" },
    ],
  },
  absolute: {
    host: false,
    ops: [
      { op: "symlink", target: "/a", path: "c" },
      { op: "mkdir", path: "a" },
      { op: "mkdir", path: "a/a" },
      { op: "symlink", target: "/a/a/..", path: "a/c" },
      { op: "symlink", target: "/", path: "b" },
      { op: "open", path: "a/b", flags: CREATE },
      { op: "close", fd: raw0 },
    ],
  },
  deep: {
    host: false,
    ops: [
      { op: "mkdir", path: "a" },
      { op: "mkdir", path: "a/a" },
      { op: "mkdir", path: "a/a/a" },
      { op: "open", path: "a/a/b", flags: CREATE },
      { op: "write", fd: raw0, data: "z" },
      { op: "close", fd: raw0 },
      { op: "symlink", target: "..", path: "a/a/c" },
      { op: "chdir", path: "a/a" },
    ],
  },
  orphan: {
    // The cwd is a directory that has been removed: nothing can be created in it, `..` still works.
    host: false,
    ops: [
      { op: "mkdir", path: "a" },
      { op: "mkdir", path: "a/b" },
      { op: "open", path: "a/c", flags: CREATE },
      { op: "close", fd: raw0 },
      { op: "chdir", path: "a/b" },
      { op: "open", path: ".", flags: O.RDONLY | O.DIRECTORY },
      { op: "rmdir", path: "../b" },
    ],
  },
};

/** Names of the {@link TEMPLATES} (the host-safe ones when `host`). */
export function templateNames(host: boolean): string[] {
  return Object.keys(TEMPLATES).filter((name) => !host || TEMPLATES[name].host);
}
