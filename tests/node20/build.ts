/**
 * Bundles vkernel for Node 20, which cannot run TypeScript: `mod.ts` to
 * `build/node20/vkernel.mjs` and the worker bridge's worker to
 * `build/node20/bridge_worker.mjs` beside it (where `worker_bridge.ts` looks
 * for it when it runs from a `.mjs`). Uses `bun build` (offline, no config).
 *
 * ```sh
 * deno run -A tests/node20/build.ts      # or: bun tests/node20/build.ts
 * node --test tests/node20/node20_test.mjs
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where the bundles go. */
export const outDir: string = join(repoRoot, "build", "node20");

/** The bun binary: $VKERNEL_BUN, the one running this script, node_modules/.bin/bun, or PATH. */
export function findBun(): string {
  const g = globalThis as { Bun?: unknown; process?: { execPath?: string; }; };
  const env = (globalThis as { process?: { env?: Record<string, string | undefined>; }; }).process?.env ?? {};
  const candidates = [
    env.VKERNEL_BUN,
    g.Bun ? g.process?.execPath : undefined,
    join(repoRoot, "node_modules", ".bin", "bun"),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return "bun";
}

/** What was bundled: entry (repository path) to output (absolute path). */
export const ENTRIES: readonly (readonly [entry: string, output: string])[] = [
  ["mod.ts", "vkernel.mjs"],
  ["syscalls/wasi/bridge_worker.mjs", "bridge_worker.mjs"],
];

/** Builds the bundles; returns their paths. Throws with bun's output when a build fails. */
export function buildNode20(): { vkernel: string; worker: string; } {
  mkdirSync(outDir, { recursive: true });
  const bun = findBun();
  for (const [entry, output] of ENTRIES) {
    const r = spawnSync(bun, [
      "build",
      join(repoRoot, entry),
      "--target=node",
      "--format=esm",
      "--outfile",
      join(outDir, output),
    ], { encoding: "utf8", cwd: repoRoot });
    if (r.status !== 0) {
      throw new Error(`bun build ${entry} failed (${r.status ?? r.error}):\n${r.stdout}\n${r.stderr}`);
    }
  }
  return { vkernel: join(outDir, "vkernel.mjs"), worker: join(outDir, "bridge_worker.mjs") };
}

if ((import.meta as { main?: boolean; }).main) {
  const { vkernel, worker } = buildNode20();
  console.log(`built ${vkernel}\nbuilt ${worker}`);
}
