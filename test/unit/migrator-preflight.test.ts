import { schemasWritten } from "drizzle-boot-migrator";
import type { MigrationFile } from "drizzle-boot-migrator/folder";
import { describe, expect, it } from "vitest";

const pending = (...statements: string[]) => [{ statements } as MigrationFile];

describe("the schemas db:status checks before a deploy", () => {
  it("are the ledger's alone when nothing is pending", () => {
    expect(schemasWritten("drizzle", [])).toEqual(["drizzle"]);
  });

  it("add public and every schema drizzle-kit names, but not a table's columns", () => {
    expect(
      schemasWritten(
        "drizzle",
        pending(
          'CREATE SCHEMA "reporting";',
          'CREATE TABLE IF NOT EXISTS "reporting"."weeks" ("id" uuid, CONSTRAINT "c" CHECK ("weeks"."id" IS NOT NULL))',
          'ALTER TABLE "users" ADD CONSTRAINT "f" FOREIGN KEY ("t") REFERENCES "app"."tenants"("id")',
          'DROP TABLE "users";',
        ),
      ),
    ).toEqual(["drizzle", "public", "reporting", "app"]);
  });
});
