/**
 * Writing a drizzle-kit 0.31 migrations folder as `drizzle-kit generate` does, for tools and tests
 * that make folders (fixtures, a release's copy without its newest migration). The migrator itself
 * only reads; these live beside the reader so that the folder format is known in one place.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Journal, type JournalEntry, journalPath, readJournal } from "./format.ts";

/** A migration to write: its tag (the file name without `.sql`), its `when` (ms) and its SQL. */
export interface NewMigration {
  tag: string;
  when: number;
  /** The whole file; statements separated by `--> statement-breakpoint` lines. */
  sql: string;
  /** The journal's `idx`; by default its position (a hand-edited journal may skip some). */
  idx?: number;
}

/**
 * The journal's own format: drizzle-kit 0.31 writes version "7", dialect "postgresql"; 0.20
 * wrote "5" and "pg", which drizzle-orm 0.45 still reads.
 */
export interface JournalFormat {
  version: string;
  dialect: string;
}

const CURRENT_FORMAT: JournalFormat = { version: "7", dialect: "postgresql" };

/** Writes `journal` as drizzle-kit does (two-space JSON), creating `meta/` if needed. */
export function writeJournal(folder: string, journal: Journal): void {
  const file = journalPath(folder);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(journal, null, 2));
}

const entryOf = (
  migration: NewMigration,
  position: number,
  format: JournalFormat = CURRENT_FORMAT,
): JournalEntry => ({
  idx: migration.idx ?? position,
  version: format.version,
  when: migration.when,
  tag: migration.tag,
  breakpoints: true,
});

const sqlPath = (folder: string, tag: string) => path.join(folder, `${tag}.sql`);

/** `folder` holding exactly `migrations`, in that order: a journal and one `.sql` each. */
export function writeMigrationFolder(
  folder: string,
  migrations: NewMigration[],
  format: JournalFormat = CURRENT_FORMAT,
): void {
  mkdirSync(folder, { recursive: true });
  for (const migration of migrations) writeFileSync(sqlPath(folder, migration.tag), migration.sql);
  writeJournal(folder, {
    ...format,
    entries: migrations.map((migration, position) => entryOf(migration, position, format)),
  });
}

/**
 * Adds a migration after the newest one of `folder`, in drizzle-kit's order: the `.sql` file, then
 * the journal entry. Its `when` defaults to one second after the newest entry's.
 */
export function appendMigration(
  folder: string,
  tag: string,
  sql: string,
  when?: number,
): JournalEntry {
  const journal = readJournal(folder);
  const entry = entryOf(
    { tag, sql, when: when ?? (journal.entries.at(-1)?.when ?? Date.now()) + 1_000 },
    journal.entries.length,
  );
  writeFileSync(sqlPath(folder, tag), sql);
  writeJournal(folder, { ...journal, entries: [...journal.entries, entry] });
  return entry;
}

/** Removes the newest migration of `folder` (its journal entry and `.sql`) and returns its entry. */
export function removeNewestMigration(folder: string): JournalEntry {
  const journal = readJournal(folder);
  const newest = journal.entries.at(-1);
  if (!newest) throw new Error(`${folder} has no migrations`);
  writeJournal(folder, { ...journal, entries: journal.entries.slice(0, -1) });
  rmSync(sqlPath(folder, newest.tag));
  return newest;
}

/**
 * A new folder `target` with only the migrations of `folder` whose tags are in `tags`, their files
 * copied byte for byte (so their hashes stay the ledger's), in the journal's order.
 */
export function copyMigrations(folder: string, target: string, tags: readonly string[]): void {
  const journal = readJournal(folder);
  const entries = journal.entries.filter((entry) => tags.includes(entry.tag));
  mkdirSync(target, { recursive: true });
  for (const { tag } of entries) copyFileSync(sqlPath(folder, tag), sqlPath(target, tag));
  writeJournal(target, { ...journal, entries });
}
