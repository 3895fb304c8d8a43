/**
 * `poll_oneoff`: any number of clock (relative or absolute, on any kernel
 * clock) and fd_read/fd_write subscriptions. It reports every subscription
 * that is ready, in subscription order; when none is, it waits for real:
 *
 * - under JSPI it returns a Promise that settles when a stream may have
 *   changed or the earliest clock deadline passes (then it checks again);
 * - without JSPI it can only sleep (`clock.sleepSync`, Atomics.wait) until the
 *   earliest deadline; waiting on fds alone is NOTSUP there.
 *
 * Regular files and directories are always ready; streams (stdin, pipes,
 * sockets) only when the kernel says so.
 *
 * @module
 */

import { isClockId } from "../../kernel/clock.ts";
import type { OpenFile } from "../../kernel/open_file.ts";
import type { Stream } from "../../kernel/stream.ts";
import * as sys from "../../kernel/syscalls/mod.ts";
import { POLL, type Stat } from "../../kernel/types.ts";
import { define, i32, out, type WasiFunction } from "./_registry.ts";
import { ERRNO, EVENTRWFLAGS, EVENTTYPE, LAYOUT, SUBCLOCKFLAGS } from "./abi.ts";
import type { WasiContext } from "./context.ts";
import { fail, WasiError } from "./errno.ts";

interface Subscription {
  userdata: bigint;
  type: number;
  /** Clock subscriptions: which clock, and when (in that clock's ns). */
  clockId: 0 | 1 | 2 | 3;
  deadline: bigint;
  /** fd subscriptions. */
  fd: number;
  /** Set when the subscription is invalid: reported at once with this errno. */
  error: number;
}

interface Event {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
  flags: number;
}

function decode(ctx: WasiContext, base: number, count: number): Subscription[] {
  const mem = ctx.memory;
  const clock = ctx.kernel.clock;
  const subs: Subscription[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + i * LAYOUT.SUBSCRIPTION_SIZE;
    const sub: Subscription = {
      userdata: mem.getU64(at),
      type: mem.getU8(at + 8),
      clockId: 0,
      deadline: 0n,
      fd: 0,
      error: 0,
    };
    if (sub.type === EVENTTYPE.CLOCK) {
      const id = mem.getU32(at + 16);
      const timeout = mem.getU64(at + 24);
      const flags = mem.getU16(at + 40);
      if (!isClockId(id)) {
        sub.error = ERRNO.INVAL;
      } else {
        sub.clockId = id;
        sub.deadline = flags & SUBCLOCKFLAGS.SUBSCRIPTION_CLOCK_ABSTIME ? timeout : clock.now(id) + timeout;
      }
    } else if (sub.type === EVENTTYPE.FD_READ || sub.type === EVENTTYPE.FD_WRITE) {
      sub.fd = mem.getU32(at + 16);
    } else {
      fail("EINVAL", `unknown subscription tag ${sub.type}`);
    }
    subs.push(sub);
  }
  return subs;
}

/** Bytes left to read in a regular file, when the driver can say so at once. */
function bytesLeft(ctx: WasiContext, fd: number, file: OpenFile): bigint {
  try {
    const st = sys.fstat(ctx.proc, fd) as Stat | Promise<Stat>;
    if (st instanceof Promise) {
      st.catch(() => {});
      return 0n;
    }
    return BigInt(Math.max(0, st.size - file.offset));
  } catch {
    return 0n;
  }
}

function fdEvent(ctx: WasiContext, sub: Subscription): Event | null {
  const event: Event = { userdata: sub.userdata, error: 0, type: sub.type, nbytes: 0n, flags: 0 };
  const file = ctx.proc.fds.peek(sub.fd);
  const reading = sub.type === EVENTTYPE.FD_READ;
  if (!file || (reading ? !file.readable : !file.writable)) {
    event.error = ERRNO.BADF;
    return event;
  }
  const stream = file.stream;
  if (!stream) {
    if (reading && file.location && file.handle) event.nbytes = bytesLeft(ctx, sub.fd, file);
    return event;
  }
  const bits = stream.poll();
  const wanted = reading ? POLL.IN : POLL.OUT;
  if (!(bits & (wanted | POLL.HUP | POLL.ERR))) return null;
  if (bits & (POLL.HUP | POLL.ERR)) event.flags = EVENTRWFLAGS.FD_READWRITE_HANGUP;
  return event;
}

function readyEvents(ctx: WasiContext, subs: readonly Subscription[]): Event[] {
  const clock = ctx.kernel.clock;
  const events: Event[] = [];
  for (const sub of subs) {
    if (sub.error) {
      events.push({ userdata: sub.userdata, error: sub.error, type: sub.type, nbytes: 0n, flags: 0 });
    } else if (sub.type === EVENTTYPE.CLOCK) {
      if (clock.now(sub.clockId) >= sub.deadline) {
        events.push({ userdata: sub.userdata, error: 0, type: sub.type, nbytes: 0n, flags: 0 });
      }
    } else {
      const event = fdEvent(ctx, sub);
      if (event) events.push(event);
    }
  }
  return events;
}

/** Nanoseconds until the earliest clock deadline (null: no clock subscription). */
function untilDeadline(ctx: WasiContext, subs: readonly Subscription[]): bigint | null {
  let best: bigint | null = null;
  for (const sub of subs) {
    if (sub.type !== EVENTTYPE.CLOCK || sub.error) continue;
    const left = sub.deadline - ctx.kernel.clock.now(sub.clockId);
    if (best === null || left < best) best = left;
  }
  return best === null ? null : best < 0n ? 0n : best;
}

// One outstanding `changed()` per stream, however often the guest polls it:
// a stream that never changes must not collect a waiter per poll.
const pendingChanges = new WeakMap<Stream, Promise<void>>();
function changedOnce(stream: Stream): Promise<void> {
  let pending = pendingChanges.get(stream);
  if (!pending) {
    pending = stream.changed().then(
      () => void pendingChanges.delete(stream),
      () => void pendingChanges.delete(stream),
    );
    pendingChanges.set(stream, pending);
  }
  return pending;
}

/**
 * Resolves when a stream may have changed or `timeoutNs` passed. On a real
 * clock the timer is cancelled as soon as a stream wins, so a long poll
 * timeout never keeps the host's event loop alive after the guest moved on.
 */
function waitForAny(ctx: WasiContext, streams: readonly Stream[], timeoutNs: bigint | null): Promise<void> {
  const clock = ctx.kernel.clock;
  const waits = streams.map(changedOnce);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutNs !== null) {
    if (clock.deterministic) {
      waits.push(clock.sleep(timeoutNs));
    } else {
      const ms = Math.min(2 ** 31 - 1, Math.ceil(Number(timeoutNs) / 1e6));
      waits.push(new Promise((resolve) => (timer = setTimeout(resolve, ms))));
    }
  }
  if (waits.length === 0) return new Promise(() => {});
  return Promise.race(waits).finally(() => clearTimeout(timer));
}

function writeEvents(ctx: WasiContext, base: number, neventsPtr: number, events: readonly Event[]): void {
  const mem = ctx.memory;
  events.forEach((e, i) => {
    const at = base + i * LAYOUT.EVENT_SIZE;
    mem.fill(at, LAYOUT.EVENT_SIZE, 0);
    mem.setU64(at, e.userdata);
    mem.setU16(at + 8, e.error);
    mem.setU8(at + 10, e.type);
    mem.setU64(at + 16, e.nbytes);
    mem.setU16(at + 24, e.flags);
  });
  mem.setU32(neventsPtr, events.length);
}

function pollOneoff(
  ctx: WasiContext,
  inPtr: number,
  outPtr: number,
  nsubscriptions: number,
  neventsPtr: number,
) {
  const mem = ctx.memory;
  const count = nsubscriptions >>> 0;
  mem.check(neventsPtr, 4);
  mem.setU32(neventsPtr, 0);
  if (count === 0) fail("EINVAL", "no subscriptions");
  const inBase = mem.checkArray(inPtr, count, LAYOUT.SUBSCRIPTION_SIZE);
  const outBase = mem.checkArray(outPtr, count, LAYOUT.EVENT_SIZE);
  const subs = decode(ctx, inBase, count);

  const ready = readyEvents(ctx, subs);
  if (ready.length > 0) return writeEvents(ctx, outBase, neventsPtr, ready);

  const streams: Stream[] = [];
  for (const sub of subs) {
    if (sub.type === EVENTTYPE.CLOCK) continue;
    const stream = ctx.proc.fds.peek(sub.fd)?.stream;
    if (stream && !streams.includes(stream)) streams.push(stream);
  }

  if (!ctx.canBlock) {
    for (;;) {
      const timeout = untilDeadline(ctx, subs);
      if (timeout === null) {
        throw new WasiError(ERRNO.NOTSUP, "poll_oneoff would wait for an fd, and that needs JSPI");
      }
      if (!ctx.kernel.clock.sleepSync(timeout)) {
        throw new WasiError(ERRNO.NOTSUP, "poll_oneoff cannot sleep here (no Atomics.wait), and JSPI is off");
      }
      const events = readyEvents(ctx, subs);
      if (events.length > 0) return writeEvents(ctx, outBase, neventsPtr, events);
    }
  }

  return (async () => {
    for (;;) {
      await waitForAny(ctx, streams, untilDeadline(ctx, subs));
      const events = readyEvents(ctx, subs);
      if (events.length > 0) return writeEvents(ctx, outBase, neventsPtr, events);
    }
  })();
}

/** `poll_oneoff`. */
export const POLL_FUNCTIONS: readonly WasiFunction[] = [
  define({
    name: "poll_oneoff",
    params: [i32("in"), i32("out"), i32("nsubscriptions"), i32("nevents_ptr")],
    status: "full",
    note: "any mix of clock (relative/absolute, all clock ids) and fd_read/fd_write subscriptions; "
      + "blocks for real under JSPI; without JSPI only sleeps (Atomics.wait), waiting on fds alone is NOTSUP",
    blocking: "stream",
    writes: (a) => [out(a[1], (Number(a[2]) >>> 0) * LAYOUT.EVENT_SIZE), out(a[3], 4)],
    impl: pollOneoff,
  }),
];
