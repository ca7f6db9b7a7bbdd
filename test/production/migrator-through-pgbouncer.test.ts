import type { PoolMode } from "@tools/pooler/pgbouncer";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../support/database";
import {
  emptyDatabasePerTest,
  FIXTURE_T0,
  type FixtureMigration,
  fixtureMigration,
  ledgerWhens,
  runMigratorCli,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";
import { readJournal } from "../support/next-app";
import {
  advisoryLocks,
  pgbouncerForFile,
  serverDefaultSettings,
  settingsOnPooledConnections,
} from "../support/pgbouncer";
import type { ProcessResult } from "../support/processes";
import { needs } from "../support/system-tools";

// The migrator (`npm run db:migrate`, the code path of every boot) through Debian's PgBouncer with
// its default settings and a plain URL: no pgbouncer=true, no well-known pooler port, so nothing
// in the URL says "pooler". Session mode keeps a client on one server connection; transaction mode
// hands each transaction to any of them, so a session advisory lock protects nothing there.

/** Marks the migration statement whose concurrent runs the sampler counts. */
const PROBE = "pooler-concurrency-probe";

const concurrencyMigrations: FixtureMigration[] = [
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

/** A refusal the issue accepts: exit 2 naming the variable of a direct URL. */
function isClearRefusal(result: ProcessResult): boolean {
  return result.code === 2 && /MIGRATIONS_DATABASE_URL/.test(result.output);
}

/** Tables and schemas the migrator would have written: none after a refusal. */
async function migratorTraces(url: string): Promise<string[]> {
  return withSql(url, async (sql) =>
    (
      await sql<{ name: string }[]>`
        select nspname as name from pg_namespace where nspname = 'drizzle'
        union all
        select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'`
    ).map((row) => row.name),
  );
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

describe.each<PoolMode>(["session", "transaction"])(
  "the migrator through PgBouncer in %s mode",
  needs("pgbouncer"),
  (poolMode) => {
    const bouncer = pgbouncerForFile(poolMode);
    const db = emptyDatabasePerTest();

    it("db:migrate alone applies the project's migrations, or refuses naming the direct URL", async () => {
      const result = await runMigratorCli("migrate", { url: bouncer.current.urlFor(db.url) });
      const journal = await readJournal(MIGRATIONS_FOLDER);

      if (poolMode === "session" || !isClearRefusal(result)) {
        expect(result.code, result.output).toBe(0);
        expect(await ledgerWhens(db.url)).toEqual(journal.entries.map((entry) => entry.when));
      } else {
        expect(await migratorTraces(db.url)).toEqual([]);
      }
      expect(await advisoryLocks(db.url)).toEqual([]);
    });

    it("8 concurrent db:migrate: one migrate() at a time, a complete ledger or a refusal from each, no lock or setting left behind, and a direct deploy does not wait", async () => {
      const folder = writeMigrationFolder(concurrencyMigrations);
      const pooledUrl = bouncer.current.urlFor(db.url);
      const sampler = sampleConcurrentProbes(db.url);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => runMigratorCli("migrate", { url: pooledUrl, folder })),
      );
      const mostConcurrent = await sampler.stop();

      const refused = results.filter(isClearRefusal);
      const succeeded = results.filter((result) => result.code === 0);
      const unexplained = results.filter((r) => r.code !== 0 && !isClearRefusal(r));
      expect(unexplained.map((r) => r.output)).toEqual([]);
      if (poolMode === "session") expect(refused).toEqual([]);

      if (succeeded.length > 0) {
        expect(await ledgerWhens(db.url)).toEqual(concurrencyMigrations.map((m) => m.when));
        expect(mostConcurrent, "migrate() runs seen at once").toBe(1);
      } else {
        expect(await migratorTraces(db.url)).toEqual([]);
        expect(mostConcurrent).toBe(0);
      }

      // Nothing outlives the migrators: no advisory lock on any server connection the pooler keeps,
      // and every pooled server connection has the server's own settings.
      expect(await advisoryLocks(db.url)).toEqual([]);
      const defaults = await serverDefaultSettings(db.url);
      const { pooledPids, seen } = await settingsOnPooledConnections(bouncer.current, db.url);
      expect(seen.map((row) => row.pid).sort()).toEqual([...pooledPids].sort());
      for (const { pid: _pid, ...settings } of seen) expect(settings).toEqual(defaults);

      // The next deploy over the direct URL takes the lock at once (2 s would not cover a wait).
      const next = [...concurrencyMigrations, fixtureMigration(2)];
      const direct = await runMigratorCli("migrate", {
        url: db.url,
        folder: writeMigrationFolder(next),
        env: { MIGRATION_LOCK_WAIT_MS: "2000" },
      });
      expect(direct.code, direct.output).toBe(0);
      expect(await ledgerWhens(db.url)).toEqual(next.map((m) => m.when));
    });
  },
);
