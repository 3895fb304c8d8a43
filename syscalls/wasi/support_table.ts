/**
 * The WASI support table, generated from the function declarations. Prints
 * markdown for the README:
 *
 * ```sh
 * deno run syscalls/wasi/support_table.ts
 * ```
 *
 * @module
 */

import { WASI_FUNCTIONS } from "./wasi.ts";

/**
 * The table as markdown, one row per function, plus a count line.
 *
 * @example
 * ```ts
 * import { supportTable } from "./support_table.ts";
 * console.assert(supportTable().includes("| `fd_read` |"));
 * ```
 */
export function supportTable(): string {
  const rows = WASI_FUNCTIONS.map((fn) => {
    const blocking = fn.blocking === "never" ? "" : fn.blocking === "stream" ? "yes" : "async drivers";
    return `| \`${fn.name}\` | ${fn.status} | ${blocking} | ${fn.note.replaceAll("|", "\\|")} |`;
  });
  const count = (status: string) => WASI_FUNCTIONS.filter((fn) => fn.status === status).length;
  return [
    "| function | status | suspends under JSPI | notes |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `${WASI_FUNCTIONS.length} functions: ${count("full")} full, ${count("partial")} partial, ${
      count("enosys")
    } ENOSYS.`,
  ].join("\n");
}

if ((import.meta as { main?: boolean; }).main) console.log(supportTable());
