import { performance } from "node:perf_hooks";
import { type CommandResult, startCommand } from "@tools/cli/run-command";

export type ProcessResult = Pick<CommandResult, "code" | "output">;

/**
 * Starts `count` copies of `node <args>` at once and waits for all of them. `wallMs` runs from
 * the first spawn to the last exit. The children get the bench's environment plus `env`.
 */
export async function runConcurrently(
  count: number,
  args: string[],
  env: Record<string, string>,
): Promise<{ wallMs: number; results: ProcessResult[] }> {
  const start = performance.now();
  const results = await Promise.all(
    Array.from(
      { length: count },
      () =>
        startCommand(process.execPath, args, {
          cwd: process.cwd(),
          env: { ...process.env, ...env },
        }).exited,
    ),
  );
  return { wallMs: performance.now() - start, results };
}
