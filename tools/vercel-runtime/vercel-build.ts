import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "../cli/run-command";

/**
 * `vercel build` with no account and no network: the project settings a `vercel link` would
 * have pulled are written locally instead (`.vercel/project.json`), and the CLI is the project's
 * pinned devDependency. `installCommand: "true"` because the dependencies are installed already
 * (`npm ci`); Vercel's own build installs them itself.
 */
export const LOCAL_PROJECT_SETTINGS = {
  projectId: "prj_local",
  orgId: "team_local",
  settings: { framework: "nextjs", installCommand: "true" },
};

const BUILD_TIMEOUT_MS = 15 * 60 * 1000;

export interface VercelBuildResult {
  code: number | null;
  output: string;
  durationMs: number;
  /** `.vercel/output`, when the build succeeded. */
  outputDir: string;
}

/**
 * Runs the pinned `vercel build --yes` in `projectDir` with exactly `env` (plus PATH and HOME):
 * the project's variables, as Vercel gives them to its build.
 */
export async function vercelBuild(
  projectDir: string,
  env: Record<string, string | undefined>,
): Promise<VercelBuildResult> {
  const settings = path.join(projectDir, ".vercel/project.json");
  if (!existsSync(settings)) {
    await mkdir(path.dirname(settings), { recursive: true });
    await writeFile(settings, `${JSON.stringify(LOCAL_PROJECT_SETTINGS, null, 2)}\n`);
  }
  const started = performance.now();
  const run = await runCommand(
    process.execPath,
    [path.join(projectDir, "node_modules/vercel/dist/vc.js"), "build", "--yes"],
    {
      cwd: projectDir,
      timeoutMs: BUILD_TIMEOUT_MS,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        HOME: process.env.HOME,
        NEXT_TELEMETRY_DISABLED: "1",
        VERCEL_TELEMETRY_DISABLED: "1",
        ...env,
      },
    },
  );
  return {
    code: run.timedOut ? null : run.code,
    output: run.output,
    durationMs: performance.now() - started,
    outputDir: path.join(projectDir, ".vercel/output"),
  };
}
