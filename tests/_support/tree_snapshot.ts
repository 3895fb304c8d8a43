/**
 * Whole-tree snapshots for the differential property: one line per name
 * (path, type, nlink, permission bits, size and contents of files, targets of
 * symlinks), from the reference model, from a kernel process, and from the
 * host through `node:fs`, so three systems can be compared with one
 * `deepEqual`. Directory sizes and inode numbers are left out (they differ
 * between file systems by design).
 *
 * @module
 */

import type * as NodeFs from "node:fs";
import type { Process } from "../../kernel/process.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, O } from "../../kernel/types.ts";
import type { FsModel, ModelNode } from "./fs_model.ts";
import { latin1, type StatInfo, statInfo, sync } from "./fs_ops.ts";

function line(path: string, st: StatInfo, extra: string): string {
  const size = st.type === "dir" ? "" : ` size=${st.size}`;
  return `${path} ${st.type} nlink=${st.nlink} mode=${st.mode.toString(8)}${size}${extra}`;
}

function join(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

/**
 * The model's tree from its root.
 *
 * @example
 * ```ts
 * import { FsModel } from "./fs_model.ts";
 * import { snapshotModel } from "./tree_snapshot.ts";
 * console.assert(snapshotModel(new FsModel())[0] === "/ dir nlink=2 mode=755");
 * ```
 */
export function snapshotModel(model: FsModel): string[] {
  const out: string[] = [];
  const visit = (node: ModelNode, path: string): void => {
    const st = model.statOf(node);
    const extra = node.type === "symlink"
      ? ` -> ${JSON.stringify(node.target)}`
      : node.type === "file"
      ? ` data=${JSON.stringify(latin1(node.data))}`
      : "";
    out.push(line(path, st, extra));
    if (node.type !== "dir") return;
    for (const name of [...node.entries.keys()].sort()) visit(node.entries.get(name)!, join(path, name));
  };
  visit(model.root, "/");
  return out;
}

/** The tree of a kernel seen from `/` by `proc` (which must have no other use: it opens and closes fds). */
export function snapshotKernel(proc: Process): string[] {
  const out: string[] = [];
  const visit = (dirfd: number, name: string, path: string): void => {
    const st = statInfo(sync(sys.fstatat(proc, dirfd, name, AT.SYMLINK_NOFOLLOW)));
    if (st.type === "symlink") {
      out.push(line(path, st, ` -> ${JSON.stringify(sync(sys.readlinkat(proc, dirfd, name)))}`));
      return;
    }
    if (st.type === "file") {
      const fd = sync(sys.openat(proc, dirfd, name, O.RDONLY | O.NOFOLLOW));
      try {
        const buffer = new Uint8Array((st.size ?? 0) + 1);
        const n = sync(sys.pread(proc, fd, buffer, 0));
        out.push(line(path, st, ` data=${JSON.stringify(latin1(buffer.subarray(0, n)))}`));
      } finally {
        sync(sys.close(proc, fd));
      }
      return;
    }
    out.push(line(path, st, ""));
    if (st.type !== "dir") return;
    const fd = sync(sys.openat(proc, dirfd, name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW));
    try {
      const names: string[] = [];
      for (;;) {
        const batch = sync(sys.getdents(proc, fd, 64));
        if (batch.length === 0) break;
        for (const entry of batch) if (entry.name !== "." && entry.name !== "..") names.push(entry.name);
      }
      for (const child of names.sort()) visit(fd, child, join(path, child));
    } finally {
      sync(sys.close(proc, fd));
    }
  };
  visit(AT.FDCWD, "/", "/");
  return out;
}

/** The tree of the host directory `root`, named as if `root` were `/`. */
export function snapshotHost(fs: typeof NodeFs, root: string): string[] {
  const out: string[] = [];
  const visit = (real: string, path: string): void => {
    const st = fs.lstatSync(real);
    const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
    const info: StatInfo = {
      type,
      size: type === "dir" ? null : st.size,
      nlink: st.nlink,
      mode: st.mode & 0o7777,
      ino: 0,
    };
    if (type === "symlink") {
      out.push(line(path, info, ` -> ${JSON.stringify(fs.readlinkSync(real, "utf8"))}`));
      return;
    }
    if (type === "file") {
      out.push(line(path, info, ` data=${JSON.stringify(fs.readFileSync(real, "latin1"))}`));
      return;
    }
    out.push(line(path, info, ""));
    if (type !== "dir") return;
    for (const name of fs.readdirSync(real).sort()) visit(`${real}/${name}`, join(path, name));
  };
  visit(root, "/");
  return out;
}
