import { createRequire } from "node:module";
import path from "node:path";
import { type CommandRun, runCommand } from "../cli/run-command";

/** drizzle-kit's CLI entry; its `exports` map hides package.json, so find it beside the main entry. */
function drizzleKitBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("drizzle-kit")), "bin.cjs");
}

/** drizzle-kit names the (temporary) config file it read; that line only distracts. */
function withoutConfigBanner(output: string): string {
  return output
    .split("\n")
    .filter((line) => !line.startsWith("Reading config file"))
    .join("\n")
    .trim();
}

/**
 * Runs the project's drizzle-kit with stdin closed: a question it would ask (e.g. "was this column
 * renamed?") then fails at once with "Interactive prompts require a TTY" instead of waiting.
 * drizzle-kit 0.31 exits 0 after some errors, so callers judge by the output and files, not only
 * by the exit code.
 */
export async function runDrizzleKit(
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number },
): Promise<CommandRun> {
  const run = await runCommand(process.execPath, [drizzleKitBin(), ...args], options);
  return { ...run, output: withoutConfigBanner(run.output) };
}
