import { describe, expect, it } from "vitest";
import { createDbConnection } from "@/lib/db/client";

// postgres.js connects lazily, so these clients never open a socket.
describe("createDbConnection with nothing declared", () => {
  // A PgBouncer on a plain URL cannot be told from Postgres, so no URL turns them on.
  it.each([
    "postgres://app:pw@db.example.com:5432/app",
    "postgres://app:pw@db.example.com:6543/app",
    "postgres://app:pw@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/app",
    "postgres://app:pw@db.example.com:5432/app?pgbouncer=true",
  ])("does not prepare statements for %s", async (url) => {
    const connection = createDbConnection({ url });
    expect(connection.client.options.prepare).toBe(false);
    await connection.close();
  });
});

describe("createDbConnection with the pooler declared (DATABASE_POOLER)", () => {
  it.each([
    ["postgres://app:pw@pgbouncer.internal:5432/app", true, false],
    ["postgres://app:pw@db.example.com:5432/app", false, true],
    ["postgres://app:pw@db.example.com:6543/app", false, true],
  ])(
    "%s declared transactionPooler=%s uses prepared statements: %s",
    async (url, transactionPooler, prepared) => {
      const connection = createDbConnection({ url, transactionPooler });
      expect(connection.client.options.prepare).toBe(prepared);
      await connection.close();
    },
  );
});
