import { describe, expect, it } from "vitest";
import { createDbConnection } from "@/lib/db/client";
import { migratedDatabaseForFile } from "../support/migrated-database";

const database = migratedDatabaseForFile();

describe("createDbConnection against a real server", () => {
  it("connects with a pgbouncer=true URL, without prepared statements", async () => {
    const url = new URL(database.url);
    url.searchParams.set("pgbouncer", "true");
    const connection = createDbConnection({ url: url.toString(), max: 1 });
    try {
      const [row] = await connection.client`select current_database() as name`;
      expect(row?.name).toBe(new URL(database.url).pathname.slice(1));
      expect(connection.client.options.prepare).toBe(false);
    } finally {
      await connection.close();
    }
  });
});
