import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { type CommandRun, runCommand } from "../cli/run-command";

/**
 * The folder of the drizzle-kit that `project` (a directory) would run, else this repository's:
 * a project checked by db:check runs its own drizzle-kit, whose major must match its folder's
 * layout (0.x: a journal; 1.0: a folder per migration).
 */
function drizzleKitDir(project?: string): string {
  const resolveFrom = (from: string) => path.dirname(createRequire(from).resolve("drizzle-kit"));
  if (project) {
    try {
      return resolveFrom(path.join(project, "package.json"));
    } catch {
      // No drizzle-kit installed there: the repository's.
    }
  }
  return resolveFrom(import.meta.url);
}

/** The version of the drizzle-kit `project` runs (its `exports` map hides package.json). */
export function drizzleKitVersion(project?: string): string {
  const manifest = path.join(drizzleKitDir(project), "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
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
 * Runs drizzle-kit (the one `project` would run, default this repository's) with stdin closed:
 * a question it would ask (e.g. "was this column renamed?") then fails at once with "Interactive
 * prompts require a TTY" instead of waiting. drizzle-kit 0.31 exits 0 after some errors, so
 * callers judge by the output and files, not only by the exit code.
 */
export async function runDrizzleKit(
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; project?: string },
): Promise<CommandRun> {
  const bin = path.join(drizzleKitDir(options.project), "bin.cjs");
  const run = await runCommand(process.execPath, [bin, ...args], options);
  return { ...run, output: withoutConfigBanner(run.output) };
}
