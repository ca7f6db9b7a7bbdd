import { MigrationError, runMigrator, silentLog } from "drizzle-boot-migrator";
import { pgDriver } from "drizzle-boot-migrator/pg";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migratorSettingsFor } from "../support/database";
import {
  emptyDatabasePerTest,
  fixtureMigration,
  ledgerWhens,
  tableExists,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";

// node-postgres's three sources for the migrator's session: the project's Pool, its Client, a URL
// (the whole suite runs on the URL form: the vitest project `drivers`).

const db = emptyDatabasePerTest();
const migrations = [fixtureMigration(0), fixtureMigration(1)];
const settings = () => migratorSettingsFor(db.url, writeMigrationFolder(migrations));
const WHENS = migrations.map((migration) => migration.when);

describe("pgDriver(pool)", () => {
  it("applies on one of the pool's connections and hands it back open, for the app's first query", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      const report = await runMigrator(settings(), {
        mode: "apply",
        log: silentLog,
        driver: pgDriver(pool),
      });
      expect(report.appliedNow).toEqual(migrations.map((migration) => migration.tag));
      expect(
        await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" }),
      ).toEqual(WHENS);
      expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual({ total: 1, idle: 1 });
      const { rows } = await pool.query("select count(*)::int as tables from step_1");
      expect(rows).toEqual([{ tables: 0 }]);
    } finally {
      await pool.end();
    }
  });

  it("is refused at once, naming the pool's max, when every connection is checked out", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const held = [await pool.connect(), await pool.connect()];
    try {
      const started = performance.now();
      const failure = await runMigrator(settings(), {
        mode: "apply",
        log: silentLog,
        driver: pgDriver(pool),
      }).catch((error: unknown) => error);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(failure).toMatchObject({ code: "POOL_NO_ROOM" });
      expect((failure as Error).message).toContain(
        "The node-postgres Pool given to the migrator has all its 2 connections (its max) checked out",
      );
      expect(failure).not.toBeInstanceOf(MigrationError);
      expect(
        await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" }),
      ).toEqual([]);
    } finally {
      for (const client of held) client.release();
      await pool.end();
    }
  });
});

describe("pgDriver(pool), its connection lost mid-migration", () => {
  it("fails with CONNECTION_LOST, applies nothing, and the pool drops the dead connection", async () => {
    const slow = [
      fixtureMigration(0),
      fixtureMigration(1, ["create table step_1 (id int)", "select pg_sleep(30)"]),
    ];
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on("error", () => {});
    try {
      const run = runMigrator(migratorSettingsFor(db.url, writeMigrationFolder(slow)), {
        mode: "apply",
        log: silentLog,
        driver: pgDriver(pool),
      }).catch((error: unknown) => error);
      // The migrator's backend, once it sleeps inside the migrations' transaction.
      await expect
        .poll(
          () =>
            withSql(db.url, async (sql) => {
              const [row] = await sql<{ ended: boolean }[]>`
                select pg_terminate_backend(pid) as ended from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid()
                  and query like '%pg_sleep(30)%'`;
              return row?.ended ?? false;
            }),
          { timeout: 20_000, interval: 100 },
        )
        .toBe(true);
      const failure = await run;
      expect(failure).toBeInstanceOf(MigrationError);
      expect(failure).toMatchObject({ code: "CONNECTION_LOST" });
      expect(await tableExists(db.url, "step_0")).toBe(false);
      expect(
        await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" }),
      ).toEqual([]);
      expect(pool.totalCount).toBe(0);
    } finally {
      await pool.end();
    }
  });
});

describe("pgDriver(client)", () => {
  it("applies on the caller's client, connecting it, and leaves it open to its owner", async () => {
    const client = new pg.Client({ connectionString: db.url });
    try {
      await runMigrator(settings(), { mode: "apply", log: silentLog, driver: pgDriver(client) });
      expect(
        await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" }),
      ).toEqual(WHENS);
      const { rows } = await client.query("select to_regclass('step_0') is not null as found");
      expect(rows).toEqual([{ found: true }]);
    } finally {
      await client.end();
    }
  });
});
