import { createDbConnection } from "@/lib/db/client";
import { interleave, paired, summarize, time } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { type MigrateTiming, ours, plain, plainLocked } from "../support/migrators";

/**
 * Scenario 1: what every boot pays on a database that is already up to date, in process, from
 * opening the migrator's connection to closing it.
 */
export const bootCheck: Scenario = {
  name: "boot-check",
  title: "Up-to-date boot check, in process, incl. connect and close (app migrations)",
  async run(context) {
    return withBenchDatabase(context.adminUrl, "boot_check", async (database) => {
      const folder = appMigrationsFolder;
      await ours(database.url, folder);

      // Connecting (a backend fork) costs far more than the check and varies more than it on a
      // busy machine, so the figures need many rounds for their medians to settle.
      const samples = await interleave(
        {
          ours: () => ours(database.url, folder),
          plain: () => plain(database.url, folder),
          plainLocked: () => plainLocked(database.url, folder),
        },
        { runs: context.runs(100, 3), warmup: 5 },
      );
      const roundTripSamples = await roundTrips(database.url, context.runs(200, 20));
      const totals = (timings: MigrateTiming[]) => timings.map((t) => t.totalMs);
      const afterConnect = (timings: MigrateTiming[]) => timings.map((t) => t.afterConnectMs);
      const ratios = (a: number[], b: number[]) => paired(a, b, (x, y) => x / y);
      const oursTotal = totals(samples.ours);
      const plainTotal = totals(samples.plain);
      const lockedTotal = totals(samples.plainLocked);
      const oursAfter = afterConnect(samples.ours);
      const plainAfter = afterConnect(samples.plain);
      const lockedAfter = afterConnect(samples.plainLocked);

      const rows: BenchRow[] = [
        { key: "ours", measurement: summarize(oursTotal, "ms") },
        { key: "plain", measurement: summarize(plainTotal, "ms") },
        { key: "plain-locked", measurement: summarize(lockedTotal, "ms") },
        {
          key: "ratio.ours/plain",
          measurement: summarize(ratios(oursTotal, plainTotal), "×"),
          note: "per-round ratios; target < 1",
          atMost: 1,
        },
        {
          key: "ratio.ours/plain-locked",
          measurement: summarize(ratios(oursTotal, lockedTotal), "×"),
        },
        {
          key: "ours.connect+close",
          measurement: summarize(
            paired(oursTotal, oursAfter, (total, after) => total - after),
            "ms",
          ),
          note: "total − after-connect: the connection's share (includes postgres.js's type lookup)",
        },
        { key: "ours.after-connect", measurement: summarize(oursAfter, "ms") },
        { key: "plain.after-connect", measurement: summarize(plainAfter, "ms") },
        { key: "plain-locked.after-connect", measurement: summarize(lockedAfter, "ms") },
        {
          key: "ratio.ours/plain.after-connect",
          measurement: summarize(ratios(oursAfter, plainAfter), "×"),
          note: "per-round ratios; aim ≤ 0.5",
          atMost: 0.5,
        },
        {
          key: "round-trip",
          measurement: summarize(roundTripSamples, "ms"),
          note: "`select 1` on an open connection: the price of one query",
        },
      ];
      return rows;
    });
  },
};

async function roundTrips(url: string, count: number): Promise<number[]> {
  const connection = createDbConnection({ url, max: 1, applicationName: "bench:round-trip" });
  try {
    await connection.client`select 1`;
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      samples.push(await time(() => connection.client`select 1`));
    }
    return samples;
  } finally {
    await connection.close();
  }
}
