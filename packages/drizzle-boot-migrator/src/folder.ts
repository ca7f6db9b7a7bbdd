/**
 * `drizzle-boot-migrator/folder`: what the migrator knows about a drizzle-kit migrations folder
 * (0.x's journal layout and 1.0's folder per migration, told apart by `folderLayout`) and
 * drizzle's ledger, and the rules it checks them with, for tools that read, check or write a
 * folder without applying it (CI checks, linters, watchers, tests, fixtures). Reading or writing
 * either layout or the ledger anywhere else duplicates this knowledge.
 */

export type { DrizzleVersion } from "./adapter.ts";
export {
  appendMigration,
  copyMigrations,
  type JournalFormat,
  type NewMigration,
  removeNewestMigration,
  writeJournal,
  writeMigrationFolder,
} from "./drizzle-0.45/folder-writes.ts";
export {
  BREAKPOINT,
  DRIZZLE_LEDGER,
  type Journal,
  type JournalEntry,
  JournalFormatError,
  journalPath,
  type LedgerLocation,
  type LedgerRow,
  ledgerName,
  type MigrationFile,
  parseJournal,
  readJournal,
  readLedger,
  readMigrationFolder,
} from "./drizzle-0.45/format.ts";
export {
  appendMigration1,
  migrationName1,
  migrationNames1,
  type NewMigration1,
  writeMigrationFolder1,
} from "./drizzle-1/folder-writes.ts";
export {
  ALLOW_MARKER,
  ALLOWABLE_KINDS,
  type Escape,
  type EscapeKind,
  findEscapes,
} from "./escapes.ts";
export {
  type FolderProblem1,
  findFolderProblems1,
  folderLayout,
  MIGRATION_SQL_1,
  migrationSqlFile,
  migrationSqlFiles,
} from "./folder-layout.ts";
export { concurrentIndexBuilt, isNoTransaction, NO_TRANSACTION_MARKER } from "./no-transaction.ts";
export {
  type Statement,
  splitStatements,
  type Token,
  type TokenKind,
  tokenize,
  tokenValue,
} from "./sql-tokens.ts";
export {
  type ConcurrentStatement,
  type EscapeProblem,
  excerpt,
  findConcurrently,
  findEscapeProblems,
  findJournalProblems,
  findOrderProblems,
  type JournalProblem,
  MINIMUM_POSTGRES_MAJOR,
  type MigrationPlan,
  type PlanOptions,
  planMigrations,
  sqlFilesOutsideJournal,
  usesConcurrently,
  withoutCommentsAndQuotes,
} from "./validation.ts";
