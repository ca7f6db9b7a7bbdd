/**
 * What the migrator relies on in drizzle-orm 1.0's migrator (read in 1.0.0-rc.5's
 * `migrator.ts`, `migrator.utils.ts`, `up-migrations/pg.ts` and `pg-core/async/session.ts`):
 * - one folder per migration, `<YYYYMMDDHHMMSS>_<name>/migration.sql`, in name order; the name
 *   is the migration's identity in the ledger, its 14-digit prefix (UTC, to the second) its
 *   `created_at`; no `meta/_journal.json` (drizzle refuses a folder that still has one until
 *   `drizzle-kit up` converted it);
 * - the ledger gains `name` and `applied_at`; a migration is pending when no row has its name;
 * - a ledger in 0.45's format (no `name` column) is upgraded in place by `migrate()`: each row is
 *   matched with a local migration by its `created_at` truncated to the second (the hash decides
 *   between migrations of one second, and alone when no migration has that second); a row that
 *   matches none makes the upgrade throw.
 * The ledger is read as for 0.45 (its reader reads either format). How `migrate()` runs is in
 * apply.ts, loaded only when something is written.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Queryable } from "../driver/port.ts";
import {
  findLedgersElsewhere as findLedgersWith,
  type LedgerElsewhere,
  type LedgerLocation,
  type LedgerRow,
  type MigrationFile,
  recordsFile,
} from "../drizzle-0.45/format.ts";
import { MigrationError } from "../errors.ts";

/** A migration's SQL file in 1.0's layout, relative to the folder. */
export const migrationFileOf = (tag: string) => `${tag}/migration.sql`;

/** 1.0's `readMigrationFiles` entry: 0.45's, with the folder name. */
interface MigrationMeta1 {
  sql: string[];
  folderMillis: number;
  hash: string;
  name?: string;
}

/**
 * Reads a drizzle-kit 1.0 migrations folder through drizzle-orm 1.0's own `readMigrationFiles`,
 * so that hashes, statements and order are exactly what its `migrate()` uses.
 */
export function readMigrationFolder(folder: string): MigrationFile[] {
  if (existsSync(path.join(folder, "meta", "_journal.json"))) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `${folder} is in drizzle-kit 0.x's layout (meta/_journal.json), which drizzle-orm 1.0 does ` +
        "not read. Convert it with drizzle-kit 1.0's `drizzle-kit up` and commit the result with " +
        "the drizzle upgrade; the ledger is upgraded at the next boot, under the migration lock.",
    );
  }
  if (!existsSync(folder)) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `No migrations folder at ${folder}. Point the migrator at drizzle-kit's output folder ` +
        "(drizzle.config's `out`; CLI: --migrations-folder), and make sure the build ships it.",
    );
  }
  let metas: MigrationMeta1[];
  try {
    metas = readMigrationFiles({ migrationsFolder: folder }) as MigrationMeta1[];
  } catch (error) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `Cannot read the migrations in ${folder}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return metas.map((meta) => {
    if (meta.name === undefined) {
      throw new MigrationError(
        "MIGRATIONS_FOLDER",
        "The migrator is set to drizzle-orm 1.0 (drizzleVersion) but the installed drizzle-orm " +
          "reads migrations without names (0.x). Install drizzle-orm 1.0, or leave drizzleVersion " +
          "unset so that the installed version decides.",
      );
    }
    return { tag: meta.name, when: meta.folderMillis, hash: meta.hash, statements: meta.sql };
  });
}

/** A `created_at` (ms) cut to the second, as 1.0's ledger upgrade compares it. */
export const toSecond = (millis: number) => Math.trunc(millis / 1000) * 1000;

/**
 * Other tables recording this folder's migrations: a row with a file's hash records it when it
 * has the file's name (1.0's identity, also on a row whose `created_at` is not its folder's time:
 * a 0.45 row 1.0's upgrade named by its hash), or its time to the second (a 0.45 ledger's
 * `created_at` is the journal's `when`, in ms).
 */
export function findLedgersElsewhere(
  sql: Queryable,
  ledger: LedgerLocation,
  files: MigrationFile[],
): Promise<LedgerElsewhere[]> {
  return findLedgersWith(
    sql,
    ledger,
    files,
    (row, file) =>
      row.name === file.tag ||
      (row.createdAt !== null && toSecond(Number(row.createdAt)) === file.when),
  );
}

/**
 * The local migration drizzle-orm 1.0's ledger upgrade names a 0.45 row after, or undefined
 * (its upgrade then throws). Its rule: the migrations of the row's second, if one, is it; if
 * several, the one with the row's hash; if none, any migration with the row's hash. A hash
 * matches as `recordsFile` says, so that a CRLF checkout still names its rows; apply.ts hands
 * drizzle the ledger's hash of each applied migration, so that drizzle's own upgrade agrees.
 */
export function upgradeMatcher(
  files: MigrationFile[],
): (row: LedgerRow) => MigrationFile | undefined {
  const sorted = [...files].sort((a, b) =>
    a.when !== b.when ? a.when - b.when : a.tag.localeCompare(b.tag),
  );
  const bySecond = new Map<number, MigrationFile[]>();
  for (const file of sorted) bySecond.set(file.when, [...(bySecond.get(file.when) ?? []), file]);
  return (row) => {
    const candidates = row.createdAt === null ? undefined : bySecond.get(toSecond(row.createdAt));
    if (candidates?.length === 1) return candidates[0];
    // drizzle's map by hash keeps the last migration of a hash.
    return (candidates ?? sorted).findLast((file) => recordsFile(row.hash, file));
  };
}
