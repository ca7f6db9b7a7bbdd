/**
 * `npm run db:baseline [-- --json] [--scratch-url <url>] [--install-postgres] [--schema <name>]
 * [--acknowledgements <file>] [--migrations-folder <dir> ...]`: adopts a database that has the
 * schema but no ledger (`drizzle-kit push`, built by hand). When its schema is what the folder's
 * migrations build (db:verify's comparison), it records every migration in the ledger without
 * running any; otherwise it refuses and names the differences (docs/migrations.md#adopting-a-database).
 * Exit codes: 0 recorded, 1 refused (differences, or a ledger already records migrations),
 * 2 could not check (unreachable, bad configuration).
 */
import { onConfiguredOrDevDatabase } from "@tools/database-source/dev-database";
import { baselineApp, takeOptions } from "@tools/verify/run";
import { readEnv } from "../src/env";
import { logFailure } from "../src/lib/db/migrator";
import { migratorCliOptions } from "../src/lib/db/migrator/cli";
import { migratorLog } from "../src/lib/db/migrator/log";
import { chooseMigrationsUrl, describeTarget } from "../src/lib/db/migrator/migrations-url";
import { formatBaselineReport } from "../src/lib/db/verify";

const USAGE =
  "usage: npm run db:baseline [-- --json] [--scratch-url <url>] [--install-postgres] " +
  "[--schema <name>] [--acknowledgements <file>] [--migrations-folder <dir>] " +
  "[--migrations-schema <name>] [--migrations-table <name>]\n" +
  "  (the options of npm run db:verify; see `npm run db:verify -- --help`)";

async function main(): Promise<number> {
  const { values, rest } = takeOptions(
    process.argv.slice(2),
    ["scratch-url", "schema", "acknowledgements"],
    USAGE,
  );
  const configured = chooseMigrationsUrl(readEnv()) !== undefined;
  return onConfiguredOrDevDatabase(configured, say, async (dev) => {
    const overrides = dev ? { url: dev.url, urlVariable: "DEV_DATABASE_DIR" as const } : {};
    const { settings, sets, flags } = migratorCliOptions(
      rest,
      USAGE,
      ["json", "install-postgres"],
      overrides,
    );
    const report = await baselineApp({
      settings,
      sets,
      scratchUrl: values["scratch-url"]?.[0] ?? dev?.adminUrl,
      installPostgres: flags["install-postgres"],
      acknowledgementsFile: values.acknowledgements?.[0],
      schemas: values.schema,
      log: say,
    });
    const target = describeTarget(settings);
    if (flags.json) console.log(JSON.stringify({ target, ...report }, null, 2));
    else console.log(formatBaselineReport(report, target).join("\n"));
    return report.outcome === "recorded" ? 0 : 1;
  });
}

function say(line: string): void {
  console.error(`[baseline] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    logFailure(migratorLog(), error);
    process.exit(2);
  },
);
