/** Postgres's undefined_column and undefined_table. */
const MISSING = new Set(["42703", "42P01"]);

/** What the hint says after Postgres's message; also tells whether a message already has it. */
const ADVICE =
  "the schema in src/lib/db/schema uses it, but no migration has created it in this database. " +
  "If the terminal says the schema has changes no migration captures, run " +
  "`npm run db:generate -- --name <what-changed>`: the dev server applies the new migration " +
  "about a second later; then reload.";

type PostgresFailure = { code: string; message: string };

/**
 * The postgres.js error on `error`'s chain of causes, if it says a column or table does not
 * exist. drizzle-orm wraps the driver's error (`cause`); postgres.js errors carry the SQLSTATE in
 * `code` and are the only ones with a `severity`.
 */
function missingSchemaFailure(error: unknown): PostgresFailure | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== "object") return undefined;
    const candidate = current as { severity?: unknown; code?: unknown; message?: unknown };
    if (typeof candidate.severity === "string" && typeof candidate.code === "string") {
      return MISSING.has(candidate.code) ? (candidate as PostgresFailure) : undefined;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
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
