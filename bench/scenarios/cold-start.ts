import { performance } from "node:perf_hooks";
import type { Sql } from "postgres";
import { parseEnv } from "@/env";
import { createDbConnection } from "@/lib/db/client";
import { migratorSettingsFromEnv, runMigrator } from "@/lib/db/migrator";
import { silentLog } from "@/lib/log";
import { startLatencyProxy } from "../../test/support/latency-proxy";
import { interleave, paired, summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { ours } from "../support/migrators";
import { roundTrips } from "../support/round-trips";

/** A database a region away, where the handshake of a connection (4–6 round trips) shows. */
const RELAY_ROUND_TRIP_MS = 10;

interface FirstAnswer {
  ms: number;
  connections: number;
}

/**
 * Scenario 6: a cold start, in process, against a database one relay round trip away: a fresh
 * app pool, the boot check as the server runs it, then the app's first query (`select 1`, as
 * `/api/health` sends). Without Next's start around it, the difference the check makes is not
 * lost in the spread of a process spawn.
 */
export const coldStart: Scenario = {
  name: "cold-start",
  title: `Cold start ${RELAY_ROUND_TRIP_MS} ms from the database, in process: boot check + first query`,
  async run(context) {
    return withBenchDatabase(context.adminUrl, "cold_start", async (database) => {
      await ours(database.url, appMigrationsFolder);
      const proxy = await startLatencyProxy(database.url, RELAY_ROUND_TRIP_MS);
      try {
        const settings = migratorSettingsFromEnv(parseEnv({ DATABASE_URL: proxy.url }), {
          migrationsFolder: appMigrationsFolder,
        });
        const firstAnswer = async (check?: (pool: Sql) => Promise<unknown>) => {
          const pool = createDbConnection({ url: proxy.url, applicationName: "bench:app" });
          const before = proxy.connections();
          const started = performance.now();
          try {
            await check?.(pool.client);
            await pool.client`select 1`;
            return { ms: performance.now() - started, connections: proxy.connections() - before };
          } finally {
            await pool.close();
          }
        };
        const samples = await interleave<"noCheck" | "appPool" | "ownConnection", FirstAnswer>(
          {
            noCheck: () => firstAnswer(),
            appPool: () =>
              firstAnswer((pool) =>
                runMigrator(settings, { mode: "apply", log: silentLog, appPool: pool }),
              ),
            ownConnection: () =>
              firstAnswer(() => runMigrator(settings, { mode: "apply", log: silentLog })),
          },
          { runs: context.runs(30), warmup: context.warmup(2) },
        );
        const relayRoundTrip = summarize(await roundTrips(proxy.url, context.runs(30, 5)), "ms");
        const ms = (runs: FirstAnswer[]) => runs.map((run) => run.ms);
        const cost = (runs: FirstAnswer[]) =>
          summarize(
            paired(ms(runs), ms(samples.noCheck), (check, none) => check - none),
            "ms",
          );
        const connections = (runs: FirstAnswer[]) =>
          summarize(
            runs.map((run) => run.connections),
            "connections",
          );
        const rows: BenchRow[] = [
          {
            key: "no-check",
            measurement: summarize(ms(samples.noCheck), "ms"),
            note: "a fresh pool's first `select 1`: connect, type lookup, query",
          },
          {
            key: "app-pool",
            measurement: summarize(ms(samples.appPool), "ms"),
            note: "the boot check on the pool's first connection, then the query",
          },
          {
            key: "own-connection",
            measurement: summarize(ms(samples.ownConnection), "ms"),
            note: "the check on a connection of its own (a separate migrations URL), then the query",
          },
          {
            key: "cost.app-pool",
            measurement: cost(samples.appPool),
            note: "per-round app-pool − no-check; aim ≤ 1 round trip",
            atMost: relayRoundTrip.median,
          },
          {
            key: "cost.own-connection",
            measurement: cost(samples.ownConnection),
            note: "per-round own-connection − no-check",
          },
          { key: "app-pool.connections", measurement: connections(samples.appPool) },
          { key: "own-connection.connections", measurement: connections(samples.ownConnection) },
          {
            key: "round-trip",
            measurement: relayRoundTrip,
            note: `\`select 1\` through the relay (set to ${RELAY_ROUND_TRIP_MS} ms)`,
          },
        ];
        return rows;
      } finally {
        await proxy.close();
      }
    });
  },
};
