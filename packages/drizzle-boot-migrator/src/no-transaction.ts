/**
 * Migrations that cannot run inside a transaction (`CREATE INDEX CONCURRENTLY`, an enum value the
 * next migration uses): how a file says so, and what the migrator needs to know about its
 * statements. See README.md, "Migrations outside a transaction".
 */

/** The first line of a migration file that runs outside a transaction, statement by statement. */
export const NO_TRANSACTION_MARKER = "-- no-transaction";

/** Whether a migration file (`statements` as drizzle splits it) starts with the marker line. */
export function isNoTransaction(statements: readonly string[]): boolean {
  const firstLine = statements[0]?.split("\n", 1)[0] ?? "";
  return firstLine.replace(/\r$/, "") === NO_TRANSACTION_MARKER;
}

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`(${IDENTIFIER})(?:\s*\.\s*(${IDENTIFIER}))?`;
const CREATE_INDEX_CONCURRENTLY = new RegExp(
  String.raw`^\s*create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?` +
    `${QUALIFIED}\\s+on\\s+(?:only\\s+)?${QUALIFIED}`,
  "i",
);
const LEADING_COMMENTS = /^(?:\s*--[^\n]*(?:\n|$)|\s*\/\*[\s\S]*?\*\/)*/;

/**
 * The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] <name> ON <table>` statement
 * builds, as SQL text `to_regclass` accepts, or undefined for any other statement. An unqualified
 * index name gets its table's schema when the table is qualified: Postgres puts an index in the
 * schema of its table.
 */
export function concurrentIndexBuilt(statement: string): string | undefined {
  const match = CREATE_INDEX_CONCURRENTLY.exec(statement.replace(LEADING_COMMENTS, ""));
  if (!match) return undefined;
  const [, first, second, tableFirst, tableSecond] = match;
  if (second !== undefined) return `${first}.${second}`;
  return tableSecond !== undefined ? `${tableFirst}.${first}` : first;
}
