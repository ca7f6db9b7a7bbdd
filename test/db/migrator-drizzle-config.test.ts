import path from "node:path";
import { DRIZZLE_LEDGER, type LedgerLocation } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";
import { emptyDatabasePerTest, FIXTURE_T0, ledgerWhens } from "../support/migrator";
import { installPackageWithout, projectsPerFile, runPackageBin } from "../support/package-cli";
import type { ProcessResult } from "../support/processes";

// The package's own command (`drizzle-boot-migrator`, src/bin.ts run by tsx as the app's scripts
// are) in a project that keeps its folder and ledger in drizzle.config.*, as drizzle-kit reads it,
// and with whichever driver the project installed (node-postgres without postgres.js: no setting).

const db = emptyDatabasePerTest();
const projects = projectsPerFile();

const MIGRATIONS = [
  { tag: "0000_first", when: FIXTURE_T0, statements: ["create table first_table (id int)"] },
  { tag: "0001_second", when: FIXTURE_T0 + 1000, statements: ["create table second (id int)"] },
];
const WHENS = MIGRATIONS.map((migration) => migration.when);
const APP_LEDGER: LedgerLocation = { schema: "public", table: "app_migrations" };

/** A project folder with `files` (name → content) and the migrations in `folder`. */
const project = (files: Record<string, string>, folder: string) =>
  projects.create(files, MIGRATIONS, folder);

/** A TypeScript config (type annotations and all), as `drizzle-kit` reads it. */
const TS_CONFIG = `interface Config { dialect: "postgresql"; out: string; migrations: { schema: string; table: string } }
const config: Config = {
  dialect: "postgresql",
  out: "./db/migrations",
  migrations: { schema: "public", table: "app_migrations" },
};
export default config;
`;

function bin(dir: string, args: string[], binPath?: string): Promise<ProcessResult> {
  return runPackageBin(dir, db.url, args, binPath);
}

describe("drizzle-boot-migrator reads the project's drizzle.config.*", () => {
  it("a drizzle.config.ts's out and migrations: migrate applies into its ledger, status shows it, a flag overrides it", async () => {
    const dir = project({ "drizzle.config.ts": TS_CONFIG }, "db/migrations");

    const migrate = await bin(dir, ["migrate"]);
    expect(migrate.code, migrate.output).toBe(0);
    expect(await ledgerWhens(db.url, APP_LEDGER)).toEqual(WHENS);
    expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual([]);

    const status = await bin(dir, ["status"]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain('db/migrations (ledger "public"."app_migrations"): ');
    expect(status.stdout).toContain("at 0001_second, 0 of 2 pending");

    const again = await bin(dir, ["migrate"]);
    expect(again.code, again.output).toBe(0);
    expect(await ledgerWhens(db.url, APP_LEDGER)).toEqual(WHENS);

    // The flag names the table; the schema still comes from the config.
    const flagged = await bin(dir, ["status", "--migrations-table", "other_migrations"]);
    expect(flagged.stdout).toContain('db/migrations (ledger "public"."other_migrations"): ');
    expect(flagged.stdout).toContain("(nothing applied), 2 of 2 pending");
  });

  it("a drizzle.config.json, and --config naming a file elsewhere (out stays relative to the working directory, as in drizzle-kit)", async () => {
    const json = JSON.stringify({
      dialect: "postgresql",
      out: "./sql",
      migrations: { table: "json_migrations" },
    });
    const dir = project({ "drizzle.config.json": json }, "sql");

    const migrate = await bin(dir, ["migrate"]);
    expect(migrate.code, migrate.output).toBe(0);
    const jsonLedger = { schema: "drizzle", table: "json_migrations" };
    expect(await ledgerWhens(db.url, jsonLedger)).toEqual(WHENS);

    const elsewhere = projects.create({ "custom.json": json });
    const status = await bin(dir, ["status", "--config", path.join(elsewhere, "custom.json")]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain('sql (ledger "drizzle"."json_migrations"): ');
    expect(status.stdout).toContain("0 of 2 pending");
  });

  it("without a config file: ./drizzle and drizzle's default ledger", async () => {
    const dir = project({}, "drizzle");

    const migrate = await bin(dir, ["migrate"]);
    expect(migrate.code, migrate.output).toBe(0);
    expect(await ledgerWhens(db.url, DRIZZLE_LEDGER)).toEqual(WHENS);
  });

  it("a drizzle.config.ts without tsx: a clear error naming what to install and which flags to pass; the flags then work", async () => {
    const dir = project({ "drizzle.config.ts": TS_CONFIG }, "db/migrations");
    const installed = installPackageWithout(dir, "tsx");

    const refused = await bin(dir, ["migrate"], installed);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.stderr).toContain(
      `${path.join(dir, "drizzle.config.ts")} is TypeScript, and loading it needs tsx (installed with drizzle-kit): npm install --save-dev tsx. Or pass --migrations-folder, --migrations-schema and --migrations-table`,
    );
    expect(await ledgerWhens(db.url, APP_LEDGER)).toEqual([]);

    const flags = ["--migrations-folder", "db/migrations"];
    flags.push("--migrations-schema", "public", "--migrations-table", "app_migrations");
    const migrate = await bin(dir, ["migrate", ...flags], installed);
    expect(migrate.code, migrate.output).toBe(0);
    expect(await ledgerWhens(db.url, APP_LEDGER)).toEqual(WHENS);
  });
});

/**
 * A project with `./drizzle`, and the package installed without the peers `missing` (Neon's
 * driver is given only to the API, so no project here has it).
 */
function projectWithout(...missing: string[]): { dir: string; bin: string } {
  const dir = projects.create({}, MIGRATIONS, "drizzle");
  return { dir, bin: installPackageWithout(dir, "@neondatabase/serverless", ...missing) };
}

/** The package command of `project` (its own copy of the package). */
function run(project: { dir: string; bin: string }, args: string[]): Promise<ProcessResult> {
  return bin(project.dir, args, project.bin);
}

describe("drizzle-boot-migrator in a project with only pg installed", () => {
  const onlyPg = () => projectWithout("postgres");

  it("migrate applies the migrations and status shows them, with no driver setting", async () => {
    const project = onlyPg();
    const migrate = await run(project, ["migrate"]);
    expect(migrate.code, migrate.output).toBe(0);
    expect(migrate.output).toContain("applied 2 migration(s)");
    expect(await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" })).toEqual(
      MIGRATIONS.map((migration) => migration.when),
    );

    const status = await run(project, ["status"]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain("at 0001_second, 0 of 2 pending");

    const again = await run(project, ["migrate"]);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain("is up to date at 0001_second");
  });

  it("--driver postgres is refused, naming the package to install (exit 2)", async () => {
    const refused = await run(onlyPg(), ["migrate", "--driver", "postgres"]);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toContain(
      "failed (DRIVER_MISSING): --driver postgres: the package postgres is not installed here (npm install postgres).",
    );
    expect(await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" })).toEqual(
      [],
    );
  });

  it("verify and baseline, which run on postgres.js, are refused naming the package to install (exit 2)", async () => {
    const project = onlyPg();
    for (const command of ["verify", "baseline"]) {
      const refused = await run(project, [command, "--scratch-url", db.url]);
      expect(refused.code, refused.output).toBe(2);
      expect(refused.output).toContain(
        `failed (DRIVER_MISSING): ${command} (it runs on postgres.js): the package postgres is not installed here (npm install postgres).`,
      );
    }
    expect(await ledgerWhens(db.url, { schema: "drizzle", table: "__drizzle_migrations" })).toEqual(
      [],
    );
  });
});

describe("drizzle-boot-migrator with no driver installed", () => {
  it("refuses, naming both drivers and the order it looks for them in (exit 2)", async () => {
    const refused = await run(projectWithout("postgres", "pg"), ["migrate"]);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toContain(
      "failed (DRIVER_MISSING): No Postgres driver is installed: the migrator uses postgres or pg (in that order)",
    );
  });
});

describe("drizzle-boot-migrator with both drivers installed", () => {
  it("--driver pg applies; an unknown --driver is refused", async () => {
    const project = projectWithout();
    const migrate = await run(project, ["migrate", "--driver", "pg"]);
    expect(migrate.code, migrate.output).toBe(0);
    expect(migrate.output).toContain("applied 2 migration(s)");

    const unknown = await run(project, ["status", "--driver", "mysql2"]);
    expect(unknown.code, unknown.output).toBe(2);
    expect(unknown.output).toContain(
      "failed (DRIVER_UNSUPPORTED): --driver mysql2 is not a driver the migrator knows: use one of postgres, pg.",
    );
  });
});
