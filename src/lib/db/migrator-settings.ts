/**
 * The app's wiring of the migrator package: its settings from the app's validated environment,
 * the sets of migrations-config.ts (shared with drizzle.config.ts), messages naming the app's
 * variables and commands, and the log in the app's LOG_FORMAT.
 */
import path from "node:path";
import {
  chooseMigrationsUrl,
  directUrlAdvice,
  type Log,
  MIGRATIONS_URL_VARIABLES,
  MIGRATOR_ENV_NAMES,
  type MigrationSet,
  type MigratorSettings,
  migratorLog,
  migratorSettings,
  refuseTransactionPooler,
} from "drizzle-boot-migrator";
import { type CliOptions, migratorCliOptions, reportCliFailure } from "drizzle-boot-migrator/cli";
import { ConfigError, type Env, readEnv, readLogFormat } from "@/env";
import {
  APP_POSTGRES,
  MIGRATION_SETS,
  MIGRATIONS,
  type MigrationSetConfig,
} from "./migrations-config";

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

/** What the migrator's messages call the app's settings and commands. */
const APP_NAMES = {
  ...MIGRATOR_ENV_NAMES,
  statusCommand: "npm run db:status",
  generateCommand: "npm run db:generate --",
};

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
  refuseTransactionPooler(url, urlVariable, directUrlAdvice(urlVariable));
  const fromAppEnv = {
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
    applicationName: "agency-reporting:migrator",
    requiredPostgres: APP_POSTGRES,
    names: APP_NAMES,
    url,
    urlVariable,
  };
  return migratorSettings(fromAppEnv, { ...overrides, url, urlVariable });
}

/**
 * The migrator's log for the app's CLIs: `[migrate] ` lines, or JSON with LOG_FORMAT=json;
 * errors to stderr unless `write` takes every line.
 */
export function appMigratorLog(write?: (line: string) => void): Log {
  return migratorLog({ format: readLogFormat(), write });
}

/**
 * The options of `npm run db:migrate`, `db:status` and `db:reset`: the package's flags, with the
 * app's environment and migrations-config.ts's sets as defaults. `overrides` (the dev database's
 * URL when none is configured) win over the environment.
 */
export function appCliOptions(
  argv: string[],
  usage: string,
  booleanFlags: string[] = [],
  overrides: Partial<MigratorSettings> = {},
): CliOptions {
  return migratorCliOptions(argv, usage, booleanFlags, () => ({
    settings: migratorSettingsFromEnv(readEnv(), overrides),
    sets: configuredMigrationSets(),
  }));
}

/** Prints an error the way boot does (in LOG_FORMAT) and returns the exit code. */
export function reportAppCliFailure(error: unknown): number {
  return reportCliFailure(appMigratorLog(), error);
}
