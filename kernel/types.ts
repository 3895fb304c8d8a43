/**
 * Plain data types shared by the kernel, its drivers and the syscall facades.
 *
 * Sizes and offsets are JavaScript numbers (exact up to 2^53 bytes, far past any
 * file a wasm32 guest can address); timestamps are `bigint` nanoseconds since the
 * Unix epoch, because nanoseconds since 1970 do not fit in a double.
 *
 * @module
 */

/** The type of a filesystem object, with POSIX `S_IF*` values. */
export const FileType = {
  Unknown: 0,
  Fifo: 0o010000,
  CharDevice: 0o020000,
  Directory: 0o040000,
  BlockDevice: 0o060000,
  RegularFile: 0o100000,
  Symlink: 0o120000,
  Socket: 0o140000,
} as const;
/** One of the {@link FileType} values. */
export type FileType = typeof FileType[keyof typeof FileType];

/** Mask of the type bits in a POSIX mode. */
export const S_IFMT = 0o170000;
/** Mask of the permission bits (with setuid, setgid, sticky) in a POSIX mode. */
export const PERMISSION_BITS = 0o7777;

/** Metadata of a filesystem object, as `stat(2)` reports it. */
export interface Stat {
  /** Device id: the kernel fills in the mount's id. */
  dev: number;
  /** Inode number: stable and unique within the filesystem, never 0. */
  ino: number;
  type: FileType;
  /** Permission bits only (no type bits). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  /** Size in bytes (for symlinks, the length of the target). */
  size: number;
  blksize: number;
  /** 512-byte blocks actually allocated. */
  blocks: number;
  /** Access, modification and status-change times in nanoseconds. */
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Birth time, where the filesystem knows it. */
  birthtimeNs?: bigint;
}

/** Attribute changes for {@link Stat}; absent fields are left as they are. */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atimeNs?: bigint;
  mtimeNs?: bigint;
}

/** One directory entry as drivers and the kernel return it. */
export interface DirEntry {
  name: string;
  ino: number;
  type: FileType;
  /** Cookie that resumes the listing just after this entry. */
  next: number;
}

/** Filesystem-wide figures, as `statfs(2)` reports them. */
export interface StatFs {
  blockSize: number;
  totalBlocks: number;
  freeBlocks: number;
  totalInodes: number;
  freeInodes: number;
  nameMax: number;
}

/** Open flags, with Linux values (the kernel's own encoding; facades translate). */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  SYNC: 0o4010000,
  PATH: 0o10000000,
} as const;

/** `*at` flags, with Linux values. */
export const AT = {
  /** The "current working directory" pseudo fd. */
  FDCWD: -100,
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  SYMLINK_FOLLOW: 0x400,
  EMPTY_PATH: 0x1000,
} as const;

/** `lseek` whence values. */
export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;

/**
 * Special `utimensat` values. They lie far outside any 64-bit time, so every
 * real time (1969 and earlier included, which are negative) stays usable.
 */
export const UTIME: { readonly NOW: bigint; readonly OMIT: bigint; } = {
  /** Set the field to the current time. */
  NOW: -(1n << 100n),
  /** Leave the field unchanged. */
  OMIT: -(1n << 100n) - 1n,
};

/** Limits the path walker enforces (Linux values). */
export const LIMITS = {
  NAME_MAX: 255,
  PATH_MAX: 4096,
  SYMLOOP_MAX: 40,
} as const;

/** Readiness bits for {@link poll}-style waiting. */
export const POLL = { IN: 1, OUT: 4, ERR: 8, HUP: 16 } as const;

/** A value that may or may not be ready yet. */
export type Maybe<T> = T | Promise<T>;
