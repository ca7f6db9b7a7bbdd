#!/usr/bin/env node
/**
 * `drizzle-boot-migrator <command>`: the package's own command line, for any project's
 * `package.json` scripts. Settings come from the environment (`fromEnv`); the folder and ledger
 * from the flags, then the project's drizzle.config.* (as drizzle-kit reads it), then `./drizzle`
 * and drizzle's default ledger. LOG_FORMAT=json prints JSON.
 */
import {
  EXIT,
  flagsNameEverything,
  type MigratorFlags,
  migrationSetsFromFlags,
  parseMigratorFlags,
  reportCliFailure,
} from "./cli.ts";
import { DRIVER_ORDER, installedDriver, requireInstalled } from "./driver/installed.ts";
import { ledgerName } from "./drizzle-0.45/format.ts";
import { findDrizzleConfig, migrationSetOfConfig, readDrizzleConfig } from "./drizzle-config.ts";
import type { LogFormat } from "./events.ts";
import { fromEnv } from "./from-env.ts";
import { migratorLog } from "./log.ts";
import { inspectMigrationSets, type MigratorMode, runMigrationSets, setLabel } from "./run.ts";

const USAGE = `Usage: drizzle-boot-migrator <migrate|check|status|verify|baseline> [options]

  migrate   apply pending migrations under the advisory lock
  check     exit 1 when migrations are pending or the folder does not match the database
  status    list applied and pending migrations and every problem, without locking
  verify    does the database have the schema its applied migrations build? Read-only;
            exit 0 no drift, 1 drift, 2 cannot verify
  baseline  record every migration without running it in a database that has their schema
            but no ledger (drizzle-kit push); exit 0 recorded, 1 refused, 2 could not check

Options:
  --config <file>             drizzle-kit's config (default: drizzle.config.ts, .js or .json here)
  --migrations-folder <dir>   drizzle-kit's output folder (default: the config's out, or ./drizzle);
                              repeat for several sets
  --migrations-schema <name>  the ledger's schema (default: the config's, or drizzle)
  --migrations-table <name>   the ledger's table (default: the config's, or __drizzle_migrations)
  --driver <name>             the Postgres driver: ${DRIVER_ORDER.join(" or ")} (default: the first
                              of these installed)

verify and baseline:
  --scratch-url <url>         a Postgres server where the role may CREATE DATABASE, to build the
                              expected schema on (required; best of the live server's major)
  --schema <name>             compare this schema too (repeatable); default: public and the
                              schemas the migrations create
  --acknowledgements <file>   acknowledged differences (default: verify-acknowledgements.json)
  --json                      the report as one JSON object on stdout

The flags win over the config file; a TypeScript config needs tsx installed. Without a config file
and flags: ./drizzle and "drizzle"."__drizzle_migrations".

Environment: MIGRATIONS_DATABASE_URL (or DATABASE_URL_UNPOOLED, POSTGRES_URL_NON_POOLING,
DATABASE_URL), MIGRATION_* settings; see the README.`;

async function main(argv: string[]): Promise<number> {
  const format: LogFormat = process.env.LOG_FORMAT === "json" ? "json" : "human";
  const log = migratorLog({ format });
  const [command, ...rest] = argv;
  const cwd = process.cwd();
  try {
    const verifying = command === "verify" || command === "baseline";
    const flags = verifying
      ? parseMigratorFlags(
          rest,
          USAGE,
          ["json"],
          ["config", "scratch-url", "acknowledgements"],
          ["schema"],
        )
      : parseMigratorFlags(rest, USAGE, [], ["config", "driver"]);
    if (verifying) {
      // Verify reads the catalogs and builds the expected schema on postgres.js only (its array
      // parameters), whichever driver the project migrates with.
      await requireInstalled("postgres", `${command} (it runs on postgres.js)`);
      // Loaded for these commands only: migrate, check and status never load the comparison.
      const { runVerifyCommand } = await import("./verify/command.ts");
      return runVerifyCommand(command, {
        configure: () => configure(flags, cwd),
        flags,
        cwd,
        format,
      });
    }
    const { settings, sets } = await configure(flags, cwd);
    const driver = await installedDriver(flags.options.driver);
    if (command === "migrate" || command === "check") {
      const mode: MigratorMode = command === "migrate" ? "apply" : "check";
      const reports = await runMigrationSets(settings, sets, { mode, log, driver });
      const pending = reports.some(({ report }) => report.pending.length > 0);
      return pending ? EXIT.failed : EXIT.ok;
    }
    if (command === "status") {
      const statuses = await inspectMigrationSets(settings, sets, { log, driver });
      for (const { set, status } of statuses) {
        console.log(
          `${setLabel(set)} (ledger ${ledgerName(set.ledger)}): ${status.target} at ` +
            `${status.version ?? "(nothing applied)"}, ` +
            `${status.pending.length} of ${status.total} pending` +
            status.pending.map((file) => `\n  pending ${file.tag}`).join(""),
        );
        for (const problem of status.problems) console.log(`  ${problem.code}: ${problem.message}`);
      }
      return statuses.some(({ status }) => status.problems.length > 0) ? EXIT.failed : EXIT.ok;
    }
    console.error(USAGE);
    return EXIT.config;
  } catch (error) {
    return reportCliFailure(log, error);
  }
}

/**
 * The settings from the environment and the sets from the flags, then the project's
 * drizzle.config.*, then the defaults.
 */
async function configure(flags: MigratorFlags, cwd: string) {
  const configFile = findDrizzleConfig(cwd, flags.options.config);
  // Flags that name every folder and ledger leave nothing to read: a TypeScript config is then
  // not loaded, which is how a project without tsx runs the command.
  const configured =
    configFile && !flagsNameEverything(flags) ? await readDrizzleConfig(configFile) : {};
  const set = migrationSetOfConfig(configured, cwd);
  const settings = fromEnv(process.env, set);
  return { settings, sets: migrationSetsFromFlags(flags, USAGE, [set], set.ledger) };
}

process.exitCode = await main(process.argv.slice(2));
