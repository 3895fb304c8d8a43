/**
 * Model-based property: random sequences of up to 25 system calls (mkdir,
 * open with O_CREAT/O_EXCL/O_TRUNC/O_APPEND/O_DIRECTORY/O_NOFOLLOW, write,
 * pwrite, read, lseek, ftruncate, rename, link, symlink, unlink, rmdir,
 * getdents, chdir, dup, close, stat, fstat, readlink) over a tiny path
 * alphabet (a, b, c, ., .., nested, absolute, trailing slashes, symlinks
 * among them), run on the kernel and on the reference model of Linux
 * (tests/_support/fs_model.ts); every errno and result must agree, and the
 * invariants listed in tests/_support/kernel_model.ts must hold after every
 * step. Operations that hit a known, still unfixed bug
 * (tests/_support/known_bugs.ts) are skipped and marked so in counterexamples.
 *
 * @module
 */

import fc from "fast-check";
import { chmodSync } from "node:fs";
import { test } from "node:test";
import { HostFileSystem } from "../../mod.ts";
import { makeFastTempDir } from "../_support/fast_temp_dir.ts";
import { kernelModelProperty } from "../_support/kernel_model.ts";
import { KNOWN_BUGS, KNOWN_HOST_DRIVER_BUGS, openBugs } from "../_support/known_bugs.ts";
import { propertyOptions } from "../_support/property_options.ts";
import { removeDir } from "../_support/temp_dir.ts";

test("kernel over memfs follows the Linux reference model", () => {
  fc.assert(kernelModelProperty({ skipBugs: openBugs(KNOWN_BUGS) }), propertyOptions());
});

test("kernel over HostFileSystem follows the Linux reference model", () => {
  let dir = "";
  const property = kernelModelProperty({
    skipBugs: [...openBugs(KNOWN_BUGS), ...openBugs(KNOWN_HOST_DRIVER_BUGS)],
    makeRoot: () => {
      dir = makeFastTempDir("vkernel-model-");
      chmodSync(dir, 0o755);
      return new HostFileSystem({ root: dir });
    },
    cleanup: (real) => {
      real.proc.exit(0);
      real.walker.exit(0);
      removeDir(dir);
    },
  });
  fc.assert(property, propertyOptions());
});
