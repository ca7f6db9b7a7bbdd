import { readMigrationFolder } from "drizzle-boot-migrator/folder";
import { summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { countLedgerRows, withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { loggedTotalMs } from "../support/migrators";
import { type ProcessResult, runConcurrently } from "../support/processes";

export const COLD_BOOT_COUNTS = [1, 4, 16] as const;

/** The CLI of `npm run db:migrate`, without the tsx CLI's extra parent process. */
const MIGRATE_ARGS = ["--import", "tsx", "scripts/db-migrate.ts"];
/** The same process start and module loading, stopping before it connects: the floor. */
const LOAD_ONLY_ARGS = [
  "--import",
  "tsx",
  "--input-type=module",
  "--eval",
  'await import("drizzle-boot-migrator")',
];

/**
 * Scenario 3: N processes run the migrator at once against one empty database, as replicas or
 * serverless instances starting together do. Exactly one applies; the others wait on the lock
 * and then find nothing pending.
 */
export const coldBoots: Scenario = {
  name: "cold-boots",
  title: "Concurrent cold boots: N `db-migrate` processes at once on an empty database",
  async run(context) {
    const expectedRows = readMigrationFolder(appMigrationsFolder).length;
    const rows: BenchRow[] = [];
    for (const count of COLD_BOOT_COUNTS) {
      const walls: number[] = [];
      const loadOnly: number[] = [];
      const errors: number[] = [];
      const ledgerRows: number[] = [];
      const slowestMigrator: number[] = [];
      for (let run = 0; run < context.runs(5); run++) {
        await withBenchDatabase(context.adminUrl, `cold_${count}`, async (database) => {
          const env = { MIGRATIONS_DATABASE_URL: database.url, DATABASE_URL: database.url };
          const boots = await runConcurrently(count, MIGRATE_ARGS, env);
          walls.push(boots.wallMs);
          errors.push(boots.results.filter(failed).length);
          ledgerRows.push(await countLedgerRows(database.url));
          const reported = boots.results.map((result) => loggedTotalMs(result.output));
          if (reported.every((ms) => ms !== undefined)) {
            slowestMigrator.push(Math.max(...(reported as number[])));
          }
          const firstFailure = boots.results.find(failed);
          if (firstFailure) context.log(`  a migrator process failed:\n${firstFailure.output}`);
          loadOnly.push((await runConcurrently(count, LOAD_ONLY_ARGS, env)).wallMs);
        });
      }
      rows.push(
        { key: `${count}.wall`, measurement: summarize(walls, "ms") },
        {
          key: `${count}.load-only`,
          measurement: summarize(loadOnly, "ms"),
          note: "same N processes only starting Node and loading the migrator: the floor",
        },
        ...(slowestMigrator.length > 0
          ? [
              {
                key: `${count}.slowest-migrator`,
                measurement: summarize(slowestMigrator, "ms"),
                note: "the longest `total` a process logged (connect, lock wait, apply)",
              },
            ]
          : []),
        {
          key: `${count}.errors`,
          measurement: summarize(errors, "processes"),
          note: `must be 0: ${errors.every((n) => n === 0) ? "met" : "MISSED"}`,
        },
        {
          key: `${count}.ledger-rows`,
          measurement: summarize(ledgerRows, "rows"),
          note: `must be ${expectedRows}: ${ledgerRows.every((n) => n === expectedRows) ? "met" : "MISSED"}`,
        },
      );
    }
    return rows;
  },
};

/** A non-zero exit, or anything that looks like an error in its log. */
function failed(result: ProcessResult): boolean {
  return result.code !== 0 || /error/i.test(result.output);
}
