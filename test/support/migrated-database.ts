import { afterAll, beforeAll } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "./database";

/**
 * A fresh database with the real migrations applied, for the whole test file: created in
 * `beforeAll`, dropped in `afterAll`. Read `sql` (postgres.js) and `db` (drizzle) inside tests.
 */
export function migratedDatabaseForFile(): Pick<DbConnection, "client" | "db"> {
  let database: TestDatabase | undefined;
  let connection: DbConnection | undefined;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
    connection = createDbConnection({ url: database.url, max: 2, applicationName: "schema-tests" });
  });

  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  const open = () => {
    if (!connection)
      throw new Error("migratedDatabaseForFile(): the database is only open inside tests");
    return connection;
  };
  return {
    get client() {
      return open().client;
    },
    get db() {
      return open().db;
    },
  };
}
