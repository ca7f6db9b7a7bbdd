import { buildWindow, watchIndexBuilds } from "@tools/load/index-build-progress";
import { createLoadTable, LOAD_TABLE, startWriter } from "@tools/load/write-load";
import { interleave, percentile, summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { type MigrationsFolder, writeMigrationsFolder } from "../support/fixtures";
import { ours } from "../support/migrators";

const ROWS = 300_000;
/** Writes measured before the migration starts, for the latency the writer has without it. */
const BASELINE_MS = 300;

interface BuildRun {
  /** The migrator's whole run, connect to close: what the build costs a deploy. */
  migrateMs: number;
  /** How long `pg_stat_progress_create_index` showed the build. */
  buildSeenMs: number;
  /** Insert latencies (ms) of the inserts started while the migrator ran. */
  during: number[];
  baseline: number[];
}

/**
 * Scenario 6: a writer inserting one row at a time into a 300,000-row table while the migrator
 * builds an index on it, plainly in an ordinary migration (a SHARE lock: every insert waits for
 * the build) or CONCURRENTLY in a `-- no-transaction` one. Each run gets a fresh database.
 */
export const indexBuild: Scenario = {
  name: "index-build",
  title: `Writer latency during an index build on a ${ROWS.toLocaleString("en")}-row table, plain vs CONCURRENTLY`,
  async run(context) {
    const folders: Record<"plain" | "concurrently", MigrationsFolder> = {
      plain: await writeMigrationsFolder("plain-index", [
        {
          name: "payload-index",
          sql: `create index load_events_payload_idx on ${LOAD_TABLE} (payload);`,
        },
      ]),
      concurrently: await writeMigrationsFolder("concurrent-index", [
        {
          name: "payload-index",
          sql:
            "-- no-transaction\n" +
            `create index concurrently if not exists load_events_payload_idx on ${LOAD_TABLE} (payload);`,
        },
      ]),
    };
    try {
      const oneRun = (folder: string) => () =>
        withBenchDatabase(context.adminUrl, "index", (database) =>
          buildUnderLoad(database.url, folder),
        );
      const samples = await interleave(
        { plain: oneRun(folders.plain.folder), concurrently: oneRun(folders.concurrently.folder) },
        { runs: context.runs(5), warmup: context.warmup(1) },
      );
      const rows: BenchRow[] = [];
      for (const [variant, runs] of Object.entries(samples)) {
        const row = (key: string, value: (run: BuildRun) => number, unit: string, note?: string) =>
          rows.push({
            key: `${variant}.${key}`,
            measurement: summarize(runs.map(value), unit),
            note,
          });
        row("migrate", (run) => run.migrateMs, "ms", "the migrator's run, connect to close");
        row(
          "build-seen",
          (run) => run.buildSeenMs,
          "ms",
          "pg_stat_progress_create_index showed the build",
        );
        row(
          "insert.p99",
          (run) => percentile(run.during, 99),
          "ms",
          "p99 of the inserts started while the migrator ran",
        );
        row("insert.max", (run) => Math.max(...run.during), "ms");
        row("inserts", (run) => run.during.length, "inserts", "completed by the writer meanwhile");
        row(
          "baseline.p99",
          (run) => percentile(run.baseline, 99),
          "ms",
          "p99 just before the migration: the writer alone",
        );
      }
      return rows;
    } finally {
      await folders.plain.remove();
      await folders.concurrently.remove();
    }
  },
};

async function buildUnderLoad(url: string, folder: string): Promise<BuildRun> {
  await createLoadTable(url, ROWS);
  const writer = startWriter(url);
  const watch = watchIndexBuilds(url, LOAD_TABLE);
  let migrate: { start: number; end: number; totalMs: number };
  try {
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    const start = performance.now();
    const { totalMs } = await ours(url, folder);
    migrate = { start, end: performance.now(), totalMs };
  } finally {
    await watch.stop();
  }
  const { inserts, failures } = await writer.stop();
  if (failures.length > 0)
    throw new Error(`the writer lost ${failures.length} insert(s): ${failures[0]?.message}`);
  const window = buildWindow(watch.samples);
  if (!window) throw new Error("pg_stat_progress_create_index never showed the build");
  const latency = (insert: { startedAt: number; endedAt: number }) =>
    insert.endedAt - insert.startedAt;
  return {
    migrateMs: migrate.totalMs,
    buildSeenMs: window.end - window.start,
    during: inserts
      .filter((i) => i.startedAt >= migrate.start && i.startedAt < migrate.end)
      .map(latency),
    baseline: inserts.filter((i) => i.startedAt < migrate.start).map(latency),
  };
}
