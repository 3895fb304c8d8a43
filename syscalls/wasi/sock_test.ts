import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { test } from "node:test";
import { ListenerStream, SocketStream } from "../../kernel/socket.ts";
import { harness } from "./_test_support.ts";
import { ERRNO, FDFLAGS, FILETYPE, OFLAGS, RIFLAGS, RIGHTS, SDFLAGS } from "./abi.ts";
import { listenTcp } from "./tcp.ts";

const IOV = 2048;
const BUF = 4096;
const OUT = 1024;
const OUT2 = 1100;

function fakeConnection() {
  const sent: Uint8Array[] = [];
  const events: string[] = [];
  const socket = new SocketStream({
    send: (b) => void sent.push(b),
    endSend: () => void events.push("fin"),
    close: () => void events.push("close"),
  });
  return { socket, sent, events };
}

test("sock_accept / sock_recv / sock_send / sock_shutdown on a preopened listener", async () => {
  const listener = new ListenerStream(() => {});
  const h = await harness({ sockets: [listener] });
  // the listener is after the one directory preopen, and not a preopen itself
  assert.equal(h.call("fd_prestat_get", 4, OUT), ERRNO.BADF);
  assert.equal(h.call("fd_fdstat_get", 4, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.SOCKET_STREAM);
  assert.notEqual(h.u64(OUT + 8) & RIGHTS.SOCK_ACCEPT, 0n);

  assert.equal(h.call("fd_fdstat_set_flags", 4, FDFLAGS.NONBLOCK), 0);
  assert.equal(h.call("sock_accept", 4, 0, OUT), ERRNO.AGAIN);
  assert.equal(h.call("sock_accept", 4, 0x10, OUT), ERRNO.INVAL);
  const conn = fakeConnection();
  listener.enqueue(conn.socket);
  assert.equal(h.call("sock_accept", 4, FDFLAGS.NONBLOCK, OUT), 0);
  const fd = h.u32(OUT);
  assert.equal(fd, 5);
  assert.equal(h.call("fd_fdstat_get", fd, OUT), 0);
  assert.equal(h.bytes()[OUT], FILETYPE.SOCKET_STREAM);
  assert.equal(h.view().getUint16(OUT + 2, true), FDFLAGS.NONBLOCK);

  h.iovecs(IOV, [[BUF, 3], [BUF + 10, 10]]);
  assert.equal(h.call("sock_recv", fd, IOV, 2, 0, OUT, OUT2), ERRNO.AGAIN);
  conn.socket.receive(new TextEncoder().encode("hello"));
  assert.equal(h.call("sock_recv", fd, IOV, 2, RIFLAGS.RECV_PEEK, OUT, OUT2), 0);
  assert.equal(h.u32(OUT), 5);
  assert.equal(h.call("sock_recv", fd, IOV, 2, 0, OUT, OUT2), 0);
  assert.equal(h.u32(OUT), 5, "peek left the bytes");
  assert.equal(h.text(BUF, 3) + h.text(BUF + 10, 2), "hello");
  assert.equal(h.view().getUint16(OUT2, true), 0);
  assert.equal(h.call("sock_recv", fd, IOV, 2, 4, OUT, OUT2), ERRNO.INVAL);

  h.put(BUF, "reply");
  h.iovecs(IOV, [[BUF, 5]]);
  assert.equal(h.call("sock_send", fd, IOV, 1, 0, OUT), 0);
  assert.equal(h.u32(OUT), 5);
  assert.equal(h.call("sock_send", fd, IOV, 1, 1, OUT), ERRNO.INVAL);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(new TextDecoder().decode(conn.sent[0]), "reply");

  // fd_read/fd_write work on sockets too (Go uses them)
  conn.socket.receive(new TextEncoder().encode("x"));
  h.iovecs(IOV, [[BUF, 8]]);
  assert.equal(h.call("fd_read", fd, IOV, 1, OUT), 0);
  assert.equal(h.u32(OUT), 1);

  assert.equal(h.call("sock_shutdown", fd, 0), ERRNO.INVAL);
  assert.equal(h.call("sock_shutdown", fd, 4), ERRNO.INVAL);
  assert.equal(h.call("sock_shutdown", fd, SDFLAGS.WR), 0);
  assert.equal(h.call("sock_send", fd, IOV, 1, 0, OUT), ERRNO.PIPE);
  assert.equal(h.call("sock_shutdown", fd, SDFLAGS.RD), 0);
  assert.equal(h.call("sock_recv", fd, IOV, 1, 0, OUT, OUT2), 0);
  assert.equal(h.u32(OUT), 0, "reads after SHUT_RD are EOF");
  assert.equal(h.call("sock_shutdown", 4, SDFLAGS.RD), ERRNO.NOTCONN, "a listener has no connection");
  assert.equal(h.call("sock_recv", 4, IOV, 1, 0, OUT, OUT2), ERRNO.NOTCONN);
  assert.equal(h.call("sock_accept", fd, 0, OUT), ERRNO.INVAL, "accept on a connected socket");

  assert.equal(h.call("fd_close", fd), 0);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(conn.events, ["fin", "close"]);
});

test("socket calls on other fds: ENOTSOCK; on bad fds: EBADF", async () => {
  const h = await harness();
  const len = h.put(100, "tmp/f");
  assert.equal(h.call("path_open", 3, 1, 100, len, OFLAGS.CREAT, RIGHTS.FD_READ, 0n, 0, OUT), 0);
  const file = h.u32(OUT);
  h.iovecs(IOV, [[BUF, 4]]);
  for (const fd of [0, 1, 3, file]) {
    assert.equal(h.call("sock_shutdown", fd, SDFLAGS.RD), ERRNO.NOTSOCK);
    assert.equal(h.call("sock_accept", fd, 0, OUT), ERRNO.NOTSOCK);
    assert.equal(h.call("sock_recv", fd, IOV, 1, 0, OUT, OUT2), ERRNO.NOTSOCK);
    assert.equal(h.call("sock_send", fd, IOV, 1, 0, OUT), ERRNO.NOTSOCK);
  }
  for (const fd of [42, -1]) {
    assert.equal(h.call("sock_shutdown", fd, SDFLAGS.RD), ERRNO.BADF);
    assert.equal(h.call("sock_accept", fd, 0, OUT), ERRNO.BADF);
  }
});

test("a blocking accept and recv wait under JSPI for a real TCP client (listenTcp)", async () => {
  const listener = await listenTcp();
  const port = listener.address!.port;
  assert.ok(port > 0);
  const h = await harness({ sockets: [listener] }, { deterministic: false });
  const accepting = h.callAsync("sock_accept", 4, 0, OUT);
  const client = connect(port, "127.0.0.1");
  const received: Uint8Array[] = [];
  client.on("data", (d: Uint8Array) => received.push(d));
  const clientClosed = new Promise<void>((resolve) => client.on("close", () => resolve()));
  assert.equal(await accepting, 0);
  const fd = h.u32(OUT);
  h.iovecs(IOV, [[BUF, 64]]);
  const receiving = h.callAsync("sock_recv", fd, IOV, 1, RIFLAGS.RECV_WAITALL, OUT, OUT2);
  client.write("0123456789");
  await new Promise((r) => setTimeout(r, 20));
  client.end("abc"); // WAITALL returns at EOF with what came
  assert.equal(await receiving, 0);
  assert.equal(h.text(BUF, h.u32(OUT)), "0123456789abc");
  h.put(BUF, "pong");
  h.iovecs(IOV, [[BUF, 4]]);
  assert.equal(await h.callAsync("sock_send", fd, IOV, 1, 0, OUT), 0);
  assert.equal(h.call("sock_shutdown", fd, SDFLAGS.WR), 0);
  assert.equal(h.call("fd_close", fd), 0);
  await clientClosed;
  assert.equal(Buffer.concat(received).toString(), "pong");
  h.host.process.exit(0); // closes the listener
});
