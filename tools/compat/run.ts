import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createLog, describeFailure, runMigrator } from "drizzle-boot-migrator";
import { parseEnv } from "@/env";
import { migratorSettingsFromEnv } from "@/lib/db/migrator-settings";
import { runCommand } from "../cli/run-command";
import { startDatabaseServer } from "../database-source";
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  uniqueDatabaseName,
} from "../database-source/databases";
import { startOldServer } from "./old-server";
import type { Release } from "./previous-release";
import { builtRelease, COMPAT_PLAYWRIGHT_CONFIG } from "./release-build";

/**
 * `npm run test:compat`: a rolling deploy, replayed. The previous release's server boots on a
 * fresh database (migrating it with its own migrations, as when it was deployed), the current
 * migrations are applied while it serves (the new release's first server), and the previous
 * release's own Playwright smoke tests run against it.
 */

export interface CompatOptions {
  repo: string;
  release: Release;
  /** The current migrations (drizzle/, or a fixture). */
  migrationsFolder: string;
  say: (line: string) => void;
}

export interface CompatResult {
  passed: boolean;
  /** What to show: the verdict, then the details that explain a failure. */
  report: string;
}

const PLAYWRIGHT_TIMEOUT_MS = 10 * 60 * 1000;

/** The folder as a person reads it: relative to the repository when inside it. */
function shown(options: CompatOptions): string {
  const relative = path.relative(options.repo, options.migrationsFolder);
  return relative && !relative.startsWith("..") ? relative : options.migrationsFolder;
}

export async function runCompat(options: CompatOptions): Promise<CompatResult> {
  const { release, say } = options;
  say(`previous release: ${release.title} (${release.chosenBecause})`);
  const releaseDir = await builtRelease(options.repo, release.commit, say);
  const server = await startDatabaseServer({ purpose: "test" });
  const name = uniqueDatabaseName("compat");
  try {
    await createDatabase(server.adminUrl, name);
    return await onDatabase(options, releaseDir, databaseUrl(server.adminUrl, name));
  } finally {
    if (server.kind === "url") await dropDatabase(server.adminUrl, name);
    await server.stop();
  }
}

async function onDatabase(
  options: CompatOptions,
  releaseDir: string,
  url: string,
): Promise<CompatResult> {
  const { release, say } = options;
  const oldServer = await startOldServer(releaseDir, url);
  const work = await mkdtemp(path.join(os.tmpdir(), "compat-run-"));
  let keepTraces = false;
  try {
    say(`the previous release serves at ${oldServer.url}; applying the current migrations`);
    const migrationLog: string[] = [];
    try {
      await runMigrator(
        migratorSettingsFromEnv(parseEnv({ MIGRATIONS_DATABASE_URL: url }), {
          migrationsFolder: options.migrationsFolder,
        }),
        {
          mode: "apply",
          log: createLog({ prefix: "migrate", write: (line) => migrationLog.push(line) }),
        },
      );
    } catch (error) {
      const { code, message } = describeFailure(error);
      return {
        passed: false,
        report:
          `test:compat FAILED: the migrations of ${shown(options)} do not apply on top of the schema of ${release.title}:\n` +
          `failed (${code}): ${message}`,
      };
    }
    for (const line of migrationLog) say(line);

    const stateFile = path.join(work, "e2e-state.json");
    await writeFile(stateFile, JSON.stringify({ databaseUrl: url }));
    const playwright = await runCommand(
      process.execPath,
      [
        path.join(releaseDir, "node_modules/@playwright/test/cli.js"),
        "test",
        "--config",
        COMPAT_PLAYWRIGHT_CONFIG,
        "--reporter",
        "list",
        "--output",
        path.join(work, "test-results"),
      ],
      {
        cwd: releaseDir,
        timeoutMs: PLAYWRIGHT_TIMEOUT_MS,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: "test",
          E2E_STATE_FILE: stateFile,
          COMPAT_BASE_URL: oldServer.url,
        },
      },
    );
    if (playwright.code === 0 && !playwright.timedOut) {
      return {
        passed: true,
        report:
          `test:compat passed: the smoke tests of ${release.title} pass on a database migrated with ${shown(options)}.\n` +
          summary(playwright.output),
      };
    }
    keepTraces = true;
    return {
      passed: false,
      report: `${failureReport(options, playwright.output, oldServer.output())}\n\nTraces and screenshots are kept in ${work}.`,
    };
  } finally {
    await oldServer.stop();
    if (!keepTraces) await rm(work, { recursive: true, force: true });
  }
}

/** Playwright's closing counts (`2 passed`, `1 failed`, ...). */
function summary(output: string): string {
  return output
    .split("\n")
    .filter((line) => /^\s+\d+ (passed|failed|skipped|flaky|did not run)\b/.test(line))
    .map((line) => line.trim())
    .join(", ");
}

/** Lines of the server's log that name an error, deduplicated, at most 15. */
function serverErrors(log: string): string[] {
  const lines = log
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /\bERROR\b|Error:|does not exist|violates/.test(line))
    // postgres.js prints an error's fields one per line; the message line says it all.
    .filter((line) => !/^(severity|routine|code|file|line)\w*:/.test(line));
  return [...new Set(lines)].slice(0, 15);
}

function failureReport(options: CompatOptions, testOutput: string, serverLog: string): string {
  const failed = testOutput
    .split("\n")
    .filter((line) => /^\s+✘/.test(line))
    .map((line) => `  ${line.trim()}`);
  const errors = serverErrors(serverLog).map((line) => `  ${line}`);
  return [
    `test:compat FAILED: the smoke tests of ${options.release.title} (${options.release.chosenBecause})`,
    `fail on a database migrated with ${shown(options)}: a migration breaks the release`,
    "that is still serving during a rolling deploy.",
    "",
    `Failed (${summary(testOutput)}):`,
    ...failed,
    "",
    "The previous release's server logged:",
    ...(errors.length > 0 ? errors : ["  (no errors)"]),
    "",
    "What to do: make the migration an expand step the previous release can live with, and drop or",
    "rename only in a later release (docs/migrations.md#expand-and-contract).",
    "",
    "Playwright's report:",
    testOutput.trim(),
  ].join("\n");
}
