import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MigrationError } from "./errors";
import { type JournalEntry, JournalFormatError, parseJournal } from "./journal";

/** One migration of the folder, as drizzle-orm's `migrate()` will see it. */
export interface MigrationFile {
  /** Position in the journal. */
  index: number;
  /** The journal tag, also the file name without `.sql` (e.g. `0003_add-invites`). */
  tag: string;
  /** The journal's `when` (ms): drizzle stores it as the ledger's `created_at`. */
  when: number;
  /** SHA-256 (hex) of the whole file, as drizzle stores it in the ledger. */
  hash: string;
  /** The file split on `--> statement-breakpoint`, each chunk run as is. */
  statements: string[];
}

/**
 * Reads a drizzle-kit migrations folder. Hashes and statements come from drizzle-orm's own
 * `readMigrationFiles`, so the validation compares exactly what `migrate()` hashes and runs; the
 * journal is read again (by the same parser as `npm run db:check`) only for the tags, which
 * drizzle drops.
 */
export function readMigrationFolder(folder: string): MigrationFile[] {
  const journalPath = path.join(folder, "meta", "_journal.json");
  if (!existsSync(journalPath)) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `No migrations journal at ${journalPath}. Point the migrator at drizzle-kit's output folder ` +
        "(default: ./drizzle next to package.json; CLI: --migrations-folder), and make sure the " +
        "build ships it.",
    );
  }
  const entries = readJournalEntries(journalPath);
  let metas: ReturnType<typeof readMigrationFiles>;
  try {
    metas = readMigrationFiles({ migrationsFolder: folder });
  } catch (error) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `Cannot read the migrations in ${folder}: ${(error as Error).message}. Every journal entry ` +
        "needs its <tag>.sql file; restore it from version control.",
      { cause: error },
    );
  }
  return entries.map((entry, index) => {
    const meta = metas[index];
    if (!meta) throw new Error(`drizzle read fewer migrations than ${journalPath} lists`);
    return { index, tag: entry.tag, when: entry.when, hash: meta.hash, statements: meta.sql };
  });
}

function readJournalEntries(journalPath: string): JournalEntry[] {
  try {
    return parseJournal(readFileSync(journalPath, "utf8"), journalPath).entries;
  } catch (error) {
    const message =
      error instanceof JournalFormatError
        ? error.message
        : `Cannot read ${journalPath}: ${(error as Error).message}.`;
    throw new MigrationError("MIGRATIONS_FOLDER", message, { cause: error });
  }
}
