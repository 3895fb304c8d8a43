/**
 * Encoders and decoders shared by the fd and path families: filestat, time
 * flags, fdflags, u64 arguments.
 *
 * @module
 */

import { O, type Stat, UTIME } from "../../kernel/types.ts";
import { FDFLAGS, FDFLAGS_ALL, FSTFLAGS, FSTFLAGS_ALL, LAYOUT } from "./abi.ts";
import { fail } from "./errno.ts";
import { type GuestMemory, writeU64 } from "./memory.ts";

/** An i64 argument read as u64. */
export function u64(value: bigint): bigint {
  return BigInt.asUintN(64, value);
}

/** A u64 argument as a safe JS number, or the given errno when it is too large. */
export function safeU64(value: bigint, errno: "EINVAL" | "EFBIG" | "EOVERFLOW" = "EINVAL"): number {
  const v = u64(value);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(errno);
  return Number(v);
}

/** A signed i64 argument as a safe JS number (EINVAL when it is not). */
export function safeI64(value: bigint): number {
  const v = BigInt.asIntN(64, value);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail("EINVAL");
  return Number(v);
}

/** Writes a 64-byte `$filestat` (padding zeroed), after one bounds check. */
export function writeFilestat(mem: GuestMemory, ptr: number, st: Stat, filetype: number): void {
  const p = mem.check(ptr, LAYOUT.FILESTAT_SIZE);
  const view = mem.view;
  writeU64(view, p, st.dev);
  writeU64(view, p + 8, st.ino);
  view.setUint32(p + 16, filetype & 0xff, true); // filetype, then 7 bytes of padding
  view.setUint32(p + 20, 0, true);
  writeU64(view, p + 24, st.nlink);
  writeU64(view, p + 32, st.size);
  writeU64(view, p + 40, st.atimeNs);
  writeU64(view, p + 48, st.mtimeNs);
  writeU64(view, p + 56, st.ctimeNs);
}

/**
 * The kernel's (atime, mtime) for `fst_flags`: SET uses the given nanoseconds,
 * NOW the current time, neither leaves the field alone. SET and NOW together
 * for one field, or an unknown bit, is EINVAL.
 */
export function timesFromFlags(atim: bigint, mtim: bigint, flags: number): [bigint, bigint] {
  if (flags & ~FSTFLAGS_ALL) fail("EINVAL", "unknown fst_flags");
  if ((flags & FSTFLAGS.ATIM) && (flags & FSTFLAGS.ATIM_NOW)) fail("EINVAL", "ATIM with ATIM_NOW");
  if ((flags & FSTFLAGS.MTIM) && (flags & FSTFLAGS.MTIM_NOW)) fail("EINVAL", "MTIM with MTIM_NOW");
  const a = flags & FSTFLAGS.ATIM_NOW ? UTIME.NOW : flags & FSTFLAGS.ATIM ? u64(atim) : UTIME.OMIT;
  const m = flags & FSTFLAGS.MTIM_NOW ? UTIME.NOW : flags & FSTFLAGS.MTIM ? u64(mtim) : UTIME.OMIT;
  return [a, m];
}

/** The DSYNC/RSYNC/SYNC fdflags. */
export const SYNC_FDFLAGS: number = FDFLAGS.DSYNC | FDFLAGS.RSYNC | FDFLAGS.SYNC;

/** Kernel status flags for WASI fdflags (RSYNC folds into O_SYNC, as O_RSYNC does on Linux). */
export function kernelStatusFlags(fdflags: number): number {
  if (fdflags & ~FDFLAGS_ALL) fail("EINVAL", "unknown fdflags");
  let flags = 0;
  if (fdflags & FDFLAGS.APPEND) flags |= O.APPEND;
  if (fdflags & FDFLAGS.NONBLOCK) flags |= O.NONBLOCK;
  if (fdflags & FDFLAGS.DSYNC) flags |= O.DSYNC;
  if (fdflags & (FDFLAGS.SYNC | FDFLAGS.RSYNC)) flags |= O.SYNC;
  return flags;
}

/** WASI fdflags from kernel status flags plus the sync flags the facade remembers. */
export function wasiFdflags(kernelFlags: number, syncFlags: number): number {
  let flags = syncFlags & SYNC_FDFLAGS;
  if (kernelFlags & O.APPEND) flags |= FDFLAGS.APPEND;
  if (kernelFlags & O.NONBLOCK) flags |= FDFLAGS.NONBLOCK;
  return flags;
}
