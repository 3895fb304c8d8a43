/**
 * The model-based property of tests/properties/kernel_model_test.ts, as a
 * function so other tests can run it on other drivers (a deliberately broken
 * one must make it fail).
 *
 * A run: a fresh kernel (`createKernel`, no devfs) and the reference model
 * (fs_model.ts) with the same `/tmp`; a random sequence of up to 25
 * operations (fs_ops.ts), each run on both; after each one the errno or the
 * result must agree, and then the invariants below must hold on the kernel.
 *
 * - fds: exactly the model's fds are open (fstat EBADF on the others), each
 *   on the file the model says, at the offset the model says (lseek
 *   SEEK_CUR), so lowest-free numbering and dup's shared offset are checked
 *   after every step.
 * - the whole tree, walked by a second process with getdents + fstatat +
 *   readlinkat + pread: the same names, types, sizes, modes, symlink targets
 *   and contents as the model; `.` and `..` name the directory and its parent;
 *   and, from the kernel's answers alone, every file's nlink is its number of
 *   names and every directory's is 2 + its subdirectories.
 * - inode numbers: one kernel inode per model node, both ways, for the whole
 *   run (memfs never reuses a number).
 * - getdents: a listing in progress never returns a name twice, only returns
 *   live names with their current type and inode, and when it ends has
 *   returned every name present throughout the pass (mutations interleave
 *   freely with the listing's calls).
 *
 * @module
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import type { Kernel } from "../../kernel/kernel.ts";
import type { Process } from "../../kernel/process.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, type DirEntry, O, SEEK } from "../../kernel/types.ts";
import type { FileSystem } from "../../kernel/vfs/driver.ts";
import { createKernel } from "../../mod.ts";
import { FsModel, type ModelNode } from "./fs_model.ts";
import {
  applyOp,
  type DirEnt,
  errnoOf,
  formatOp,
  formatOutcome,
  KernelApi,
  latin1,
  type Op,
  opArb,
  type Outcome,
  resolveFd,
  statInfo,
  sync,
  templateNames,
  TEMPLATES,
  withoutInodes,
} from "./fs_ops.ts";
import { type KnownBug, knownBugHit } from "./known_bugs.ts";

/** One model node ↔ one kernel inode, for as long as the node exists. */
export class InodeBijection {
  readonly #toIno = new Map<number, number>();
  readonly #toNode = new Map<number, number>();

  /** Records that model node `id` was seen as kernel inode `ino`; fails on a contradiction. */
  check(id: number, ino: number, where: string): void {
    const known = this.#toIno.get(id);
    if (known !== undefined) {
      assert.equal(ino, known, `${where}: the model's node #${id} was kernel inode ${known}, now ${ino}`);
      return;
    }
    const other = this.#toNode.get(ino);
    assert.equal(
      other,
      undefined,
      `${where}: kernel inode ${ino} is the model's node #${other}, now also #${id}`,
    );
    this.#toIno.set(id, ino);
    this.#toNode.set(ino, id);
  }

  /** Forgets the nodes not in `live` (their inode numbers may be reused: memfs never does, a host may). */
  retain(live: Set<number>): void {
    for (const [id, ino] of this.#toIno) {
      if (live.has(id)) continue;
      this.#toIno.delete(id);
      this.#toNode.delete(ino);
    }
  }
}

/** The kernel side of a run. */
export interface RealSystem {
  kernel: Kernel;
  proc: Process;
  api: KernelApi;
  /** Walks the tree for the invariants, with its own fd table. */
  walker: Process;
  inodes: InodeBijection;
  /** Known bugs to step around. */
  skipBugs: readonly KnownBug[];
}

/** How a run is set up. */
export interface KernelModelOptions {
  /** The root file system (default: a new MemoryFileSystem). */
  makeRoot?: () => FileSystem;
  /** Called when a run ends (to free host resources). */
  cleanup?: (real: RealSystem) => void;
  /** Known bugs whose operations are skipped (default: none). */
  skipBugs?: readonly KnownBug[];
}

function outcomeOf(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, errno: errnoOf(error) };
  }
}

/** How often each operation ended how (`"open ok"`, `"rename ENOENT"`, ...): for judging what the runs cover. */
export const coverage: Map<string, number> = new Map();

function count(key: string): void {
  coverage.set(key, (coverage.get(key) ?? 0) + 1);
}

/** One operation as a fast-check command. */
export class OpCommand implements fc.Command<FsModel, RealSystem> {
  /** The fd the operation resolved to in its last run (for toString). */
  #fd: number | undefined;
  #note = "";

  constructor(readonly op: Op) {}

  #resolve(m: FsModel): number {
    const ref = "fd" in this.op ? this.op.fd : { kind: "raw" as const, fd: -1 };
    return resolveFd(ref, m.openFds(), (fd) => m.fileAt(fd)?.node.type === "dir");
  }

  check(m: Readonly<FsModel>): boolean {
    if (this.op.op !== "lseek") return true;
    // Directory offsets are the driver's cookies: only a rewind is modelled.
    const file = (m as FsModel).fileAt(this.#resolve(m as FsModel));
    return file?.node.type !== "dir" || (this.op.offset === 0 && this.op.whence === SEEK.SET);
  }

  run(m: FsModel, r: RealSystem): void {
    const op = this.op;
    const fd = this.#fd = this.#resolve(m);
    this.#note = "";
    const bug = knownBugHit(m, op, fd, r.skipBugs);
    if (bug) {
      this.#note = ` /* skipped: known bug ${bug.id} */`;
      count(`skipped ${bug.id}`);
      return;
    }
    const what = formatOp(op, fd);
    if (m.cwd.removed) count("in a removed cwd");
    if (op.op === "lseek" && m.fileAt(fd)?.node.type === "dir") count("rewinddir");
    if (op.op === "getdents") {
      checkGetdents(m, r, fd, op.limit, what);
    } else if (op.op === "opendir") {
      const open: Op = { op: "open", path: op.path, flags: O.RDONLY | O.DIRECTORY };
      const expected = applyOp(m, open, -1);
      const actual = applyOp(r.api, open, -1);
      count(`opendir ${expected.ok ? "ok" : expected.errno}`);
      assert.deepEqual(
        actual,
        expected,
        `${what}: kernel ${formatOutcome(actual)}, Linux model ${formatOutcome(expected)}`,
      );
      if (expected.ok) checkGetdents(m, r, expected.value as number, op.limit, what);
    } else {
      const expected = applyOp(m, op, fd);
      const actual = applyOp(r.api, op, fd);
      count(`${op.op} ${expected.ok ? "ok" : expected.errno}`);
      assert.deepEqual(
        withoutInodes(actual),
        withoutInodes(expected),
        `${what}: kernel ${formatOutcome(actual)}, Linux model ${formatOutcome(expected)}`,
      );
      if (expected.ok && actual.ok && (op.op === "stat" || op.op === "fstat")) {
        const ino = (outcome: Outcome) => (outcome as { value: { ino: number; }; }).value.ino;
        r.inodes.check(ino(expected), ino(actual), what);
      }
    }
    checkInvariants(m, r, what);
    r.inodes.retain(new Set([...m.liveNodes()].filter((node) => !spoiled(r, node)).map((node) => node.id)));
  }

  toString(): string {
    return formatOp(this.op, this.#fd) + this.#note;
  }
}

function checkGetdents(m: FsModel, r: RealSystem, fd: number, limit: number, what: string): void {
  let pass;
  try {
    pass = m.pass(fd);
  } catch (error) {
    const expected = errnoOf(error);
    const actual = outcomeOf(() => r.api.getdents(fd, limit));
    assert.deepEqual(
      actual,
      { ok: false, errno: expected },
      `${what}: kernel ${formatOutcome(actual)}, Linux model ${expected}`,
    );
    return;
  }
  const dir = m.fileAt(fd)!.node;
  const actual = outcomeOf(() => r.api.getdents(fd, limit));
  assert.ok(actual.ok, `${what}: kernel ${formatOutcome(actual)}, the model expects a listing`);
  const entries = actual.value as DirEnt[];
  count(`getdents ${entries.length === 0 ? "end" : pass.seen.size === 0 ? "first" : "more"}`);
  if (pass.seen.size > 0 && pass.stable.size < pass.seen.size + 1) count("getdents after a removal");
  assert.ok(entries.length <= limit, `${what}: ${entries.length} entries for a limit of ${limit}`);
  for (const entry of entries) {
    assert.ok(
      !pass.seen.has(entry.name),
      `${what}: ${JSON.stringify(entry.name)} returned twice in one listing`,
    );
    pass.seen.add(entry.name);
    const node: ModelNode | undefined = entry.name === "."
      ? dir
      : entry.name === ".."
      ? dir.parent
      : dir.entries.get(entry.name);
    assert.ok(node, `${what}: returned ${JSON.stringify(entry.name)}, which is not in the directory`);
    assert.equal(entry.type, node.type, `${what}: type of ${JSON.stringify(entry.name)}`);
    r.inodes.check(node.id, entry.ino, `${what}: inode of ${JSON.stringify(entry.name)}`);
  }
  if (entries.length === 0) {
    const missing = [...pass.stable].filter((name) => !pass.seen.has(name));
    assert.deepEqual(missing, [], `${what}: the listing ended without names present throughout it`);
  }
}

/** Whether a known bug makes the invariant checks leave `node` alone. */
function spoiled(r: RealSystem, node: ModelNode): boolean {
  return r.skipBugs.some((bug) => bug.spoilsNode?.(node));
}

/** Checks the fd table and the whole tree against the model. */
export function checkInvariants(m: FsModel, r: RealSystem, what: string): void {
  const where = `after ${what}`;
  // fds: the same open fds, on the same files, at the same offsets.
  const top = Math.max(m.fds.length, 6);
  for (let fd = 0; fd <= top; fd++) {
    const file = m.fileAt(fd);
    const actual = outcomeOf(() => statInfo(sync(sys.fstat(r.proc, fd))));
    if (file === undefined) {
      assert.deepEqual(actual, { ok: false, errno: "EBADF" }, `${where}: fd ${fd} should be closed`);
      continue;
    }
    if (spoiled(r, file.node)) continue;
    const expected = m.statOf(file.node);
    assert.ok(actual.ok, `${where}: fd ${fd} should be open: ${formatOutcome(actual)}`);
    assert.deepEqual(
      withoutInodes(actual),
      withoutInodes({ ok: true, value: expected }),
      `${where}: fstat(${fd})`,
    );
    r.inodes.check(file.node.id, (actual.value as { ino: number; }).ino, `${where}: fstat(${fd})`);
    if (file.node.type !== "dir") {
      assert.equal(sync(sys.lseek(r.proc, fd, 0, SEEK.CUR)), file.offset, `${where}: offset of fd ${fd}`);
    }
  }
  // The tree.
  const names = new Map<number, number>();
  const nlinks = new Map<number, number>();
  const rootFd = sync(sys.openat(r.walker, AT.FDCWD, "/", O.RDONLY | O.DIRECTORY));
  try {
    compareDir(m, r, m.root, rootFd, "/", names, nlinks, where);
  } finally {
    sync(sys.close(r.walker, rootFd));
  }
  for (const [ino, count] of names) {
    assert.equal(
      nlinks.get(ino),
      count,
      `${where}: inode ${ino} has ${count} names but nlink ${nlinks.get(ino)}`,
    );
  }
}

function listAll(proc: Process, fd: number): DirEntry[] {
  const out: DirEntry[] = [];
  for (;;) {
    const batch = sync(sys.getdents(proc, fd, 64));
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

function compareDir(
  m: FsModel,
  r: RealSystem,
  node: ModelNode,
  dirfd: number,
  path: string,
  names: Map<number, number>,
  nlinks: Map<number, number>,
  where: string,
): void {
  const w = r.walker;
  const entries = listAll(w, dirfd);
  const listed = entries.map((e) => e.name);
  assert.equal(
    new Set(listed).size,
    listed.length,
    `${where}: ${path} lists a name twice: ${listed.join(", ")}`,
  );
  assert.deepEqual(listed.slice(0, 2), [".", ".."], `${where}: ${path} should list . and .. first`);
  const self = statInfo(sync(sys.fstat(w, dirfd)));
  assert.equal(entries[0].ino, self.ino, `${where}: . in ${path}`);
  const parent = statInfo(sync(sys.fstatat(w, dirfd, "..", 0)));
  assert.equal(entries[1].ino, parent.ino, `${where}: .. in ${path}`);
  const actualNames = listed.slice(2).sort();
  const expectedNames = [...node.entries.keys()].sort();
  assert.deepEqual(actualNames, expectedNames, `${where}: names in ${path}`);
  let subdirs = 0;
  for (const entry of entries.slice(2)) {
    const child = node.entries.get(entry.name)!;
    const childPath = `${path === "/" ? "" : path}/${entry.name}`;
    const st = statInfo(sync(sys.fstatat(w, dirfd, entry.name, AT.SYMLINK_NOFOLLOW)));
    assert.deepEqual(
      withoutInodes({ ok: true, value: st }),
      withoutInodes({ ok: true, value: m.statOf(child) }),
      `${where}: lstat(${childPath})`,
    );
    assert.equal(entry.ino, st.ino, `${where}: getdents and lstat disagree on the inode of ${childPath}`);
    assert.equal(st.type, child.type, `${where}: type of ${childPath}`);
    r.inodes.check(child.id, st.ino, `${where}: lstat(${childPath})`);
    if (child.type === "dir") {
      subdirs++;
      const fd = sync(sys.openat(w, dirfd, entry.name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW));
      try {
        compareDir(m, r, child, fd, childPath, names, nlinks, where);
      } finally {
        sync(sys.close(w, fd));
      }
      continue;
    }
    names.set(st.ino, (names.get(st.ino) ?? 0) + 1);
    nlinks.set(st.ino, st.nlink);
    if (child.type === "symlink") {
      assert.equal(
        sync(sys.readlinkat(w, dirfd, entry.name)),
        child.target,
        `${where}: readlink(${childPath})`,
      );
    } else {
      const fd = sync(sys.openat(w, dirfd, entry.name, O.RDONLY | O.NOFOLLOW));
      try {
        const buffer = new Uint8Array(st.size! + 1);
        const n = sync(sys.pread(w, fd, buffer, 0));
        assert.equal(latin1(buffer.subarray(0, n)), latin1(child.data), `${where}: contents of ${childPath}`);
      } finally {
        sync(sys.close(w, fd));
      }
    }
  }
  assert.equal(
    self.nlink,
    2 + subdirs,
    `${where}: nlink of directory ${path} with ${subdirs} subdirectories`,
  );
}

/** Makes the kernel side of a run. */
export function makeRealSystem(options: KernelModelOptions = {}): RealSystem {
  const kernel = createKernel({ deterministic: true, dev: false, root: options.makeRoot?.() });
  const proc = kernel.createProcess();
  return {
    kernel,
    proc,
    api: new KernelApi(proc),
    walker: kernel.createProcess(),
    inodes: new InodeBijection(),
    skipBugs: options.skipBugs ?? [],
  };
}

/** The reference model matching a fresh {@link makeRealSystem}. */
export function makeModel(): FsModel {
  return new FsModel({ dirs: [["/tmp", 0o1777]] });
}

/** The command arbitrary of the model-based property: up to 25 operations. */
export function modelCommands(): fc.Arbitrary<Iterable<fc.Command<FsModel, RealSystem>>> {
  const op = opArb({ absolute: true, chdir: true, getdents: true, linkFollow: true, host: false });
  return fc.commands([op.map((o) => new OpCommand(o))], { maxCommands: 25, size: "medium" });
}

/** Builds a starting tree on both sides; every step must succeed on both. */
export function applyTemplate(name: string, model: FsModel, api: KernelApi): void {
  for (const op of TEMPLATES[name].ops) {
    const fd = "fd" in op && op.fd.kind === "raw" ? op.fd.fd : -1;
    const expected = applyOp(model, op, fd);
    const actual = applyOp(api, op, fd);
    assert.ok(
      expected.ok,
      `template ${name}: ${formatOp(op, fd)} fails in the model: ${formatOutcome(expected)}`,
    );
    assert.deepEqual(actual, expected, `template ${name}: ${formatOp(op, fd)}`);
  }
}

/** The model-based property over the kernel: a starting tree, then up to 25 operations. */
export function kernelModelProperty(
  options: KernelModelOptions = {},
): fc.IPropertyWithHooks<[string, Iterable<fc.Command<FsModel, RealSystem>>]> {
  return fc.property(
    fc.constantFrom(...templateNames(false)),
    modelCommands(),
    (template, commands) => {
      let real: RealSystem | undefined;
      try {
        fc.modelRun(() => {
          real = makeRealSystem(options);
          const model = makeModel();
          applyTemplate(template, model, real.api);
          return { model, real };
        }, commands);
      } finally {
        if (real) options.cleanup?.(real);
      }
    },
  );
}
