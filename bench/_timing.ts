/**
 * Small timing helpers shared by the benchmarks.
 *
 * @module
 */

/** The runtime the benchmark runs on, e.g. `deno 2.9.6`. */
export function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string; }; }; Bun?: { version: string; }; };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${(globalThis as { process?: { version: string; }; }).process?.version ?? "?"}`;
}

/** Runs `fn` and returns elapsed milliseconds. */
export async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Best (lowest) of `n` timings of `fn`. */
export async function best(n: number, fn: () => unknown): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, await time(fn));
  return min;
}

/** Collects garbage where the runtime lets us (Deno needs --v8-flags=--expose-gc). */
export function gc(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void; }; };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

/** Heap bytes in use. */
export function heapUsed(): number {
  const g = globalThis as {
    Deno?: { memoryUsage(): { heapUsed: number; }; };
    process?: { memoryUsage(): { heapUsed: number; }; };
  };
  return (g.Deno?.memoryUsage() ?? g.process!.memoryUsage()).heapUsed;
}

/** Formats a number with a fixed number of significant decimals. */
export function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
