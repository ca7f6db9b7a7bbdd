import { type EmbeddedServer, startEmbeddedPostgres } from "@tools/database-source/embedded";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyMigrations } from "../support/database";
import { eventually, runMigratorCli, withSql } from "../support/migrator";
import { type Standby, startStandby } from "../support/standby";
import { verifyFixtureFolder } from "../support/verify";

// db:verify only reads, in read-only transactions: so it runs on a streaming standby (a read
// replica), where any write would fail, and finds there the drift made on the primary.

describe("npm run db:verify on a read replica", () => {
  let primary: EmbeddedServer | undefined;
  let standby: Standby | undefined;
  beforeAll(async () => {
    primary = await startEmbeddedPostgres({ fast: true });
    await applyMigrations(primary.adminUrl, verifyFixtureFolder());
    standby = await startStandby(primary);
  }, 120_000);
  afterAll(async () => {
    await standby?.stop();
    await primary?.stop();
  });

  it("reports drift made on the primary, from the standby", async () => {
    const url = standby?.url ?? "";
    await withSql(
      primary?.adminUrl ?? "",
      (sql) => sql`alter table accounts add column shadow text`,
    );
    await eventually("the standby has the change", () =>
      withSql(
        url,
        async (sql) =>
          (
            await sql`select 1 from pg_attribute where attrelid = 'accounts'::regclass and attname = 'shadow'`
          ).length > 0,
      ),
    );
    expect(await withSql(url, (sql) => sql`select pg_is_in_recovery() as standby`)).toEqual([
      { standby: true },
    ]);

    const result = await runMigratorCli("verify", {
      url,
      folder: verifyFixtureFolder(),
      args: ["--scratch-url", inject("adminDatabaseUrl")],
    });

    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toMatch(
      /column public\.accounts\.shadow\n {2}✗ extra column \(column\.extra\)/,
    );
  });
});
