import { startEmbeddedPostgres } from "@tools/database-source/embedded";
import {
  postgresVersionBinaries,
  REFUSED_POSTGRES,
} from "@tools/database-source/postgres-versions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigratorCli, withSql } from "../support/migrator";
import { REPO_ROOT } from "../support/processes";
import { onlyWhere } from "../support/system-tools";

// A real Postgres 14 on this run's machine: the migrations need 15 (14 rejects `UNIQUE NULLS NOT
// DISTINCT`). The release pinned in tools/database-source/postgres-versions.ts, the one `npm run
// test:versions` checks, is installed on first use into .data/postgres-versions/ (git-ignored):
// about 30 MB from the npm registry. The hook outlasts the install's own 10-minute limit so a
// failed install reports npm's output. That release is published for linux-x64 only, so the
// tests run there.
const INSTALL_AND_START_MS = 660_000;

let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;

const url = () => {
  if (!server) throw new Error("Postgres 14 did not start");
  return server.adminUrl;
};

describe(
  "on Postgres 14",
  onlyWhere(
    process.platform === "linux" && process.arch === "x64",
    "npm has embedded Postgres 14 for linux-x64 only",
  ),
  () => {
    beforeAll(async () => {
      server = await startEmbeddedPostgres({
        fast: true,
        binaries: await postgresVersionBinaries(REPO_ROOT, REFUSED_POSTGRES[14]),
      });
    }, INSTALL_AND_START_MS);
    afterAll(async () => {
      await server?.stop();
    });

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
  },
);
