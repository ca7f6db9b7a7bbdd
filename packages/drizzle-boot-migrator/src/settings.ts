import type { DrizzleVersion } from "./adapter.ts";
import type { LedgerLocation } from "./drizzle-0.45/format.ts";

/** A folder of drizzle-kit migrations and the ledger that records them. */
export interface MigrationSet {
  /** drizzle-kit's `out`, absolute or relative to the working directory. */
  migrationsFolder: string;
  /** drizzle's ledger of applied migrations (`migrationsSchema` / `migrationsTable`). */
  ledger: LedgerLocation;
}

/** The settings with a default (`MIGRATOR_DEFAULTS`). */
export interface MigratorTimings {
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
  /** The app's pool size per process, named when the server is full. */
  appPoolMax: number;
  /** Tolerate ledger rows the folder does not know (older code against a newer database). */
  allowUnknownApplied: boolean;
  /** Prefix of `application_name` in `pg_stat_activity` (`<prefix>@<host>/<pid>`). */
  applicationName: string;
}

/** The defaults of every setting that has one (README, "Settings"). */
export const MIGRATOR_DEFAULTS: Readonly<MigratorTimings> = {
  lockWaitMs: 120_000,
  lockTimeoutMs: 5_000,
  lockTimeoutRetries: 5,
  statementTimeoutMs: 300_000,
  idleInTransactionTimeoutMs: 30_000,
  idleSessionTimeoutMs: 30_000,
  noTransactionStatementTimeoutMs: 3_600_000,
  connectWaitMs: 30_000,
  appPoolMax: 10,
  allowUnknownApplied: false,
  applicationName: "drizzle-boot-migrator",
};

/**
 * What messages call the settings and commands, so that advice names what the reader sets: an
 * app passes its environment variables (`MIGRATION_LOCK_WAIT_MS`), `fromEnv` the ones it reads.
 * Unnamed settings are called by their field names.
 */
export interface SettingNames extends Partial<Record<keyof MigratorTimings, string>> {
  /** A setting that holds a direct URL for migrations only, if the caller has one. */
  directUrl?: string;
  /** The app's own (pooled) URL. */
  appUrl?: string;
  /** The command that lists every problem (default: `drizzle-boot-migrator status`). */
  statusCommand?: string;
  /** The command that creates a migration (default: `drizzle-kit generate`). */
  generateCommand?: string;
}

/** A Postgres major the app's own migrations need, and why (named in the refusal). */
export interface RequiredPostgres {
  major: number;
  /** e.g. "its migrations use UNIQUE NULLS NOT DISTINCT". */
  reason: string;
}

export interface MigratorSettings extends MigrationSet, MigratorTimings {
  /** The migrations URL: a direct connection, not a transaction pooler. */
  url: string;
  /** What messages call the URL (the variable or option it came from). */
  urlVariable: string;
  names?: SettingNames;
  /**
   * Which drizzle-orm's folder layout, ledger and selection rule to follow (`"0.45"`, `"1"`);
   * by default the installed drizzle-orm's.
   */
  drizzleVersion?: DrizzleVersion;
  /**
   * Refuse, before writing anything, a server older than this (`POSTGRES_VERSION`), when the
   * migrations need a newer Postgres than the migrator itself (`MINIMUM_POSTGRES_MAJOR`).
   */
  requiredPostgres?: RequiredPostgres;
}

/**
 * Settings from the URL, the folder and ledger, and any of the rest; defaults for the others.
 * `overrides` win, except where a value is undefined.
 */
export function migratorSettings(
  given: Pick<MigratorSettings, "url" | "migrationsFolder"> &
    Partial<Omit<MigratorSettings, "url" | "migrationsFolder">>,
  overrides: Partial<MigratorSettings> = {},
): MigratorSettings {
  return {
    ...MIGRATOR_DEFAULTS,
    ledger: { schema: "drizzle", table: "__drizzle_migrations" },
    urlVariable: "url",
    ...withoutUndefined(given),
    ...withoutUndefined(overrides),
    url: overrides.url ?? given.url,
    migrationsFolder: overrides.migrationsFolder ?? given.migrationsFolder,
  };
}

/** `value` without the keys whose value is undefined, so that spreading it keeps earlier values. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/** How messages name a setting: the caller's name, else the field's. */
export function nameOf(settings: { names?: SettingNames }, key: keyof MigratorTimings): string {
  return settings.names?.[key] ?? key;
}

/** `NAME=value`, as messages quote a setting. */
export function namedValue<K extends keyof MigratorTimings>(
  settings: { names?: SettingNames } & Pick<MigratorTimings, K>,
  key: K,
): string {
  return `${nameOf(settings, key)}=${String(settings[key])}`;
}

/** The command that lists every problem, as messages name it. */
export function statusCommand(settings: { names?: SettingNames }): string {
  return settings.names?.statusCommand ?? "drizzle-boot-migrator status";
}

/** `host:port/database (URL name)`, never the credentials: how logs and errors name the target. */
export function describeTarget(settings: { url: string; urlVariable: string }): string {
  const parsed = new URL(settings.url);
  // PGlite has no host: its URL only names the instance (pgliteDriver).
  if (parsed.protocol === "pglite:") {
    return `PGlite ${parsed.host}${parsed.pathname} (${settings.urlVariable})`;
  }
  return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname} (${settings.urlVariable})`;
}

/**
 * How to point the migrator at a direct connection instead of the URL it was given: the
 * caller's migrations-only URL setting when it has one, else the URL's own.
 */
export function directUrlFix(settings: { urlVariable: string; names?: SettingNames }): string {
  const direct = settings.names?.directUrl;
  const variable = settings.urlVariable;
  if (!direct || direct === variable) return `Change ${variable} to a direct connection`;
  return `Set ${direct} to a direct connection; the app keeps using ${variable}`;
}
