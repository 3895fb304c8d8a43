import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MetaLog, type MetaRecord } from "./_meta_log.ts";
import { createFakeOpfs, type FakeOpfs } from "./fake_opfs.ts";

async function metaDir(opfs: FakeOpfs) {
  return await opfs.getDirectoryHandle("meta", { create: true });
}

async function fileText(opfs: FakeOpfs, name: string): Promise<string> {
  const file = await (await (await metaDir(opfs)).getFileHandle(name)).getFile();
  return new TextDecoder().decode(await file.arrayBuffer());
}

async function overwrite(opfs: FakeOpfs, name: string, text: string): Promise<void> {
  const sah = await (await (await metaDir(opfs)).getFileHandle(name)).createSyncAccessHandle();
  sah.truncate(0);
  sah.write(new TextEncoder().encode(text), { at: 0 });
  sah.close();
}

describe("opfs index (MetaLog)", () => {
  test("a new index is fresh; a snapshot and appended records load back in order", async () => {
    const opfs = createFakeOpfs();
    const first = await MetaLog.open(await metaDir(opfs), "flush");
    assert.equal(first.fresh, true);
    assert.deepEqual(first.records, []);
    first.log.compact([["I", 3], ["N", 1, 0o040000, 0o755, 0, 0, "1", "2", "3", "4"]]);
    first.log.append([["E", 1, "a\nb \u00e9", 2, 1], ["R", 1, "x"]]);
    first.log.append([["F", 9]]);
    first.log.close();
    const again = await MetaLog.open(await metaDir(opfs), "flush");
    assert.equal(again.fresh, false);
    assert.deepEqual(
      again.records,
      [
        ["I", 3],
        ["N", 1, 0o040000, 0o755, 0, 0, "1", "2", "3", "4"],
        ["E", 1, "a\nb \u00e9", 2, 1],
        ["R", 1, "x"],
        ["F", 9],
      ] satisfies MetaRecord[],
    );
    again.log.close();
  });

  test("compactions alternate between the two files; the highest complete generation wins", async () => {
    const opfs = createFakeOpfs();
    const { log } = await MetaLog.open(await metaDir(opfs), "flush");
    log.compact([["I", 10]]); // generation 1 in index.1
    log.compact([["I", 20]]); // generation 2 in index.0
    log.append([["I", 21]]);
    log.close();
    assert.match(await fileText(opfs, "index.1"), /"generation":1/);
    assert.match(await fileText(opfs, "index.0"), /"generation":2/);
    let loaded = await MetaLog.open(await metaDir(opfs), "flush");
    assert.deepEqual(loaded.records, [["I", 20], ["I", 21]]);
    loaded.log.close();
    // A compaction cut short (no ["C"]) leaves the previous file in force.
    await overwrite(
      opfs,
      "index.1",
      '{"format":"vkernel-opfs-index","version":1,"generation":3}\n["I",30]\n',
    );
    loaded = await MetaLog.open(await metaDir(opfs), "flush");
    assert.deepEqual(loaded.records, [["I", 20], ["I", 21]]);
    loaded.log.close();
  });

  test("a torn last line is dropped and appends continue after the last whole line", async () => {
    const opfs = createFakeOpfs();
    const { log } = await MetaLog.open(await metaDir(opfs), "flush");
    log.compact([["I", 2]]);
    log.append([["F", 5]]);
    log.close();
    const text = await fileText(opfs, "index.1");
    await overwrite(opfs, "index.1", text + '["E",1,"tor');
    const second = await MetaLog.open(await metaDir(opfs), "flush");
    assert.deepEqual(second.records, [["I", 2], ["F", 5]]);
    second.log.append([["F", 6]]);
    second.log.close();
    assert.equal(await fileText(opfs, "index.1"), text + '["F",6]\n');
  });

  test("files that are not an index are ignored", async () => {
    const opfs = createFakeOpfs();
    await (await metaDir(opfs)).getFileHandle("index.0", { create: true });
    await overwrite(opfs, "index.0", "not json\n");
    const loaded = await MetaLog.open(await metaDir(opfs), "flush");
    assert.equal(loaded.fresh, true);
    loaded.log.close();
  });

  test("durability: flush flushes each append, write leaves it to the browser", async () => {
    for (const durability of ["flush", "write"] as const) {
      const opfs = createFakeOpfs();
      const { log } = await MetaLog.open(await metaDir(opfs), durability);
      log.compact([]);
      const before = opfs.stats.flushes;
      log.append([["F", 1]]);
      log.append([["F", 2]]);
      assert.equal(opfs.stats.flushes - before, durability === "flush" ? 2 : 0);
      log.close();
    }
  });

  test("the index is locked while open", async () => {
    const opfs = createFakeOpfs();
    const { log } = await MetaLog.open(await metaDir(opfs), "flush");
    await assert.rejects(MetaLog.open(await metaDir(opfs), "flush"), { name: "NoModificationAllowedError" });
    log.close();
    (await MetaLog.open(await metaDir(opfs), "flush")).log.close();
  });
});
