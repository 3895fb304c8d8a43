/**
 * The model-based property can fail: run on deliberately broken drivers, with
 * a fixed seed, it must report a counterexample (with its seed and a readable
 * command list). Each mutant breaks one thing a driver is trusted with:
 *
 * - rename keeps the old name (as a hard link, so every nlink still adds up:
 *   only the comparison with the model can tell);
 * - readdir skips the first entry of every resumed listing (only a listing
 *   read in several calls shows it: the getdents invariant);
 * - write ignores its position and appends (only read-back contents show it).
 *
 * @module
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import { test } from "node:test";
import { type DirEntry, FileType } from "../../kernel/types.ts";
import type { FileHandle, VNode } from "../../kernel/vfs/driver.ts";
import { MemoryFileSystem } from "../../mod.ts";
import { kernelModelProperty } from "../_support/kernel_model.ts";
import { KNOWN_BUGS, openBugs } from "../_support/known_bugs.ts";

class RenameKeepsOldName extends MemoryFileSystem {
  override rename(oldDir: VNode, oldName: string, newDir: VNode, newName: string): void {
    const node = this.lookup(oldDir, oldName);
    super.rename(oldDir, oldName, newDir, newName);
    if (node !== null && node.type !== FileType.Directory && this.lookup(oldDir, oldName) === null) {
      this.link(oldDir, oldName, node);
    }
  }
}

class ReaddirSkipsOnResume extends MemoryFileSystem {
  override readdir(dir: VNode, cookie: number, limit: number): DirEntry[] {
    const entries = super.readdir(dir, cookie, limit + 1);
    return cookie > 0 ? entries.slice(1) : entries.slice(0, limit);
  }
}

class WriteAppends extends MemoryFileSystem {
  override write(handle: FileHandle, buffer: Uint8Array, _position: number): number {
    return super.write(handle, buffer, this.stat(handle.node).size);
  }
}

const MUTANTS: Array<[string, () => MemoryFileSystem]> = [
  ["rename keeps the old name", () => new RenameKeepsOldName()],
  ["readdir skips an entry when a listing resumes", () => new ReaddirSkipsOnResume()],
  ["write ignores its position", () => new WriteAppends()],
];

for (const [name, makeRoot] of MUTANTS) {
  test(`the model property catches a driver whose ${name}`, () => {
    const property = kernelModelProperty({ makeRoot, skipBugs: openBugs(KNOWN_BUGS) });
    const result = fc.check(property, { seed: 20240601, numRuns: 1000 });
    assert.ok(result.failed, `the property passed ${result.numRuns} runs on a driver whose ${name}`);
    assert.ok(
      result.errorInstance instanceof assert.AssertionError,
      `a failed check, not a crash: ${result.errorInstance}`,
    );
    const report = fc.defaultReportMessage(result) ?? "";
    assert.match(report, /seed: 20240601/, "the report gives the seed");
    assert.match(report, /Counterexample: \["\w+",.*\(/, "the report lists the commands");
  });
}
