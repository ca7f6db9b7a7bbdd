import { afterAll, beforeAll } from "vitest";
import { createDbConnection, type DbConnection } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "./database";

/**
 * A fresh database with the real migrations applied, for the whole test file: created in
 * `beforeAll`, dropped in `afterAll`. Read `client` (postgres.js), `db` (drizzle) and `url` inside
 * tests. `max` is the pool's size (2 by default): more lets concurrent statements reach Postgres
 * at once.
 */
export function migratedDatabaseForFile({ max = 2 }: { max?: number } = {}): Pick<
  DbConnection,
  "client" | "db"
> & {
  readonly url: string;
} {
  let database: TestDatabase | undefined;
  let connection: DbConnection | undefined;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: true });
    connection = createDbConnection({ url: database.url, max, applicationName: "db-tests" });
  });

  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  const open = () => {
    if (!connection || !database)
      throw new Error("migratedDatabaseForFile(): the database is only open inside tests");
    return { connection, url: database.url };
  };
  return {
    get url() {
      return open().url;
    },
    get client() {
      return open().connection.client;
    },
    get db() {
      return open().connection.db;
    },
  };
}
