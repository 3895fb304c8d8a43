/**
 * Network access for gojs: `fetch` (with `Headers` and `AbortController`) is
 * put in a process's global object only when the embedder grants it, and then
 * only for the listed origins. Redirects are followed here, one hop at a time,
 * so a redirect cannot leave the allowed origins either. A denied request
 * rejects with a `TypeError`, which Go's `net/http` reports as a failed request.
 *
 * @module
 */

/** The shape of `fetch` the kernel needs (no runtime extras such as Bun's `fetch.preconnect`). */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Network access granted to a gojs process. */
export interface NetOptions {
  /**
   * Origins the program may fetch from, like `"http://127.0.0.1:8080"` (scheme,
   * host and port). `"*"` allows every origin.
   */
  allow: readonly string[];
  /** The fetch to use (default: the host's `fetch`). */
  fetch?: FetchFunction;
}

const MAX_REDIRECTS = 20;

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** A Response with the final URL and redirect flag of a redirect chain we followed ourselves. */
function redirectedResponse(response: Response, url: string): Response {
  return new Proxy(response, {
    get(target, key) {
      if (key === "redirected") return true;
      if (key === "url") return url;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A `fetch` limited to the allowed origins.
 *
 * @example
 * ```ts
 * import { restrictedFetch } from "./net.ts";
 * const f = restrictedFetch({ allow: ["http://127.0.0.1:1"] });
 * const denied = await f("https://example.com/").then(() => false, (e: Error) => e instanceof TypeError);
 * console.assert(denied);
 * ```
 */
export function restrictedFetch(options: NetOptions): FetchFunction {
  if (!options || !Array.isArray(options.allow)) throw new TypeError("net.allow must be an array of origins");
  const any = options.allow.includes("*");
  const allowed = new Set<string>();
  for (const entry of options.allow) {
    if (entry === "*") continue;
    const origin = originOf(entry);
    if (origin === null || origin === "null") throw new TypeError(`net.allow: not an origin: ${entry}`);
    allowed.add(origin);
  }
  const hostFetch = options.fetch ?? globalThis.fetch;
  if (typeof hostFetch !== "function") throw new TypeError("net: no fetch available on this host");
  const permitted = (url: string): boolean => {
    const origin = originOf(url);
    return origin !== null && (any || allowed.has(origin));
  };
  const deny = (url: string) =>
    Promise.reject(new TypeError(`vkernel: network access to ${url} is not allowed`));

  return async function fetchAllowed(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let url = input instanceof Request ? input.url : String(input);
    if (!permitted(url)) return deny(url);
    const mode = init?.redirect ?? "follow";
    let request: RequestInit = { ...init, redirect: "manual" };
    for (let hop = 0;; hop++) {
      const response = await hostFetch(url, request);
      const location = response.headers.get("location");
      if (mode === "manual" || response.status < 300 || response.status >= 400 || location === null) {
        return hop === 0 ? response : redirectedResponse(response, url);
      }
      if (mode === "error") throw new TypeError(`redirect from ${url} refused (redirect: "error")`);
      if (hop >= MAX_REDIRECTS) throw new TypeError("too many redirects");
      await response.body?.cancel();
      const next = new URL(location, url).href;
      if (!permitted(next)) return deny(next);
      if (
        response.status === 303
        || ((response.status === 301 || response.status === 302) && request.method === "POST")
      ) {
        request = { ...request, method: "GET", body: undefined };
      }
      url = next;
    }
  };
}
