import { describe, expect, it } from "vitest";
import {
  emptyDatabasePerTest,
  eventually,
  ledgerWhens,
  migrationLockHolders,
  migrationName,
  migratorBackendRunning,
  noTransactionMigration,
  runMigratorCli,
  startMigratorCli,
  tableExists,
  whilePaused,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

const db = emptyDatabasePerTest();

describe("a migrator paused (SIGSTOP) between two statements of a -- no-transaction migration", () => {
  // The first statement sleeps 2 s only while the marker table exists: the paused migrator's
  // session then sits idle (outside any transaction) holding the session-level lock, and the
  // second migrator's run of the same statement is quick.
  const migration = noTransactionMigration(0, [
    "select pg_sleep(case when to_regclass('public.go_slow') is null then 0 else 2 end)",
    "create table after_pause (id int)",
  ]);

  it("idle_session_timeout frees the lock, another process applies it, the paused one then exits non-zero and records nothing", async () => {
    const folder = writeMigrationFolder([migration]);
    await withSql(db.url, (sql) => sql`create table go_slow ()`);
    const paused = startMigratorCli("migrate", {
      url: db.url,
      folder,
      env: { MIGRATION_IDLE_SESSION_TIMEOUT_MS: "1000" },
    });
    await paused.waitForOutput(/idle_session_timeout 1s\)/);
    await eventually(
      "the migrator is inside its first statement",
      async () => (await migratorBackendRunning(db.url, "pg_sleep")) !== undefined,
    );
    const { value: next, resumed } = await whilePaused(paused, async () => {
      await withSql(db.url, (sql) => sql`drop table go_slow`);
      const started = performance.now();
      const result = await runMigratorCli("migrate", {
        url: db.url,
        folder,
        env: { MIGRATION_LOCK_WAIT_MS: "10000" },
      });
      console.log(
        `[measure] second migrator while the first is paused: ${Math.round(performance.now() - started)} ms`,
      );
      return result;
    });
    expect(next.code, next.output).toBe(0);
    expect(next.stdout).toContain(
      `[migrate] ran ${migrationName(migration)} outside a transaction`,
    );
    expect(resumed.code, resumed.output).toBe(1);
    expect(resumed.stderr).toContain("[migrate] failed (CONNECTION_LOST)");
    expect(resumed.stderr).toContain("MIGRATION_IDLE_SESSION_TIMEOUT_MS=1000");
    expect(resumed.stdout).not.toContain(`ran ${migrationName(migration)}`);
    expect(await ledgerWhens(db.url)).toEqual([migration.when]);
    expect(await tableExists(db.url, "after_pause")).toBe(true);
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});
