import { performance } from "node:perf_hooks";
import { eventLog, type MigratorDriver, runMigrator } from "drizzle-boot-migrator";
import { parseEnv } from "@/env";
import { migratorSettingsFromEnv } from "@/lib/db/migrator-settings";
import { summarize } from "../measure";
import type { BenchContext, BenchRow, Scenario } from "../scenario";
import { withBenchDatabase } from "../support/databases";
import { writeSyntheticMigrations } from "../support/fixtures";

export const WAITERS = 8;

/**
 * Scenario: one migrator applies a migration that takes a second while `WAITERS` others (replicas
 * booting with it) wait for the lock. From the applying migrator's last statement (the ledger
 * insert its `ran` line announces; the commit follows) to each waiter's `done` line: how long a
 * replica keeps serving nothing after the migration is done. All run in this process, so their
 * clocks agree.
 */
export const lockHandoff: Scenario = {
  name: "lock-handoff",
  title: `Lock hand-off: ${WAITERS} migrators waiting for one that applies`,
  run: (context) => measureHandoff(context, context.runs(10)),
};

/**
 * The hand-off over `runs` runs, each migrator's session on `driver()` (postgres.js when absent),
 * a new driver per migrator as each replica has its own.
 */
export async function measureHandoff(
  context: BenchContext,
  runs: number,
  options: {
    driver?: () => MigratorDriver;
    /**
     * How long the applied migration takes: long enough for every waiter to connect and queue
     * behind the lock (`queued` says whether they did).
     */
    migrationSeconds?: number;
  } = {},
): Promise<BenchRow[]> {
  const { driver } = options;
  const handoffs: number[] = [];
  const slowest: number[] = [];
  const queued: number[] = [];
  const fixture = await writeSyntheticMigrations(1, {
    firstSleepsSeconds: options.migrationSeconds ?? 1,
  });
  try {
    for (let run = 0; run < runs; run++) {
      await withBenchDatabase(context.adminUrl, "handoff", async (database) => {
        const settings = migratorSettingsFromEnv(
          parseEnv({ MIGRATIONS_DATABASE_URL: database.url }),
          { migrationsFolder: fixture.folder },
        );
        const on = () => (driver ? { driver: driver() } : {});
        let lastStatementAt = Number.NaN;
        let holderLocked!: () => void;
        const locked = new Promise<void>((resolve) => {
          holderLocked = resolve;
        });
        const holder = runMigrator(settings, {
          mode: "apply",
          ...on(),
          log: eventLog((event) => {
            if (event === "migrate.lock_acquired") holderLocked();
            if (event === "migrate.migration_applied") lastStatementAt = performance.now();
          }),
        });
        await locked;
        const doneAt: number[] = [];
        let waiting = 0;
        const waiters = Array.from({ length: WAITERS }, () =>
          runMigrator(settings, {
            mode: "apply",
            ...on(),
            log: eventLog((event) => {
              if (event === "migrate.lock_wait") waiting++;
              if (event === "migrate.done") doneAt.push(performance.now());
            }),
          }),
        );
        await Promise.all([holder, ...waiters]);
        // A waiter that connected after the commit finds nothing pending (`up_to_date`, no
        // `done`): it never waited, so it has no hand-off; `queued` counts who did wait.
        const times = doneAt.map((at) => at - lastStatementAt);
        handoffs.push(...times);
        if (times.length > 0) slowest.push(Math.max(...times));
        queued.push(waiting);
      });
    }
  } finally {
    await fixture.remove();
  }
  const allQueued = queued.every((count) => count === WAITERS);
  return [
    {
      key: "each-waiter",
      measurement: summarize(handoffs, "ms"),
      note: "from the applying migrator's last statement to a waiter's `done` (all waiters, all runs)",
      atMost: 50,
    },
    {
      key: "last-waiter",
      measurement: summarize(slowest, "ms"),
      note: `the slowest of the ${WAITERS} waiters of a run`,
      atMost: 50,
    },
    {
      key: "queued",
      measurement: summarize(queued, "waiters"),
      note: `waiters already blocked before the commit; must be ${WAITERS}: ${allQueued ? "met" : "MISSED"}`,
    },
  ];
}
