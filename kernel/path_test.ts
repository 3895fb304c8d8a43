import fc from "fast-check";
import assert from "node:assert/strict";
import posix from "node:path/posix";
import process from "node:process";
import { test } from "node:test";
import { propertyRuns } from "../tests/_support/property_runs.ts";
import {
  basename,
  dirname,
  extname,
  hasTrailingSlash,
  isAbsolute,
  join,
  normalize,
  relative,
  resolve,
  splitComponents,
} from "./path.ts";

/** At least 1,000 runs per property: these are cheap, and the corners are many. */
const numRuns = Math.max(1000, propertyRuns());

/** The tiny alphabet: concatenations of these hit every corner (`...`, `a.`, `///`). */
const TOKENS = ["a", "b", ".", "..", "/", "//", ""] as const;

const pathArb = fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }).map((tokens) => tokens.join(""));
const absolutePathArb = pathArb.map((path) => `/${path}`);
const pathsArb = fc.array(pathArb, { maxLength: 5 });

/** Every concatenation of up to `maxTokens` tokens (duplicates removed). */
function allPaths(maxTokens: number): string[] {
  let level = [""];
  const seen = new Set(level);
  for (let n = 0; n < maxTokens; n++) {
    level = level.flatMap((prefix) => TOKENS.map((token) => prefix + token));
    for (const path of level) seen.add(path);
  }
  return [...seen];
}

function check<Ts extends [unknown, ...unknown[]]>(
  ...args: [...arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]>; }, predicate: (...values: Ts) => void]
): void {
  fc.assert(fc.property(...args), { numRuns });
}

test("isAbsolute matches node:path/posix", () => {
  check(pathArb, (path) => assert.equal(isAbsolute(path), posix.isAbsolute(path)));
});

test("normalize matches node:path/posix", () => {
  check(pathArb, (path) => assert.equal(normalize(path), posix.normalize(path)));
});

test("join matches node:path/posix", () => {
  check(pathsArb, (paths) => assert.equal(join(...paths), posix.join(...paths)));
});

test("resolve matches node:path/posix resolve from /", () => {
  check(pathsArb, (segments) => assert.equal(resolve(...segments), posix.resolve("/", ...segments)));
});

test("dirname matches node:path/posix", () => {
  check(pathArb, (path) => assert.equal(dirname(path), posix.dirname(path)));
});

test("basename matches node:path/posix", () => {
  check(pathArb, (path) => assert.equal(basename(path), posix.basename(path)));
});

test("basename with a suffix matches node:path/posix", () => {
  check(
    pathArb,
    pathArb,
    (path, suffix) => assert.equal(basename(path, suffix), posix.basename(path, suffix)),
  );
});

test("extname matches node:path/posix", () => {
  check(pathArb, (path) => assert.equal(extname(path), posix.extname(path)));
});

test("relative matches node:path/posix on absolute paths", () => {
  check(
    absolutePathArb,
    absolutePathArb,
    (from, to) => assert.equal(relative(from, to), posix.relative(from, to)),
  );
});

test("relative resolves relative arguments against /", () => {
  check(pathArb, pathArb, (from, to) => {
    const expected = from === to ? "" : posix.relative(posix.resolve("/", from), posix.resolve("/", to));
    assert.equal(relative(from, to), expected);
  });
});

test("splitComponents gives the non-empty parts between slashes", () => {
  check(pathArb, (path) => {
    const components = splitComponents(path);
    assert.deepEqual(components, path.split("/").filter((part) => part !== ""));
    for (const component of components) {
      assert.ok(component.length > 0 && !component.includes("/"));
    }
  });
});

test("splitComponents, isAbsolute and hasTrailingSlash lose nothing normalize needs", () => {
  check(pathArb, (path) => {
    const components = splitComponents(path);
    const rebuilt = (isAbsolute(path) ? "/" : "") + components.join("/")
      + (hasTrailingSlash(path) && components.length > 0 ? "/" : "");
    assert.equal(normalize(rebuilt), normalize(path));
    assert.equal(hasTrailingSlash(path), path.endsWith("/"));
  });
});

test("every path of up to 4 tokens matches node:path/posix", () => {
  for (const path of allPaths(4)) {
    const message = JSON.stringify(path);
    assert.equal(isAbsolute(path), posix.isAbsolute(path), message);
    assert.equal(normalize(path), posix.normalize(path), message);
    assert.equal(dirname(path), posix.dirname(path), message);
    assert.equal(basename(path), posix.basename(path), message);
    assert.equal(extname(path), posix.extname(path), message);
    assert.equal(resolve(path), posix.resolve("/", path), message);
    assert.equal(join(path, path), posix.join(path, path), message);
  }
});

test("every pair of paths of up to 2 tokens matches node:path/posix", () => {
  const paths = allPaths(2);
  for (const a of paths) {
    for (const b of paths) {
      const message = JSON.stringify([a, b]);
      assert.equal(basename(a, b), posix.basename(a, b), message);
      assert.equal(join(a, b), posix.join(a, b), message);
      assert.equal(resolve(a, b), posix.resolve("/", a, b), message);
      assert.equal(relative(`/${a}`, `/${b}`), posix.relative(`/${a}`, `/${b}`), message);
    }
  }
});

test("known corners, spelled out", () => {
  assert.equal(normalize(""), ".");
  assert.equal(normalize("./"), "./");
  assert.equal(normalize("a/.."), ".");
  assert.equal(normalize("a/../"), "./");
  assert.equal(normalize("//a//"), "/a/");
  assert.equal(normalize("../a/.."), "..");
  assert.equal(normalize("/../a"), "/a");
  assert.equal(normalize("..."), "...");
  assert.equal(dirname("//a"), "//");
  assert.equal(dirname("a//b"), "a/");
  assert.equal(dirname("a//"), ".");
  assert.equal(dirname("///"), "/");
  assert.equal(basename("a", "a"), "");
  assert.equal(basename("/a", "a"), "a");
  assert.equal(basename("a/", "xa"), "a/");
  assert.equal(basename("//", "/"), "//");
  assert.equal(basename("/", "a"), "/");
  assert.equal(basename("/", "ab"), "");
  assert.equal(basename("aab/", "ab"), "a");
  assert.equal(extname("..."), ".");
  assert.equal(extname("..a"), ".a");
  assert.equal(extname("a../"), ".");
  assert.equal(resolve(""), "/");
  assert.equal(resolve("a", "", "b/"), "/a/b");
  assert.equal(relative("", ""), "");
  assert.equal(relative("", "/"), "");
  assert.equal(relative("/a/b", "/ab"), "../../ab");
});

test("resolve and relative never consult process.cwd()", () => {
  const cwd = process.cwd;
  process.cwd = () => {
    throw new Error("process.cwd() was called");
  };
  try {
    assert.equal(resolve("a", "..", "b"), "/b");
    assert.equal(relative("a/b", "c"), "../../c");
  } finally {
    process.cwd = cwd;
  }
});

test("non-string arguments are TypeErrors", () => {
  const bad = 1 as unknown as string;
  for (
    const call of [
      () => isAbsolute(bad),
      () => normalize(bad),
      () => join("a", bad),
      () => resolve(bad),
      () => dirname(bad),
      () => basename(bad),
      () => basename("a", bad),
      () => extname(bad),
      () => relative("a", bad),
      () => relative(bad, "a"),
      () => splitComponents(bad),
      () => hasTrailingSlash(bad),
    ]
  ) {
    assert.throws(call, TypeError);
  }
});
