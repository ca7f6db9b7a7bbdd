import { interleave, paired, summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder, writeSyntheticMigrations } from "../support/fixtures";
import { type MigrateVariant, ours, plain } from "../support/migrators";

const SYNTHETIC_COUNT = 100;

/**
 * Scenario 5: an empty database brought fully up to date, ours vs drizzle's `migrate()`, with the
 * app's migrations and with 100 synthetic ones. Each run gets a new database, created and dropped
 * outside the timing.
 */
export const fullApply: Scenario = {
  name: "full-apply",
  title: "Full apply: empty database → fully migrated, incl. connect and close",
  async run(context) {
    const synthetic = await writeSyntheticMigrations(SYNTHETIC_COUNT);
    try {
      const folders = {
        app: appMigrationsFolder,
        [`synthetic-${SYNTHETIC_COUNT}`]: synthetic.folder,
      };
      const rows: BenchRow[] = [];
      for (const [label, folder] of Object.entries(folders)) {
        const onFreshDatabase = (variant: MigrateVariant) => () =>
          withBenchDatabase(context.adminUrl, "apply", async (database) => {
            return (await variant(database.url, folder)).totalMs;
          });
        const samples = await interleave(
          { ours: onFreshDatabase(ours), plain: onFreshDatabase(plain) },
          { runs: context.runs(label === "app" ? 15 : 8), warmup: context.warmup(1) },
        );
        rows.push(
          { key: `${label}.ours`, measurement: summarize(samples.ours, "ms") },
          { key: `${label}.plain`, measurement: summarize(samples.plain, "ms") },
          {
            key: `${label}.ratio.ours/plain`,
            measurement: summarize(
              paired(samples.ours, samples.plain, (a, b) => a / b),
              "×",
            ),
            note: "per-round ratios",
          },
        );
      }
      return rows;
    } finally {
      await synthetic.remove();
    }
  },
};
