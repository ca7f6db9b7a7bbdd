import type { PoolMode } from "@tools/pooler/pgbouncer";
import { readJournal } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../support/database";
import { TEST_DRIZZLE } from "../support/drizzle-version";
import {
  emptyDatabasePerTest,
  ledgerWhens,
  projectMigrations1,
  recordedWhen,
  runMigratorCli,
  withSql,
} from "../support/migrator";
import {
  concurrencyMigrations,
  eightMigratorsAtOnce,
  expectDirectDeployDoesNotWait,
} from "../support/migrator-concurrency";

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

describe.each<PoolMode>(["session", "transaction"])(
  "the migrator through PgBouncer in %s mode",
  needs("pgbouncer"),
  (poolMode) => {
    const bouncer = pgbouncerForFile(poolMode);
    const db = emptyDatabasePerTest();

    it("db:migrate alone applies the project's migrations, or refuses naming the direct URL", async () => {
      // On drizzle 1.0 (TEST_DRIZZLE) the project's migrations as `drizzle-kit up` converts them.
      const folder = TEST_DRIZZLE === "1" ? projectMigrations1() : undefined;
      const result = await runMigratorCli("migrate", {
        url: bouncer.current.urlFor(db.url),
        folder,
      });
      const journal = readJournal(MIGRATIONS_FOLDER);

      if (poolMode === "session" || !isClearRefusal(result)) {
        expect(result.code, result.output).toBe(0);
        expect(await ledgerWhens(db.url)).toEqual(journal.entries.map(recordedWhen));
      } else {
        expect(await migratorTraces(db.url)).toEqual([]);
      }
      expect(await advisoryLocks(db.url)).toEqual([]);
    });

    it("8 concurrent db:migrate: one migrate() at a time, a complete ledger or a refusal from each, no lock or setting left behind, and a direct deploy does not wait", async () => {
      const { results, mostConcurrent } = await eightMigratorsAtOnce(
        bouncer.current.urlFor(db.url),
        db.url,
      );

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

      await expectDirectDeployDoesNotWait(db.url);
    });
  },
);
