/**
 * The kernel API over memfs beside `@zenfs/core` InMemory doing the same work.
 *
 * Run: `deno run -A --v8-flags=--expose-gc bench/kernel_fs_bench.ts` or `bun bench/kernel_fs_bench.ts`.
 * `--quick` runs smaller sizes (used by the test suite to keep the benchmark honest).
 *
 * @module
 */

import { configureSingle, fs as zfs, InMemory } from "@zenfs/core";
import type { Process } from "../kernel/process.ts";
import { close, fstatat, openat, read, unlinkat, write } from "../kernel/syscalls/mod.ts";
import { AT, O } from "../kernel/types.ts";
import { createKernel } from "../mod.ts";
import { fmt, gc, heapUsed, runtimeName, time } from "./_timing.ts";

const quick = (globalThis as { Deno?: { args: string[]; }; }).Deno?.args.includes("--quick")
  || (globalThis as { process?: { argv: string[]; }; }).process?.argv.includes("--quick");
const CWD = AT.FDCWD;

function vkernelProcess(): Process {
  return createKernel().createProcess();
}

function createStatUnlinkVkernel(n: number): number {
  const proc = vkernelProcess();
  return timeSync(() => {
    for (let i = 0; i < n; i++) {
      close(proc, openat(proc, CWD, `/tmp/f${i}`, O.CREAT | O.WRONLY, 0o644) as number);
    }
    for (let i = 0; i < n; i++) fstatat(proc, CWD, `/tmp/f${i}`, 0);
    for (let i = 0; i < n; i++) unlinkat(proc, CWD, `/tmp/f${i}`, 0);
  });
}

async function createStatUnlinkZenfs(n: number): Promise<number> {
  await configureSingle({ backend: InMemory });
  zfs.mkdirSync("/bench");
  return timeSync(() => {
    for (let i = 0; i < n; i++) zfs.closeSync(zfs.openSync(`/bench/f${i}`, "w", 0o644));
    for (let i = 0; i < n; i++) zfs.statSync(`/bench/f${i}`);
    for (let i = 0; i < n; i++) zfs.unlinkSync(`/bench/f${i}`);
  });
}

function timeSync(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function bigFileVkernel(bytes: number): { write: number; read: number; } {
  const proc = vkernelProcess();
  const chunk = new Uint8Array(65536).fill(42);
  const fd = openat(proc, CWD, "/tmp/big", O.CREAT | O.RDWR, 0o644) as number;
  const w = timeSync(() => {
    for (let done = 0; done < bytes; done += chunk.length) write(proc, fd, chunk);
  });
  close(proc, fd);
  const rfd = openat(proc, CWD, "/tmp/big", O.RDONLY) as number;
  const buf = new Uint8Array(65536);
  let total = 0;
  const r = timeSync(() => {
    for (;;) {
      const n = read(proc, rfd, buf) as number;
      if (n === 0) break;
      total += n;
    }
  });
  if (total !== bytes) throw new Error(`read ${total} of ${bytes}`);
  return { write: w, read: r };
}

async function bigFileZenfs(bytes: number): Promise<{ write: number; read: number; }> {
  await configureSingle({ backend: InMemory });
  const chunk = new Uint8Array(65536).fill(42);
  const fd = zfs.openSync("/big", "w+");
  const w = timeSync(() => {
    for (let done = 0; done < bytes; done += chunk.length) zfs.writeSync(fd, chunk);
  });
  zfs.closeSync(fd);
  const rfd = zfs.openSync("/big", "r");
  const buf = new Uint8Array(65536);
  let total = 0;
  const r = timeSync(() => {
    for (;;) {
      const n = zfs.readSync(rfd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
    }
  });
  zfs.closeSync(rfd);
  if (total !== bytes) throw new Error(`zenfs read ${total} of ${bytes}`);
  return { write: w, read: r };
}

function bytesPerEmptyFile(n: number): number {
  const proc = vkernelProcess();
  gc();
  const before = heapUsed();
  for (let i = 0; i < n; i++) {
    close(proc, openat(proc, CWD, `/tmp/e${i}`, O.CREAT | O.WRONLY, 0o644) as number);
  }
  gc();
  const after = heapUsed();
  // Keep the kernel alive until measured.
  if (fstatat(proc, CWD, "/tmp/e0", 0) === null) throw new Error("unreachable");
  return (after - before) / n;
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

const small = quick ? 1_000 : 10_000;
const large = quick ? 10_000 : 100_000;
const big = quick ? 16 << 20 : 256 << 20;
const zenBig = quick ? 4 << 20 : 32 << 20;

const rows: string[] = [];
rows.push(`Runtime: ${runtimeName()}${quick ? " (quick sizes)" : ""}`);
rows.push("");
rows.push("| work | vkernel (memfs) | @zenfs/core InMemory | ratio |");
rows.push("|---|---:|---:|---:|");
// Warm the JIT on both sides' code paths first, so the first measured row is not compile time.
createStatUnlinkVkernel(2_000);
bigFileVkernel(32 << 20);
const ours = Math.min(createStatUnlinkVkernel(small), createStatUnlinkVkernel(small));
const theirs = await createStatUnlinkZenfs(small);
rows.push(
  `| create+stat+unlink ${small.toLocaleString("en-US")} files, one directory | ${fmt(ours)} ms | ${
    fmt(theirs)
  } ms | ${fmt(theirs / ours, 0)}x faster |`,
);
const oursLarge = Math.min(createStatUnlinkVkernel(large), createStatUnlinkVkernel(large));
rows.push(
  `| create+stat+unlink ${large.toLocaleString("en-US")} files, one directory | ${
    fmt(oursLarge)
  } ms | (not run: quadratic) | per file ${fmt(oursLarge / ours / (large / small), 2)}x the ${
    small.toLocaleString("en-US")
  }-file cost (linear = 1) |`,
);
const runs = [bigFileVkernel(big), bigFileVkernel(big)];
const ob = { write: Math.min(...runs.map((r) => r.write)), read: Math.min(...runs.map((r) => r.read)) };
const zb = await bigFileZenfs(zenBig);
rows.push(
  `| write ${big >> 20} MiB in 64 KiB chunks (zenfs: ${zenBig >> 20} MiB) | ${
    fmt(mbps(big, ob.write), 0)
  } MB/s | ${fmt(mbps(zenBig, zb.write), 0)} MB/s | ${
    fmt(mbps(big, ob.write) / mbps(zenBig, zb.write), 0)
  }x |`,
);
rows.push(
  `| read it back in 64 KiB chunks | ${fmt(mbps(big, ob.read), 0)} MB/s | ${
    fmt(mbps(zenBig, zb.read), 0)
  } MB/s | ${fmt(mbps(big, ob.read) / mbps(zenBig, zb.read), 0)}x |`,
);
rows.push(
  `| write then read ${big >> 20} MiB, bytes moved per second | ${
    fmt(mbps(2 * big, ob.write + ob.read), 0)
  } MB/s | ${fmt(mbps(2 * zenBig, zb.write + zb.read), 0)} MB/s | |`,
);
const perFile = bytesPerEmptyFile(quick ? 10_000 : 100_000);
rows.push(`| heap per empty file (100k files) | ${fmt(perFile, 0)} bytes | | |`);
console.log(rows.join("\n"));
await time(() => {});
