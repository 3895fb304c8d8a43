/**
 * The OPFS driver's sidecar index: everything OPFS cannot hold (inode numbers,
 * modes, owners, nanosecond times, symbolic links, hard links), kept durably
 * in two files of the hidden directory `.vkernel-meta` at the mount root.
 *
 * ## Format
 *
 * Each file (`index.0`, `index.1`) is UTF-8 JSON lines:
 *
 * ```text
 * {"format":"vkernel-opfs-index","version":1,"generation":7}   header
 * ["I",42]                                                        snapshot: next inode number,
 * ["N",1,16384,493,0,0,"1700000000000000000",...]                 every node,
 * ["E",1,"notes.txt",5,1]                                         every directory entry,
 * ["C"]                                                           snapshot complete
 * ["E",1,"b",6,1]                                                 then the log, appended by
 * ["R",1,"a"]                                                     every operation
 * ```
 *
 * Records ({@link MetaRecord}) are state assignments, so replaying them in
 * order rebuilds the index:
 *
 * - `["N", ino, type, mode, uid, gid, atime, mtime, ctime, birthtime, target?]`
 *   sets a node (times are decimal nanosecond strings; `target` only for
 *   symbolic links);
 * - `["E", dirIno, name, ino, home]` sets a directory entry; `home` is 1 when
 *   this name holds the OPFS object (a directory, or the one name of a regular
 *   file whose OPFS file holds its data), 0 for a name kept only in the index
 *   (a symbolic link, or a further hard link);
 * - `["R", dirIno, name]` removes an entry; `["F", ino]` frees a node;
 *   `["I", next]` sets the next inode number; `["C"]` ends the snapshot.
 *
 * ## Durability
 *
 * An operation appends its records in one write through a sync access handle
 * before it returns, and flushes them (`durability: "flush"`, the default) or
 * leaves the flush to the browser (`"write"`: the bytes are in the file, which
 * survives a reload, a crashed tab or a closed browser, but not necessarily a
 * power loss). A torn last line (a write cut short) is ignored when loading.
 *
 * Compaction writes a fresh snapshot with the next generation number into the
 * other file and switches to it; loading takes the complete file (header and
 * `["C"]`) with the highest generation, so a compaction cut short leaves the
 * previous file in force.
 *
 * @module
 */

import type { OpfsDirectoryHandle, OpfsSyncAccessHandle } from "./_opfs_api.ts";

/** Sets a node: ino, type (S_IF*), mode, uid, gid, atime, mtime, ctime, birthtime (ns strings), symlink target. */
export type NodeRecord = [
  "N",
  number,
  number,
  number,
  number,
  number,
  string,
  string,
  string,
  string,
  string?,
];
/** Sets an entry: directory ino, name, ino, 1 if the name holds the OPFS object. */
export type EntryRecord = ["E", number, string, number, 0 | 1];
/** Removes an entry: directory ino, name. */
export type RemoveRecord = ["R", number, string];
/** Frees a node. */
export type FreeRecord = ["F", number];
/** Sets the next inode number. */
export type NextInoRecord = ["I", number];
/** One record of the index; see the module documentation. */
export type MetaRecord = NodeRecord | EntryRecord | RemoveRecord | FreeRecord | NextInoRecord;

/** When metadata reaches storage: flushed before each operation returns, or just written. */
export type Durability = "flush" | "write";

const FORMAT = "vkernel-opfs-index";
const VERSION = 1;
const FILE_NAMES = ["index.0", "index.1"] as const;
const COMMIT = '["C"]';
const NEWLINE = 0x0a;
/** The log is compacted once it is this many bytes past the snapshot, and longer than the snapshot twice. */
const MIN_LOG_BYTES_TO_COMPACT = 1 << 20;

/** What {@link MetaLog.open} found. */
export interface LoadedIndex {
  log: MetaLog;
  /** The records of the file in force, snapshot then log (empty for a new index). */
  records: MetaRecord[];
  /** Whether no index existed (the caller then writes a first snapshot). */
  fresh: boolean;
}

/** The result of parsing one index file. */
interface ParsedFile {
  generation: number;
  records: MetaRecord[];
  /** Byte length of the valid prefix (header, snapshot, whole log lines). */
  validBytes: number;
  snapshotBytes: number;
}

/**
 * The index files of one mount: appends records, compacts, and loads.
 *
 * @example
 * ```ts
 * import { MetaLog } from "./_meta_log.ts";
 * import { createFakeOpfs } from "./fake_opfs.ts";
 * const dir = await createFakeOpfs().getDirectoryHandle("meta", { create: true });
 * const first = await MetaLog.open(dir, "flush");
 * first.log.compact([["I", 2]]);
 * first.log.append([["E", 1, "a", 2, 1]]);
 * first.log.close();
 * const again = await MetaLog.open(dir, "flush");
 * console.assert(again.records.length === 2 && again.records[1][0] === "E");
 * again.log.close();
 * ```
 */
export class MetaLog {
  /** Bytes appended since the snapshot; readable for tests. */
  logBytes = 0;
  private closed = false;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly handles: [OpfsSyncAccessHandle, OpfsSyncAccessHandle],
    private current: 0 | 1,
    private generation: number,
    private end: number,
    private snapshotBytes: number,
    private readonly durability: Durability,
  ) {}

  /**
   * Opens (creating if needed) the two index files in `dir` and reads the one
   * in force. Both stay open through sync access handles until {@link close}.
   * Rejects with the API's NoModificationAllowedError when another worker or
   * tab has the index open.
   */
  static async open(dir: OpfsDirectoryHandle, durability: Durability): Promise<LoadedIndex> {
    const handles: OpfsSyncAccessHandle[] = [];
    try {
      for (const name of FILE_NAMES) {
        const file = await dir.getFileHandle(name, { create: true });
        handles.push(await file.createSyncAccessHandle());
      }
    } catch (error) {
      for (const handle of handles) handle.close();
      throw error;
    }
    const parsed = handles.map((handle) => parse(readAll(handle)));
    let best: 0 | 1 | -1 = -1;
    for (const i of [0, 1] as const) {
      const p = parsed[i];
      if (p !== null && (best === -1 || p.generation > parsed[best]!.generation)) best = i;
    }
    const pair = handles as [OpfsSyncAccessHandle, OpfsSyncAccessHandle];
    if (best === -1) {
      return { log: new MetaLog(pair, 0, 0, 0, 0, durability), records: [], fresh: true };
    }
    const p = parsed[best]!;
    // Drop a torn tail so that appends continue right after the last whole line.
    if (pair[best].getSize() > p.validBytes) pair[best].truncate(p.validBytes);
    const log = new MetaLog(pair, best, p.generation, p.validBytes, p.snapshotBytes, durability);
    log.logBytes = p.validBytes - p.snapshotBytes;
    return { log, records: p.records, fresh: false };
  }

  /** Whether the log has grown enough past the snapshot that {@link compact} would pay off. */
  get wantsCompaction(): boolean {
    return this.logBytes > MIN_LOG_BYTES_TO_COMPACT && this.logBytes > 2 * this.snapshotBytes;
  }

  /** Appends `records` in one write (and flushes them, with `durability: "flush"`). */
  append(records: readonly MetaRecord[]): void {
    if (records.length === 0) return;
    this.checkOpen();
    let text = "";
    for (const record of records) text += JSON.stringify(record) + "\n";
    const bytes = this.encoder.encode(text);
    const handle = this.handles[this.current];
    writeFully(handle, bytes, this.end);
    if (this.durability === "flush") handle.flush();
    this.end += bytes.length;
    this.logBytes += bytes.length;
  }

  /**
   * Writes `snapshot` (the whole index) into the other file with the next
   * generation, flushes it, and makes it the file in force; the log starts
   * empty after it.
   */
  compact(snapshot: readonly MetaRecord[]): void {
    this.checkOpen();
    const next = (1 - this.current) as 0 | 1;
    const handle = this.handles[next];
    const generation = this.generation + 1;
    let text = JSON.stringify({ format: FORMAT, version: VERSION, generation }) + "\n";
    for (const record of snapshot) text += JSON.stringify(record) + "\n";
    text += COMMIT + "\n";
    const bytes = this.encoder.encode(text);
    handle.truncate(0);
    writeFully(handle, bytes, 0);
    handle.flush();
    this.current = next;
    this.generation = generation;
    this.end = bytes.length;
    this.snapshotBytes = bytes.length;
    this.logBytes = 0;
  }

  /** Flushes the file in force (a no-op cost when nothing is pending). */
  flush(): void {
    this.checkOpen();
    this.handles[this.current].flush();
  }

  /** Closes both files; further appends throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handle of this.handles) handle.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error("opfs index is closed");
  }
}

function writeFully(handle: OpfsSyncAccessHandle, bytes: Uint8Array, at: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = handle.write(done === 0 ? bytes : bytes.subarray(done), { at: at + done });
    if (!(n > 0)) throw new DOMException("short write to the index", "QuotaExceededError");
    done += n;
  }
}

function readAll(handle: OpfsSyncAccessHandle): Uint8Array {
  const size = handle.getSize();
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = handle.read(bytes.subarray(done), { at: done });
    if (n <= 0) break;
    done += n;
  }
  return done === size ? bytes : bytes.subarray(0, done);
}

/** Parses one index file; null when it has no valid header or no complete snapshot. */
function parse(bytes: Uint8Array): ParsedFile | null {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let start = 0;
  let lineNumber = 0;
  let generation = -1;
  let snapshotBytes = -1;
  const records: MetaRecord[] = [];
  while (start < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, start);
    if (newline < 0) break; // a torn last line
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes.subarray(start, newline)));
    } catch {
      break;
    }
    if (lineNumber === 0) {
      const header = value as { format?: unknown; version?: unknown; generation?: unknown; } | null;
      if (header?.format !== FORMAT || header.version !== VERSION || typeof header.generation !== "number") {
        return null;
      }
      generation = header.generation;
    } else if (!Array.isArray(value) || !isRecord(value)) {
      break;
    } else if (value[0] === "C") {
      if (snapshotBytes >= 0) break;
      snapshotBytes = newline + 1;
    } else {
      records.push(value as MetaRecord);
    }
    lineNumber++;
    start = newline + 1;
  }
  if (generation < 0 || snapshotBytes < 0) return null;
  return { generation, records, validBytes: start, snapshotBytes };
}

function isRecord(value: unknown[]): boolean {
  switch (value[0]) {
    case "N":
      return value.length >= 10 && typeof value[1] === "number";
    case "E":
      return value.length === 5 && typeof value[2] === "string";
    case "R":
      return value.length === 3 && typeof value[2] === "string";
    case "F":
    case "I":
      return value.length === 2 && typeof value[1] === "number";
    case "C":
      return value.length === 1;
    default:
      return false;
  }
}
