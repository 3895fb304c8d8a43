/**
 * Stable readdir cookies for drivers that list a directory by name: each name
 * keeps the cookie it was first given (cookies only grow), so a listing
 * resumed at a cookie never repeats a name nor skips one that stayed.
 *
 * @example
 * ```ts
 * import { assignCookies, firstAfter } from "./readdir_cookies.ts";
 * const dir = { cookies: new Map<string, number>(), nextCookie: 1 };
 * const listing = assignCookies(dir, dir.cookies, ["a", "b"]);
 * console.assert(listing[firstAfter(listing, 1)].name === "b");
 * ```
 *
 * @module
 */

/** One name of a listing and its cookie. */
export interface CookieEntry {
  cookie: number;
  name: string;
}

/**
 * The listing of `names`, sorted by cookie: a name without a cookie in
 * `cookies` gets `dir.nextCookie`, which then moves on.
 */
export function assignCookies(
  dir: { nextCookie: number; },
  cookies: Map<string, number>,
  names: Iterable<string>,
): CookieEntry[] {
  const listing: CookieEntry[] = [];
  for (const name of names) {
    let c = cookies.get(name);
    if (c === undefined) cookies.set(name, c = dir.nextCookie++);
    listing.push({ cookie: c, name });
  }
  listing.sort((a, b) => a.cookie - b.cookie);
  return listing;
}

/** The index of the first entry of a cookie-sorted `listing` past `cookie` (its length if none). */
export function firstAfter(listing: readonly CookieEntry[], cookie: number): number {
  let low = 0;
  let high = listing.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (listing[mid].cookie <= cookie) low = mid + 1;
    else high = mid;
  }
  return low;
}
