import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface ProcessResult {
  code: number | null;
  output: string;
}

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
  const results = await Promise.all(Array.from({ length: count }, () => runNode(args, env)));
  return { wallMs: performance.now() - start, results };
}

function runNode(args: string[], env: Record<string, string>): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}
