/**
 * A zip archive mounted through `@zenfs/archives`' `Zip` backend: the
 * archive is built here (a minimal zip writer: stored and deflated entries,
 * explicit and implied directories), mounted read-only at `/zip`, read and
 * listed through the kernel's syscalls and `kernel.files`, refused every
 * mutation with EROFS, and read by a real C WASI program.
 */
import { Zip } from "@zenfs/archives";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { AT, collector, createKernel, FileType, O, spawn, type Stat, sys, type VNode } from "../../mod.ts";
import { buildFixture } from "../../tests/fixtures/build.ts";
import { createZenFsFileSystem } from "./mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface ZipEntry {
  /** Relative path; a trailing `/` makes a directory entry. */
  name: string;
  data?: Uint8Array;
  /** Compress with deflate (method 8) instead of storing (method 0). */
  deflate?: boolean;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zip archive (no Zip64, UTF-8 names, Unix modes, 2024-01-01 00:00 timestamps). */
function makeZip(entries: ZipEntry[]): Uint8Array {
  const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const isDir = entry.name.endsWith("/");
    const raw = entry.data ?? new Uint8Array(0);
    const method = entry.deflate ? 8 : 0;
    const body = entry.deflate ? new Uint8Array(deflateRawSync(raw)) : raw;
    const crc = crc32(raw);
    const local = new Uint8Array(30 + name.length + body.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true); // version needed
    l.setUint16(6, 0x0800, true); // UTF-8 names
    l.setUint16(8, method, true);
    l.setUint16(10, 0, true); // time
    l.setUint16(12, DOS_DATE, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, body.length, true);
    l.setUint32(22, raw.length, true);
    l.setUint16(26, name.length, true);
    l.setUint16(28, 0, true); // extra
    local.set(name, 30);
    local.set(body, 30 + name.length);
    const central = new Uint8Array(46 + name.length);
    const c = new DataView(central.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, (3 << 8) | 20, true); // made by: Unix, 2.0
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0800, true);
    c.setUint16(10, method, true);
    c.setUint16(12, 0, true);
    c.setUint16(14, DOS_DATE, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, body.length, true);
    c.setUint32(24, raw.length, true);
    c.setUint16(28, name.length, true);
    // extra length, comment length, disk number, internal attributes: 0
    c.setUint32(38, (((isDir ? 0o040755 : 0o100644) << 16) | (isDir ? 0x10 : 0)) >>> 0, true);
    c.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((n, part) => n + part.length, 0);
  const eocd = new Uint8Array(22);
  const e = new DataView(eocd.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, entries.length, true);
  e.setUint16(10, entries.length, true);
  e.setUint32(12, cdSize, true);
  e.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + eocd.length);
  let at = 0;
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** 100,000 bytes of text that deflates well. */
const BIG = encoder.encode("all work and no play makes a dull archive\n".repeat(2500).slice(0, 100_000));

function archive(): Uint8Array {
  return makeZip([
    { name: "hello.txt", data: encoder.encode("hello from a zip\n") },
    { name: "docs/" },
    { name: "docs/readme.md", data: encoder.encode("# docs\n"), deflate: true },
    { name: "docs/big.txt", data: BIG, deflate: true },
    // No entry for "src/" or "src/lib/": the directories are implied by the path.
    { name: "src/lib/util.txt", data: encoder.encode("util") },
  ]);
}

async function mountZip() {
  const fs = await createZenFsFileSystem({ backend: Zip, data: archive() });
  const kernel = createKernel({ deterministic: true });
  await kernel.files.mkdir("/zip");
  await kernel.mount("/zip", fs);
  return { kernel, fs };
}

test("a zip archive mounts read-only through the ZenFS adapter", async () => {
  const { fs } = await mountZip();
  assert.equal(fs.readOnly, true, "ZipFS sets no_write");
  assert.equal(fs.synchronous, true, "ZipFS keeps the archive in memory and has real sync methods");
  const hello = fs.lookup(fs.root(), "hello.txt") as VNode;
  const docs = fs.lookup(fs.root(), "docs") as VNode;
  const helloStat = fs.stat(hello) as Stat;
  const docsStat = fs.stat(docs) as Stat;
  assert.equal(helloStat.mode, 0o555);
  assert.equal(helloStat.uid, 0);
  assert.equal(docsStat.type, FileType.Directory);
  assert.notEqual(helloStat.ino, docsStat.ino, "distinct inode numbers");
  assert.equal((fs.stat(fs.lookup(fs.root(), "hello.txt") as VNode) as Stat).ino, helloStat.ino, "stable");
});

test("files and directories of a zip archive through kernel syscalls", async () => {
  const { kernel } = await mountZip();
  const proc = kernel.createProcess();
  const fd = await sys.openat(proc, AT.FDCWD, "/zip/hello.txt", O.RDONLY);
  const buffer = new Uint8Array(64);
  const count = await sys.read(proc, fd, buffer);
  assert.equal(decoder.decode(buffer.subarray(0, count)), "hello from a zip\n");
  assert.equal(await sys.read(proc, fd, buffer), 0, "EOF");
  assert.equal(await sys.pread(proc, fd, buffer, 6), 11);
  assert.equal(decoder.decode(buffer.subarray(0, 11)), "from a zip\n");
  const st = await sys.fstat(proc, fd);
  assert.equal(st.type, FileType.RegularFile);
  assert.equal(st.size, 17);
  await sys.close(proc, fd);

  const big = await sys.openat(proc, AT.FDCWD, "/zip/docs/big.txt", O.RDONLY);
  assert.equal((await sys.fstat(proc, big)).size, 100_000);
  const chunk = new Uint8Array(42);
  assert.equal(await sys.pread(proc, big, chunk, 42 * 1000), 42);
  assert.equal(decoder.decode(chunk), "all work and no play makes a dull archive\n");
  await sys.close(proc, big);

  const names = async (path: string) => {
    const dir = await sys.openat(proc, AT.FDCWD, path, O.RDONLY | O.DIRECTORY);
    const entries = await sys.getdents(proc, dir, 100);
    await sys.close(proc, dir);
    return entries.map((entry) => `${entry.name}:${entry.type}`).sort();
  };
  assert.deepEqual(
    await names("/zip"),
    [
      `.:${FileType.Directory}`,
      `..:${FileType.Directory}`,
      `docs:${FileType.Directory}`,
      `hello.txt:${FileType.RegularFile}`,
      `src:${FileType.Directory}`,
    ].sort(),
  );
  assert.deepEqual(
    await names("/zip/src/lib"),
    [`.:${FileType.Directory}`, `..:${FileType.Directory}`, `util.txt:${FileType.RegularFile}`].sort(),
  );
  assert.equal((await sys.fstatat(proc, AT.FDCWD, "/zip/src", 0)).type, FileType.Directory);
  await assert.rejects(async () => await sys.openat(proc, AT.FDCWD, "/zip/nope", O.RDONLY), {
    code: "ENOENT",
  });
  await assert.rejects(async () => await sys.openat(proc, AT.FDCWD, "/zip/hello.txt/x", O.RDONLY), {
    code: "ENOTDIR",
  });
});

test("kernel.files reads and lists a zip archive", async () => {
  const { kernel } = await mountZip();
  assert.equal(await kernel.files.readText("/zip/docs/readme.md"), "# docs\n");
  assert.deepEqual(await kernel.files.readFile("/zip/docs/big.txt"), BIG);
  assert.deepEqual((await kernel.files.readdir("/zip/docs")).sort(), ["big.txt", "readme.md"]);
  assert.deepEqual(await kernel.files.readdir("/zip/src"), ["lib"]);
  assert.equal(await kernel.files.readText("/zip/src/lib/util.txt"), "util");
  assert.equal(await kernel.files.exists("/zip/missing"), false);
  assert.equal((await kernel.files.stat("/zip/docs")).type, FileType.Directory);
});

test("every mutation of a zip mount is EROFS", async () => {
  const { kernel } = await mountZip();
  const proc = kernel.createProcess();
  const erofs = { code: "EROFS" };
  await assert.rejects(async () => await kernel.files.writeFile("/zip/new.txt", "x"), erofs);
  await assert.rejects(async () => await kernel.files.writeFile("/zip/hello.txt", "x"), erofs);
  await assert.rejects(async () => await kernel.files.mkdir("/zip/dir"), erofs);
  await assert.rejects(async () => await kernel.files.remove("/zip/hello.txt"), erofs);
  await assert.rejects(async () => await kernel.files.symlink("hello.txt", "/zip/link"), erofs);
  await assert.rejects(
    async () => await sys.openat(proc, AT.FDCWD, "/zip/hello.txt", O.WRONLY),
    erofs,
  );
  await assert.rejects(
    async () => await sys.openat(proc, AT.FDCWD, "/zip/created", O.RDWR | O.CREAT, 0o644),
    erofs,
  );
  await assert.rejects(
    async () => await sys.renameat(proc, AT.FDCWD, "/zip/hello.txt", AT.FDCWD, "/zip/moved.txt"),
    erofs,
  );
  await assert.rejects(async () => await sys.unlinkat(proc, AT.FDCWD, "/zip/docs", AT.REMOVEDIR), erofs);
  await assert.rejects(async () => await sys.fchmodat(proc, AT.FDCWD, "/zip/hello.txt", 0o600, 0), erofs);
  assert.equal(await kernel.files.readText("/zip/hello.txt"), "hello from a zip\n", "unchanged");
});

test("a C WASI program reads a file of a zip mount", async () => {
  const { kernel } = await mountZip();
  const out = collector();
  const program = await spawn(kernel, readFileSync(await buildFixture("c", "bench_io")), {
    args: ["bench_io", "seqread", "/zip/docs/big.txt", "4096"],
    stdout: out.sink,
  });
  assert.equal(await program.exited, 0, out.text());
  assert.match(out.text(), /bytes=100000\b/);
});
