import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDbConnection } from "@/lib/db/client";
import { applyMigrations, createTestDatabase, type TestDatabase } from "../../support/database";
import { fixtureMigration, withSql, writeMigrationFolder } from "../../support/migrator";

const query = <T extends object>(url: string, text: string, params: string[] = []) =>
  withSql(url, async (sql) => [...(await sql.unsafe<T[]>(text, params))]);

const databaseExists = async (name: string) =>
  (
    await query<{ found: boolean }>(
      inject("adminDatabaseUrl"),
      "select exists (select 1 from pg_database where datname = $1) as found",
      [name],
    )
  )[0]?.found;

describe("createTestDatabase", () => {
  let first: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([first?.drop(), second?.drop()]);
  });

  it("gives each caller its own database on a real Postgres", async () => {
    expect(first.name).not.toBe(second.name);
    const [row] = await query<{ database: string; version: string }>(
      first.url,
      "select current_database() as database, version() as version",
    );
    expect(row?.database).toBe(first.name);
    expect(row?.version).toMatch(/^PostgreSQL \d+/);
  });

  it("keeps one database's tables and rows out of the other", async () => {
    await query(first.url, "create table isolation_probe (note text)");
    await query(first.url, "insert into isolation_probe values ('only in the first')");

    const [inFirst] = await query<{ notes: string }>(
      first.url,
      "select string_agg(note, ',') as notes from isolation_probe",
    );
    expect(inFirst?.notes).toBe("only in the first");
    const [inSecond] = await query<{ table: string | null }>(
      second.url,
      "select to_regclass('public.isolation_probe')::text as table",
    );
    expect(inSecond?.table).toBeNull();
  });

  it("drop() removes the database even while a session is still open on it", async () => {
    const doomed = await createTestDatabase();
    const lingering = createDbConnection({ url: doomed.url, max: 1 });
    await lingering.client`select 1`;
    expect(await databaseExists(doomed.name)).toBe(true);

    await doomed.drop();

    expect(await databaseExists(doomed.name)).toBe(false);
    await expect(lingering.client`select 1`).rejects.toThrow();
    await lingering.close().catch(() => {});
  });
});

describe("migrations for a test database", () => {
  let folder: string;
  let database: TestDatabase;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), "migrations-fixture-"));
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  it("refuses, saying what to do, when drizzle/ has no journal yet", async () => {
    await expect(applyMigrations(database.url, folder)).rejects.toThrow(
      /_journal\.json does not exist.*npm run db:generate/s,
    );
  });

  it("refuses an empty journal instead of silently applying nothing", async () => {
    writeMigrationFolder([], folder);
    await expect(applyMigrations(database.url, folder)).rejects.toThrow(/lists no migrations/);
  });

  it("applies a journal's migrations with the project's migrator, once", async () => {
    writeMigrationFolder(
      [
        fixtureMigration(0, [
          "create table fixture_items (id integer primary key);",
          "insert into fixture_items values (1);",
        ]),
      ],
      folder,
    );

    await applyMigrations(database.url, folder);
    await applyMigrations(database.url, folder);

    const [items] = await query<{ count: string }>(
      database.url,
      "select count(*)::text as count from fixture_items",
    );
    expect(items?.count).toBe("1");
    const [ledger] = await query<{ count: string }>(
      database.url,
      "select count(*)::text as count from drizzle.__drizzle_migrations",
    );
    expect(ledger?.count).toBe("1");
  });
});
