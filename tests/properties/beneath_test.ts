/**
 * The "beneath" invariant (WASI confinement): a walk with `{ beneath: true }`
 * from a directory fd never ends outside that directory.
 *
 * A run builds a random tree (a starting tree, then random mkdir, file
 * creation and symlinks whose targets are relative or absolute and climb with
 * `..`), opens one of its subdirectories (never `/`) as the start, and
 * resolves random paths from it with `openat(..., O_RDONLY, { beneath })` and
 * `fstatat(..., { beneath })`, following or not following a final symlink.
 *
 * - Every success names an inode of the start's subtree (collected from the
 *   kernel alone: getdents + fstatat from the start, symlinks not followed)
 *   and the same inode as the ordinary walk of the same path.
 * - Every failure other than EPERM is the ordinary walk's failure too.
 * - The outcome is exactly the reference model's (tests/_support/fs_model.ts),
 *   which says EPERM precisely when the walk would leave the start: `..` at the
 *   start, an absolute path, or an absolute symlink.
 *
 * @module
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Process } from "../../kernel/process.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, O } from "../../kernel/types.ts";
import { type FsModel, ModelError, type ModelNode } from "../_support/fs_model.ts";
import { applyOp, errnoOf, formatOp, type Op, pathArb, statInfo, sync } from "../_support/fs_ops.ts";
import { applyTemplate, makeModel, makeRealSystem } from "../_support/kernel_model.ts";
import { KNOWN_BUGS, knownBugHit, openBugs } from "../_support/known_bugs.ts";
import { propertyOptions } from "../_support/property_options.ts";

const componentArb = fc.constantFrom("a", "b", "c", "..", "..", ".");

/** Symlink targets that like to climb: relative with `..`, or absolute. */
const climbingTargetArb = fc.oneof(
  pathArb(true),
  fc.array(componentArb, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/")),
  fc.constantFrom("..", "../..", "/", "/a", "../a/b", "./..", "a/../.."),
);

const buildOpArb: fc.Arbitrary<Op> = fc.oneof(
  pathArb(false).map((path): Op => ({ op: "mkdir", path })),
  fc.record({ target: climbingTargetArb, path: pathArb(false) }).map((r): Op => ({ op: "symlink", ...r })),
  pathArb(false).map((path): Op => ({ op: "open", path, flags: O.CREAT | O.WRONLY })),
);

const queryArb = fc.record({
  path: fc.oneof(
    pathArb(true),
    fc.array(componentArb, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/")),
  ),
  follow: fc.boolean(),
  viaOpen: fc.boolean(),
});

type Result = { ok: true; ino: number; } | { ok: false; errno: string; };

function kernelResolve(
  proc: Process,
  dirfd: number,
  path: string,
  follow: boolean,
  viaOpen: boolean,
  beneath: boolean,
): Result {
  try {
    if (viaOpen) {
      const flags = O.RDONLY | (follow ? 0 : O.NOFOLLOW);
      const fd = sync(sys.openat(proc, dirfd, path, flags, 0, { beneath }));
      try {
        return { ok: true, ino: sync(sys.fstat(proc, fd)).ino };
      } finally {
        sync(sys.close(proc, fd));
      }
    }
    const st = sync(sys.fstatat(proc, dirfd, path, follow ? 0 : AT.SYMLINK_NOFOLLOW, { beneath }));
    return { ok: true, ino: st.ino };
  } catch (error) {
    return { ok: false, errno: errnoOf(error) };
  }
}

/** Inode numbers of everything under the directory open at `dirfd`, itself included (no symlink followed). */
function subtree(proc: Process, dirfd: number): Set<number> {
  const inos = new Set<number>([statInfo(sync(sys.fstat(proc, dirfd))).ino]);
  const visit = (fd: number): void => {
    for (;;) {
      const batch = sync(sys.getdents(proc, fd, 64));
      if (batch.length === 0) return;
      for (const entry of batch) {
        if (entry.name === "." || entry.name === "..") continue;
        const st = statInfo(sync(sys.fstatat(proc, fd, entry.name, AT.SYMLINK_NOFOLLOW)));
        inos.add(st.ino);
        if (st.type !== "dir") continue;
        const child = sync(sys.openat(proc, fd, entry.name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW));
        try {
          visit(child);
        } finally {
          sync(sys.close(proc, child));
        }
      }
    }
  };
  const own = sync(sys.openat(proc, dirfd, ".", O.RDONLY | O.DIRECTORY));
  try {
    visit(own);
  } finally {
    sync(sys.close(proc, own));
  }
  return inos;
}

/** The kernel inode of every model node reachable by name (to compare the model's answers). */
function inodeMap(model: FsModel, proc: Process): Map<ModelNode, number> {
  const map = new Map<ModelNode, number>();
  const visit = (node: ModelNode, path: string): void => {
    map.set(node, sync(sys.fstatat(proc, AT.FDCWD, path, AT.SYMLINK_NOFOLLOW)).ino);
    for (const [name, child] of node.entries) visit(child, path === "/" ? `/${name}` : `${path}/${name}`);
  };
  visit(model.root, "/");
  return map;
}

/** Directories (maybe through a symlink) of each starting tree, to start from. */
const STARTS: Record<string, string[]> = {
  empty: ["a", "a/b"],
  nested: ["a", "a/b", "b"],
  links: ["a", "b", "b/c", "c"],
  absolute: ["a", "a/a", "c"],
  deep: ["a", "c", ".."],
};

/** A starting tree and a start directory in it. */
const startArb = fc.constantFrom(...Object.keys(STARTS)).chain((template) =>
  fc.constantFrom(...STARTS[template]).map((start) => ({ template, start }))
);

test("beneath walks from a directory fd never leave it", () => {
  const bugs = openBugs(KNOWN_BUGS);
  const property = fc.property(
    startArb,
    fc.array(buildOpArb, { maxLength: 12 }),
    fc.array(queryArb, { minLength: 1, maxLength: 20 }),
    ({ template, start: startPath }, build, queries) => {
      const real = makeRealSystem();
      const model = makeModel();
      applyTemplate(template, model, real.api);
      // The empty tree gets its start directories first; everything else may build on them.
      const prefix: Op[] = template === "empty"
        ? [{ op: "mkdir", path: "a" }, { op: "mkdir", path: "a/b" }]
        : [];
      for (const op of [...prefix, ...build]) {
        if (knownBugHit(model, op, -1, bugs)) continue;
        const expected = applyOp(model, op, -1);
        const actual = applyOp(real.api, op, -1);
        assert.deepEqual(actual, expected, `building: ${formatOp(op)}`);
        if (expected.ok && op.op === "open") {
          sync(sys.close(real.proc, expected.value as number));
          model.close(expected.value as number);
        }
      }
      let start: ModelNode;
      try {
        start = model.resolve(model.cwd, startPath, { follow: true });
      } catch (error) {
        if (error instanceof ModelError) return; // no such start directory in this tree
        throw error;
      }
      if (start.type !== "dir" || start === model.root) return;
      const proc = real.proc;
      const dirfd = sync(sys.openat(proc, AT.FDCWD, startPath, O.RDONLY | O.DIRECTORY));
      const inside = subtree(proc, dirfd);
      const inodes = inodeMap(model, proc);
      for (const { path, follow, viaOpen } of queries) {
        const what =
          `${viaOpen ? "openat" : "fstatat"}(${JSON.stringify(startPath)} fd, ${JSON.stringify(path)}, `
          + `${follow ? "follow" : "nofollow"}, beneath)`;
        const beneath = kernelResolve(proc, dirfd, path, follow, viaOpen, true);
        const plain = kernelResolve(proc, dirfd, path, follow, viaOpen, false);
        if (beneath.ok) {
          assert.ok(
            inside.has(beneath.ino),
            `${what} reached inode ${beneath.ino}, outside the start directory`,
          );
          assert.deepEqual(plain, beneath, `${what}: the ordinary walk reaches something else`);
        } else if (beneath.errno !== "EPERM") {
          assert.deepEqual(
            plain,
            beneath,
            `${what} failed with ${beneath.errno}, the ordinary walk differently`,
          );
        }
        let expected: Result;
        try {
          const node = model.resolve(start, path, { follow, beneath: true });
          // open(O_RDONLY|O_NOFOLLOW) of a symlink is ELOOP; fstatat(AT_SYMLINK_NOFOLLOW) reports it.
          expected = viaOpen && node.type === "symlink"
            ? { ok: false, errno: "ELOOP" }
            : { ok: true, ino: inodes.get(node)! };
        } catch (error) {
          expected = { ok: false, errno: errnoOf(error) };
        }
        assert.deepEqual(beneath, expected, `${what}: kernel and Linux-with-RESOLVE_BENEATH model disagree`);
      }
      sync(sys.close(proc, dirfd));
    },
  );
  fc.assert(property, propertyOptions());
});
