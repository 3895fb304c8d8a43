/**
 * Host TCP listeners as kernel listener streams, for sockets an embedder
 * preopens (`runWasi(..., { sockets: [...] })`): a `Deno.Listener`, a
 * `node:net` `Server` (Node, Bun, Deno), or a ready kernel `Stream`.
 * {@link listenTcp} opens one on the loopback with whatever the runtime offers.
 *
 * (Host glue; it would sit in `drivers/` once a second facade needs sockets.)
 *
 * @module
 */

import { ListenerStream, SocketStream } from "../../kernel/socket.ts";
import type { Stream } from "../../kernel/stream.ts";

/** The parts of `Deno.Conn` used here. */
interface DenoConnLike {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

/** The parts of `Deno.Listener` used here. */
export interface DenoListenerLike {
  accept(): Promise<DenoConnLike>;
  close(): void;
  readonly addr: { hostname?: string; port?: number; };
}

/** The parts of a `node:net` Socket used here. */
interface NodeSocketLike {
  write(data: Uint8Array, callback: (error?: Error | null) => void): boolean;
  end(): void;
  destroySoon?(): void;
  pause(): void;
  resume(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** The parts of a `node:net` Server used here. */
export interface NodeServerLike {
  on(event: "connection", listener: (socket: never) => void): unknown;
  close(): void;
  address(): unknown;
}

/** Anything `sockets` accepts. */
export type SocketSource = Stream | DenoListenerLike | NodeServerLike;

function isStream(value: unknown): value is Stream {
  const s = value as Partial<Stream>;
  return typeof s?.poll === "function" && typeof s.changed === "function" && typeof s.read === "function";
}

function isDenoListener(value: unknown): value is DenoListenerLike {
  const l = value as Partial<DenoListenerLike>;
  return typeof l?.accept === "function" && typeof l.close === "function" && typeof l.addr === "object";
}

function isNodeServer(value: unknown): value is NodeServerLike {
  const s = value as Partial<NodeServerLike>;
  return typeof s?.on === "function" && typeof s.address === "function" && typeof s.close === "function";
}

function fromDenoConn(conn: DenoConnLike): SocketStream {
  let flowing = true;
  let resume: (() => void) | null = null;
  const stream = new SocketStream({
    async send(bytes) {
      for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    },
    endSend: () => conn.closeWrite().catch(() => {}),
    close() {
      try {
        conn.close();
      } catch { /* already closed */ }
    },
    setFlowing(on) {
      flowing = on;
      if (on && resume) {
        resume();
        resume = null;
      }
    },
  });
  (async () => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        if (!flowing) await new Promise<void>((r) => (resume = r));
        const n = await conn.read(buffer);
        if (n === null) return stream.receiveEnd();
        stream.receive(buffer.slice(0, n));
      }
    } catch {
      stream.fail("ECONNRESET");
    }
  })();
  return stream;
}

function fromDenoListener(listener: DenoListenerLike): ListenerStream {
  const address = { hostname: listener.addr.hostname ?? "", port: listener.addr.port ?? 0 };
  const stream = new ListenerStream(() => {
    try {
      listener.close();
    } catch { /* already closed */ }
  }, address);
  (async () => {
    try {
      for (;;) stream.enqueue(fromDenoConn(await listener.accept()));
    } catch {
      stream.end();
    }
  })();
  return stream;
}

function fromNodeSocket(socket: NodeSocketLike): SocketStream {
  const stream = new SocketStream({
    send: (bytes) =>
      new Promise<void>((resolve, reject) => socket.write(bytes, (e) => e ? reject(e) : resolve())),
    endSend: () => socket.end(),
    close: () => (socket.destroySoon ? socket.destroySoon() : socket.end()),
    setFlowing: (on) => on ? socket.resume() : socket.pause(),
  });
  socket.on("data", (chunk: Uint8Array) => stream.receive(new Uint8Array(chunk)));
  socket.on("end", () => stream.receiveEnd());
  socket.on("error", () => stream.fail("ECONNRESET"));
  return stream;
}

function fromNodeServer(server: NodeServerLike): ListenerStream {
  const addr = server.address() as { address?: string; port?: number; } | null;
  const stream = new ListenerStream(() => server.close(), {
    hostname: addr?.address ?? "",
    port: addr?.port ?? 0,
  });
  server.on("connection", (socket: never) => stream.enqueue(fromNodeSocket(socket as NodeSocketLike)));
  return stream;
}

/**
 * The kernel stream for a socket source: a Stream as it is, a Deno listener
 * or a node:net server wrapped. TypeError for anything else.
 */
export function toSocketStream(source: SocketSource): Stream {
  if (isStream(source)) return source;
  if (isDenoListener(source)) return fromDenoListener(source);
  if (isNodeServer(source)) return fromNodeServer(source);
  throw new TypeError("a socket must be a kernel Stream, a Deno.Listener or a node:net Server");
}

/**
 * Listens on TCP (default 127.0.0.1, a free port) and returns the kernel
 * listener; `address.port` says where. Uses `Deno.listen` under Deno, else
 * `node:net` (Bun, Node).
 *
 * @example
 * ```ts
 * import { listenTcp } from "./tcp.ts";
 * const listener = await listenTcp();
 * console.assert(listener.address!.port > 0);
 * listener.close();
 * ```
 */
export async function listenTcp(
  options: { hostname?: string; port?: number; } = {},
): Promise<ListenerStream> {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 0;
  const deno =
    (globalThis as { Deno?: { listen(o: { hostname: string; port: number; }): DenoListenerLike; }; }).Deno;
  if (deno?.listen) return fromDenoListener(deno.listen({ hostname, port }));
  const net = await import("node:net");
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  return fromNodeServer(server as unknown as NodeServerLike);
}
