// Runs a WASI preview1 command under Node's own `node:wasi`: the peer the benchmarks compare
// vkernel with. Stdio is the real stdio of this process; directories are real host directories.
//
//   node --no-warnings bench/peers/node_wasi_runner.mjs [options] program.wasm [args...]
//
//   --dir HOST::GUEST   preopen host directory HOST as GUEST (repeatable; HOST alone means both)
//   --env KEY=VALUE     environment variable (repeatable)
//   --repeat N          run the program N times in this process, each on a fresh WASI instance
//   --timing            after each run, print "runner ms=<compile+instantiate+run>" to stderr
//
// Exit status: the program's (of the last run).

import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let repeat = 1;
let timing = false;
let i = 0;
for (; i < argv.length && argv[i].startsWith("--"); i++) {
  const flag = argv[i];
  if (flag === "--timing") timing = true;
  else if (flag === "--repeat") repeat = Number(argv[++i]);
  else if (flag === "--env") {
    const spec = argv[++i];
    env[spec.slice(0, spec.indexOf("="))] = spec.slice(spec.indexOf("=") + 1);
  } else if (flag === "--dir") {
    const [host, guest] = argv[++i].split("::");
    preopens[guest ?? host] = host;
  } else {
    console.error(`node_wasi_runner: unknown option ${flag}`);
    process.exit(64);
  }
}
const program = argv[i];
if (!program || !(repeat >= 1)) {
  console.error(
    "usage: node_wasi_runner.mjs [--dir HOST::GUEST] [--env K=V] [--repeat N] [--timing] program.wasm [args...]",
  );
  process.exit(64);
}
const args = [program.split("/").pop(), ...argv.slice(i + 1)];
const bytes = readFileSync(program);

let status = 0;
for (let run = 0; run < repeat; run++) {
  const t0 = performance.now();
  const wasi = new WASI({ version: "preview1", args, env, preopens, returnOnExit: true });
  const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
  status = wasi.start(instance);
  const ms = performance.now() - t0;
  if (timing) process.stderr.write(`runner ms=${ms.toFixed(3)}\n`);
  if (status !== 0) break;
}
process.exitCode = status;
