/**
 * `npm run db:verify [-- --json] [--scratch-url <url>] [--install-postgres] [--schema <name>]
 * [--acknowledgements <file>] [--migrations-folder <dir> ...]`: does the database have the schema
 * its applied migrations build? Builds that schema in a scratch database and compares the two
 * catalogs (docs/migrations.md#dbverify-does-the-database-match-its-migrations); only reads the database, in read-only transactions.
 * Without any database URL it verifies the dev database of `npm run dev`.
 * Exit codes: 0 no drift (or only acknowledged differences), 1 drift, 2 cannot verify (the reason
 * is printed: ahead of the folder, unreachable, bad configuration).
 */
import { devResetHint } from "@tools/database-source/dev-database";
import { BASELINE_COMMAND, onVerifyTarget, verifyApp, verifyResetCodes } from "@tools/verify/run";
import { describeTarget, logFailure } from "drizzle-boot-migrator";
import { formatVerifyReport, VERIFY_EXIT } from "drizzle-boot-migrator/verify";
import { appMigratorLog } from "../src/lib/db/migrator-settings";

const USAGE =
  "usage: npm run db:verify [-- --json] [--scratch-url <url>] [--install-postgres] " +
  "[--schema <name>] [--acknowledgements <file>] [--migrations-folder <dir>] " +
  "[--migrations-schema <name>] [--migrations-table <name>]\n" +
  "  --json               the report as one JSON object on stdout\n" +
  "  --scratch-url        a Postgres server (a role that may CREATE DATABASE) to build the\n" +
  "                       expected schema on; default: an embedded Postgres of the nearest major\n" +
  "  --install-postgres   install the embedded binaries of the live server's major if missing\n" +
  "  --schema             compare this schema too (repeatable); default: public and the schemas\n" +
  "                       the migrations create\n" +
  "  --acknowledgements   the acknowledged differences (default verify-acknowledgements.json)";

async function main(): Promise<number> {
  return onVerifyTarget(process.argv.slice(2), USAGE, say, async ({ options, flags, dev }) => {
    const report = await verifyApp(options);
    const target = describeTarget(options.settings);
    if (flags.json) {
      console.log(JSON.stringify({ target, ...report }, null, 2));
    } else {
      console.log(formatVerifyReport(report, target, BASELINE_COMMAND).join("\n"));
      const hint = dev && devResetHint(verifyResetCodes(report));
      if (hint) say(hint);
    }
    return VERIFY_EXIT[report.verdict];
  });
}

function say(line: string): void {
  console.error(`[verify] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Whatever stopped the check (no database, bad usage, a migration failing on the scratch
    // server): the question is unanswered.
    logFailure(appMigratorLog(), error);
    process.exit(VERIFY_EXIT.unverifiable);
  },
);
