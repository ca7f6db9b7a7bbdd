import { expect } from "vitest";
import {
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  runMigratorCli,
  withSql,
  writeMigrationFolder,
} from "./migrator";

/**
 * Migrations whose first one takes long enough for racing migrators to overlap if nothing
 * excludes them, and a sampler that counts how many run it at once: the pooler tests run 8
 * `db:migrate` at once through a pooler and expect one at a time.
 */

/** Marks the migration statement whose concurrent runs the sampler counts. */
const PROBE = "pooler-concurrency-probe";

export const concurrencyMigrations: FixtureMigration[] = [
  {
    tag: "0000_types",
    when: FIXTURE_T0,
    statements: [
      // Through a pooler the migrator's settings must still be in force where its SQL runs.
      `do $$ begin
         if current_setting('lock_timeout') = '0' or current_setting('statement_timeout') = '0' then
           raise exception 'migrator settings missing: lock_timeout=%, statement_timeout=%',
             current_setting('lock_timeout'), current_setting('statement_timeout');
         end if;
       end $$`,
      "create type report_status as enum ('draft', 'sent')",
      "create table reports (id serial primary key, status report_status not null)",
      // Long enough for racing processes to overlap here if nothing excludes them.
      `select pg_sleep(1.5) /* ${PROBE} */`,
    ],
  },
  {
    tag: "0001_index",
    when: FIXTURE_T0 + 1000,
    statements: ["create index reports_status_idx on reports (status)"],
  },
];

/**
 * 8 `db:migrate` of `concurrencyMigrations` at once on `pooledUrl`: their results, and the most
 * migrate() runs seen at once on the database of `directUrl`.
 */
export async function eightMigratorsAtOnce(pooledUrl: string, directUrl: string) {
  const folder = writeMigrationFolder(concurrencyMigrations);
  const sampler = sampleConcurrentProbes(directUrl);
  const results = await Promise.all(
    Array.from({ length: 8 }, () => runMigratorCli("migrate", { url: pooledUrl, folder })),
  );
  return { results, mostConcurrent: await sampler.stop() };
}

/**
 * The next deploy over the direct URL takes the lock at once (2 s would not cover a wait) and
 * applies its one new migration.
 */
export async function expectDirectDeployDoesNotWait(directUrl: string): Promise<void> {
  const next = [...concurrencyMigrations, fixtureMigration(2)];
  const direct = await runMigratorCli("migrate", {
    url: directUrl,
    folder: writeMigrationFolder(next),
    env: { MIGRATION_LOCK_WAIT_MS: "2000" },
  });
  expect(direct.code, direct.output).toBe(0);
  expect(await ledgerWhens(directUrl)).toEqual(next.map((m) => m.when));
}

/** Polls pg_stat_activity directly (not through the pooler) for the most concurrent probes. */
function sampleConcurrentProbes(url: string): { stop(): Promise<number> } {
  let running = true;
  let most = 0;
  const sampling = withSql(url, async (sql) => {
    while (running) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and state = 'active'
          and pid <> pg_backend_pid() and query like ${`%${PROBE}%`}`;
      most = Math.max(most, row?.n ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  return {
    async stop() {
      running = false;
      await sampling;
      return most;
    },
  };
}
