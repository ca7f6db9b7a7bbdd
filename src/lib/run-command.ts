import { spawn } from "node:child_process";

export interface CommandRun {
  exitCode: number | null;
  /** stdout and stderr interleaved, as a person running the command would see them. */
  output: string;
  timedOut: boolean;
}

/**
 * Runs a command to completion with stdin closed (a program that would ask a question fails
 * instead of waiting) and collects its output. After `timeoutMs` it is sent SIGTERM.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number },
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
    }, options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output, timedOut });
    });
  });
}
