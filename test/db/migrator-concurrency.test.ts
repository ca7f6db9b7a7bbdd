import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";
import {
  eventually,
  type FixtureMigration,
  ledgerWhens,
  migrationLockHolders,
  runMigratorCli,
  startMigratorCli,
  tableExists,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

const T0 = 1_700_000_000_000;

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.drop();
});

describe("many processes booting at once", () => {
  // What raced in plain drizzle migrate(): CREATE TYPE / CREATE TABLE hitting pg_type's unique index.
  const migrations: FixtureMigration[] = [
    {
      tag: "0000_types",
      when: T0,
      statements: [
        "create type report_status as enum ('draft', 'sent')",
        "create table reports (id serial primary key, status report_status not null)",
      ],
    },
    {
      tag: "0001_index",
      when: T0 + 1000,
      statements: ["create index reports_idx on reports (status)"],
    },
    {
      tag: "0002_column",
      when: T0 + 2000,
      statements: ["alter table reports add column title text"],
    },
  ];

  it("16 processes on an empty database: all succeed, each migration recorded and run once", async () => {
    const folder = writeMigrationFolder(migrations);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        runMigratorCli("migrate", { url: db.url, folder }).then((r) => r),
      ),
    );
    console.log(
      `[measure] 16 concurrent db:migrate processes: ${Math.round(performance.now() - started)} ms wall`,
    );

    for (const result of results) {
      expect(result.code, result.output).toBe(0);
      expect(result.output).not.toMatch(/error|failed/i);
    }
    expect(await ledgerWhens(db.url)).toEqual(migrations.map((m) => m.when));
    for (const migration of migrations) {
      const ran = results.filter((r) => r.stdout.includes(`[migrate] ran ${migration.tag} `));
      expect(ran, `processes that ran ${migration.tag}`).toHaveLength(1);
    }
    const outcomes = results.map((r) =>
      r.stdout.includes("[migrate] done: applied 3")
        ? "applied"
        : /another instance applied|is up to date/.test(r.stdout)
          ? "saw it done"
          : "unexplained",
    );
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes).not.toContain("unexplained");
    expect(await migrationLockHolders(db.url)).toEqual([]);
  });
});

describe("a migrator killed with SIGKILL in the middle of a migration", () => {
  it("leaves no partial schema, no ledger row, no lock; the next run applies cleanly", async () => {
    // The second statement sleeps only while the marker table exists, so the next run is quick.
    const folder = writeMigrationFolder([
      {
        tag: "0000_slow",
        when: T0,
        statements: [
          "create table slow_target (id int)",
          "select pg_sleep(case when to_regclass('public.go_slow') is null then 0 else 120 end)",
        ],
      },
    ]);
    await withSql(db.url, (sql) => sql`create table go_slow ()`);

    const victim = startMigratorCli("migrate", { url: db.url, folder });
    await eventually("the migrator is inside pg_sleep", () =>
      withSql(db.url, async (sql) => {
        const rows = await sql`
          select 1 from pg_stat_activity
          where datname = current_database() and application_name like 'agency-reporting:migrator%'
            and state = 'active' and query like '%pg_sleep%'`;
        return rows.length > 0;
      }),
    );
    expect(await migrationLockHolders(db.url)).toHaveLength(1);
    victim.child.kill("SIGKILL");
    const killed = await victim.exited;
    expect(killed.signal).toBe("SIGKILL");

    // Postgres notices the dead client (client_connection_check_interval) long before the 120 s
    // sleep would end, rolls back and drops the session lock.
    await eventually("the killed session's lock is gone", async () => {
      return (await migrationLockHolders(db.url)).length === 0;
    });
    expect(await tableExists(db.url, "slow_target")).toBe(false);
    expect(await ledgerWhens(db.url)).toEqual([]);

    await withSql(db.url, (sql) => sql`drop table go_slow`);
    const next = await runMigratorCli("migrate", { url: db.url, folder });
    expect(next.code, next.output).toBe(0);
    expect(await tableExists(db.url, "slow_target")).toBe(true);
    expect(await ledgerWhens(db.url)).toEqual([T0]);
  });
});
