import type { MigrationSet } from "drizzle-boot-migrator";
import { scratchOnServer, type VerifyReport, verifyDatabase } from "drizzle-boot-migrator/verify";
import { afterEach, inject } from "vitest";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import { applyMigrations, createTestDatabase, type TestDatabase } from "./database";
import { type FixtureMigration, fixtureMigration, writeMigrationFolder } from "./migrator";

/**
 * A schema with one of everything db:verify compares that the app's own schema lacks (an
 * extension, an enum, a check constraint, a foreign key, plain and unique indexes), then a second
 * migration that a database may be behind on.
 */
export const VERIFY_FIXTURE: FixtureMigration[] = [
  fixtureMigration(0, [
    `CREATE EXTENSION IF NOT EXISTS "pg_trgm"`,
    `CREATE TYPE "public"."plan" AS ENUM('free', 'pro')`,
    `CREATE TABLE "accounts" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
      "name" text NOT NULL,
      "plan" "plan" DEFAULT 'free' NOT NULL,
      "seats" integer DEFAULT 1 NOT NULL,
      "note" varchar(100)
    )`,
    `CREATE TABLE "projects" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
      "account_id" uuid NOT NULL,
      "title" text NOT NULL,
      "budget" numeric(12, 2) DEFAULT '0' NOT NULL,
      CONSTRAINT "projects_budget_check" CHECK ("budget" >= 0)
    )`,
    `ALTER TABLE "projects" ADD CONSTRAINT "projects_account_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade`,
    `CREATE INDEX "projects_account_id_idx" ON "projects" USING btree ("account_id")`,
    `CREATE UNIQUE INDEX "projects_account_title_uidx" ON "projects" USING btree ("account_id","title")`,
  ]),
  fixtureMigration(1, [`CREATE TABLE "labels" ("id" serial PRIMARY KEY, "name" text NOT NULL)`]),
];

/** The fixture's folder with its first `count` migrations. */
export function verifyFixtureFolder(count = VERIFY_FIXTURE.length): string {
  return writeMigrationFolder(VERIFY_FIXTURE.slice(0, count));
}

/** One set: `folder` with the app's ledger location. */
export function setOf(folder: string): MigrationSet[] {
  return [
    { migrationsFolder: folder, ledger: { schema: MIGRATIONS.schema, table: MIGRATIONS.table } },
  ];
}

/** Scratch databases on this run's server: the live server's major, whatever it is. */
export function testScratch() {
  return scratchOnServer(inject("adminDatabaseUrl"), "the test server");
}

/** db:verify's library call on `url` against `folder`, scratch on the test server. */
export function verifyAgainst(
  url: string,
  folder: string,
  options: Partial<Parameters<typeof verifyDatabase>[0]> = {},
): Promise<VerifyReport> {
  return verifyDatabase({ url, sets: setOf(folder), scratch: testScratch(), ...options });
}

/** What a person reads of each difference. */
export function named(report: VerifyReport) {
  return report.differences.map(({ code, object, expected, actual }) => ({
    code,
    object,
    expected,
    actual,
  }));
}

/**
 * Databases for the tests of a file, each dropped after its test: `create(folder)` makes one and
 * applies `folder`'s migrations with the migrator (none without a folder).
 */
export function databasesPerTest(): { create(migrationsFolder?: string): Promise<TestDatabase> } {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.drop();
  });
  return {
    async create(migrationsFolder) {
      const database = await createTestDatabase();
      databases.push(database);
      if (migrationsFolder) await applyMigrations(database.url, migrationsFolder);
      return database;
    },
  };
}
