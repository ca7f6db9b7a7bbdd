import { writeFileSync } from "node:fs";
import path from "node:path";
import type { VerifyReport } from "drizzle-boot-migrator/verify";
import { describe, expect, inject, it } from "vitest";
import { emptyDatabasePerTest, withSql } from "../support/migrator";
import { projectsPerFile, runPackageBin } from "../support/package-cli";
import { VERIFY_FIXTURE } from "../support/verify";

// `drizzle-boot-migrator verify` and `baseline`, the package's own command, in a project that is
// not this app: its folder and ledger from its drizzle.config.json, the URL from the environment,
// the expected schema built on the server of --scratch-url (this run's, the live one's major).

const db = emptyDatabasePerTest();
const projects = projectsPerFile();

const CONFIG = JSON.stringify({
  dialect: "postgresql",
  out: "./db/migrations",
  migrations: { schema: "public", table: "app_migrations" },
});

/** A project with the verify fixture's migrations, applied to this test's database by `migrate`. */
async function migratedProject(): Promise<string> {
  const dir = projects.create({ "drizzle.config.json": CONFIG }, VERIFY_FIXTURE, "db/migrations");
  const migrate = await runPackageBin(dir, db.url, ["migrate"]);
  expect(migrate.code, migrate.output).toBe(0);
  return dir;
}

const bin = (dir: string, args: string[]) => runPackageBin(dir, db.url, args);
const scratch = () => ["--scratch-url", inject("adminDatabaseUrl")];

async function byHand(statements: string[]): Promise<void> {
  await withSql(db.url, async (sql) => {
    for (const statement of statements) await sql.unsafe(statement);
  });
}

describe("drizzle-boot-migrator verify", () => {
  it("exits 0 on a database its migrations built, reading the config's folder and ledger", async () => {
    const dir = await migratedProject();

    const result = await bin(dir, ["verify", ...scratch()]);

    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(
      `ledger:   "public"."app_migrations" (${path.join(dir, "db/migrations")}): 2 applied`,
    );
    expect(result.stdout).toMatch(
      /expected: built on the server of --scratch-url \([^)]+\) \(PostgreSQL [^:]+: the live server's major\)/,
    );
    expect(result.stdout).toMatch(/no drift: the schema is what its applied migrations build/);
  });

  it("exits 1 on drift, naming each object with expected, actual and advice", async () => {
    const dir = await migratedProject();
    await byHand([
      `drop index projects_account_id_idx`,
      `alter table accounts alter column note type text`,
    ]);

    const result = await bin(dir, ["verify", ...scratch()]);

    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toContain(
      [
        "column public.accounts.note",
        "  ✗ column type changed (column.type)",
        "    expected: character varying(100)",
        "    actual:   text",
        "    advice:   ALTER TABLE public.accounts ALTER COLUMN note TYPE character varying(100) USING note::character varying(100);",
        "index public.projects_account_id_idx",
        "  ✗ dropped index (index.missing)",
        "    expected: CREATE INDEX projects_account_id_idx ON public.projects USING btree (account_id)",
        "    actual:   (none)",
        "    advice:   CREATE INDEX projects_account_id_idx ON public.projects USING btree (account_id);",
      ].join("\n"),
    );
    expect(result.stdout).toMatch(/drift: 2 difference\(s\)/);
  });

  it("--json prints one report naming the target and each difference", async () => {
    const dir = await migratedProject();
    await byHand([`alter table accounts add column nickname text`]);

    const result = await bin(dir, ["verify", "--json", ...scratch()]);

    expect(result.code, result.output).toBe(1);
    const report = JSON.parse(result.stdout) as VerifyReport & { target: string };
    expect(report).toMatchObject({
      verdict: "drift",
      differences: [
        {
          code: "column.extra",
          object: "public.accounts.nickname",
          expected: null,
          actual: "text",
        },
      ],
    });
    expect(report.target).toMatch(/\(MIGRATIONS_DATABASE_URL\)$/);
  });

  it("without --scratch-url exits 2, naming the flag and what the server must allow", async () => {
    const dir = await migratedProject();

    const result = await bin(dir, ["verify"]);

    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain(
      "[verify] failed (CONFIG): verify builds the schema the migrations create on a scratch " +
        "database: pass --scratch-url <url>, a Postgres server where the URL's role may CREATE DATABASE",
    );
    expect(result.stdout).toBe("");
  });

  it("exits 2 when the scratch server refuses the database, saying so", async () => {
    const dir = await migratedProject();
    const noSuchServer = "postgres://postgres@127.0.0.1:1/postgres";

    const result = await bin(dir, ["verify", "--scratch-url", noSuchServer]);

    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toMatch(
      /could not create a scratch database on 127\.0\.0\.1:1 \(its role needs CREATEDB\)/,
    );
  });

  it("--schema compares a schema the migrations never create, which is not looked at otherwise", async () => {
    const dir = await migratedProject();
    await byHand([`create schema reporting`, `create table reporting.totals (id int)`]);

    const unnamed = await bin(dir, ["verify", ...scratch()]);
    const named = await bin(dir, ["verify", "--json", ...scratch(), "--schema", "reporting"]);

    expect(unnamed.code, unnamed.output).toBe(0);
    expect(unnamed.stdout).toContain("schemas:  public\n");
    expect(named.code, named.output).toBe(1);
    const report = JSON.parse(named.stdout) as VerifyReport;
    expect(report.schemas).toEqual(["public", "reporting"]);
    expect(report.differences.map(({ code, object }) => ({ code, object }))).toEqual([
      { code: "schema.extra", object: "reporting" },
      { code: "table.extra", object: "reporting.totals" },
    ]);
  });

  it("reads the project's verify-acknowledgements.json: an acknowledged difference passes", async () => {
    const dir = await migratedProject();
    await byHand([`create index accounts_name_idx on accounts (name)`]);
    writeFileSync(
      path.join(dir, "verify-acknowledgements.json"),
      JSON.stringify({
        acknowledged: [
          { code: "index.extra", object: "public.accounts_name_idx", reason: "INC-42 search" },
        ],
      }),
    );

    const result = await bin(dir, ["verify", ...scratch()]);

    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("  ~ extra index (index.extra)");
    expect(result.stdout).toContain("    acknowledged: INC-42 search");
  });
});

describe("drizzle-boot-migrator baseline", () => {
  it("records the migrations in the config's ledger of a database built without them; verify then passes", async () => {
    const dir = await migratedProject();
    await byHand([`drop table public.app_migrations`]);

    const refused = await bin(dir, ["verify", ...scratch()]);
    const result = await bin(dir, ["baseline", ...scratch()]);

    expect(refused.code, refused.output).toBe(1);
    expect(refused.stdout).toContain("is adopted with drizzle-boot-migrator baseline when");
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(
      'recorded 2 migration(s) in "public"."app_migrations" without running them',
    );
    expect((await bin(dir, ["verify", ...scratch()])).code).toBe(0);
    expect((await bin(dir, ["migrate"])).output).toMatch(/up to date/);
  });
});
