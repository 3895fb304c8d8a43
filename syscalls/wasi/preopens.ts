/**
 * Preopens: the directories (and then the sockets) a WASI program starts
 * with, installed from fd 3 in the order given. `fd_prestat_get` reports the
 * directories by name and is EBADF for every other fd, sockets included, so
 * the preopen scan of Go and wasi-libc stops cleanly after the last directory.
 *
 * @module
 */

import { then } from "../../kernel/_maybe.ts";
import type { Stream } from "../../kernel/stream.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { AT, type Maybe, O } from "../../kernel/types.ts";
import type { WasiContext } from "./context.ts";

/** A directory to preopen: a kernel path, and the name the guest sees (default: the path). */
export type PreopenSpec = string | { path: string; name?: string; };

/** The first preopened fd. */
export const FIRST_PREOPEN_FD = 3;

function normalize(spec: PreopenSpec): { path: string; name: string; } {
  if (typeof spec === "string") return { path: spec, name: spec };
  if (!spec || typeof spec.path !== "string") throw new TypeError("a preopen is a path or { path, name? }");
  return { path: spec.path, name: spec.name ?? spec.path };
}

/** Moves a just-opened fd to `target` (which must be free). */
function place(ctx: WasiContext, fd: number, target: number): Maybe<number> {
  if (fd === target) return fd;
  return then(sys.dup2(ctx.proc, fd, target), () => then(sys.close(ctx.proc, fd), () => target));
}

function claim(ctx: WasiContext, target: number): void {
  if (ctx.proc.fds.peek(target)) throw new TypeError(`fd ${target} is already open; preopens start at fd 3`);
}

/**
 * Opens each directory (resolved from the process root, following symlinks)
 * at fds 3, 4, ... and records its name; then installs each socket stream
 * after them. Synchronous unless a driver is asynchronous.
 *
 * @example
 * ```ts
 * import { createKernel } from "../../mod.ts";
 * import { WasiContext } from "./context.ts";
 * import { installPreopens } from "./preopens.ts";
 * const kernel = createKernel();
 * const ctx = new WasiContext(kernel.createProcess());
 * installPreopens(ctx, ["/", { path: "/tmp", name: "/scratch" }], []);
 * console.assert(ctx.preopens.get(ctx.proc.fds.get(4))?.name === "/scratch");
 * ```
 */
export function installPreopens(
  ctx: WasiContext,
  specs: readonly PreopenSpec[],
  sockets: readonly Stream[],
): Maybe<void> {
  const dirs = specs.map(normalize);
  const step = (i: number): Maybe<void> => {
    const target = FIRST_PREOPEN_FD + i;
    if (i < dirs.length) {
      claim(ctx, target);
      const { path, name } = dirs[i];
      const opened = sys.openat(ctx.proc, AT.FDCWD, path, O.RDONLY | O.DIRECTORY, 0, {});
      return then(opened, (fd: number) =>
        then(place(ctx, fd, target), (placed: number) => {
          ctx.preopens.set(ctx.proc.fds.get(placed), { name });
          return step(i + 1);
        }));
    }
    const s = i - dirs.length;
    if (s < sockets.length) {
      claim(ctx, target);
      const fd = sys.openStream(ctx.proc, sockets[s], O.RDWR);
      return then(place(ctx, fd, target), () => step(i + 1));
    }
  };
  return step(0);
}
