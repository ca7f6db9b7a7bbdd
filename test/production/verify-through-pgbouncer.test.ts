import { describe, expect, inject, it } from "vitest";
import { applyMigrations, createTestDatabase, MIGRATIONS_FOLDER } from "../support/database";
import { runMigratorCli, withSql } from "../support/migrator";
import {
  pgbouncerForFile,
  serverDefaultSettings,
  settingsOnPooledConnections,
} from "../support/pgbouncer";
import { needs } from "../support/system-tools";

// `npm run db:verify` through Debian's PgBouncer in transaction mode, default settings, on a plain
// URL: each of its reads is one transaction (so one server connection), its timeouts are set
// inside it, and it prepares no statement, so nothing depends on a session that the pooler does
// not keep, and nothing is left on the pooled connections.

describe("npm run db:verify through PgBouncer in transaction mode", needs("pgbouncer"), () => {
  const bouncer = pgbouncerForFile("transaction");

  async function migratedThroughPooler() {
    const database = await createTestDatabase();
    await applyMigrations(database.url, MIGRATIONS_FOLDER);
    return { database, pooled: bouncer.current.urlFor(database.url) };
  }

  function verify(url: string) {
    return runMigratorCli("verify", { url, args: ["--scratch-url", inject("adminDatabaseUrl")] });
  }

  it("exits 0 on a clean database and leaves no setting on the pooled connections", async () => {
    const { database, pooled } = await migratedThroughPooler();
    try {
      const result = await verify(pooled);

      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toMatch(/no drift/);
      const defaults = await serverDefaultSettings(database.url);
      const { seen } = await settingsOnPooledConnections(bouncer.current, database.url);
      for (const { pid: _pid, ...settings } of seen) expect(settings).toEqual(defaults);
    } finally {
      await database.drop();
    }
  });

  it("reports drift by name", async () => {
    const { database, pooled } = await migratedThroughPooler();
    try {
      await withSql(database.url, (sql) => sql`create index users_name_idx on users (name)`);

      const result = await verify(pooled);

      expect(result.code, result.output).toBe(1);
      expect(result.stdout).toMatch(
        /index public\.users_name_idx\n {2}✗ extra index \(index\.extra\)/,
      );
    } finally {
      await database.drop();
    }
  });
});
