import { readdirSync, readFileSync } from "node:fs";
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

/**
 * CPU time a running process has used so far, all its threads, from Linux's schedstat
 * (nanoseconds, unlike the 10 ms ticks of /proc/<pid>/stat); undefined where there is none. On a
 * start of Next, far steadier than the wall clock: it leaves out waiting, for the network and for
 * other processes.
 */
export function cpuTimeMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const threads = readdirSync(`/proc/${pid}/task`);
    const nanoseconds = threads.reduce(
      (sum, thread) =>
        sum + Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, "utf8").split(" ")[0]),
      0,
    );
    return nanoseconds / 1e6;
  } catch {
    return undefined;
  }
}
