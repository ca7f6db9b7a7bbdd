import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { cachedBuild } from "../cli/build-cache";
import { runCommand } from "../cli/run-command";

/**
 * A previous release checked out and built with its own lockfile and its own `npm run build`, kept
 * per commit (tools/cli/build-cache.ts) so that every later run against the same release (the CI
 * step, the failure test, a developer's rerun) reuses the one build.
 */

const CACHE_ROOT = path.join(os.tmpdir(), "agency-reporting-compat");
/** Builds nobody used for this long are removed. */
const KEEP_MS = 3 * 24 * 3600 * 1000;
const BUILD_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * The override the runner puts beside the release's own Playwright config: its tests, fixtures
 * and browser settings unchanged, against the server the runner started instead of its own.
 */
export const COMPAT_PLAYWRIGHT_CONFIG = "playwright.compat.config.ts";
const COMPAT_CONFIG_SOURCE = `// Written by \`npm run test:compat\`: this release's own config, without its web server.
import config from "./playwright.config";

export default {
  ...config,
  webServer: undefined,
  use: { ...config.use, baseURL: process.env.COMPAT_BASE_URL },
};
`;

type Say = (line: string) => void;

/**
 * Only what installing and building need: no database URL, no secrets, no developer settings.
 * NODE_ENV=production only for the build: `npm ci` would then leave out the devDependencies
 * (Playwright among them).
 */
const INSTALL_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: "development",
};
const BUILD_ENV: NodeJS.ProcessEnv = {
  ...INSTALL_ENV,
  NODE_ENV: "production",
  NEXT_TELEMETRY_DISABLED: "1",
};

async function step(
  say: Say,
  what: string,
  [command, ...args]: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
) {
  const started = Date.now();
  const run = await runCommand(command ?? "", args, {
    cwd: options.cwd,
    env: options.env ?? INSTALL_ENV,
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  if (run.code !== 0 || run.timedOut) {
    throw new Error(
      `${what} failed (exit ${run.code}${run.timedOut ? ", timed out" : ""}):\n${run.output}`,
    );
  }
  say(`${what} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The release's directory, built; builds it on first use. */
export function builtRelease(repo: string, commit: string, say: Say): Promise<string> {
  return cachedBuild({
    root: CACHE_ROOT,
    key: commit,
    keepMs: KEEP_MS,
    say,
    build: async (dir) => {
      const here = { cwd: dir };
      await step(
        say,
        "git archive",
        [
          "bash",
          "-o",
          "pipefail",
          "-c",
          'git -C "$0" archive "$1" | tar -x -C "$2"',
          repo,
          commit,
          dir,
        ],
        here,
      );
      const sameLockfile =
        readFileSync(path.join(dir, "package-lock.json"), "utf8") ===
        readFileSync(path.join(repo, "package-lock.json"), "utf8");
      if (sameLockfile && existsSync(path.join(repo, "node_modules"))) {
        // Hard links: the same packages in a fraction of a second (Turbopack refuses a symlink).
        const link = ["cp", "-al", path.join(repo, "node_modules"), path.join(dir, "node_modules")];
        await step(say, "linking node_modules (same lockfile)", link, here);
      } else {
        const install = ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"];
        await step(say, "npm ci (the release's own lockfile)", install, here);
      }
      // Its own build script, with no database and no secrets, as a deploy's build step.
      await step(say, "npm run build", ["npm", "run", "build"], { cwd: dir, env: BUILD_ENV });
      await writeFile(path.join(dir, COMPAT_PLAYWRIGHT_CONFIG), COMPAT_CONFIG_SOURCE);
    },
  });
}
