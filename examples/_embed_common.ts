/**
 * The embedding walk-through shared by examples/deno_embed.ts and
 * examples/bun_embed.ts: everything here is the public API of `mod.ts`, and it
 * runs unchanged on both runtimes. Only how the example gets program bytes
 * differs between the two scripts.
 *
 * @module
 */

import {
  collector,
  createKernel,
  createPipe,
  HostFileSystem,
  MemoryFileSystem,
  sinkStream,
  spawn,
} from "../mod.ts";
import { buildFixture } from "../tests/fixtures/build.ts";

/** Where the example's programs come from. */
export interface Programs {
  /** The committed Go js demo, as a URL. */
  demo: URL;
  /** Go wasip1 hello world, as bytes. */
  helloWasip1: Uint8Array;
  /** Go js hello world, as a file path. */
  helloJsPath: string;
  /** Go wasip1 program echoing stdin lines, as bytes. */
  echoLines: Uint8Array;
}

/** Paths of the fixture programs the examples use (built from the repo's Go sources if needed). */
export async function fixturePaths(): Promise<{ helloWasip1: string; helloJs: string; echo: string; }> {
  return {
    helloWasip1: await buildFixture("go-wasip1", "hello"),
    helloJs: await buildFixture("go-js", "hello"),
    echo: await buildFixture("go-wasip1", "stdin_echo"),
  };
}

/** Runs the walk-through and returns what it printed. */
export async function walkThrough(programs: Programs, hostDir: string): Promise<string[]> {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  // 1. A kernel: memfs at /, devices at /dev, plus a second memfs and a host directory.
  const kernel = createKernel();
  await kernel.files.mkdir("/data", { recursive: true });
  await kernel.mount("/data", new MemoryFileSystem());
  await kernel.files.mkdir("/host");
  await kernel.mount("/host", new HostFileSystem({ root: hostDir }));

  // 2. Seed files from TypeScript.
  await kernel.files.writeFile("/data/greeting.txt", "hello from the embedder\n");

  // 3. Two programs at once: the Go js demo (from a URL) and a Go wasip1 hello (from bytes).
  const demoOut = collector();
  const helloOut = collector();
  const [demo, hello] = await Promise.all([
    spawn(kernel, programs.demo, {
      args: ["demo", "--keep"],
      env: { FIXTURE_DIR: "/host/garden-run" },
      stdout: demoOut.sink,
    }),
    spawn(kernel, programs.helloWasip1, { args: ["hello"], stdout: helloOut.sink }),
  ]);
  const [demoStatus, helloStatus] = await Promise.all([demo.exited, hello.exited]);
  log(`demo (${demo.info.kind}) exited ${demoStatus}; last line: ${demoOut.text().trim().split("\n").pop()}`);
  log(`hello (${hello.info.kind}) exited ${helloStatus}; first line: ${helloOut.text().split("\n")[0]}`);

  // 4. Read back what the demo wrote, through the kernel and on the host.
  const garden = await kernel.files.readdir("/host/garden-run/garden");
  log(`the demo left ${garden.sort().join(", ")} in the host directory`);

  // 5. A pipe: Go js hello's stdout becomes a Go wasip1 program's stdin.
  const [readEnd, writeEnd] = createPipe();
  const echoOut = collector();
  const consumer = await spawn(kernel, programs.echoLines, {
    args: ["stdin_echo", "lines"],
    stdin: readEnd,
    stdout: sinkStream(echoOut.sink),
  });
  const producer = await spawn(kernel, programs.helloJsPath, { args: ["hello"], stdout: writeEnd });
  log(`producer exited ${await producer.exited}, consumer exited ${await consumer.exited}`);
  log(`the consumer saw: ${echoOut.text().split("\n").filter((l) => l.startsWith("line ")).join(" / ")}`);
  log(`greeting still there: ${(await kernel.files.readText("/data/greeting.txt")).trim()}`);
  return lines;
}
