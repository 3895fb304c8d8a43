import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KernelError } from "../kernel/errno.ts";
import { collector, nullStream, sinkStream, sourceStream } from "./stdio.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("stdio streams", () => {
  test("a source from a string reads then EOF; non-blocking never waits", () => {
    const s = sourceStream("abc");
    const buf = new Uint8Array(2);
    assert.equal(s.read(buf, true), 2);
    assert.equal(s.read(buf, true), 1);
    assert.equal(s.read(buf, true), 0);
  });

  test("a ReadableStream source is pulled lazily; blocking reads wait, non-blocking get EAGAIN", async () => {
    let pulls = 0;
    let push: (chunk: Uint8Array | null) => void = () => {};
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        return new Promise<void>((resolve) => {
          push = (chunk) => {
            if (chunk) controller.enqueue(chunk);
            else controller.close();
            resolve();
          };
        });
      },
    }, { highWaterMark: 0 });
    const s = sourceStream(stream);
    const buf = new Uint8Array(8);
    assert.throws(() => s.read(buf, true), (e) => e instanceof KernelError && e.code === "EAGAIN");
    const pending = s.read(buf, false);
    assert.ok(pending instanceof Promise);
    const tick = () => new Promise((r) => setTimeout(r, 0));
    await tick(); // let the stream call pull()
    push(enc("late"));
    assert.equal(await pending, 4);
    const eof = s.read(buf, false);
    await tick();
    push(null);
    assert.equal(await eof, 0);
    assert.ok(pulls >= 1);
  });

  test("a sink gets a copy of each write; a failing sink is EIO", () => {
    const out = collector();
    const s = sinkStream(out.sink);
    const data = enc("hello");
    s.write(data, false);
    data.fill(0);
    assert.equal(out.text(), "hello");
    const bad = sinkStream(() => {
      throw new Error("host failure");
    });
    assert.throws(() => bad.write(enc("x"), false), (e) => e instanceof KernelError && e.code === "EIO");
  });

  test("an async sink applies back-pressure", async () => {
    let release: () => void = () => {};
    const s = sinkStream(() => new Promise<void>((r) => (release = r)));
    assert.equal(s.write(enc("a"), false), 1);
    assert.throws(() => s.write(enc("b"), true), (e) => e instanceof KernelError && e.code === "EAGAIN");
    const second = s.write(enc("b"), false);
    release();
    assert.equal(await second, 1);
  });

  test("nullStream reads EOF and discards writes", () => {
    const s = nullStream();
    assert.equal(s.read(new Uint8Array(4), true), 0);
    assert.equal(s.write(enc("gone"), true), 4);
  });
});
