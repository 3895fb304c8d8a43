/**
 * `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown` on the stream
 * sockets an embedder preopens. Non-socket fds are ENOTSOCK, closed ones EBADF.
 *
 * @module
 */

import { then } from "../../kernel/_maybe.ts";
import type { OpenFile } from "../../kernel/open_file.ts";
import { canPeek } from "../../kernel/socket.ts";
import type { Stream } from "../../kernel/stream.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { FileType, type Maybe, O, POLL } from "../../kernel/types.ts";
import { type Arg, define, i32, iovecRanges, out, type Range, type WasiFunction } from "./_registry.ts";
import { FDFLAGS, RIFLAGS, SDFLAGS, SOCKET_RIGHTS } from "./abi.ts";
import { isListener, type WasiContext } from "./context.ts";
import { fail } from "./errno.ts";
import { willWait } from "./fd.ts";
import { gather, scatter, totalLength } from "./memory.ts";

/** The socket stream behind an fd: EBADF if closed, ENOTSOCK if not a socket. */
function socketOf(ctx: WasiContext, fd: number): OpenFile & { stream: Stream; } {
  const file = ctx.file(fd);
  if (!file.stream || file.stream.type !== FileType.Socket) fail("ENOTSOCK");
  return file as OpenFile & { stream: Stream; };
}

function sockAccept(ctx: WasiContext, fd: number, flags: number, fdPtr: number) {
  const file = socketOf(ctx, fd);
  if ((flags >>> 0) & ~FDFLAGS.NONBLOCK) fail("EINVAL", "sock_accept takes only NONBLOCK");
  const listener = file.stream;
  if (!isListener(listener)) fail("EINVAL", "not a listening socket");
  ctx.memory.check(fdPtr, 4);
  ctx.assertReady(file, POLL.IN);
  const accepted = listener.accept(file.nonblocking) as Maybe<Stream>;
  return then(accepted, (stream: Stream) => {
    // (openStream's flags parameter is typed as the literal O.RDWR by its default value.)
    const status = (O.RDWR | (flags & FDFLAGS.NONBLOCK ? O.NONBLOCK : 0)) as typeof O.RDWR;
    const newFd = sys.openStream(ctx.proc, stream, status);
    ctx.setState(ctx.proc.fds.get(newFd), Number(SOCKET_RIGHTS), 0, 0);
    ctx.memory.setU32(fdPtr, newFd);
  });
}

function sockRecv(
  ctx: WasiContext,
  fd: number,
  iovs: number,
  iovsLen: number,
  riFlags: number,
  datalenPtr: number,
  roFlagsPtr: number,
) {
  const file = socketOf(ctx, fd);
  if ((riFlags & 0xffff) & ~(RIFLAGS.RECV_PEEK | RIFLAGS.RECV_WAITALL)) fail("EINVAL", "unknown riflags");
  const mem = ctx.memory;
  const views = mem.iovecs(iovs, iovsLen);
  mem.check(datalenPtr, 4);
  mem.check(roFlagsPtr, 2);
  if (isListener(file.stream)) fail("ENOTCONN");
  ctx.assertReady(file, POLL.IN);
  // A call that will wait reads into a buffer, then into the iovecs as they are after the wait.
  const waits = willWait(ctx, file, POLL.IN);
  const direct = views.length === 1 && !waits;
  const buffer = direct ? views[0] : new Uint8Array(totalLength(views));
  const stream = file.stream;
  let received: Maybe<number>;
  if (riFlags & RIFLAGS.RECV_PEEK) {
    if (!canPeek(stream)) fail("ENOTSUP", "this socket cannot peek");
    received = stream.peek(buffer, file.nonblocking);
  } else if (riFlags & RIFLAGS.RECV_WAITALL && !file.nonblocking) {
    received = readAll(ctx, fd >>> 0, buffer, 0);
  } else {
    received = sys.read(ctx.proc, fd >>> 0, buffer);
  }
  return then(received, (n: number) => {
    if (!direct) scatter(buffer, n, waits ? mem.iovecs(iovs, iovsLen) : views);
    mem.setU32(datalenPtr, n);
    mem.setU16(roFlagsPtr, 0);
  });
}

/** MSG_WAITALL: reads until the buffer is full or the peer finished. */
function readAll(ctx: WasiContext, fd: number, buffer: Uint8Array, done: number): Maybe<number> {
  if (done >= buffer.length) return done;
  return then(sys.read(ctx.proc, fd, buffer.subarray(done)), (n: number) => {
    return n === 0 ? done : readAll(ctx, fd, buffer, done + n);
  });
}

function sockSend(
  ctx: WasiContext,
  fd: number,
  iovs: number,
  iovsLen: number,
  siFlags: number,
  lenPtr: number,
) {
  const file = socketOf(ctx, fd);
  if (siFlags & 0xffff) fail("EINVAL", "no siflags are defined");
  let data = gather(ctx.memory.iovecs(iovs, iovsLen));
  ctx.memory.check(lenPtr, 4);
  if (isListener(file.stream)) fail("ENOTCONN");
  ctx.assertReady(file, POLL.OUT);
  if (willWait(ctx, file, POLL.OUT)) data = data.slice(); // the kernel keeps a copy, not a view, across the wait
  return then(sys.write(ctx.proc, fd >>> 0, data), (n: number) => ctx.memory.setU32(lenPtr, n));
}

function sockShutdown(ctx: WasiContext, fd: number, how: number) {
  const file = socketOf(ctx, fd);
  const h = how & 0xff;
  if (h === 0 || h & ~(SDFLAGS.RD | SDFLAGS.WR)) fail("EINVAL", "how must be RD, WR or both");
  if (!file.stream.shutdown) fail("ENOTSUP", "this socket cannot shut down");
  file.stream.shutdown(h);
}

const recvWrites = (a: readonly Arg[], ctx: WasiContext): Range[] => [
  ...iovecRanges(ctx.memory, a[1], a[2]),
  out(a[4], 4),
  out(a[5], 2),
];

/** The four `sock_*` functions. */
export const SOCK_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "sock_accept",
    params: [i32("fd"), i32("flags"), i32("fd_ptr")],
    status: "full",
    note: "on preopened listening sockets; NONBLOCK flag; blocks under JSPI, EAGAIN when non-blocking",
    blocking: "stream",
    writes: (a) => [out(a[2], 4)],
    impl: sockAccept,
  }),
  define({
    name: "sock_recv",
    params: [
      i32("fd"),
      i32("ri_data"),
      i32("ri_data_len"),
      i32("ri_flags"),
      i32("ro_datalen_ptr"),
      i32(
        "ro_flags_ptr",
      ),
    ],
    status: "full",
    note: "RECV_PEEK and RECV_WAITALL; ro_flags always 0 (stream sockets never truncate)",
    blocking: "stream",
    writes: recvWrites,
    impl: sockRecv,
  }),
  define({
    name: "sock_send",
    params: [i32("fd"), i32("si_data"), i32("si_data_len"), i32("si_flags"), i32("so_datalen_ptr")],
    status: "full",
    note: "one kernel write of all iovecs; si_flags must be 0",
    blocking: "stream",
    writes: (a) => [out(a[4], 4)],
    impl: sockSend,
  }),
  define({
    name: "sock_shutdown",
    params: [i32("fd"), i32("how")],
    status: "full",
    note: "RD, WR or both (EINVAL otherwise); ENOTCONN on a listener; ENOTSOCK on other fds",
    blocking: "never",
    impl: sockShutdown,
  }),
];
