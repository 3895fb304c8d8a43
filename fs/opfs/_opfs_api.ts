/**
 * The parts of the Origin Private File System API the OPFS driver uses, as
 * minimal structural types (TypeScript's DOM library lacks
 * `FileSystemSyncAccessHandle` and `FileSystemHandle.move`, and structural
 * types let the Deno and Bun tests run the driver on an in-memory imitation),
 * and the one table that turns the API's `DOMException` names into errno names.
 *
 * @module
 */

import { type ErrnoName, KernelError } from "../../kernel/errno.ts";

/** `FileSystemSyncAccessHandle`: synchronous positional I/O on one OPFS file (dedicated workers only). */
export interface OpfsSyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number; }): number;
  write(buffer: Uint8Array, options?: { at?: number; }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/** What `FileSystemFileHandle.getFile()` resolves to (a `File`). */
export interface OpfsFileSnapshot {
  readonly size: number;
  readonly lastModified: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** `FileSystemFileHandle`. `move` exists in Chromium 110+ and Firefox 111+ (files only). */
export interface OpfsFileHandle {
  readonly kind: "file";
  readonly name: string;
  getFile(): Promise<OpfsFileSnapshot>;
  createSyncAccessHandle(): Promise<OpfsSyncAccessHandle>;
  move?(nameOrParent: string | OpfsDirectoryHandle, name?: string): Promise<void>;
}

/** `FileSystemDirectoryHandle`. `move` is absent on directories in Chromium 156. */
export interface OpfsDirectoryHandle {
  readonly kind: "directory";
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean; }): Promise<OpfsDirectoryHandle>;
  getFileHandle(name: string, options?: { create?: boolean; }): Promise<OpfsFileHandle>;
  removeEntry(name: string, options?: { recursive?: boolean; }): Promise<void>;
  entries(): AsyncIterable<[string, OpfsFileHandle | OpfsDirectoryHandle]>;
  move?(nameOrParent: string | OpfsDirectoryHandle, name?: string): Promise<void>;
}

/** `navigator.storage`, the parts used. */
export interface OpfsStorageManager {
  getDirectory(): Promise<OpfsDirectoryHandle>;
  estimate?(): Promise<{ quota?: number; usage?: number; }>;
}

/** `navigator.storage` when this realm has OPFS, else null. */
export function storageManager(): OpfsStorageManager | null {
  const nav =
    (globalThis as unknown as { navigator?: { storage?: Partial<OpfsStorageManager>; }; }).navigator;
  const storage = nav?.storage;
  return storage && typeof storage.getDirectory === "function" ? storage as OpfsStorageManager : null;
}

/** DOMException names of the File System API and the errno each one means. */
const ERRNO_OF: Readonly<Record<string, ErrnoName>> = {
  NotFoundError: "ENOENT",
  TypeMismatchError: "ENOTDIR",
  InvalidModificationError: "ENOTEMPTY",
  NoModificationAllowedError: "EBUSY",
  QuotaExceededError: "ENOSPC",
  NotAllowedError: "EACCES",
  SecurityError: "EACCES",
  InvalidStateError: "EIO",
  AbortError: "EINTR",
  TypeError: "EINVAL",
};

/**
 * Converts what the OPFS API threw into a {@link KernelError}; a KernelError
 * passes through unchanged. `TypeError` (an invalid name) becomes EINVAL.
 *
 * @example
 * ```ts
 * import { toKernelError } from "./_opfs_api.ts";
 * const error = toKernelError(new DOMException("gone", "NotFoundError"), "open");
 * console.assert(error.code === "ENOENT");
 * ```
 */
export function toKernelError(error: unknown, what: string): KernelError {
  if (error instanceof KernelError) return error;
  const name = (error as { name?: unknown; } | null)?.name;
  const code = typeof name === "string" ? ERRNO_OF[name] : undefined;
  const message = (error as { message?: unknown; } | null)?.message;
  return new KernelError(
    code ?? "EIO",
    `opfs ${what}: ${typeof message === "string" ? message : String(error)}`,
  );
}

/** Whether `error` is the API's "no such entry" (a NotFoundError). */
export function isNotFound(error: unknown): boolean {
  return (error as { name?: unknown; } | null)?.name === "NotFoundError";
}
