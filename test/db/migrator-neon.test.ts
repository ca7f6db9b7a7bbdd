import { Pool } from "@neondatabase/serverless";
import { MigrationError, neonDriver, runMigrator, silentLog } from "drizzle-boot-migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratorSettingsFor } from "../support/database";
import {
  emptyDatabasePerTest,
  fixtureMigration,
  ledgerWhens,
  noTransactionMigration,
  tableExists,
  withSql,
  writeMigrationFolder,
} from "../support/migrator";
import { pointNeonAtProxy, startNeonWsProxy } from "../support/neon-ws-proxy";

// The migrator on Neon's serverless driver: its WebSocket Pool, through a local WebSocket-to-TCP
// proxy in front of this run's Postgres, as Neon documents local development. drizzle's
// neon-serverless session writes the ledger.

const db = emptyDatabasePerTest();
const DRIZZLE = { schema: "drizzle", table: "__drizzle_migrations" };
let proxy: Awaited<ReturnType<typeof startNeonWsProxy>>;

beforeAll(async () => {
  proxy = await startNeonWsProxy();
  pointNeonAtProxy(proxy.port);
});
afterAll(() => proxy.close());

/** `work` with a Neon Pool on this test's database, ended after it. */
async function withNeonPool<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: db.url, max: 2 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

const apply = (folder: string, pool: Pool) =>
  runMigrator(migratorSettingsFor(db.url, folder), {
    mode: "apply",
    log: silentLog,
    driver: neonDriver(pool),
  });

describe("neonDriver(pool) through the WebSocket proxy", () => {
  it("applies the migrations and records them as drizzle does; the pool keeps its connection", async () => {
    const migrations = [fixtureMigration(0), fixtureMigration(1)];
    const before = proxy.connections();
    await withNeonPool(async (pool) => {
      const report = await apply(writeMigrationFolder(migrations), pool);
      expect(report.appliedNow).toEqual(migrations.map((migration) => migration.tag));
      expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual({ total: 1, idle: 1 });
    });
    expect(proxy.connections() - before).toBe(1);
    expect(await ledgerWhens(db.url, DRIZZLE)).toEqual(migrations.map((m) => m.when));
  });

  it("two migrators at once, each on its own pool: the lock lets one apply, the other finds it done", async () => {
    const migrations = [fixtureMigration(0), fixtureMigration(1), fixtureMigration(2)];
    const folder = writeMigrationFolder(migrations);
    const reports = await Promise.all([
      withNeonPool((pool) => apply(folder, pool)),
      withNeonPool((pool) => apply(folder, pool)),
    ]);
    expect(reports.flatMap((report) => report.appliedNow).sort()).toEqual(
      migrations.map((migration) => migration.tag),
    );
    expect(await ledgerWhens(db.url, DRIZZLE)).toEqual(migrations.map((m) => m.when));
  });

  it("a failing statement rolls the batch back: MIGRATION_FAILED, schema and ledger as they were", async () => {
    const migrations = [
      fixtureMigration(0),
      fixtureMigration(1, ["create table step_1 (id int)", "select 1 / 0"]),
    ];
    const failure = await withNeonPool((pool) =>
      apply(writeMigrationFolder(migrations), pool).catch((error: unknown) => error),
    );
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ code: "MIGRATION_FAILED", sqlState: "22012" });
    expect(await tableExists(db.url, "step_0")).toBe(false);
    expect(await ledgerWhens(db.url, DRIZZLE)).toEqual([]);
  });

  it("runs a -- no-transaction migration (CREATE INDEX CONCURRENTLY) and records it once", async () => {
    const migrations = [
      fixtureMigration(0),
      noTransactionMigration(1, ["create index concurrently step_0_id_idx on step_0 (id)"]),
    ];
    await withNeonPool((pool) => apply(writeMigrationFolder(migrations), pool));
    expect(await ledgerWhens(db.url, DRIZZLE)).toEqual(migrations.map((m) => m.when));
    const valid = await withSql(db.url, async (sql) => {
      const [row] = await sql<{ valid: boolean }[]>`
        select indisvalid as valid from pg_index where indexrelid = 'step_0_id_idx'::regclass`;
      return row?.valid;
    });
    expect(valid).toBe(true);
  });
});
