/**
 * `npm run db:migrate [-- --migrations-folder <dir>]`: applies pending migrations exactly as a
 * booting server does (same lock, validation, timeouts and logs), for release steps and CI.
 * Exit codes: 0 up to date, 1 failed or refused, 2 bad configuration or usage.
 */
import { EXIT, migratorCliOptions, reportCliFailure } from "../src/lib/db/migrator/cli";
import { runMigrator } from "../src/lib/db/migrator/run";

const USAGE = "usage: npm run db:migrate [-- --migrations-folder <dir>]";

async function main(): Promise<number> {
  const { settings } = migratorCliOptions(process.argv.slice(2), USAGE);
  await runMigrator(settings, { mode: "apply" });
  return EXIT.ok;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportCliFailure(error)),
);
