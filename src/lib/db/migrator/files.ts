import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MigrationError } from "./errors";

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

interface JournalEntry {
  tag: string;
  when: number;
}

/**
 * Reads a drizzle-kit migrations folder. Hashes and statements come from drizzle-orm's own
 * `readMigrationFiles`, so the validation compares exactly what `migrate()` hashes and runs; the
 * journal is read again only for the tags, which drizzle drops.
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
  let journal: unknown;
  try {
    journal = JSON.parse(readFileSync(journalPath, "utf8"));
  } catch (error) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `${journalPath} is not valid JSON (${(error as Error).message}); restore it from version ` +
        "control or resolve the merge conflict in it.",
      { cause: error },
    );
  }
  const entries = (journal as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) {
    throw new MigrationError(
      "MIGRATIONS_FOLDER",
      `${journalPath} has no "entries" array; it is not a drizzle-kit journal.`,
    );
  }
  return entries.map((entry: unknown, index) => {
    const { tag, when } = (entry ?? {}) as Record<string, unknown>;
    if (typeof tag !== "string" || typeof when !== "number" || !Number.isSafeInteger(when)) {
      throw new MigrationError(
        "MIGRATIONS_FOLDER",
        `${journalPath}: entry ${index} needs a string "tag" and an integer "when" (ms).`,
      );
    }
    return { tag, when };
  });
}
