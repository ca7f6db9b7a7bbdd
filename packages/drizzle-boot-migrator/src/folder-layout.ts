/**
 * Which drizzle-kit layout a migrations folder is in, and where its SQL files are, read from the
 * folder itself without drizzle-orm: so that tools which only read the SQL (a linter, a CI check,
 * a file watcher) work on either layout whatever drizzle-orm is installed.
 * - drizzle-kit 0.x (drizzle-orm 0.45): `meta/_journal.json` lists `<tag>.sql` files at the top;
 * - drizzle-kit 1.0: one directory per migration, `<yyyyMMddHHmmss>_<name>/migration.sql`, read in
 *   name order; drizzle-orm 1.0 skips a directory without `migration.sql` and takes the first 14
 *   characters of the name as the migration's time.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { DrizzleVersion } from "./adapter.ts";
import { journalPath } from "./drizzle-0.45/format.ts";

/** The SQL file of a migration in a 1.0 folder, relative to its directory. */
export const MIGRATION_SQL_1 = "migration.sql";

const STAMP_1 = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_./;

/**
 * The drizzle version whose layout `folder` is in: a journal makes it 0.45's; else a directory
 * holding `migration.sql` makes it 1.0's; else top-level `.sql` files make it 0.45's (with its
 * journal missing). Undefined for a missing or empty folder, which either version may start.
 */
export function folderLayout(folder: string): DrizzleVersion | undefined {
  if (existsSync(journalPath(folder))) return "0.45";
  if (!existsSync(folder)) return undefined;
  const entries = readdirSync(folder, { withFileTypes: true });
  if (entries.some((entry) => entry.isDirectory() && hasMigrationSql(folder, entry.name))) {
    return "1";
  }
  if (entries.some((entry) => entry.isFile() && entry.name.endsWith(".sql"))) return "0.45";
  return undefined;
}

const hasMigrationSql = (folder: string, name: string) =>
  existsSync(path.join(folder, name, MIGRATION_SQL_1));

/** A migration's SQL file relative to the folder: `<tag>.sql` (0.45) or `<tag>/migration.sql` (1). */
export function migrationSqlFile(tag: string, layout: DrizzleVersion): string {
  return layout === "1" ? `${tag}/${MIGRATION_SQL_1}` : `${tag}.sql`;
}

/**
 * The migration SQL files of `folder` relative to it, in the order drizzle reads them: 0.45's
 * top-level `.sql` files, or 1.0's `<name>/migration.sql` in name order. The layout is the
 * folder's own unless given. Files drizzle does not list are included in 0.45's layout (a file
 * missing from the journal is still worth checking); `sqlFilesOutsideJournal` names those.
 */
export function migrationSqlFiles(
  folder: string,
  layout: DrizzleVersion | undefined = folderLayout(folder),
): string[] {
  if (!existsSync(folder)) return [];
  const entries = readdirSync(folder, { withFileTypes: true });
  if (layout === "1") {
    return entries
      .filter((entry) => entry.isDirectory() && hasMigrationSql(folder, entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b))
      .map((name) => migrationSqlFile(name, "1"));
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort();
}

/** Something in a 1.0 folder that no migrator applies, or applies at the wrong time. */
export interface FolderProblem1 {
  /** The file or directory, relative to the folder. */
  path: string;
  problem: string;
  fix: string;
}

/**
 * What in a drizzle-kit 1.0 folder drizzle-orm 1.0 would skip or misread, without a word: a
 * directory without `migration.sql` (skipped), a name that does not start with a 14-digit
 * `yyyyMMddHHmmss` time and `_` (its time is garbage, and the upgrade of a 0.45 ledger matches by
 * it), and `.sql` files at the top (0.x's layout; never applied).
 */
export function findFolderProblems1(folder: string): FolderProblem1[] {
  const problems: FolderProblem1[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".sql")) {
      problems.push({
        path: entry.name,
        problem:
          `${entry.name} sits at the top of a drizzle-kit 1.0 folder, where no migrator reads ` +
          "SQL: drizzle-orm 1.0 applies only <yyyyMMddHHmmss>_<name>/migration.sql.",
        fix:
          "Move its SQL into a migration directory of its own (drizzle-kit generate makes one), " +
          "or delete it if it was left over from the 0.x layout.",
      });
    }
    if (!entry.isDirectory() || entry.name === "meta") continue;
    if (!hasMigrationSql(folder, entry.name)) {
      problems.push({
        path: `${entry.name}/`,
        problem: `${entry.name}/ has no ${MIGRATION_SQL_1}, so drizzle-orm 1.0 skips it: it is never applied.`,
        fix: `Restore ${entry.name}/${MIGRATION_SQL_1} from version control, or delete the directory.`,
      });
      continue;
    }
    if (!validStamp(entry.name)) {
      problems.push({
        path: migrationSqlFile(entry.name, "1"),
        problem:
          `${entry.name}/ does not start with a yyyyMMddHHmmss time and "_": drizzle-orm 1.0 ` +
          "reads the first 14 characters of the name as the migration's time, and sorts by name.",
        fix: "Rename the directory as drizzle-kit 1.0 names it, <yyyyMMddHHmmss>_<name> (UTC).",
      });
    }
  }
  return problems;
}

function validStamp(name: string): boolean {
  const match = STAMP_1.exec(name);
  if (!match) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
  return date.toISOString().replace(/\D/g, "").slice(0, 14) === name.slice(0, 14);
}
