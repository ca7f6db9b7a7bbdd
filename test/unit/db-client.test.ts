import { describe, expect, it } from "vitest";
import { createDbConnection } from "@/lib/db/client";

// postgres.js connects lazily, so these clients never open a socket.
describe("createDbConnection", () => {
  it.each([
    ["postgres://app:pw@db.example.com:5432/app", true],
    ["postgres://app:pw@db.example.com:6543/app", false],
    ["postgres://app:pw@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/app", false],
    ["postgres://app:pw@db.example.com:5432/app?pgbouncer=true", false],
  ])("uses prepared statements for %s: %s", async (url, prepared) => {
    const connection = createDbConnection({ url });
    expect(connection.client.options.prepare).toBe(prepared);
    await connection.close();
  });
});

describe("createDbConnection with the pooler declared (DATABASE_POOLER)", () => {
  it.each([
    ["postgres://app:pw@pgbouncer.internal:5432/app", true, false],
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
