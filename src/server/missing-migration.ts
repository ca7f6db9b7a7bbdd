import { readEnv } from "@/env";

/** Postgres's undefined_column and undefined_table. */
const MISSING = new Set(["42703", "42P01"]);

/**
 * When a query failed because a column or table does not exist, the usual cause in development is
 * a schema change no migration captures yet; this says so, with the command that fixes it.
 * drizzle-orm wraps the driver's error (`cause`); postgres.js errors carry the SQLSTATE in `code`
 * and are the only ones with a `severity`.
 */
export function missingMigrationHint(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== "object") return undefined;
    const candidate = current as { severity?: unknown; code?: unknown; message?: unknown };
    if (typeof candidate.severity === "string" && typeof candidate.code === "string") {
      if (!MISSING.has(candidate.code)) return undefined;
      return (
        `${String(candidate.message)} (SQLSTATE ${candidate.code}): the schema in ` +
        "src/lib/db/schema uses it, but no migration has created it in this database. If the " +
        "terminal says the schema has changes no migration captures, run " +
        "`npm run db:generate -- --name <what-changed>`: the dev server applies the new " +
        "migration about a second later; then reload."
      );
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Development only: prints the hint for a query that failed on a missing column or table. */
export function reportMissingMigration(
  error: unknown,
  print: (line: string) => void = (line) => console.error(line),
): void {
  if (readEnv().NODE_ENV !== "development") return;
  const hint = missingMigrationHint(error);
  if (hint) print(`[dev] ${hint}`);
}
