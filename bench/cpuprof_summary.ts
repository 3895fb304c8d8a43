/**
 * Summarises a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time per function, and
 * inclusive time per function, with file:line, as shares of the sampled time.
 *
 * Run: `deno run -A bench/cpuprof_summary.ts PROFILE.cpuprofile [--top N] [--filter TEXT]`
 * (`--filter` keeps functions whose file or name contains TEXT in the inclusive list).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { numberOption, scriptArgs, stringOption } from "./_peers.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = scriptArgs().find((a) => a.endsWith(".cpuprofile"));
if (!file) throw new Error("usage: cpuprof_summary.ts PROFILE.cpuprofile [--top N] [--filter TEXT]");
const top = numberOption("top", 25);
const filter = stringOption("filter");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const where = (f: CallFrame) => {
  const path = f.url.replace(/^file:\/\//, "").replace(/^.*\/work\/main\//, "");
  return `${path || "(native)"}:${f.lineNumber + 1} ${f.functionName || "(anonymous)"}`;
};

// Time per sample: the delta to the next sample (V8 records the delta before each sample).
const selfUs = new Map<string, number>();
const totalUs = new Map<string, number>();
let sampled = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  sampled += dt;
  let node = byId.get(profile.samples[i]);
  if (!node) continue;
  const self = where(node.callFrame);
  selfUs.set(self, (selfUs.get(self) ?? 0) + dt);
  const seen = new Set<string>();
  for (;;) {
    const key = where(node.callFrame);
    if (!seen.has(key)) {
      seen.add(key);
      totalUs.set(key, (totalUs.get(key) ?? 0) + dt);
    }
    const up = parent.get(node.id);
    if (up === undefined) break;
    node = byId.get(up)!;
  }
}

const pct = (us: number) => `${(100 * us / sampled).toFixed(1)}%`;
const list = (m: Map<string, number>, keep: (k: string) => boolean) =>
  [...m].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, us]) => `| ${pct(us)} | ${(us / 1000).toFixed(1)} ms | \`${k}\` |`).join("\n");

console.log(`Profile ${file}: ${(sampled / 1000).toFixed(1)} ms sampled`);
console.log("\nSelf time:\n\n| share | ms | function |\n|---:|---:|---|");
console.log(list(selfUs, () => true));
console.log("\nInclusive time:\n\n| share | ms | function |\n|---:|---:|---|");
console.log(list(totalUs, (k) => !filter || k.includes(filter)));
