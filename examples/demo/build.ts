/**
 * Rebuilds examples/demo/demo.wasm from tests/fixtures/go/demo (GOOS=js,
 * stripped). Run: `deno run -A examples/demo/build.ts`.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const source = fileURLToPath(new URL("../../tests/fixtures/go", import.meta.url));
execFileSync("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", `${here}/demo.wasm`, "./demo"], {
  cwd: source,
  env: {
    ...process.env,
    GOOS: "js",
    GOARCH: "wasm",
    CGO_ENABLED: "0",
    PATH: `/usr/local/go/bin:${process.env.PATH}`,
  },
  stdio: "inherit",
});
