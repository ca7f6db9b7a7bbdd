import { startLatencyProxy } from "../../test/support/latency-proxy";
import { interleave, paired, summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { type MigrateTiming, ours, plain, plainLocked } from "../support/migrators";
import { roundTrips } from "../support/round-trips";

/**
 * Localhost hides the number of queries (a round trip costs ~0.03 ms); a managed Postgres is
 * 0.5–3 ms away. Node's timers have millisecond resolution, so the relay's real round trip is
 * measured and reported rather than assumed.
 */
const RELAY_ROUND_TRIP_MS = 2;

/**
 * Scenario 1: what every boot pays on a database that is already up to date, in process, from
 * opening the migrator's connection to closing it; on localhost, and again through a relay that
 * adds a network's round-trip time.
 */
export const bootCheck: Scenario = {
  name: "boot-check",
  title: "Up-to-date boot check, in process, incl. connect and close (app migrations)",
  async run(context) {
    return withBenchDatabase(context.adminUrl, "boot_check", async (database) => {
      await ours(database.url, appMigrationsFolder);
      // Connecting (a backend fork) costs far more than the check and varies more than it on a
      // busy machine, so the local figures need many rounds for their medians to settle.
      const local = await compare(database.url, context.runs(100, 3), context.warmup(3), "");
      const roundTripSamples = await roundTrips(database.url, context.runs(200, 20));

      const proxy = await startLatencyProxy(database.url, RELAY_ROUND_TRIP_MS);
      let remote: BenchRow[];
      let relayRoundTrips: number[];
      try {
        remote = await compare(proxy.url, context.runs(30), context.warmup(3), "network.");
        relayRoundTrips = await roundTrips(proxy.url, context.runs(50, 5));
      } finally {
        await proxy.close();
      }
      return [
        ...local,
        {
          key: "round-trip",
          measurement: summarize(roundTripSamples, "ms"),
          note: "`select 1` on an open local connection: the price of one query",
        },
        ...remote,
        {
          key: "network.round-trip",
          measurement: summarize(relayRoundTrips, "ms"),
          note: "`select 1` through the delaying relay used for the network.* rows",
        },
      ];
    });
  },
};

/** The three variants, interleaved, against the database at `url`; keys start with `prefix`. */
async function compare(
  url: string,
  runs: number,
  warmup: number,
  prefix: string,
): Promise<BenchRow[]> {
  const folder = appMigrationsFolder;
  const samples = await interleave(
    {
      ours: () => ours(url, folder),
      plain: () => plain(url, folder),
      plainLocked: () => plainLocked(url, folder),
    },
    { runs, warmup },
  );
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
    { key: "ratio.ours/plain-locked", measurement: summarize(ratios(oursTotal, lockedTotal), "×") },
    {
      key: "ours.connect+close",
      measurement: summarize(
        paired(oursTotal, oursAfter, (total, after) => total - after),
        "ms",
      ),
      note: "total − after-connect: the connection's share (incl. postgres.js's type lookup)",
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
  ];
  return rows.map((row) => ({ ...row, key: `${prefix}${row.key}` }));
}
