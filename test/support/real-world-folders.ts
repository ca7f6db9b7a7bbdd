import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type JournalFormat,
  readJournal,
  writeMigrationFolder,
  writeMigrationFolder1,
} from "drizzle-boot-migrator/folder";
import { directoryName1 } from "./directory-name-1";

/**
 * Migration folders shaped like the drizzle-kit Postgres folders public projects commit (written
 * for these tests, not copied): what their journals and SQL look like, not what they do.
 * Each writer returns the folder in a temp dir and what its journal lists.
 */

export interface RealWorldFolder {
  folder: string;
  /** The journal's tags and `when` values, in journal order. */
  tags: string[];
  whens: number[];
  /** Tags of `.sql` files the journal does not list. */
  outsideJournal: string[];
}

interface Entry {
  tag: string;
  sql: string;
  /** The journal `idx`; by default its position. */
  idx?: number;
}

/**
 * `fixture` as `drizzle-kit up` converts it for drizzle-orm 1.0, in a folder beside it: each
 * journal entry's file unchanged in a directory named by its `when` (to the second) and tag
 * without the index; `tags` and `whens` become the directory names and the seconds that 1.0
 * records. Files outside the journal are left behind, as `up` leaves them out.
 */
export function asDrizzle1(fixture: RealWorldFolder): RealWorldFolder {
  const folder = `${fixture.folder}-drizzle-1`;
  const { entries } = readJournal(fixture.folder);
  const migrations = entries.map((entry) => ({
    tag: directoryName1(entry),
    sql: readFileSync(path.join(fixture.folder, `${entry.tag}.sql`), "utf8"),
  }));
  writeMigrationFolder1(folder, migrations);
  return {
    folder,
    tags: migrations.map((migration) => migration.tag),
    whens: entries.map((entry) => Math.trunc(entry.when / 1000) * 1000),
    outsideJournal: [],
  };
}

/** When the first migration of a fixture was generated (ms; 2024-03-01). */
const T0 = 1_709_251_200_000;
const DAY = 86_400_000;

const breakpoint = "\n--> statement-breakpoint\n";

/** drizzle-kit before 0.30 wrapped enums and foreign keys in this block. */
export const duplicateObjectBlock = (statement: string) =>
  `DO $$ BEGIN\n ${statement}\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n`;

function writeFolder(
  name: string,
  format: JournalFormat,
  entries: Entry[],
  strays: Entry[] = [],
): RealWorldFolder {
  const folder = path.join(mkdtempSync(path.join(tmpdir(), "real-world-")), name);
  const migrations = entries.map((entry, index) => ({
    ...entry,
    when: T0 + index * DAY + index * 7_919,
  }));
  writeMigrationFolder(folder, migrations, format);
  // Files drizzle-kit did not write: in the folder, not in its journal.
  for (const { tag, sql } of strays) writeFileSync(path.join(folder, `${tag}.sql`), sql);
  return {
    folder,
    tags: migrations.map((migration) => migration.tag),
    whens: migrations.map((migration) => migration.when),
    outsideJournal: strays.map((stray) => stray.tag),
  };
}

/**
 * An old v5 journal (`"dialect": "pg"`) as drizzle-kit 0.20 wrote it: `CREATE TABLE IF NOT
 * EXISTS`, enums and every foreign key in `DO $$ ... duplicate_object` blocks, later a foreign key
 * added to an existing table the same way, and a varchar widened.
 */
export function v5PgFolder(): RealWorldFolder {
  const v5 = { version: "5", dialect: "pg" };
  return writeFolder("v5-pg", v5, [
    {
      tag: "0000_curved_sentinel",
      sql: [
        duplicateObjectBlock(`CREATE TYPE "plan" AS ENUM('free', 'team', 'enterprise');`).trimEnd(),
        `CREATE TABLE IF NOT EXISTS "accounts" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"name" varchar(32) NOT NULL,\n\t"plan" "plan" DEFAULT 'free' NOT NULL,\n\t"created_at" timestamp DEFAULT now() NOT NULL\n);`,
        `CREATE TABLE IF NOT EXISTS "projects" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"account_id" integer NOT NULL,\n\t"title" varchar(64) NOT NULL\n);`,
        duplicateObjectBlock(
          `ALTER TABLE "projects" ADD CONSTRAINT "projects_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE cascade ON UPDATE no action;`,
        ).trimEnd(),
      ].join(breakpoint),
    },
    {
      tag: "0001_wild_harpoon",
      sql: [
        `CREATE TABLE IF NOT EXISTS "tasks" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"project_id" integer NOT NULL,\n\t"owner_id" integer,\n\t"body" text\n);`,
        `ALTER TABLE "projects" ADD COLUMN "owner_id" integer;`,
        duplicateObjectBlock(
          `ALTER TABLE "tasks" ADD CONSTRAINT "tasks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE cascade ON UPDATE no action;`,
        ).trimEnd(),
        duplicateObjectBlock(
          `ALTER TABLE "projects" ADD CONSTRAINT "projects_owner_id_accounts_id_fk" FOREIGN KEY ("owner_id") REFERENCES "accounts"("id") ON DELETE set null ON UPDATE no action;`,
        ).trimEnd(),
      ].join(breakpoint),
    },
    {
      tag: "0002_long_titles",
      sql: `ALTER TABLE "projects" ALTER COLUMN "title" SET DATA TYPE varchar(256);`,
    },
    {
      tag: "0003_tasks_by_project",
      sql: `CREATE INDEX IF NOT EXISTS "tasks_project_id_idx" ON "tasks" ("project_id");`,
    },
  ]);
}

const v7 = { version: "7", dialect: "postgresql" };

/**
 * Custom migrations (`drizzle-kit generate --custom`) beside generated ones: a function and its
 * trigger with dollar-quoted bodies, a view, a backfill, a DO block of the project's own PL/pgSQL
 * with BEGIN ... END, and seed rows.
 */
export function customMigrationsFolder(): RealWorldFolder {
  return writeFolder("custom", v7, [
    {
      tag: "0000_init",
      sql: [
        `CREATE TABLE "invoices" (\n\t"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,\n\t"number" text,\n\t"total_cents" integer NOT NULL,\n\t"updated_at" timestamp with time zone DEFAULT now() NOT NULL\n);`,
        `CREATE TABLE "settings" (\n\t"key" text PRIMARY KEY NOT NULL,\n\t"value" jsonb NOT NULL\n);`,
      ].join(breakpoint),
    },
    {
      tag: "0001_touch_updated_at",
      sql: [
        "-- Custom SQL migration file, put your code below! --",
        `CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at = now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;`,
        `CREATE TRIGGER invoices_touch BEFORE UPDATE ON "invoices" FOR EACH ROW EXECUTE FUNCTION touch_updated_at();`,
      ].join("\n"),
    },
    {
      tag: "0002_invoice_totals",
      sql: `CREATE VIEW "invoice_totals" AS SELECT count(*) AS invoices, coalesce(sum(total_cents), 0) AS cents FROM "invoices";`,
    },
    {
      tag: "0003_seed_settings",
      sql: [
        `INSERT INTO "settings" ("key", "value") VALUES ('currency', '"EUR"'), ('begin', '{"commit": true}');`,
        `DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM "settings" WHERE "key" = 'locale') THEN\n    INSERT INTO "settings" VALUES ('locale', '"en"');\n  END IF;\nEND\n$$;`,
      ].join(breakpoint),
    },
    {
      tag: "0004_number_backfill",
      sql: `UPDATE "invoices" SET "number" = 'INV-' || "id" WHERE "number" IS NULL;${breakpoint}ALTER TABLE "invoices" ALTER COLUMN "number" SET NOT NULL;`,
    },
  ]);
}

/** A journal whose `idx` values skip (an entry deleted before anyone applied it, idx not renumbered). */
export function idxGapsFolder(): RealWorldFolder {
  return writeFolder("idx-gaps", v7, [
    { tag: "0000_members", sql: `CREATE TABLE "members" ("id" serial PRIMARY KEY NOT NULL);` },
    {
      tag: "0001_member_email",
      sql: `ALTER TABLE "members" ADD COLUMN "email" varchar(120);`,
    },
    {
      tag: "0003_member_name",
      idx: 3,
      sql: `ALTER TABLE "members" ADD COLUMN "name" text;`,
    },
    {
      tag: "0006_member_email_text",
      idx: 6,
      sql: `ALTER TABLE "members" ALTER COLUMN "email" SET DATA TYPE text;`,
    },
  ]);
}

/** A `.sql` file the journal does not list (committed, never generated into the journal). */
export function strayFileFolder(): RealWorldFolder {
  return writeFolder(
    "stray-file",
    v7,
    [
      { tag: "0000_events", sql: `CREATE TABLE "events" ("id" bigserial PRIMARY KEY NOT NULL);` },
      { tag: "0001_event_kind", sql: `ALTER TABLE "events" ADD COLUMN "kind" text;` },
    ],
    [{ tag: "0002_manual_cleanup", sql: `DROP TABLE "events";` }],
  );
}

/**
 * A folder of `count` generated migrations, as a project of several years has: each adds a
 * table, a column or an index, a foreign key or a wider varchar on what came before.
 */
export function generatedFolder(count: number): RealWorldFolder {
  const entries: Entry[] = [];
  for (let n = 0; n < count; n++) {
    const table = `t_${Math.floor(n / 4)}`;
    const previous = `t_${Math.floor(n / 4) - 1}`;
    const tag = `${String(n).padStart(4, "0")}_step_${n}`;
    const statements = [
      [
        `CREATE TABLE "${table}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"label" varchar(16),\n\t"created_at" timestamp DEFAULT now() NOT NULL\n);`,
      ],
      [
        `ALTER TABLE "${table}" ADD COLUMN "parent_id" integer;`,
        ...(n >= 4
          ? [
              `ALTER TABLE "${table}" ADD CONSTRAINT "${table}_parent_id_${previous}_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."${previous}"("id") ON DELETE no action ON UPDATE no action;`,
            ]
          : []),
      ],
      [`CREATE INDEX "${table}_created_at_idx" ON "${table}" USING btree ("created_at");`],
      [`ALTER TABLE "${table}" ALTER COLUMN "label" SET DATA TYPE varchar(64);`],
    ][n % 4] as string[];
    entries.push({ tag, sql: statements.join(breakpoint) });
  }
  return writeFolder(`generated-${count}`, v7, entries);
}
