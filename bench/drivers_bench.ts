/**
 * Every filesystem driver beside memfs, in one run, through the kernel's
 * system calls: 64 KiB sequential write and read of a file, and small files
 * created, stat'ed and unlinked per second. (OPFS runs in a browser: see
 * examples/browser/bench.ts, which measures it beside memfs in Chromium.)
 *
 * Run: `deno run -A bench/drivers_bench.ts [fileMiB] [smallFiles]` or `bun bench/drivers_bench.ts`.
 *
 * @module
 */

import { InMemory } from "@zenfs/core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostFileSystem } from "../fs/host/mod.ts";
import { CopyOnWriteFileSystem, ReadOnlyFileSystem } from "../fs/overlay/mod.ts";
import { createZenFsFileSystem } from "../fs/zenfs/mod.ts";
import { isPromise } from "../kernel/_maybe.ts";
import type { Process } from "../kernel/process.ts";
import { close, fstatat, openat, read, unlinkat, write } from "../kernel/syscalls/mod.ts";
import { AT, type Maybe, O } from "../kernel/types.ts";
import type { FileSystem } from "../kernel/vfs/driver.ts";
import { createKernel, MemoryFileSystem } from "../mod.ts";
import { fmt, runtimeName } from "./_timing.ts";

const args = (globalThis as { Deno?: { args: string[]; }; }).Deno?.args
  ?? (globalThis as unknown as { process: { argv: string[]; }; }).process.argv.slice(2);
const fileMiB = Number(args[0] ?? 32);
const smallFiles = Number(args[1] ?? 2000);
const CWD = AT.FDCWD;

async function v<T>(x: Maybe<T>): Promise<T> {
  return isPromise(x) ? await x : x;
}

async function measure(proc: Process, dir: string) {
  const chunk = new Uint8Array(65536).fill(7);
  const bytes = fileMiB << 20;
  const fd = await v(openat(proc, CWD, `${dir}/big`, O.CREAT | O.RDWR | O.TRUNC, 0o644));
  let t0 = performance.now();
  for (let done = 0; done < bytes; done += chunk.length) await v(write(proc, fd, chunk));
  const writeMs = performance.now() - t0;
  await v(close(proc, fd));
  const rfd = await v(openat(proc, CWD, `${dir}/big`, O.RDONLY));
  const buf = new Uint8Array(65536);
  t0 = performance.now();
  let total = 0;
  for (;;) {
    const n = await v(read(proc, rfd, buf));
    if (n === 0) break;
    total += n;
  }
  const readMs = performance.now() - t0;
  if (total !== bytes) throw new Error(`read ${total} of ${bytes}`);
  await v(close(proc, rfd));
  await v(unlinkat(proc, CWD, `${dir}/big`, 0));
  t0 = performance.now();
  for (let i = 0; i < smallFiles; i++) {
    await v(close(proc, await v(openat(proc, CWD, `${dir}/s${i}`, O.CREAT | O.WRONLY, 0o644))));
    await v(fstatat(proc, CWD, `${dir}/s${i}`, 0));
    await v(unlinkat(proc, CWD, `${dir}/s${i}`, 0));
  }
  const smallMs = performance.now() - t0;
  return {
    write: bytes / 1e6 / (writeMs / 1000),
    read: bytes / 1e6 / (readMs / 1000),
    small: smallFiles / (smallMs / 1000),
  };
}

async function withMount(fs: FileSystem, readOnlySeed?: (fs: FileSystem) => Promise<void>) {
  const kernel = createKernel();
  await kernel.files.mkdir("/mnt");
  if (readOnlySeed) await readOnlySeed(fs);
  await kernel.mount("/mnt", fs);
  return measure(kernel.createProcess(), "/mnt");
}

const hostDirs: string[] = [];
function hostDir(base: string): string {
  const dir = mkdtempSync(join(base, "vkernel-drivers-"));
  hostDirs.push(dir);
  return dir;
}

const drivers: Array<[string, () => Promise<FileSystem>]> = [
  ["memfs", () => Promise.resolve(new MemoryFileSystem())],
  ["host (tmpfs /dev/shm)", () => Promise.resolve(new HostFileSystem({ root: hostDir("/dev/shm") }))],
  ["host (disk, os.tmpdir())", () => Promise.resolve(new HostFileSystem({ root: hostDir(tmpdir()) }))],
  [
    "copy-on-write (memfs over memfs)",
    () =>
      Promise.resolve(new CopyOnWriteFileSystem({ lower: new ReadOnlyFileSystem(new MemoryFileSystem()) })),
  ],
  ["zenfs InMemory (adapter)", () => createZenFsFileSystem({ backend: InMemory })],
];

const rows: string[] = [
  `Runtime: ${runtimeName()}; ${fileMiB} MiB file, ${smallFiles} small files; through kernel syscalls`,
  "",
  "| driver | 64 KiB write MB/s | 64 KiB read MB/s | create+stat+unlink per s | small files vs memfs |",
  "|---|---:|---:|---:|---:|",
];
let memSmall = 0;
try {
  for (const [name, make] of drivers) {
    // Best of two rounds (the first warms the JIT).
    const a = await withMount(await make());
    const b = await withMount(await make());
    const r = {
      write: Math.max(a.write, b.write),
      read: Math.max(a.read, b.read),
      small: Math.max(a.small, b.small),
    };
    if (name === "memfs") memSmall = r.small;
    rows.push(
      `| ${name} | ${fmt(r.write, 0)} | ${fmt(r.read, 0)} | ${fmt(r.small, 0)} | ${
        fmt(r.small / memSmall, 3)
      }x |`,
    );
  }
} finally {
  for (const dir of hostDirs) rmSync(dir, { recursive: true, force: true });
}
console.log(rows.join("\n"));
