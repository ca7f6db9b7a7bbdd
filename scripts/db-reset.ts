/**
 * `npm run db:reset`: drops the dev database of `npm run dev`, creates it again and applies this
 * checkout's migrations: the way out after a branch switch left it with migrations the checkout
 * does not have (UNKNOWN_APPLIED, CHECKSUM_MISMATCH). It refuses to run when a database URL is
 * configured: it never drops any database but the dev one. Works whether `npm run dev` runs or not.
 * Exit codes: 0 done, 1 failed, 2 refused (a database URL is set) or bad usage.
 */

import { utimes } from "node:fs/promises";
import path from "node:path";
import { createDatabase, dropDatabase } from "@tools/database-source/databases";
import { DEV_APP_DATABASE, openDevDatabase } from "@tools/database-source/dev-database";
import { chooseMigrationsUrl, runMigrationSets } from "drizzle-boot-migrator";
import { EXIT } from "drizzle-boot-migrator/cli";
import { migrationSqlFiles } from "drizzle-boot-migrator/folder";
import { readEnv } from "../src/env";
import { appCliOptions, reportAppCliFailure } from "../src/lib/db/migrator-settings";

const USAGE =
  "usage: npm run db:reset [-- --migrations-folder <dir>] [--migrations-schema <name>] " +
  "[--migrations-table <name>]";
const say = (line: string) => console.log(`[db:reset] ${line}`);

async function main(): Promise<number> {
  const configured = chooseMigrationsUrl(readEnv());
  if (configured) {
    console.error(
      `[db:reset] refused: ${configured.variable} is set, so this would not be the dev database of ` +
        "`npm run dev`, and db:reset drops no other database. Unset the database URL variables " +
        "(DATABASE_URL, MIGRATIONS_DATABASE_URL, DATABASE_URL_UNPOOLED, POSTGRES_URL_NON_POOLING) " +
        "to reset the dev database.",
    );
    return EXIT.config;
  }
  const dev = await openDevDatabase(say);
  try {
    const { settings, sets } = appCliOptions(process.argv.slice(2), USAGE, [], {
      url: dev.url,
      urlVariable: "DEV_DATABASE_DIR",
    });
    // WITH (FORCE) also ends the running dev server's sessions; its pool reconnects by itself.
    await dropDatabase(dev.adminUrl, DEV_APP_DATABASE);
    await createDatabase(dev.adminUrl, DEV_APP_DATABASE);
    say(`dropped and recreated ${DEV_APP_DATABASE}`);
    await runMigrationSets(settings, sets, { mode: "apply" });
    // A running dev server re-applies drizzle/ when anything in it changes: touching the newest
    // migration's SQL (either drizzle-kit layout) makes it read the new ledger and leave its 503
    // page.
    const now = new Date();
    for (const { migrationsFolder } of sets) {
      const newest = migrationSqlFiles(migrationsFolder).at(-1);
      if (newest) await utimes(path.join(migrationsFolder, newest), now, now);
    }
    say(`${DEV_APP_DATABASE} is at this checkout's migrations`);
    return EXIT.ok;
  } finally {
    await dev.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportAppCliFailure(error)),
);
