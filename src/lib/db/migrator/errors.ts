import { ConfigError } from "@/env";

/**
 * Why a migrator run refused or failed. Each code has a recovery section in
 * `docs/migrations.md` (the anchor is the code in lower case).
 */
export type MigrationErrorCode =
  | "MIGRATIONS_FOLDER"
  | "POSTGRES_VERSION"
  | "LEDGER_INVALID"
  | "CHECKSUM_MISMATCH"
  | "UNKNOWN_APPLIED"
  | "OUT_OF_ORDER"
  | "JOURNAL_ORDER"
  | "CONCURRENTLY"
  | "DATABASE_UNREACHABLE"
  | "LOCK_WAIT_TIMEOUT"
  | "CONNECTION_LOST"
  | "LOCK_TIMEOUT_RETRIES_EXHAUSTED"
  | "MIGRATION_FAILED";

export interface MigrationErrorDetails {
  /** The migration the error is about (its journal tag, also the file name without `.sql`). */
  tag?: string;
  /** The SQL statement that failed. */
  statement?: string;
  /** Postgres's SQLSTATE, when Postgres refused something. */
  sqlState?: string;
  cause?: unknown;
}

export class MigrationError extends Error {
  override name = "MigrationError";
  readonly code: MigrationErrorCode;
  readonly tag: string | undefined;
  readonly statement: string | undefined;
  readonly sqlState: string | undefined;

  constructor(code: MigrationErrorCode, message: string, details: MigrationErrorDetails = {}) {
    super(`${message}\nSee docs/migrations.md#${code.toLowerCase()}`, { cause: details.cause });
    this.code = code;
    this.tag = details.tag;
    this.statement = details.statement;
    this.sqlState = details.sqlState;
  }
}

/** A transaction-pooler URL chosen for migrations: a configuration error with its own code. */
export class PoolerUrlError extends ConfigError {
  override name = "PoolerUrlError";
  readonly code = "POOLER_URL";
}

/**
 * The code and text of whatever ended a migrator run, as boot and the CLIs print it
 * (`[migrate] failed (<CODE>): <message>`): our errors by their code and message, anything else
 * with its stack.
 */
export function describeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof MigrationError) return { code: error.code, message: error.message };
  if (error instanceof ConfigError) {
    // PoolerUrlError is a ConfigError with its own code.
    const code = "code" in error && typeof error.code === "string" ? error.code : "CONFIG";
    return { code, message: error.message };
  }
  if (error instanceof Error) return { code: "UNEXPECTED", message: error.stack ?? error.message };
  return { code: "UNEXPECTED", message: String(error) };
}

/** Every line gets the prefix so a multi-line error (statement, Postgres detail) greps as one. */
export function prefixLines(text: string): string {
  return text
    .split("\n")
    .map((line) => `[migrate] ${line}`)
    .join("\n");
}

/** The fields of a postgres.js `PostgresError` that a report needs. */
export interface PostgresFailure {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: number;
}

/**
 * The Postgres error behind `error`, if any. drizzle-orm 0.45 wraps driver errors in
 * `DrizzleQueryError` (`query`, `params`, `cause`); postgres.js errors carry the SQLSTATE in `code`
 * and are the only ones with a `severity`.
 */
export function postgresFailureOf(error: unknown): PostgresFailure | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== "object") return undefined;
    const candidate = current as Record<string, unknown>;
    if (typeof candidate.severity === "string" && typeof candidate.code === "string") {
      return {
        code: candidate.code,
        message: String(candidate.message),
        detail: typeof candidate.detail === "string" ? candidate.detail : undefined,
        hint: typeof candidate.hint === "string" ? candidate.hint : undefined,
        position: candidate.position === undefined ? undefined : Number(candidate.position),
      };
    }
    current = candidate.cause;
  }
  return undefined;
}
