/**
 * Directories as a process sees them: getdents, chdir, fchdir, getcwd.
 *
 * @module
 */

import type { Op } from "../_maybe.ts";
import { KernelError } from "../errno.ts";
import type { Process } from "../process.ts";
import { type DirEntry, FileType, type Maybe, type Stat } from "../types.ts";
import type { VNode } from "../vfs/driver.ts";
import { type Location, sameLocation } from "../vfs/mount_table.ts";
import { parentOf, walk } from "../vfs/namei.ts";
import { syscall } from "./_common.ts";

/** Kernel cookies 0 and 1 are `.` and `..`; driver cookie `c` is kernel cookie `c + 2`. */
const DOT_COOKIES = 2;

function* getdentsOp(proc: Process, fd: number, limit: number, cookie?: number): Op<DirEntry[]> {
  const file = proc.fds.get(fd);
  if (!file.location) throw new KernelError("ENOTDIR");
  const dir = file.location;
  if (dir.node.type !== FileType.Directory) throw new KernelError("ENOTDIR");
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new KernelError("EINVAL");
  let at = cookie ?? file.offset;
  if (!Number.isSafeInteger(at) || at < 0) throw new KernelError("EINVAL");
  // A directory removed while open lists nothing at all (Linux: ENOENT).
  if (((yield dir.mount.fs.stat(dir.node)) as Stat).nlink === 0) throw new KernelError("ENOENT");
  const out: DirEntry[] = [];
  if (at === 0 && out.length < limit) {
    out.push({ name: ".", ino: dir.node.ino, type: FileType.Directory, next: 1 });
    at = 1;
  }
  if (at === 1 && out.length < limit) {
    const parent = yield* parentOf(proc, dir);
    out.push({ name: "..", ino: parent.node.ino, type: FileType.Directory, next: 2 });
    at = 2;
  }
  if (out.length < limit) {
    const entries =
      (yield dir.mount.fs.readdir(dir.node, at - DOT_COOKIES, limit - out.length)) as DirEntry[];
    for (const entry of entries) {
      out.push(rebase(proc, dir, entry));
    }
  }
  file.offset = out.length > 0 ? out[out.length - 1].next : at;
  return out;
}

function rebase(proc: Process, dir: Location, entry: DirEntry): DirEntry {
  const next = entry.next + DOT_COOKIES;
  // A mount point lists as the root of what is mounted there.
  if (dir.mount.children.size > 0) {
    const mounted = proc.mounts.mountedOn({ mount: dir.mount, node: entry as unknown as VNode });
    if (mounted) return { name: entry.name, ino: mounted.root.ino, type: FileType.Directory, next };
  }
  return { name: entry.name, ino: entry.ino, type: entry.type, next };
}

/**
 * Up to `limit` entries of the directory open at `fd`, including `.` and `..`,
 * from `cookie` (default: the fd's offset, which then advances). Each entry's
 * `next` resumes after it. Errors: EBADF, ENOTDIR, EINVAL.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { O } from "../types.ts";
 * import { getdents, openat } from "./mod.ts";
 * const proc = createKernel().createProcess();
 * const fd = openat(proc, -100, "/", O.RDONLY | O.DIRECTORY) as number;
 * const names = (getdents(proc, fd, 100) as { name: string }[]).map((e) => e.name);
 * console.assert(names[0] === "." && names[1] === "..");
 * ```
 */
export const getdents: (proc: Process, fd: number, limit: number, cookie?: number) => Maybe<DirEntry[]> =
  syscall(
    getdentsOp,
  );

/** Changes the working directory. Errors: ENOENT, ENOTDIR, ELOOP. */
export const chdir: (proc: Process, path: string) => Maybe<void> = syscall(
  function*(proc: Process, path: string) {
    const w = yield* walk(proc, proc.cwd, path, { follow: true });
    if (!w.target) throw new KernelError("ENOENT");
    proc.setCwd(w.target);
  },
);

/** Changes the working directory to the directory open at `fd`. Errors: EBADF, ENOTDIR. */
export function fchdir(proc: Process, fd: number): void {
  const file = proc.fds.get(fd);
  if (!file.location) throw new KernelError("ENOTDIR");
  proc.setCwd(file.location);
}

function* nameIn(dir: Location, child: VNode): Op<string> {
  let cookie = 0;
  for (;;) {
    const batch = (yield dir.mount.fs.readdir(dir.node, cookie, 256)) as DirEntry[];
    if (batch.length === 0) throw new KernelError("ENOENT");
    for (const entry of batch) {
      if (entry.ino === child.ino && entry.type === FileType.Directory) return entry.name;
    }
    cookie = batch[batch.length - 1].next;
  }
}

function* pathOfOp(proc: Process, loc: Location): Op<string> {
  const names: string[] = [];
  let cur = loc;
  while (!sameLocation(cur, proc.root)) {
    // Name a mount root by its mount point.
    while (cur.mount.mountpoint && cur.node.ino === cur.mount.root.ino && !sameLocation(cur, proc.root)) {
      cur = cur.mount.mountpoint;
    }
    if (sameLocation(cur, proc.root)) break;
    const parent = yield* parentOf(proc, cur);
    if (sameLocation(parent, cur)) throw new KernelError("ENOENT", "directory is outside the process root");
    names.push(yield* nameIn(parent, cur.node));
    cur = parent;
  }
  return "/" + names.reverse().join("/");
}

/** The absolute path of a directory location, as seen from the process root. Errors: ENOENT (unlinked). */
export const pathOf: (proc: Process, loc: Location) => Maybe<string> = syscall(pathOfOp);

/** The working directory's absolute path. Errors: ENOENT (it was removed). */
export function getcwd(proc: Process): Maybe<string> {
  return pathOf(proc, proc.cwd);
}
