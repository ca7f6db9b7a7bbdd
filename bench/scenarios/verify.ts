import { scratchOnServer, type VerifyReport, verifyDatabase } from "drizzle-boot-migrator/verify";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder, writeSyntheticMigrations } from "../support/fixtures";
import { ours } from "../support/migrators";

/**
 * Scenario: `db:verify` on an up-to-date database, in process, split into its parts: building the
 * expected schema (a scratch database on the same server, the applied migrations, its catalog
 * read, the drop), reading the live ledger and catalog, and comparing. For this app's schema and
 * for 100 synthetic tables (one migration each, a table with an index).
 */
export const verify: Scenario = {
  name: "verify",
  title: "db:verify on an up-to-date database: build the expected schema vs read and compare",
  async run(context) {
    const rows: BenchRow[] = [];
    const measure = async (label: string, folder: string) => {
      const reports = await withBenchDatabase(
        context.adminUrl,
        `verify_${label.replace("-", "_")}`,
        async (db) => {
          await ours(db.url, folder);
          const run = () =>
            verifyDatabase({
              url: db.url,
              sets: [
                {
                  migrationsFolder: folder,
                  ledger: { schema: MIGRATIONS.schema, table: MIGRATIONS.table },
                },
              ],
              scratch: scratchOnServer(context.adminUrl, "the bench server"),
            });
          for (let round = 0; round < context.warmup(1); round++) await run();
          const samples: VerifyReport[] = [];
          for (let round = 0; round < context.runs(10, 1); round++) {
            const report = await run();
            if (report.verdict !== "match") {
              throw new Error(`verify found ${report.verdict} on an untouched database`);
            }
            samples.push(report);
          }
          return samples;
        },
      );
      const part = (key: keyof VerifyReport["timings"]) =>
        summarize(
          reports.map((report) => report.timings[key]),
          "ms",
        );
      rows.push(
        { key: `${label}.total`, measurement: part("totalMs") },
        {
          key: `${label}.build`,
          measurement: part("buildMs"),
          note: "scratch database: create, apply the migrations, read its catalog, drop",
        },
        { key: `${label}.live-read`, measurement: part("liveReadMs"), note: "ledger + catalog" },
        { key: `${label}.compare`, measurement: part("compareMs") },
      );
    };
    await measure("app", appMigrationsFolder);
    const synthetic = await writeSyntheticMigrations(100);
    try {
      await measure("tables-100", synthetic.folder);
    } finally {
      await synthetic.remove();
    }
    return rows;
  },
};
