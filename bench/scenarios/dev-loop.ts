import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { postgresJsQueryable } from "drizzle-boot-migrator";
import { appendMigration, readLedger } from "drizzle-boot-migrator/folder";
import { createDbConnection } from "@/lib/db/client";
import { copyApp, startServer } from "../../test/support/next-app";
import { summarize } from "../measure";
import type { BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";

const POLL_MS = 5;
const DEADLINE_MS = 30_000;

/**
 * Scenario 6: the `next dev` loop. One real `next dev` on a copy of the app; each run appends a
 * migration to its `drizzle/` the way drizzle-kit does (the SQL file, then the journal) and polls
 * the ledger on an open connection every 5 ms until the row appears. The figure includes the
 * watcher's settle delay (150 ms), the migrator's connection, lock, apply and commit.
 */
export const devLoop: Scenario = {
  name: "dev-loop",
  title: "next dev: journal written → migration applied (ledger row committed)",
  async run(context) {
    const app = await copyApp();
    try {
      return await withBenchDatabase(context.adminUrl, "dev_loop", async (database) => {
        const server = await startServer("next dev", app.dir, { DATABASE_URL: database.url });
        const ledger = createDbConnection({
          url: database.url,
          max: 1,
          applicationName: "agency-reporting:bench",
        });
        try {
          await server.waitForOutput(/\[migrate\] following /, 120_000);
          const drizzleDir = path.join(app.dir, "drizzle");
          const rows = async () => (await readLedger(postgresJsQueryable(ledger.client))).length;
          const samples: number[] = [];
          const runs = context.warmup(1) + context.runs(15);
          for (let run = 0; run < runs; run++) {
            const before = await rows();
            const started = performance.now();
            appendMigration(
              drizzleDir,
              `9${String(run).padStart(3, "0")}_dev_loop`,
              `CREATE TABLE dev_loop_${run} (id int);\n`,
            );
            while ((await rows()) === before) {
              if (performance.now() - started > DEADLINE_MS) {
                throw new Error(
                  `no ledger row ${DEADLINE_MS} ms after the journal write:\n${server.output()}`,
                );
              }
              await sleep(POLL_MS);
            }
            const elapsed = performance.now() - started;
            if (run >= context.warmup(1)) samples.push(elapsed);
            context.log(`dev-loop: run ${run + 1}/${runs}: ${Math.round(elapsed)} ms`);
          }
          const rowsOut: BenchRow[] = [
            {
              key: "journal-to-applied",
              measurement: summarize(samples, "ms"),
              note: "incl. the 150 ms settle delay; aim < 1 s",
              atMost: 1_000,
            },
          ];
          return rowsOut;
        } finally {
          await ledger.close();
          await server.stop();
        }
      });
    } finally {
      await app.remove();
    }
  },
};
