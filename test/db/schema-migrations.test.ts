import { readJournal } from "drizzle-boot-migrator/folder";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { appCatalog, publicTables, schemaTableNames } from "../support/catalog";
import {
  applyMigrations,
  createTestDatabase,
  MIGRATIONS_FOLDER,
  type TestDatabase,
} from "../support/database";

// The committed migrations, applied by the project's migrator (as boot does; it runs drizzle-orm's
// own `migrate()`, as `drizzle-kit migrate` does) to a database that starts empty.

let database: TestDatabase;
let connection: DbConnection;

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false });
  connection = createDbConnection({ url: database.url, max: 1, applicationName: "schema-tests" });
});

afterAll(async () => {
  await connection?.close();
  await database?.drop();
});

function journalEntries(): number {
  return readJournal(MIGRATIONS_FOLDER).entries.length;
}

async function ledgerRows(): Promise<number> {
  const [row] = await connection.client<{ n: number }[]>`
    select count(*)::int as n from drizzle.__drizzle_migrations`;
  return row?.n ?? 0;
}

describe("the migrations in drizzle/", () => {
  it("create every table of the schema in an empty database and record each migration once", async () => {
    expect(await publicTables(connection.client)).toEqual([]);

    await applyMigrations(database.url);

    expect(await publicTables(connection.client)).toEqual(schemaTableNames());
    expect(await ledgerRows()).toBe(journalEntries());
  });

  it("change nothing when applied again", async () => {
    const before = {
      catalog: await appCatalog(connection.client),
      ledger: await ledgerRows(),
    };
    // Guards against a catalog read that sees nothing and so always compares equal.
    expect(before.catalog.objects).toContainEqual(
      expect.objectContaining({ name: "memberships_user_id_tenant_id_uidx" }),
    );

    await applyMigrations(database.url);

    const after = {
      catalog: await appCatalog(connection.client),
      ledger: await ledgerRows(),
    };
    expect(after).toEqual(before);
  });
});
