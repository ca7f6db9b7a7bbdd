/**
 * Writing a drizzle-kit 1.0 migrations folder (format.ts: a directory per migration, no journal),
 * for tools and tests that make folders. The migrator itself only reads; this lives beside the
 * reader so that 1.0's layout is known in one place.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { NewMigration } from "../drizzle-0.45/folder-writes.ts";

/**
 * The directory drizzle-kit 1.0 gives a migration: its `when` in UTC to the second, then its name
 * without 0.x's index prefix (`0003_add-invites` → `<yyyyMMddHHmmss>_add-invites`), as
 * `drizzle-kit up` names a journal entry's.
 */
export function migrationDirectory1({ tag, when }: Pick<NewMigration, "tag" | "when">): string {
  const stamp = new Date(when).toISOString().replace(/\D/g, "").slice(0, 14);
  const name = /^\d+_/.test(tag) ? tag.slice(tag.indexOf("_") + 1) : tag;
  return `${stamp}_${name}`;
}

/** `folder` holding `migrations` in drizzle-kit 1.0's layout: `<directory>/migration.sql` each. */
export function writeMigrationFolder1(folder: string, migrations: NewMigration[]): void {
  for (const migration of migrations) {
    const directory = path.join(folder, migrationDirectory1(migration));
    mkdirSync(directory, { recursive: true });
    writeFileSync(path.join(directory, "migration.sql"), migration.sql);
  }
}
