/**
 * `npm run dev [-- <next dev options>]`: `next dev` against DATABASE_URL when it is set (here or
 * in a .env file), otherwise against an embedded Postgres whose data stays in DEV_DATABASE_DIR.
 * Postgres runs in its own process group, so Ctrl-C reaches Next and this script but not the
 * database: Next stops first, then Postgres. See docs/database-source.md.
 */
import { createRequire } from "node:module";
import { runSharingTerminal } from "@tools/cli/child-process";
import { loadEnvFilesLikeNext } from "@tools/cli/env-files";
import { watchTerminationSignals } from "@tools/cli/signals";
import { startDatabaseServer } from "@tools/database-source";
import { databaseUrl, ensureDatabase } from "@tools/database-source/databases";
import { DEV_APP_DATABASE } from "@tools/database-source/dev-database";
import { watchSchemaDrift } from "@tools/migration-check/watch";
import { watchDatabaseDrift } from "@tools/verify/dev-watch";
import { readEnv } from "../src/env";
import { MIGRATIONS } from "../src/lib/db/migrations-config";
import { configuredMigrationSets, migratorSettingsFromEnv } from "../src/lib/db/migrator-settings";

const say = (line: string) => console.log(`[dev] ${line}`);

async function main(): Promise<number> {
  const watch = watchTerminationSignals();
  loadEnvFilesLikeNext(true);
  const server = await startDatabaseServer({
    purpose: "dev",
    log: say,
    postgresLog: showPostgresProblems,
  });
  let stopDriftWatch: (() => void) | undefined;
  let stopDatabaseWatch: (() => void) | undefined;
  try {
    let url = server.adminUrl;
    if (server.kind === "url") {
      say("using DATABASE_URL");
    } else {
      if (await ensureDatabase(server.adminUrl, DEV_APP_DATABASE))
        say(`created database ${DEV_APP_DATABASE}`);
      url = databaseUrl(server.adminUrl, DEV_APP_DATABASE);
      say(`embedded Postgres with its data in ${server.dataDir}; psql ${url}`);
    }
    const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
    // Here, not in the server: the check spawns drizzle-kit, which must stay off the request path.
    stopDriftWatch = watchSchemaDrift({
      cwd: process.cwd(),
      configPath: "drizzle.config.ts",
      folders: ["src/lib/db/schema", MIGRATIONS.out],
      log: (text) => console.log(text),
    });
    // The database itself against its applied migrations (db:verify), e.g. after a branch switch.
    try {
      stopDatabaseWatch = watchDatabaseDrift({
        settings: migratorSettingsFromEnv(readEnv(), { url, urlVariable: "DATABASE_URL" }),
        sets: configuredMigrationSets(),
        scratchUrl: server.kind === "url" ? undefined : server.adminUrl,
        log: (text) => console.log(text),
      });
    } catch (error) {
      // The dev server reports a bad configuration itself; the check is only a helper.
      say(`not checking the database against its migrations: ${(error as Error).message}`);
    }
    return await runSharingTerminal(
      watch,
      process.execPath,
      [nextBin, "dev", ...process.argv.slice(2)],
      {
        ...process.env,
        DATABASE_URL: url,
        NEXT_TELEMETRY_DISABLED: "1",
      },
    );
  } finally {
    stopDriftWatch?.();
    stopDatabaseWatch?.();
    if (server.kind !== "url") say("stopping Postgres");
    await server.stop();
  }
}

/**
 * Postgres logs every checkpoint, and every failed statement at ERROR (which the app reports
 * itself); show only what needs attention, less the notices our own shutdown causes.
 */
function showPostgresProblems(line: string): void {
  if (!/\b(WARNING|FATAL|PANIC):/.test(line)) return;
  if (/terminating connection due to administrator command/.test(line)) return;
  console.error(`[postgres] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[dev] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
