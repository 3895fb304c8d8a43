/**
 * POSIX path string helpers (no filesystem access).
 *
 * `@std/path` is not installable here, so the kernel carries its own. Every
 * function that also exists in `node:path/posix` returns exactly what Node's
 * returns, quirks included (for example `dirname("//a")` is `"//"` and
 * `basename("/", "a")` is `"/"`); the property tests in `path_test.ts` check
 * this against `node:path/posix` over a tiny alphabet.
 *
 * The one deliberate difference: {@link resolve} never consults
 * `process.cwd()`. A virtual kernel has no host working directory to fall back
 * on, so resolution starts at `/` (it equals Node's `resolve("/", ...segments)`).
 * {@link relative} resolves its arguments the same way.
 *
 * These helpers only manipulate strings. They do not decide what `..` means
 * after a symlink: the kernel's path walker does that, component by component,
 * with {@link splitComponents} and {@link hasTrailingSlash}.
 *
 * Passing a non-string is a programmer error and throws `TypeError`.
 *
 * @module
 */

const SEP = "/";

function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== "string") {
    throw new TypeError(`The "${name}" argument must be of type string, got ${typeof value}`);
  }
}

/**
 * Applies `.` and `..` to a list of non-empty components. A `..` removes the
 * previous component unless that is itself `..`; with nothing left to remove it
 * is kept when `allowAboveRoot` (relative paths) and dropped otherwise (at `/`).
 */
function normalizeComponents(components: readonly string[], allowAboveRoot: boolean): string[] {
  const out: string[] = [];
  for (const component of components) {
    if (component === ".") continue;
    if (component === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (allowAboveRoot) out.push("..");
      continue;
    }
    out.push(component);
  }
  return out;
}

/** End index of the last component: the length of `path` without trailing slashes. */
function endOfLastComponent(path: string): number {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end;
}

/**
 * Whether `path` starts with `/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAbsolute } from "./path.ts";
 * assert.equal(isAbsolute("/a/b"), true);
 * assert.equal(isAbsolute("a/b"), false);
 * assert.equal(isAbsolute(""), false);
 * ```
 */
export function isAbsolute(path: string): boolean {
  assertString(path, "path");
  return path.length > 0 && path.charCodeAt(0) === 0x2f;
}

/**
 * Splits `path` into its components, dropping the empty ones that repeated,
 * leading and trailing slashes make. `.` and `..` are kept: the path walker
 * decides what they mean. Whether the path was absolute or ended in a slash is
 * told by {@link isAbsolute} and {@link hasTrailingSlash}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitComponents } from "./path.ts";
 * assert.deepEqual(splitComponents("//a/./b//../c/"), ["a", ".", "b", "..", "c"]);
 * assert.deepEqual(splitComponents("/"), []);
 * assert.deepEqual(splitComponents(""), []);
 * ```
 */
export function splitComponents(path: string): string[] {
  assertString(path, "path");
  return path.split(SEP).filter((component) => component.length > 0);
}

/**
 * Whether `path` ends with `/` (POSIX then requires the last component to be a
 * directory). True for `/` itself, which is harmless: the root is a directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasTrailingSlash } from "./path.ts";
 * assert.equal(hasTrailingSlash("a/b/"), true);
 * assert.equal(hasTrailingSlash("a/b"), false);
 * assert.equal(hasTrailingSlash("/"), true);
 * assert.equal(hasTrailingSlash(""), false);
 * ```
 */
export function hasTrailingSlash(path: string): boolean {
  assertString(path, "path");
  return path.length > 0 && path.charCodeAt(path.length - 1) === 0x2f;
}

/**
 * Resolves `.` and `..` and collapses repeated slashes, like `node:path/posix`
 * `normalize`: a trailing slash is kept, `..` above the root of an absolute
 * path is dropped, and leading `..` of a relative path are kept. The empty
 * string normalizes to `"."`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalize } from "./path.ts";
 * assert.equal(normalize("/a//b/../c/."), "/a/c");
 * assert.equal(normalize("a/../../b/"), "../b/");
 * assert.equal(normalize("/.."), "/");
 * assert.equal(normalize(""), ".");
 * ```
 */
export function normalize(path: string): string {
  assertString(path, "path");
  if (path.length === 0) return ".";
  const absolute = isAbsolute(path);
  const trailingSlash = hasTrailingSlash(path);
  let out = normalizeComponents(splitComponents(path), !absolute).join(SEP);
  if (out.length === 0) {
    if (absolute) return SEP;
    return trailingSlash ? "./" : ".";
  }
  if (trailingSlash) out += SEP;
  return absolute ? SEP + out : out;
}

/**
 * Joins the non-empty `paths` with `/` and normalizes the result, like
 * `node:path/posix` `join`. No argument, or only empty ones, gives `"."`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "./path.ts";
 * assert.equal(join("/a", "b/", "../c"), "/a/c");
 * assert.equal(join("a", "", "/b"), "a/b");
 * assert.equal(join(), ".");
 * ```
 */
export function join(...paths: string[]): string {
  paths.forEach((path, index) => assertString(path, `paths[${index}]`));
  const joined = paths.filter((path) => path.length > 0).join(SEP);
  return joined.length === 0 ? "." : normalize(joined);
}

/**
 * Resolves `segments` right to left into a normalized absolute path, like
 * `node:path/posix` `resolve`, except that it never consults `process.cwd()`:
 * when no segment is absolute, resolution starts at `/`. So it equals Node's
 * `resolve("/", ...segments)`. Empty segments are ignored; the result never
 * ends with a slash unless it is `/`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolve } from "./path.ts";
 * assert.equal(resolve("/a/b", "../c"), "/a/c");
 * assert.equal(resolve("a", "/b", "c/"), "/b/c");
 * assert.equal(resolve("a/b"), "/a/b"); // no cwd: starts at "/"
 * assert.equal(resolve("../.."), "/");
 * assert.equal(resolve(), "/");
 * ```
 */
export function resolve(...segments: string[]): string {
  segments.forEach((segment, index) => assertString(segment, `segments[${index}]`));
  const used: string[] = [];
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i];
    if (segment.length === 0) continue;
    used.unshift(segment);
    if (isAbsolute(segment)) break;
  }
  return SEP + normalizeComponents(splitComponents(used.join(SEP)), false).join(SEP);
}

/**
 * The path without its last component, like `node:path/posix` `dirname`.
 * Trailing slashes are ignored; `"."` when there is no directory part. Node's
 * quirks are kept: only the slash just before the last component is removed
 * (`dirname("a//b")` is `"a/"`) and `dirname("//a")` is `"//"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dirname } from "./path.ts";
 * assert.equal(dirname("/a/b/"), "/a");
 * assert.equal(dirname("/a"), "/");
 * assert.equal(dirname("a"), ".");
 * assert.equal(dirname(""), ".");
 * ```
 */
export function dirname(path: string): string {
  assertString(path, "path");
  if (path.length === 0) return ".";
  const absolute = isAbsolute(path);
  // Index 0 never counts as the separator: a leading slash is the root.
  let end = path.length - 1;
  while (end >= 1 && path.charCodeAt(end) === 0x2f) end--;
  while (end >= 1 && path.charCodeAt(end) !== 0x2f) end--;
  if (end < 1) return absolute ? SEP : ".";
  if (absolute && end === 1) return "//";
  return path.slice(0, end);
}

/**
 * The last component of `path`, trailing slashes ignored, like
 * `node:path/posix` `basename`. When `suffix` is given and the component ends
 * with it (and is longer than it), the suffix is removed.
 *
 * Node's quirks with a `suffix` are kept: `basename(p, p)` is `""`; a path of
 * only slashes is returned whole (`basename("/", "a")` is `"/"`); and a last
 * component that is a proper tail of `suffix` is returned with its trailing
 * slashes (`basename("a/", "xa")` is `"a/"`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basename } from "./path.ts";
 * assert.equal(basename("/a/b.txt"), "b.txt");
 * assert.equal(basename("/a/b.txt/", ".txt"), "b");
 * assert.equal(basename("/a/.txt", ".txt"), ".txt");
 * assert.equal(basename("/"), "");
 * ```
 */
export function basename(path: string, suffix?: string): string {
  if (suffix !== undefined) assertString(suffix, "suffix");
  assertString(path, "path");
  const end = endOfLastComponent(path);
  const start = end === 0 ? 0 : path.lastIndexOf(SEP, end - 1) + 1;
  const base = path.slice(start, end);
  if (suffix === undefined || suffix.length === 0 || suffix.length > path.length) return base;
  if (suffix === path) return "";
  if (base.length === 0) return path;
  if (base.length > suffix.length) {
    return base.endsWith(suffix) ? base.slice(0, base.length - suffix.length) : base;
  }
  if (base.length < suffix.length && suffix.endsWith(base)) return path.slice(start);
  return base;
}

/**
 * The extension of the last component: from its last `.` to its end, like
 * `node:path/posix` `extname`. `""` when there is no dot, when the only dot
 * starts the component (`.profile`), and for `..`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extname } from "./path.ts";
 * assert.equal(extname("/a/b.tar.gz"), ".gz");
 * assert.equal(extname("b."), ".");
 * assert.equal(extname("a.d/"), ".d");
 * assert.equal(extname(".profile"), "");
 * assert.equal(extname(".."), "");
 * ```
 */
export function extname(path: string): string {
  assertString(path, "path");
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  if (dot <= 0 || base === "..") return "";
  return base.slice(dot);
}

/**
 * The relative path from `from` to `to`, like `node:path/posix` `relative`,
 * except that relative arguments are resolved against `/` (see
 * {@link resolve}), never against `process.cwd()`. `""` when both resolve to
 * the same path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relative } from "./path.ts";
 * assert.equal(relative("/a/b/c", "/a/d"), "../../d");
 * assert.equal(relative("/a", "/a/b/"), "b");
 * assert.equal(relative("/a/b", "/a/b"), "");
 * assert.equal(relative("a", "/"), ".."); // "a" is "/a"
 * ```
 */
export function relative(from: string, to: string): string {
  assertString(from, "from");
  assertString(to, "to");
  if (from === to) return "";
  const fromParts = splitComponents(resolve(from));
  const toParts = splitComponents(resolve(to));
  let common = 0;
  while (
    common < fromParts.length && common < toParts.length && fromParts[common] === toParts[common]
  ) {
    common++;
  }
  const ups: string[] = new Array(fromParts.length - common).fill("..");
  return [...ups, ...toParts.slice(common)].join(SEP);
}
