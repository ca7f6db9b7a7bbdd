/**
 * `npm run db:baseline [-- --json] [--scratch-url <url>] [--install-postgres] [--schema <name>]
 * [--acknowledgements <file>] [--migrations-folder <dir> ...]`: adopts a database that has the
 * schema but no ledger (`drizzle-kit push`, built by hand). When its schema is what the folder's
 * migrations build (db:verify's comparison), it records every migration in the ledger without
 * running any; otherwise it refuses and names the differences (docs/migrations.md#adopting-a-database-dbbaseline).
 * Exit codes: 0 recorded, 1 refused (differences, or a ledger already records migrations),
 * 2 could not check (unreachable, bad configuration).
 */
import { baselineApp, onVerifyTarget } from "@tools/verify/run";
import { describeTarget, logFailure } from "drizzle-boot-migrator";
import { formatBaselineReport } from "drizzle-boot-migrator/verify";
import { appMigratorLog } from "../src/lib/db/migrator-settings";

const USAGE =
  "usage: npm run db:baseline [-- --json] [--scratch-url <url>] [--install-postgres] " +
  "[--schema <name>] [--acknowledgements <file>] [--migrations-folder <dir>] " +
  "[--migrations-schema <name>] [--migrations-table <name>]\n" +
  "  (the options of npm run db:verify; see `npm run db:verify -- --help`)";

async function main(): Promise<number> {
  return onVerifyTarget(process.argv.slice(2), USAGE, say, async ({ options, flags }) => {
    const report = await baselineApp(options);
    const target = describeTarget(options.settings);
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
    logFailure(appMigratorLog(), error);
    process.exit(2);
  },
);
