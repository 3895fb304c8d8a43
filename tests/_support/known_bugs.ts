/**
 * Kernel and driver bugs the property tests found and that are not fixed yet.
 *
 * Each bug has a minimal reproduction ({@link KnownBug.present}) and a
 * predicate telling whether an operation would hit it. While the reproduction
 * still shows the bug, the model-based and differential properties skip the
 * operations that hit it (and say so in the printed counterexample), so they
 * keep finding other bugs, and tests/properties/known_bugs_test.ts lists each
 * one as a todo named "KNOWN BUG ...". When a bug is fixed, its probe turns
 * false: the properties stop skipping its operations by themselves and its
 * test runs as a regression test; the entry can then stay or go.
 *
 * With `VKERNEL_STRICT_KNOWN_BUGS=1` nothing is skipped: the properties and
 * the known-bug tests fail on every bug still present.
 *
 * @module
 */

import process from "node:process";
import { isKernelError } from "../../kernel/errno.ts";
import type { Process } from "../../kernel/process.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, O } from "../../kernel/types.ts";
import { createKernel, HostFileSystem } from "../../mod.ts";
import {
  CREAT_TRAILING_SLASH_ON_EXISTING,
  type FsModel,
  isAncestorOrSelf,
  ModelError,
  type ModelNode,
} from "./fs_model.ts";
import type { Op } from "./fs_ops.ts";
import { makeTempDir, removeDir } from "./temp_dir.ts";

/** A known bug: how to recognise an operation that hits it, and a probe telling whether it is still there. */
export interface KnownBug {
  /** A short id, printed in skipped operations. */
  id: string;
  /** Where the bug is: the kernel (every driver) or one driver. */
  where: "kernel" | "host driver";
  /** What is wrong, with Linux's behaviour. */
  title: string;
  /** The minimal reproduction, as text for the report. */
  repro: string;
  /** Whether running `op` (resolved to `fd`) on the model's current state would hit the bug. */
  hits(model: FsModel, op: Op, fd: number): boolean;
  /** Runs the reproduction on a fresh kernel: true while the bug is still there. */
  present(): boolean;
  /**
   * Whether the invariant checks must leave a node alone: not fstat its fds,
   * not hold its inode number (default: no).
   */
  spoilsNode?(node: ModelNode): boolean;
}

/** The errno of a kernel call, or "ok". */
function errno(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (isKernelError(error)) return error.code;
    throw error;
  }
}

function fresh(): Process {
  return createKernel({ deterministic: true, dev: false }).createProcess();
}

/** The last component of `path` as Linux's filename_parentat sees it, or null when that walk fails. */
function lastOf(model: FsModel, path: string): ReturnType<FsModel["parentOf"]> | null {
  try {
    return model.parentOf(path);
  } catch {
    return null;
  }
}

/** `path` ends in `/` and its last component is an existing non-directory (a file or a symlink). */
function trailingSlashOnNonDirectory(model: FsModel, path: string): boolean {
  const p = lastOf(model, path);
  if (p === null || p.type !== "norm" || !p.trailing) return false;
  const node = p.dir.entries.get(p.last);
  return node !== undefined && node.type !== "dir";
}

/** Every known bug. */
export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    where: "kernel",
    id: "KB1-trailing-slash-name-ops",
    title: "mkdirat, unlinkat, renameat, linkat (new name), symlinkat and openat(O_CREAT) resolve a last "
      + "component followed by '/' through the walker: a symlink there is followed, so the operation acts on "
      + 'the symlink\'s target (unlinkat("s/", AT_REMOVEDIR) removes the directory s points to, mkdirat("s/") '
      + 'creates s\'s dangling target, renameat("s/", ...) moves the target), and a non-directory there fails '
      + "with ENOTDIR (or ELOOP/ENOENT through a symlink) before the operation's own checks. Linux never follows "
      + 'the last component of these operations: rmdir/unlink/rename of "s/" are ENOTDIR, mkdir/symlink/link '
      + 'onto an existing "f/" are EEXIST, open("f/", O_CREAT) is EISDIR, and rename walks both parents '
      + "before any of this.",
    repro: 'mkdirat("/d"); symlinkat("d", "/s"); unlinkat("/s/", AT_REMOVEDIR) → ok and /d is gone '
      + '(Linux: ENOTDIR, nothing removed). Also: openat("/f", O_CREAT); mkdirat("/f/") → ENOTDIR (Linux: EEXIST).',
    hits(model, op) {
      switch (op.op) {
        case "mkdir":
        case "unlink":
        case "rmdir":
        case "symlink":
          return trailingSlashOnNonDirectory(model, op.path);
        case "link":
          return trailingSlashOnNonDirectory(model, op.to);
        case "rename":
          return trailingSlashOnNonDirectory(model, op.from) || trailingSlashOnNonDirectory(model, op.to);
        case "open": {
          // Also through a symlink whose target ends in "/" (Linux: EISDIR; the kernel: ENOTDIR, ELOOP, ...).
          const target = model.openTarget(op.path, op.flags);
          return target instanceof ModelError && target.rule === CREAT_TRAILING_SLASH_ON_EXISTING;
        }
        default:
          return false;
      }
    },
    present() {
      const proc = fresh();
      sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
      sys.symlinkat(proc, "d", AT.FDCWD, "/s");
      const removed = errno(() => sys.unlinkat(proc, AT.FDCWD, "/s/", AT.REMOVEDIR)) === "ok";
      sys.openat(proc, AT.FDCWD, "/f", O.CREAT | O.WRONLY, 0o666);
      return removed || errno(() => sys.mkdirat(proc, AT.FDCWD, "/f/", 0o777)) !== "EEXIST";
    },
  },
  {
    where: "kernel",
    id: "KB2-linkat-checks-source-first",
    title: "linkat with a directory as the existing file fails with EPERM before the new name is looked at; "
      + "Linux resolves the new name first (filename_create), so a missing parent is ENOENT, an existing name "
      + "EEXIST, and a trailing slash ENOENT, and only then a directory source is EPERM (vfs_link).",
    repro: 'mkdirat("/d"); openat("/f", O_CREAT); linkat("/d", "/f") → EPERM (Linux: EEXIST); '
      + 'linkat("/d", "/missing/x") → EPERM (Linux: ENOENT).',
    hits(model, op) {
      if (op.op !== "link") return false;
      try {
        if (model.resolve(model.cwd, op.from, { follow: op.follow }).type !== "dir") return false;
      } catch {
        return false;
      }
      // Linux answers EPERM too when the new name is fine.
      const p = lastOf(model, op.to);
      return p === null || p.type !== "norm" || p.dir.entries.has(p.last) || p.trailing || p.dir.removed;
    },
    present() {
      const proc = fresh();
      sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
      sys.openat(proc, AT.FDCWD, "/f", O.CREAT | O.WRONLY, 0o666);
      return errno(() => sys.linkat(proc, AT.FDCWD, "/d", AT.FDCWD, "/f", 0)) !== "EEXIST";
    },
  },
  {
    where: "kernel",
    id: "KB3-renameat-enoent-before-ebusy",
    title: "renameat of a missing name to '.', '..' or '/' fails with ENOENT; Linux checks that both last "
      + "components are names first (EBUSY), then that the source exists.",
    repro: 'renameat("/missing", "/tmp/.") → ENOENT (Linux: EBUSY).',
    hits(model, op) {
      if (op.op !== "rename") return false;
      const o = lastOf(model, op.from);
      const n = lastOf(model, op.to);
      if (o === null || n === null) return false;
      return o.type === "norm" && n.type !== "norm" && !o.dir.entries.has(o.last);
    },
    present() {
      return errno(() => sys.renameat(fresh(), AT.FDCWD, "/missing", AT.FDCWD, "/tmp/.")) !== "EBUSY";
    },
  },
  {
    where: "kernel",
    id: "KB4-rmdir-root",
    title: 'unlinkat("/", AT_REMOVEDIR) fails with EINVAL; Linux says EBUSY (a path with no last component).',
    repro: 'unlinkat("/", AT_REMOVEDIR) → EINVAL (Linux: EBUSY).',
    hits(model, op) {
      return op.op === "rmdir" && lastOf(model, op.path)?.type === "root";
    },
    present() {
      return errno(() => sys.unlinkat(fresh(), AT.FDCWD, "/", AT.REMOVEDIR)) !== "EBUSY";
    },
  },
  {
    where: "kernel",
    id: "KB5-nofollow-directory-on-symlink",
    title: "openat(O_DIRECTORY|O_NOFOLLOW) on a symlink fails with ELOOP; Linux checks O_DIRECTORY first "
      + "(do_open) and fails with ENOTDIR (one of the WASI test suite's checks).",
    repro: 'mkdirat("/d"); symlinkat("d", "/s"); openat("/s", O_RDONLY|O_DIRECTORY|O_NOFOLLOW) → ELOOP '
      + "(Linux: ENOTDIR).",
    hits(model, op) {
      if (op.op !== "open" || !(op.flags & O.DIRECTORY)) return false;
      const target = model.openTarget(op.path, op.flags);
      return target !== null && !(target instanceof ModelError) && target.type === "symlink";
    },
    present() {
      const proc = fresh();
      sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
      sys.symlinkat(proc, "d", AT.FDCWD, "/s");
      return errno(() => sys.openat(proc, AT.FDCWD, "/s", O.RDONLY | O.DIRECTORY | O.NOFOLLOW)) !== "ENOTDIR";
    },
  },
  {
    where: "kernel",
    id: "KB6-empty-append-write-moves-offset",
    title: "write() of zero bytes to an O_APPEND fd moves the offset to the end of the file; Linux leaves "
      + "the offset alone when nothing is written (new_sync_write updates it only for a positive count).",
    repro: 'fd = openat("/f", O_CREAT|O_RDWR|O_APPEND); write(fd, "abc"); lseek(fd, 0, SEEK_SET); '
      + 'write(fd, ""); lseek(fd, 0, SEEK_CUR) → 3 (Linux: 0).',
    hits(model, op, fd) {
      return op.op === "write" && op.data === "" && model.fileAt(fd)?.append === true
        && model.fileAt(fd)?.writable === true;
    },
    present() {
      const proc = fresh();
      const fd = sys.openat(proc, AT.FDCWD, "/f", O.CREAT | O.RDWR | O.APPEND, 0o666) as number;
      sys.write(proc, fd, new Uint8Array([1, 2, 3]));
      sys.lseek(proc, fd, 0, 0);
      sys.write(proc, fd, new Uint8Array(0));
      return sys.lseek(proc, fd, 0, 1) !== 0;
    },
  },
  {
    where: "kernel",
    id: "KB7-rename-file-over-ancestor",
    title: "renameat of a non-directory onto one of its own ancestor directories fails with EISDIR; Linux "
      + "fails with ENOTEMPTY (lock_rename finds the target is an ancestor of the source before vfs_rename "
      + "compares types).",
    repro: 'mkdirat("/d"); openat("/d/f", O_CREAT); renameat("/d/f", "/d") → EISDIR (Linux: ENOTEMPTY).',
    hits(model, op) {
      if (op.op !== "rename") return false;
      const o = lastOf(model, op.from);
      const n = lastOf(model, op.to);
      if (o === null || n === null || o.type !== "norm" || n.type !== "norm") return false;
      const source = o.dir.entries.get(o.last);
      const target = n.dir.entries.get(n.last);
      return source !== undefined && source.type !== "dir" && target?.type === "dir"
        && isAncestorOrSelf(target, o.dir);
    },
    present() {
      const proc = fresh();
      sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
      sys.openat(proc, AT.FDCWD, "/d/f", O.CREAT | O.WRONLY, 0o666);
      return errno(() => sys.renameat(proc, AT.FDCWD, "/d/f", AT.FDCWD, "/d")) !== "ENOTEMPTY";
    },
  },
  {
    where: "kernel",
    id: "KB8-getdents-on-removed-directory",
    title: 'getdents on an fd of a directory that has been removed lists "." and ".."; Linux fails '
      + "with ENOENT (iterate_dir refuses a dead directory).",
    repro: 'mkdirat("/d"); fd = openat("/d", O_RDONLY|O_DIRECTORY); unlinkat("/d", AT_REMOVEDIR); '
      + 'getdents(fd, 10) → [".", ".."] (Linux: ENOENT).',
    hits(model, op, fd) {
      if (op.op === "getdents" || op.op === "listdir") return model.fileAt(fd)?.node.removed === true;
      if (op.op !== "opendir") return false;
      const target = model.openTarget(op.path, O.RDONLY | O.DIRECTORY);
      return target !== null && !(target instanceof ModelError) && target.removed;
    },
    present() {
      const proc = fresh();
      sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
      const fd = sys.openat(proc, AT.FDCWD, "/d", O.RDONLY | O.DIRECTORY) as number;
      sys.unlinkat(proc, AT.FDCWD, "/d", AT.REMOVEDIR);
      return errno(() => sys.getdents(proc, fd, 10)) !== "ENOENT";
    },
  },
  {
    where: "kernel",
    id: "KB9-rename-into-removed-directory",
    title: "renameat of a non-directory with a trailing slash on either name into a removed directory (the "
      + "cwd after rmdir) fails with ENOTDIR; Linux fails with ENOENT, because looking the new name up in a "
      + "dead directory fails before the trailing-slash check (do_renameat2).",
    repro: 'mkdirat("/d"); chdir("/d"); unlinkat("/d", AT_REMOVEDIR); openat("/f", O_CREAT); '
      + 'renameat("/f", "x/") → ENOTDIR (Linux: ENOENT).',
    hits(model, op) {
      if (op.op !== "rename") return false;
      const o = lastOf(model, op.from);
      const n = lastOf(model, op.to);
      if (o === null || n === null || o.type !== "norm" || n.type !== "norm" || !n.dir.removed) return false;
      const source = o.dir.entries.get(o.last);
      return source !== undefined && source.type !== "dir" && (o.trailing || n.trailing);
    },
    present() {
      const proc = fresh();
      sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
      sys.chdir(proc, "/d");
      sys.unlinkat(proc, AT.FDCWD, "/d", AT.REMOVEDIR);
      sys.openat(proc, AT.FDCWD, "/f", O.CREAT | O.WRONLY, 0o666);
      return errno(() => sys.renameat(proc, AT.FDCWD, "/f", AT.FDCWD, "x/")) !== "ENOENT";
    },
  },
];

/** Every known bug of the host-directory driver (fs/host). */
export const KNOWN_HOST_DRIVER_BUGS: readonly KnownBug[] = [
  {
    where: "host driver",
    id: "HB1-shared-listing-snapshot",
    title: "HostFileSystem.readdir keeps one listing snapshot per directory node and replaces it whenever "
      + "any reader asks for cookie 0; a listing in progress on another fd (or in another process) then "
      + "resumes its cookie (an index) in the new snapshot, so it repeats or skips names. The driver "
      + "contract (kernel/vfs/driver.ts, readdir) promises never to repeat a name and never to skip one "
      + "present for the whole listing.",
    repro: 'kernel on a HostFileSystem (ext4 /tmp) holding /a /b /c /tmp: fd = openat("/"); '
      + 'getdents(fd, 4) → . .. b tmp; create /n0 ... /n9; a second process lists "/" from the start; '
      + "getdents(fd, 100) → n9 n2 n8 tmp c n1 n5 n7 n3 a n6 n0 (tmp a second time).",
    hits(model, op, fd) {
      // Every step lists every directory from cookie 0 (the invariant walk), so any listing resumed later is hit.
      return op.op === "getdents" && (model.fileAt(fd)?.pass?.seen.size ?? 0) > 0;
    },
    present() {
      const dir = makeTempDir("vkernel-known-bug-");
      try {
        const fs = new HostFileSystem({ root: dir });
        const root = fs.root();
        const originals = ["a", "b", "c", "d", "e", "f", "g", "h"];
        for (const name of originals) fs.create(root, name, 0o644);
        // One listing reads all but one original, 40 names appear, another listing starts, the first resumes.
        const first = fs.readdir(root, 0, originals.length - 1) as { name: string; next: number; }[];
        for (let i = 0; i < 40; i++) fs.create(root, `new${i}`, 0o644);
        fs.readdir(root, 0, 1000);
        const rest = fs.readdir(root, first[first.length - 1].next, 1000) as { name: string; }[];
        const names = [...first, ...rest].map((entry) => entry.name);
        const repeated = new Set(names).size !== names.length;
        const skipped = originals.some((name) => !names.includes(name));
        return repeated || skipped;
      } finally {
        removeDir(dir);
      }
    },
  },
  {
    where: "host driver",
    id: "HB2-removed-directory-unusable",
    title: "A directory that has been removed but is still open or the cwd cannot be stat'ed or opened: "
      + 'fstat on its fd, and fstatat/openat of "." from it as the cwd, fail with ENOENT; Linux reports '
      + "and opens it (nlink 0). The driver's stat falls back to an open handle for files whose name is gone, "
      + "but directory handles hold no host file, so nothing keeps the host inode either: a file created "
      + "next can get the same inode number while the directory is still open (two live files, one st_ino).",
    repro: 'on a HostFileSystem root: mkdirat("/d"); fd = openat("/d", O_RDONLY|O_DIRECTORY); '
      + 'unlinkat("/d", AT_REMOVEDIR); fstat(fd) → ENOENT (Linux: ok, nlink 0).',
    hits(model, op, fd) {
      const removed = (fn: () => unknown): boolean => {
        try {
          const node = fn();
          return node !== null && typeof node === "object" && "removed" in node && node.removed === true;
        } catch {
          return false;
        }
      };
      switch (op.op) {
        case "fstat":
          return model.fileAt(fd)?.node.removed === true;
        case "stat":
          return removed(() => model.resolve(model.cwd, op.path, { follow: op.follow }));
        case "samefile":
          return removed(() => model.resolve(model.cwd, op.a, { follow: false }))
            || removed(() => model.resolve(model.cwd, op.b, { follow: false }));
        case "open":
          return removed(() => model.openTarget(op.path, op.flags));
        case "opendir":
          return removed(() => model.openTarget(op.path, O.RDONLY | O.DIRECTORY));
        default:
          return false;
      }
    },
    spoilsNode(node) {
      // Nor does anything keep its host inode: a new file can get its number while the fd is open.
      return node.removed;
    },
    present() {
      const dir = makeTempDir("vkernel-known-bug-");
      try {
        const proc = createKernel({
          deterministic: true,
          dev: false,
          root: new HostFileSystem({ root: dir }),
        })
          .createProcess();
        sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
        const fd = sys.openat(proc, AT.FDCWD, "/d", O.RDONLY | O.DIRECTORY) as number;
        sys.unlinkat(proc, AT.FDCWD, "/d", AT.REMOVEDIR);
        const result = errno(() => sys.fstat(proc, fd));
        proc.exit(0);
        return result !== "ok";
      } finally {
        removeDir(dir);
      }
    },
  },
  {
    where: "host driver",
    id: "HB3-dotdot-from-removed-directory",
    title: "`..` from a directory that has been removed (the cwd after rmdir) fails with ENOENT; Linux walks "
      + "to the directory's former parent (the removed directory keeps its parent), so `..`, `../x` and "
      + "friends keep working from an orphaned cwd.",
    repro: 'on a HostFileSystem root: mkdirat("/d"); mkdirat("/d/e"); chdir("/d/e"); '
      + 'unlinkat("/d/e", AT_REMOVEDIR); fstatat(AT_FDCWD, "..") → ENOENT (Linux: /d).',
    hits(model, op) {
      if (!model.cwd.removed) return false;
      const paths = Object.entries(op).filter(([key]) => ["path", "from", "to", "a", "b"].includes(key))
        .map(([, value]) => value as string);
      return paths.some((path) =>
        !path.startsWith("/") && path.split("/").find((c) => c !== "" && c !== ".") === ".."
      );
    },
    present() {
      const dir = makeTempDir("vkernel-known-bug-");
      try {
        const proc = createKernel({
          deterministic: true,
          dev: false,
          root: new HostFileSystem({ root: dir }),
        })
          .createProcess();
        sys.mkdirat(proc, AT.FDCWD, "/d", 0o777);
        sys.mkdirat(proc, AT.FDCWD, "/d/e", 0o777);
        sys.chdir(proc, "/d/e");
        sys.unlinkat(proc, AT.FDCWD, "/d/e", AT.REMOVEDIR);
        const result = errno(() => sys.fstatat(proc, AT.FDCWD, "..", 0));
        proc.exit(0);
        return result !== "ok";
      } finally {
        removeDir(dir);
      }
    },
  },
];

const probed = new Map<KnownBug, boolean>();

/** Whether `VKERNEL_STRICT_KNOWN_BUGS=1`: known bugs are not stepped around. */
export function strictKnownBugs(): boolean {
  return process.env.VKERNEL_STRICT_KNOWN_BUGS === "1";
}

/** Whether a known bug is still present (probed once per process). */
export function bugPresent(bug: KnownBug): boolean {
  let present = probed.get(bug);
  if (present === undefined) probed.set(bug, present = bug.present());
  return present;
}

/**
 * The bugs of `bugs` (default: the kernel's) to step around: those still
 * present, or none with `VKERNEL_STRICT_KNOWN_BUGS=1`.
 */
export function openBugs(bugs: readonly KnownBug[] = KNOWN_BUGS): KnownBug[] {
  if (strictKnownBugs()) return [];
  return bugs.filter(bugPresent);
}

/** The first of `bugs` that `op` would hit (a predicate that throws, e.g. on a walk the model refuses, is no hit). */
export function knownBugHit(
  model: FsModel,
  op: Op,
  fd: number,
  bugs: readonly KnownBug[],
): KnownBug | undefined {
  return bugs.find((bug) => {
    try {
      return bug.hits(model, op, fd);
    } catch {
      return false;
    }
  });
}
