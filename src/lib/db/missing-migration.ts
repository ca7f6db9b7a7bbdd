import { postgresFailureOf } from "drizzle-boot-migrator/errors";

/** Postgres's undefined_column and undefined_table. */
const MISSING = new Set(["42703", "42P01"]);

/** What the hint says after Postgres's message; also tells whether a message already has it. */
const ADVICE =
  "the schema in src/lib/db/schema uses it, but no migration has created it in this database. " +
  "If the terminal says the schema has changes no migration captures, run " +
  "`npm run db:generate -- --name <what-changed>`: the dev server applies the new migration " +
  "about a second later; then reload.";

/** The Postgres error on `error`'s chain of causes, if it says a column or table does not exist. */
function missingSchemaFailure(error: unknown) {
  const failure = postgresFailureOf(error);
  return failure && MISSING.has(failure.code) ? failure : undefined;
}

/**
 * When a query failed because a column or table does not exist, the usual cause in development is
 * a schema change no migration captures yet; this says so, with the command that fixes it.
 */
export function missingMigrationHint(error: unknown): string | undefined {
  const failure = missingSchemaFailure(error);
  if (!failure) return undefined;
  if (failure.message.endsWith(ADVICE)) return failure.message;
  return `${failure.message} (SQLSTATE ${failure.code}): ${ADVICE}`;
}

/**
 * Puts the hint into the Postgres error's own message, which is what `next dev`'s error page shows
 * (as the cause of drizzle's "Failed query"). Done where the statement fails, before drizzle wraps
 * the error, so no request does more than a string check; the app's pool calls it in development
 * only (./statements.ts).
 */
export function addMissingMigrationHint(error: unknown): void {
  const failure = missingSchemaFailure(error);
  if (failure) failure.message = missingMigrationHint(failure) as string;
}
