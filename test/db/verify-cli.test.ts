import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runDrizzleKit } from "@tools/migration-check/drizzle-kit";
import { readMigrationFolder } from "drizzle-boot-migrator/folder";
import type { VerifyReport } from "drizzle-boot-migrator/verify";
import { describe, expect, inject, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../support/database";
import { runMigratorCli, withSql } from "../support/migrator";
import { REPO_ROOT } from "../support/processes";
import { databasesPerTest, verifyFixtureFolder } from "../support/verify";

// `npm run db:verify` and `npm run db:baseline` as an operator runs them: exit codes, the report
// on stdout, --json, the committed acknowledgements file. The expected schema is built on this
// run's server (--scratch-url), whose major is the live one's.

const databases = databasesPerTest();
const database = (migrationsFolder?: string) => databases.create(migrationsFolder);

function cli(
  script: "verify" | "baseline",
  url: string,
  options: { folder?: string; args?: string[] } = {},
) {
  return runMigratorCli(script, {
    url,
    folder: options.folder,
    args: ["--scratch-url", inject("adminDatabaseUrl"), ...(options.args ?? [])],
  });
}

/** How many migrations drizzle/ has. */
const appMigrations = () => readMigrationFolder(MIGRATIONS_FOLDER).length;

function acknowledgementsFile(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "verify-ack-")), "acknowledged.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("npm run db:verify", () => {
  it("exits 0 on a database its migrations built (the app's own)", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);

    const result = await cli("verify", url);

    expect(result.code).toBe(0);
    expect(result.output).toMatch(/no drift: the schema is what its applied migrations build/);
  });

  it("exits 1 on drift, naming each difference with expected, actual and advice", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);
    await withSql(url, (sql) => sql`alter table users alter column status drop not null`);

    const result = await cli("verify", url);

    expect(result.code).toBe(1);
    expect(result.output).toContain(
      [
        "column public.users.status",
        "  ✗ column nullability changed (column.nullability)",
        "    expected: NOT NULL",
        "    actual:   NULL allowed",
        "    advice:   ALTER TABLE public.users ALTER COLUMN status SET NOT NULL;",
      ].join("\n"),
    );
    expect(result.output).toMatch(/drift: 1 difference\(s\)/);
  });

  it("without --scratch-url builds on an embedded Postgres and says which major, and whether it is the live one's", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);

    const result = await runMigratorCli("verify", { url });

    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(
      /expected: built on an embedded Postgres \d+\.[\d.]+-beta\.\d+ started for this check \(PostgreSQL \d+\.\d+: (the live server's major|nearest available to the live server's \d+;)/,
    );
  });

  it("--json prints one machine-readable report", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);
    await withSql(url, (sql) => sql`create table notes (id int)`);

    const result = await cli("verify", url, { args: ["--json"] });

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as VerifyReport & { target: string };
    expect(report).toMatchObject({
      verdict: "drift",
      differences: [{ code: "table.extra", object: "public.notes", expected: null }],
    });
    expect(report.target).toMatch(/MIGRATIONS_DATABASE_URL/);
  });

  it("passes with a difference acknowledged in the file, and lists it with its reason", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);
    await withSql(url, (sql) => sql`create index users_name_idx on users (name)`);
    const file = acknowledgementsFile({
      acknowledged: [
        { code: "index.extra", object: "public.users_name_idx", reason: "support search, INC-42" },
      ],
    });

    const result = await cli("verify", url, { args: ["--acknowledgements", file] });

    expect(result.code).toBe(0);
    expect(result.output).toMatch(/~ extra index \(index\.extra\)/);
    expect(result.output).toMatch(/acknowledged: support search, INC-42/);
  });

  it("refuses an acknowledgement without a reason (exit 2), naming the entry", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);
    const file = acknowledgementsFile({
      acknowledged: [{ code: "index.extra", object: "public.users_name_idx", reason: " " }],
    });

    const result = await cli("verify", url, { args: ["--acknowledgements", file] });

    expect(result.code).toBe(2);
    expect(result.output).toMatch(
      /acknowledged\[0\] \(index\.extra public\.users_name_idx\) gives no reason/,
    );
  });

  it("exits 2 on a database ahead of the folder, saying so rather than reporting drift", async () => {
    const { url } = await database(verifyFixtureFolder(2));

    const result = await cli("verify", url, { folder: verifyFixtureFolder(1) });

    expect(result.code).toBe(2);
    expect(result.output).toMatch(/cannot verify: the database is ahead of/);
    expect(result.output).not.toMatch(/✗/);
  });

  it("says a database behind its folder is behind, and exits 0 when what it applied matches", async () => {
    const { url } = await database(verifyFixtureFolder(1));

    const result = await cli("verify", url, { folder: verifyFixtureFolder(2) });

    expect(result.code).toBe(0);
    expect(result.output).toMatch(/behind: 1 pending \(0001_step-1\), not compared/);
  });

  it("npm run db:status --verify adds the verdict", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);
    await withSql(url, (sql) => sql`alter table users add column nickname text`);

    const result = await runMigratorCli("status", {
      url,
      args: ["--verify", "--scratch-url", inject("adminDatabaseUrl")],
    });

    expect(result.code).toBe(1);
    expect(result.output).toMatch(/problems \(0\)/);
    expect(result.output).toMatch(/column public\.users\.nickname\n {2}✗ extra column/);
    expect(result.output).toMatch(/drift: 1 difference/);
  });
});

describe("npm run db:baseline", () => {
  it("records every migration without running it on a database built without migrations", async () => {
    const built = await database(MIGRATIONS_FOLDER);
    // The same schema without a ledger: what `drizzle-kit push` or a hand-built database has.
    await withSql(built.url, (sql) => sql`drop schema drizzle cascade`);

    const result = await cli("baseline", built.url);

    expect(result.code).toBe(0);
    expect(result.output).toMatch(
      new RegExp(
        `recorded ${appMigrations()} migration\\(s\\) in "drizzle"\\."__drizzle_migrations" without running them`,
      ),
    );
    const migrate = await runMigratorCli("migrate", { url: built.url });
    expect(migrate.output).toMatch(/is up to date/);
  });

  it("adopts a database built by drizzle-kit push from the app's schema", async () => {
    const pushed = await database();
    const config = path.join(mkdtempSync(path.join(tmpdir(), "verify-push-")), "push.json");
    writeFileSync(
      config,
      JSON.stringify({
        dialect: "postgresql",
        schema: path.join(REPO_ROOT, "src/lib/db/schema/index.ts"),
        dbCredentials: { url: pushed.url },
      }),
    );
    const push = await runDrizzleKit(["push", "--force", "--config", config], { cwd: REPO_ROOT });
    expect(push.output).toMatch(/Changes applied/);
    const before = await cli("verify", pushed.url);
    expect(before.code).toBe(1);
    expect(before.output).toMatch(/the ledger records no migration: .* adopted with db:baseline/);

    const result = await cli("baseline", pushed.url);

    expect(result.code).toBe(0);
    expect(result.output).toContain(`recorded ${appMigrations()} migration(s)`);
    expect((await cli("verify", pushed.url)).code).toBe(0);
  });

  it("refuses a database whose schema differs, naming the differences, and records nothing", async () => {
    const built = await database(MIGRATIONS_FOLDER);
    await withSql(built.url, async (sql) => {
      await sql`drop schema drizzle cascade`;
      await sql`drop index sessions_user_id_idx`;
    });

    const result = await cli("baseline", built.url);

    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /refused: the schema differs .* index\.missing public\.sessions_user_id_idx/,
    );
    const ledger = await withSql(
      built.url,
      (sql) => sql`select to_regclass('drizzle.__drizzle_migrations') as ledger`,
    );
    expect(ledger[0]?.ledger).toBeNull();
  });

  it("refuses a database whose ledger already records migrations", async () => {
    const { url } = await database(MIGRATIONS_FOLDER);

    const result = await cli("baseline", url);

    expect(result.code).toBe(1);
    expect(result.output).toMatch(/already records migrations/);
  });
});
