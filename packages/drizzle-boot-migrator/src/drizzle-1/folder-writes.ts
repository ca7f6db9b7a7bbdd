/**
 * Writing a drizzle-kit 1.0 migrations folder (one directory per migration), for tools and tests
 * that make folders; the 0.x writer is drizzle-0.45/folder-writes.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MIGRATION_SQL_1, migrationSqlFiles } from "../folder-layout.ts";

/** drizzle-kit 1.0's directory name: `when` (ms) as UTC `yyyyMMddHHmmss`, `_`, then `name`. */
export function migrationName1(when: number, name: string): string {
  return `${new Date(when).toISOString().replace(/\D/g, "").slice(0, 14)}_${name}`;
}

/** A migration to write in 1.0's layout: its directory name (see `migrationName1`) and SQL. */
export interface NewMigration1 {
  tag: string;
  /** The whole file; statements separated by `--> statement-breakpoint` lines. */
  sql: string;
}

/** Writes each migration as `<tag>/migration.sql` in `folder` (created if needed). */
export function writeMigrationFolder1(folder: string, migrations: NewMigration1[]): void {
  for (const { tag, sql } of migrations) {
    mkdirSync(path.join(folder, tag), { recursive: true });
    writeFileSync(path.join(folder, tag, MIGRATION_SQL_1), sql);
  }
}

/**
 * Adds a migration after the newest one of a 1.0 `folder`, named as drizzle-kit 1.0 names it;
 * its time defaults to one second after the newest directory's (or now). Returns its name.
 */
export function appendMigration1(folder: string, name: string, sql: string, when?: number): string {
  const newest = migrationSqlFiles(folder, "1").at(-1);
  const stamp = newest?.slice(0, 14);
  const after = stamp
    ? Date.UTC(
        Number(stamp.slice(0, 4)),
        Number(stamp.slice(4, 6)) - 1,
        Number(stamp.slice(6, 8)),
        Number(stamp.slice(8, 10)),
        Number(stamp.slice(10, 12)),
        Number(stamp.slice(12, 14)),
      ) + 1_000
    : Date.now();
  const tag = migrationName1(when ?? after, name);
  writeMigrationFolder1(folder, [{ tag, sql }]);
  return tag;
}

/** The directory names of a 1.0 folder, in drizzle's order ([] for a missing folder). */
export const migrationNames1 = (folder: string): string[] =>
  migrationSqlFiles(folder, "1").map((file) => path.dirname(file));
