import path from "node:path";
import { ConfigError, type Env, type EnvName, readEnv } from "@/env";
import { MIGRATION_SETS, MIGRATIONS, type MigrationSetConfig } from "../migrations-config";
import type { LedgerLocation } from "./drizzle-0.45";
import {
  chooseMigrationsUrl,
  MIGRATIONS_URL_VARIABLES,
  refuseTransactionPooler,
} from "./migrations-url";

/** A folder of drizzle-kit migrations and the ledger that records them. */
export interface MigrationSet {
  migrationsFolder: string;
  /** drizzle's ledger of applied migrations (`migrationsSchema` / `migrationsTable`). */
  ledger: LedgerLocation;
}

/** A set of migrations-config.ts with its folder resolved from `cwd`. */
function migrationSetOf(config: MigrationSetConfig, cwd = process.cwd()): MigrationSet {
  return {
    migrationsFolder: path.join(cwd, config.out),
    ledger: { schema: config.schema, table: config.table },
  };
}

/** The sets of migrations-config.ts, in the order they are applied. */
export function configuredMigrationSets(cwd = process.cwd()): MigrationSet[] {
  return MIGRATION_SETS.map((config) => migrationSetOf(config, cwd));
}

export interface MigratorSettings extends MigrationSet {
  /** The chosen migrations URL. */
  url: string;
  /** Which variable it came from (for messages). */
  urlVariable: EnvName;
  /** How long to wait for another instance's migration lock. */
  lockWaitMs: number;
  /** Postgres `lock_timeout` of the migration transaction. */
  lockTimeoutMs: number;
  /** How often a migration that hit `lock_timeout` (SQLSTATE 55P03) is retried. */
  lockTimeoutRetries: number;
  /** Postgres `statement_timeout` of the migration transaction. */
  statementTimeoutMs: number;
  /** Postgres `idle_in_transaction_session_timeout`: how long a silent migrator keeps the lock. */
  idleInTransactionTimeoutMs: number;
  /**
   * Postgres `idle_session_timeout` during a `-- no-transaction` migration: how long a silent
   * migrator keeps the session-level lock between two statements.
   */
  idleSessionTimeoutMs: number;
  /** Postgres `statement_timeout` of the statements of a `-- no-transaction` migration. */
  noTransactionStatementTimeoutMs: number;
  /** How long to retry an unreachable database. */
  connectWaitMs: number;
  /** The app's pool size per process (DATABASE_POOL_MAX), named when the server is full. */
  appPoolMax: number;
  /** Tolerate ledger rows the folder does not know (older code against a newer database). */
  allowUnknownApplied: boolean;
}

/**
 * The migrator's settings from the validated environment, with the folder and ledger of
 * migrations-config.ts (shared with drizzle.config.ts); `overrides` win (CLI flags, tests).
 * Throws `ConfigError` when no URL is set and `PoolerUrlError` for a transaction-pooler URL.
 */
export function migratorSettingsFromEnv(
  env: Env = readEnv(),
  overrides: Partial<MigratorSettings> = {},
): MigratorSettings {
  const chosen = chooseMigrationsUrl(env);
  const url = overrides.url ?? chosen?.url;
  const urlVariable = overrides.urlVariable ?? chosen?.variable ?? "MIGRATIONS_DATABASE_URL";
  if (!url) {
    throw new ConfigError(
      `No database URL for migrations: set ${MIGRATIONS_URL_VARIABLES.join(", ")} ` +
        "(the first one set is used; prefer a direct, non-pooled connection).",
    );
  }
  refuseTransactionPooler(url, urlVariable);
  return {
    ...migrationSetOf(MIGRATIONS),
    lockWaitMs: env.MIGRATION_LOCK_WAIT_MS,
    lockTimeoutMs: env.MIGRATION_LOCK_TIMEOUT_MS,
    lockTimeoutRetries: env.MIGRATION_LOCK_TIMEOUT_RETRIES,
    statementTimeoutMs: env.MIGRATION_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: env.MIGRATION_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    idleSessionTimeoutMs: env.MIGRATION_IDLE_SESSION_TIMEOUT_MS,
    noTransactionStatementTimeoutMs: env.MIGRATION_NO_TRANSACTION_STATEMENT_TIMEOUT_MS,
    connectWaitMs: env.MIGRATION_CONNECT_WAIT_MS,
    appPoolMax: env.DATABASE_POOL_MAX,
    allowUnknownApplied: env.MIGRATION_ALLOW_UNKNOWN_APPLIED,
    ...withoutUndefined(overrides),
    url,
    urlVariable,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}
