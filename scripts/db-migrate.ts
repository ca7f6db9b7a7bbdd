/**
 * `npm run db:migrate [-- --migrations-folder <dir>] [--migrations-schema/-table <name>]`: applies
 * each migration set's pending migrations exactly as a booting server does (same lock,
 * validation, timeouts and logs), for release steps and CI.
 * Without any database URL it migrates the dev database of `npm run dev` (docs/database-source.md).
 * Exit codes: 0 up to date, 1 failed or refused, 2 bad configuration or usage.
 */
import { devResetHint, onConfiguredOrDevDatabase } from "@tools/database-source/dev-database";
import { chooseMigrationsUrl, describeFailure, runMigrationSets } from "drizzle-boot-migrator";
import { EXIT } from "drizzle-boot-migrator/cli";
import { readEnv } from "../src/env";
import { appCliOptions, reportAppCliFailure } from "../src/lib/db/migrator-settings";

const USAGE =
  "usage: npm run db:migrate [-- --migrations-folder <dir>] [--migrations-schema <name>] " +
  "[--migrations-table <name>]";

async function main(): Promise<number> {
  const configured = chooseMigrationsUrl(readEnv()) !== undefined;
  return onConfiguredOrDevDatabase(configured, say, async (dev) => {
    const overrides = dev ? { url: dev.url, urlVariable: "DEV_DATABASE_DIR" as const } : {};
    try {
      const { settings, sets } = appCliOptions(process.argv.slice(2), USAGE, [], overrides);
      await runMigrationSets(settings, sets, { mode: "apply" });
      return EXIT.ok;
    } catch (error) {
      const code = reportAppCliFailure(error);
      const hint = dev && devResetHint([describeFailure(error).code]);
      if (hint) say(hint);
      return code;
    }
  });
}

function say(line: string): void {
  console.error(`[migrate] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportAppCliFailure(error)),
);
