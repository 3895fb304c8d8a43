/**
 * Constants and struct layouts of `wasi_snapshot_preview1`, taken from the
 * preview1 witx definitions. Little-endian, wasm32 (pointers and sizes are u32).
 *
 * @module
 */

/** The import module name. */
export const MODULE = "wasi_snapshot_preview1";

/** WASI errno values (`$errno`, u16). */
export const ERRNO = {
  SUCCESS: 0,
  "2BIG": 1,
  ACCES: 2,
  ADDRINUSE: 3,
  ADDRNOTAVAIL: 4,
  AFNOSUPPORT: 5,
  AGAIN: 6,
  ALREADY: 7,
  BADF: 8,
  BADMSG: 9,
  BUSY: 10,
  CANCELED: 11,
  CHILD: 12,
  CONNABORTED: 13,
  CONNREFUSED: 14,
  CONNRESET: 15,
  DEADLK: 16,
  DESTADDRREQ: 17,
  DOM: 18,
  DQUOT: 19,
  EXIST: 20,
  FAULT: 21,
  FBIG: 22,
  HOSTUNREACH: 23,
  IDRM: 24,
  ILSEQ: 25,
  INPROGRESS: 26,
  INTR: 27,
  INVAL: 28,
  IO: 29,
  ISCONN: 30,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  MLINK: 34,
  MSGSIZE: 35,
  MULTIHOP: 36,
  NAMETOOLONG: 37,
  NETDOWN: 38,
  NETRESET: 39,
  NETUNREACH: 40,
  NFILE: 41,
  NOBUFS: 42,
  NODEV: 43,
  NOENT: 44,
  NOEXEC: 45,
  NOLCK: 46,
  NOLINK: 47,
  NOMEM: 48,
  NOMSG: 49,
  NOPROTOOPT: 50,
  NOSPC: 51,
  NOSYS: 52,
  NOTCONN: 53,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTRECOVERABLE: 56,
  NOTSOCK: 57,
  NOTSUP: 58,
  NOTTY: 59,
  NXIO: 60,
  OVERFLOW: 61,
  OWNERDEAD: 62,
  PERM: 63,
  PIPE: 64,
  PROTO: 65,
  PROTONOSUPPORT: 66,
  PROTOTYPE: 67,
  RANGE: 68,
  ROFS: 69,
  SPIPE: 70,
  SRCH: 71,
  STALE: 72,
  TIMEDOUT: 73,
  TXTBSY: 74,
  XDEV: 75,
  NOTCAPABLE: 76,
} as const;

/** Largest errno value. */
export const ERRNO_MAX = 76;

/** Name of each errno number, for traces. */
export const ERRNO_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, value] of Object.entries(ERRNO)) names[value] = name;
  return names;
})();

/** `$rights` bits (u64; all defined bits fit in the low 32). */
export const RIGHTS = {
  FD_DATASYNC: 1n << 0n,
  FD_READ: 1n << 1n,
  FD_SEEK: 1n << 2n,
  FD_FDSTAT_SET_FLAGS: 1n << 3n,
  FD_SYNC: 1n << 4n,
  FD_TELL: 1n << 5n,
  FD_WRITE: 1n << 6n,
  FD_ADVISE: 1n << 7n,
  FD_ALLOCATE: 1n << 8n,
  PATH_CREATE_DIRECTORY: 1n << 9n,
  PATH_CREATE_FILE: 1n << 10n,
  PATH_LINK_SOURCE: 1n << 11n,
  PATH_LINK_TARGET: 1n << 12n,
  PATH_OPEN: 1n << 13n,
  FD_READDIR: 1n << 14n,
  PATH_READLINK: 1n << 15n,
  PATH_RENAME_SOURCE: 1n << 16n,
  PATH_RENAME_TARGET: 1n << 17n,
  PATH_FILESTAT_GET: 1n << 18n,
  PATH_FILESTAT_SET_SIZE: 1n << 19n,
  PATH_FILESTAT_SET_TIMES: 1n << 20n,
  FD_FILESTAT_GET: 1n << 21n,
  FD_FILESTAT_SET_SIZE: 1n << 22n,
  FD_FILESTAT_SET_TIMES: 1n << 23n,
  PATH_SYMLINK: 1n << 24n,
  PATH_REMOVE_DIRECTORY: 1n << 25n,
  PATH_UNLINK_FILE: 1n << 26n,
  POLL_FD_READWRITE: 1n << 27n,
  SOCK_SHUTDOWN: 1n << 28n,
  SOCK_ACCEPT: 1n << 29n,
} as const;

/** {@link RIGHTS} as numbers (every defined right fits in 30 bits), for the checks made on every call. */
export const RIGHT_BITS: { readonly [K in keyof typeof RIGHTS]: number; } = Object.fromEntries(
  Object.entries(RIGHTS).map(([name, bit]) => [name, Number(bit)]),
) as { readonly [K in keyof typeof RIGHTS]: number; };

const R = RIGHTS;

/** Rights that make an opened file readable. */
export const READ_RIGHTS: bigint = R.FD_READ | R.FD_READDIR;
/** Rights that need a writable file: a read-only file never reports them. */
export const WRITE_RIGHTS: bigint = R.FD_WRITE | R.FD_ALLOCATE | R.FD_FILESTAT_SET_SIZE;

/** The most a regular file (or a device opened by path) can have. No `path_*` rights. */
export const FILE_RIGHTS: bigint = R.FD_DATASYNC | R.FD_READ | R.FD_SEEK | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC
  | R.FD_TELL | R.FD_WRITE | R.FD_ADVISE | R.FD_ALLOCATE | R.FD_FILESTAT_GET | R.FD_FILESTAT_SET_SIZE
  | R.FD_FILESTAT_SET_TIMES | R.POLL_FD_READWRITE;

/**
 * The most a directory can have. No FD_SEEK/FD_TELL (seeking a directory is
 * EBADF), no FD_READ/FD_WRITE, no size rights (there is no
 * `path_filestat_set_size` function in preview1).
 */
export const DIRECTORY_RIGHTS: bigint = R.FD_DATASYNC | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC
  | R.PATH_CREATE_DIRECTORY | R.PATH_CREATE_FILE | R.PATH_LINK_SOURCE | R.PATH_LINK_TARGET | R.PATH_OPEN
  | R.FD_READDIR | R.PATH_READLINK | R.PATH_RENAME_SOURCE | R.PATH_RENAME_TARGET | R.PATH_FILESTAT_GET
  | R.PATH_FILESTAT_SET_TIMES | R.FD_FILESTAT_GET | R.FD_FILESTAT_SET_TIMES | R.PATH_SYMLINK
  | R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE | R.POLL_FD_READWRITE;

/** What a directory hands down to what is opened beneath it. */
export const DIRECTORY_INHERITING: bigint = DIRECTORY_RIGHTS | FILE_RIGHTS;

/** The most a stream (stdio, pipe, terminal) can have: no seek or tell, so `isatty` can tell. */
export const STREAM_RIGHTS: bigint = R.FD_READ | R.FD_WRITE | R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET
  | R.POLL_FD_READWRITE;

/** The most a connected socket can have. */
export const SOCKET_RIGHTS: bigint = STREAM_RIGHTS | R.SOCK_SHUTDOWN;

/** The most a listening socket can have. */
export const LISTENER_RIGHTS: bigint = R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE
  | R.SOCK_ACCEPT | R.SOCK_SHUTDOWN;

/** Every defined right. */
export const ALL_RIGHTS: bigint = (1n << 30n) - 1n;

/** `$filetype` (u8). */
export const FILETYPE = {
  UNKNOWN: 0,
  BLOCK_DEVICE: 1,
  CHARACTER_DEVICE: 2,
  DIRECTORY: 3,
  REGULAR_FILE: 4,
  SOCKET_DGRAM: 5,
  SOCKET_STREAM: 6,
  SYMBOLIC_LINK: 7,
} as const;

/** `$fdflags` (u16). */
export const FDFLAGS = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;
/** Every defined fdflag. */
export const FDFLAGS_ALL = 0x1f;

/** `$oflags` (u16). */
export const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
/** Every defined oflag. */
export const OFLAGS_ALL = 0xf;

/** `$lookupflags` (u32). */
export const LOOKUPFLAGS = { SYMLINK_FOLLOW: 1 } as const;

/** `$fstflags` (u16). */
export const FSTFLAGS = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;
/** Every defined fstflag. */
export const FSTFLAGS_ALL = 0xf;

/** `$whence` (u8). */
export const WHENCE = { SET: 0, CUR: 1, END: 2 } as const;

/** `$advice` (u8): NORMAL .. NOREUSE. */
export const ADVICE_MAX = 5;

/** `$clockid` (u32). */
export const CLOCKID = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3 } as const;

/** `$eventtype` (u8). */
export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;

/** `$eventrwflags` (u16). */
export const EVENTRWFLAGS = { FD_READWRITE_HANGUP: 1 } as const;

/** `$subclockflags` (u16). */
export const SUBCLOCKFLAGS = { SUBSCRIPTION_CLOCK_ABSTIME: 1 } as const;

/** `$riflags` (u16). */
export const RIFLAGS = { RECV_PEEK: 1, RECV_WAITALL: 2 } as const;

/** `$roflags` (u16). */
export const ROFLAGS = { RECV_DATA_TRUNCATED: 1 } as const;

/** `$sdflags` (u8). */
export const SDFLAGS = { RD: 1, WR: 2 } as const;

/** `$preopentype` (u8). */
export const PREOPENTYPE = { DIR: 0 } as const;

/** Struct sizes and field offsets. */
export const LAYOUT = {
  /** `$iovec` / `$ciovec`: buf u32 @0, buf_len u32 @4. */
  IOVEC_SIZE: 8,
  /** `$fdstat`: fs_filetype u8 @0, fs_flags u16 @2, fs_rights_base u64 @8, fs_rights_inheriting u64 @16. */
  FDSTAT_SIZE: 24,
  /** `$filestat`: dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56. */
  FILESTAT_SIZE: 64,
  /** `$dirent`: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20; the name follows. */
  DIRENT_SIZE: 24,
  /** `$prestat`: tag u8 @0, pr_name_len u32 @4. */
  PRESTAT_SIZE: 8,
  /**
   * `$subscription`: userdata u64 @0, tag u8 @8, then the union at @16:
   * clock { id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40 },
   * fd_read/fd_write { fd u32 @16 }.
   */
  SUBSCRIPTION_SIZE: 48,
  /** `$event`: userdata u64 @0, error u16 @8, type u8 @10, fd_readwrite { nbytes u64 @16, flags u16 @24 }. */
  EVENT_SIZE: 32,
} as const;
