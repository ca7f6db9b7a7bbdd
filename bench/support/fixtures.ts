import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  migrationName1,
  writeMigrationFolder,
  writeMigrationFolder1,
} from "drizzle-boot-migrator/folder";

/** The migrations the app ships; what every boot reads. */
export const appMigrationsFolder = path.join(process.cwd(), "drizzle");

/** A folder's layout: drizzle-kit 0.x's journal, or 1.0's directory per migration. */
export type FolderLayout = "0.45" | "1";

export interface MigrationsFolder {
  folder: string;
  count: number;
  remove(): Promise<void>;
}

/**
 * A drizzle-kit style folder of `count` migrations, each creating one table with an index (about
 * 400 bytes, two statements): the shape of a typical small schema change. With
 * `firstSleepsSeconds`, the first migration starts with a `pg_sleep`: a migration that takes time.
 * In drizzle-kit 0.x's layout unless `layout` says 1.0's.
 */
export function writeSyntheticMigrations(
  count: number,
  options: { firstSleepsSeconds?: number; layout?: FolderLayout } = {},
): Promise<MigrationsFolder> {
  const sleep = options.firstSleepsSeconds;
  return writeMigrationsFolder(
    `synthetic-${count}`,
    Array.from({ length: count }, (_, index) => {
      const sql = syntheticSql(index);
      return {
        name: `bench_table_${index}`,
        sql:
          index === 0 && sleep
            ? `SELECT pg_sleep(${sleep});\n--> statement-breakpoint\n${sql}`
            : sql,
      };
    }),
    options.layout,
  );
}

/**
 * A drizzle-kit style folder in a temp dir: a journal and one `.sql` per migration, or with
 * `layout` "1" a directory per migration. Timestamps are one second apart and strictly
 * increasing, as `drizzle-kit generate` writes them.
 */
export async function writeMigrationsFolder(
  label: string,
  migrations: { name: string; sql: string }[],
  layout: FolderLayout = "0.45",
): Promise<MigrationsFolder> {
  const folder = await mkdtemp(path.join(os.tmpdir(), `bench-migrations-${label}-`));
  const firstWhen = 1_700_000_000_000;
  const whenOf = (index: number) => firstWhen + index * 1_000;
  if (layout === "1") {
    writeMigrationFolder1(
      folder,
      migrations.map(({ name, sql }, index) => ({ tag: migrationName1(whenOf(index), name), sql })),
    );
  } else {
    writeMigrationFolder(
      folder,
      migrations.map(({ name, sql }, index) => ({
        tag: `${String(index).padStart(4, "0")}_${name}`,
        when: whenOf(index),
        sql,
      })),
    );
  }
  return {
    folder,
    count: migrations.length,
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}

function syntheticSql(index: number): string {
  const table = `bench_items_${index}`;
  return [
    `CREATE TABLE "${table}" (`,
    `\t"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,`,
    `\t"tenant_id" uuid NOT NULL,`,
    `\t"name" text NOT NULL,`,
    `\t"amount" numeric(12, 2) DEFAULT '0' NOT NULL,`,
    `\t"created_at" timestamp with time zone DEFAULT now() NOT NULL`,
    ");",
    "--> statement-breakpoint",
    `CREATE INDEX "${table}_tenant_id_name_idx" ON "${table}" USING btree ("tenant_id","name");`,
  ].join("\n");
}
