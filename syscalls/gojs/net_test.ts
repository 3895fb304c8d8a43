import assert from "node:assert/strict";
import { test } from "node:test";
import { restrictedFetch } from "./net.ts";
import type { FetchFunction } from "./net.ts";

/** A fake host fetch: answers from a table of URL -> [status, headers, body]. */
function fakeFetch(routes: Record<string, [number, Record<string, string>, string]>) {
  const seen: string[] = [];
  const f = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    seen.push(`${init?.method ?? "GET"} ${url} redirect=${init?.redirect}`);
    const route = routes[url];
    if (!route) return Promise.reject(new TypeError(`no route ${url}`));
    return Promise.resolve(
      new Response(route[0] === 204 || route[0] === 302 ? null : route[2], {
        status: route[0],
        headers: route[1],
      }),
    );
  };
  return { fetch: f as FetchFunction, seen };
}

test("net: only allowed origins are fetched; others reject with a TypeError", async () => {
  const host = fakeFetch({ "http://a.test:8080/x": [200, {}, "ok"] });
  const f = restrictedFetch({ allow: ["http://a.test:8080"], fetch: host.fetch });
  assert.equal(await (await f("http://a.test:8080/x")).text(), "ok");
  for (
    const url of [
      "http://a.test:8081/x",
      "https://a.test:8080/x",
      "http://b.test:8080/x",
      "file:///etc/passwd",
      "nonsense",
    ]
  ) {
    await assert.rejects(f(url), TypeError, url);
  }
  assert.deepEqual(host.seen, ["GET http://a.test:8080/x redirect=manual"]);
});

test("net: redirects are followed here and checked against the allow list", async () => {
  const host = fakeFetch({
    "http://a.test/start": [302, { location: "/next" }, ""],
    "http://a.test/next": [200, {}, "landed"],
    "http://a.test/away": [302, { location: "http://evil.test/steal" }, ""],
  });
  const f = restrictedFetch({ allow: ["http://a.test"], fetch: host.fetch });
  const r = await f("http://a.test/start");
  assert.equal(await r.text(), "landed");
  assert.equal(r.redirected, true);
  assert.equal(r.url, "http://a.test/next");
  await assert.rejects(f("http://a.test/away"), /not allowed/);
  assert.ok(!host.seen.some((s) => s.includes("evil")));
  const manual = await f("http://a.test/start", { redirect: "manual" });
  assert.equal(manual.status, 302);
  await assert.rejects(f("http://a.test/start", { redirect: "error" }), TypeError);
});

test("net: '*' allows every origin; bad allow entries are TypeErrors", async () => {
  const host = fakeFetch({ "http://any.test/": [200, {}, "any"] });
  assert.equal(
    await (await restrictedFetch({ allow: ["*"], fetch: host.fetch })("http://any.test/")).text(),
    "any",
  );
  assert.throws(() => restrictedFetch({ allow: ["not a url"] }), TypeError);
  assert.throws(() => restrictedFetch({ allow: "http://a.test" as unknown as string[] }), TypeError);
});
