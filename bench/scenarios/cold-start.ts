import { performance } from "node:perf_hooks";
import { runMigrator, silentLog } from "drizzle-boot-migrator";
import type { Sql } from "postgres";
import { parseEnv } from "@/env";
import { createDbConnection } from "@/lib/db/client";
import { migratorSettingsFromEnv } from "@/lib/db/migrator-settings";
import { startLatencyProxy } from "../../test/support/latency-proxy";
import { interleave, summarize } from "../measure";
import type { Scenario } from "../scenario";
import { type ColdStartSample, checkCostRows, RELAY_ROUND_TRIP_MS } from "../support/check-cost";
import { withBenchDatabase } from "../support/databases";
import { appMigrationsFolder } from "../support/fixtures";
import { ours } from "../support/migrators";
import { roundTrips } from "../support/round-trips";

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
        const samples = await interleave<"noCheck" | "appPool" | "ownConnection", ColdStartSample>(
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
        return checkCostRows(
          {
            samples: samples.noCheck,
            note: "a fresh pool's first `select 1`: connect, type lookup, query",
          },
          {
            "app-pool": {
              samples: samples.appPool,
              note: "the boot check on the pool's first connection, then the query",
              aim: true,
            },
            "own-connection": {
              samples: samples.ownConnection,
              note: "the check on a connection of its own (a separate migrations URL), then the query",
            },
          },
          relayRoundTrip,
        );
      } finally {
        await proxy.close();
      }
    });
  },
};
