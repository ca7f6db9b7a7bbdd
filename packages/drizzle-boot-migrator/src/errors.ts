import { postgresFailureOf } from "./driver/port.ts";
import type { Log } from "./events.ts";

export { postgresFailureOf };

/** Where each error code's recovery is written: the package README, one heading per code. */
export const README_URL = "https://www.npmjs.com/package/drizzle-boot-migrator";

/**
 * The mark of a configuration error. `instanceof ConfigError` checks the mark rather than the
 * class, so that it holds across copies of this package (Next bundles each entry point with its
 * own copy) and for an app's own configuration errors: an app marks them with
 * `[Symbol.for("drizzle-boot-migrator.ConfigError")] = true` without importing this package.
 */
export const CONFIG_ERROR_MARK = Symbol.for("drizzle-boot-migrator.ConfigError");

/**
 * A configuration or usage error: the caller's settings are wrong (a CLI exits 2, and
 * `describeFailure` reports code `CONFIG` unless the error has a `code` of its own).
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly [CONFIG_ERROR_MARK] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about; a subclass (PoolerUrlError) keeps the ordinary check
    if (this !== ConfigError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [CONFIG_ERROR_MARK]?: unknown })[CONFIG_ERROR_MARK] === true
    );
  }
}

/**
 * Why a migrator run refused or failed; each has a recovery section in the README. The codes are
 * part of the API: a code is never renamed or reused within a major version.
 */
export type MigrationErrorCode =
  | "MIGRATIONS_FOLDER"
  | "POSTGRES_VERSION"
  | "LEDGER_INVALID"
  | "LEDGER_ELSEWHERE"
  | "LEDGER_UNMATCHED"
  | "CHECKSUM_MISMATCH"
  | "UNKNOWN_APPLIED"
  | "OUT_OF_ORDER"
  | "JOURNAL_ORDER"
  | "CONCURRENTLY"
  | "TRANSACTION_CONTROL"
  | "SESSION_CONTROL"
  | "DATABASE_UNREACHABLE"
  | "SERVER_FULL"
  | "SERVER_NOT_READY"
  | "TLS_MISMATCH"
  | "READ_ONLY_TARGET"
  | "INSUFFICIENT_PRIVILEGE"
  | "LOCK_WAIT_TIMEOUT"
  | "CONNECTION_LOST"
  | "LOCK_TIMEOUT_RETRIES_EXHAUSTED"
  | "MIGRATION_FAILED";

/**
 * What the migrator knew about the target when it failed, apart from the advice its message
 * gives: the facts a caller may phrase its own advice from.
 */
export interface FailureFacts {
  /** `host:port/database`, never the credentials. */
  host: string;
  /** The role the migrator connected as (`current_user`), when Postgres refused it something. */
  role?: string;
  /** What Postgres refused, as it named it (`schema public`, `database appdb`). */
  object?: string;
  /** The target is a standby in recovery (`in_hot_standby`), not only read-only. */
  standby?: boolean;
}

export class MigrationError extends Error {
  override name = "MigrationError";
  /** The migration the error is about (its journal tag), if one. */
  readonly tag: string | undefined;
  /** The statement that failed, and Postgres's SQLSTATE for it: the dev error page shows both. */
  readonly statement: string | undefined;
  readonly sqlState: string | undefined;
  readonly facts: FailureFacts | undefined;
  /** The message without its closing "See docs/…" line. */
  readonly detail: string;

  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    details: {
      tag?: string;
      statement?: string;
      sqlState?: string;
      facts?: FailureFacts;
      cause?: unknown;
    } = {},
  ) {
    super(`${message}\nSee ${errorLink(code)}`, { cause: details.cause });
    this.detail = message;
    this.tag = details.tag;
    this.statement = details.statement;
    this.sqlState = details.sqlState;
    this.facts = details.facts;
  }
}

/** The README section on `code` (its heading is the code). */
export function errorLink(code: string): string {
  return `${README_URL}#${code.toLowerCase()}`;
}

/** A pooler where the migrator needs a direct connection: a configuration error (exit 2). */
export class PoolerUrlError extends ConfigError {
  override name = "PoolerUrlError";
  readonly code = "POOLER_URL";
}

/**
 * A driver the migrator cannot use as given: none installed (`DRIVER_MISSING`), one that cannot
 * hold a session (`DRIVER_UNSUPPORTED`), or a pool with no connection to spare (`POOL_NO_ROOM`).
 * A configuration error (exit 2); the message names the alternative.
 */
export class DriverError extends ConfigError {
  override name = "DriverError";
  constructor(
    readonly code: "DRIVER_MISSING" | "DRIVER_UNSUPPORTED" | "POOL_NO_ROOM",
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${message}\nSee ${errorLink(code)}`, options);
  }
}

/** What a report of a failed migrator run says: its code and text, and what it is about. */
export interface FailureDescription {
  code: string;
  message: string;
  /** The migration it is about. */
  tag?: string;
  /** Postgres's SQLSTATE, when Postgres refused something. */
  sqlState?: string;
  facts?: FailureFacts;
}

/**
 * The code and text of whatever ended a migrator run, as boot and the CLIs print it
 * (`[migrate] failed (<CODE>): <message>`): our errors by code and message, anything else with
 * its stack.
 */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof MigrationError) {
    const { code, message, tag, sqlState, facts } = error;
    return { code, message, tag, sqlState, facts };
  }
  if (error instanceof ConfigError) {
    const code = "code" in error && typeof error.code === "string" ? error.code : "CONFIG";
    return { code, message: error.message };
  }
  if (error instanceof Error) return { code: "UNEXPECTED", message: error.stack ?? error.message };
  return { code: "UNEXPECTED", message: String(error) };
}

/**
 * Logs a failed run as one error event, `failed (<CODE>): <message>` plus `consequence`, with its
 * code, migration, SQLSTATE and facts as fields; returns what it logged.
 */
export function logFailure(log: Log, error: unknown, consequence = ""): FailureDescription {
  const failure = describeFailure(error);
  log.error("migrate.failed", `failed (${failure.code}): ${failure.message}${consequence}`, {
    code: failure.code,
    tag: failure.tag,
    sqlState: failure.sqlState,
    ...failure.facts,
  });
  return failure;
}

/**
 * Postgres's message with its SQLSTATE, detail and hint; otherwise the message of the innermost
 * cause (drizzle's wrapper repeats the query, which the migrator names separately).
 */
export function describeError(error: unknown): string {
  const failure = postgresFailureOf(error);
  if (!failure) {
    let inner = error;
    while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
    return inner instanceof Error ? inner.message : String(inner);
  }
  return (
    `${failure.message} (SQLSTATE ${failure.code})` +
    (failure.detail ? `\nDetail: ${failure.detail}` : "") +
    (failure.hint ? `\nHint: ${failure.hint}` : "")
  );
}
