/**
 * drizzle-boot-migrator: apply drizzle-kit migrations at boot under a Postgres advisory lock. The
 * runtime API; `drizzle-boot-migrator/folder` reads and checks migration folders (tools, CI),
 * `drizzle-boot-migrator/cli` builds command lines, `drizzle-boot-migrator/errors` is the error
 * vocabulary alone. Everything exported here is API under the README's semver policy.
 */
import type { Sql, TransactionSql } from "postgres";
import type { DriverTransaction } from "./driver/port.ts";
import { postgresJsQueryable } from "./driver/postgres-js.ts";
import type { MigrationFile } from "./drizzle-0.45/format.ts";
import type { MigrationSet } from "./settings.ts";

export { type MigratorConnection, openMigratorConnection } from "./connection.ts";
export { neonDriver } from "./driver/neon.ts";
export type {
  ConnectTarget,
  DriverName,
  DriverSession,
  DriverTransaction,
  MigratorDriver,
  Queryable,
} from "./driver/port.ts";
export { postgresJsDriver, postgresJsQueryable } from "./driver/postgres-js.ts";
export type { LedgerLocation, MigrationFile } from "./drizzle-0.45/format.ts";
export {
  ConfigError,
  DriverError,
  describeFailure,
  errorLink,
  type FailureDescription,
  type FailureFacts,
  logFailure,
  MigrationError,
  type MigrationErrorCode,
  PoolerUrlError,
  README_URL,
} from "./errors.ts";
export {
  createLog,
  eventLog,
  type LineWriter,
  type Log,
  type LogFields,
  type LogFormat,
  type LogLevel,
  type LogOptions,
  prefixLines,
  silentLog,
} from "./events.ts";
export {
  chooseMigrationsUrl,
  DRIZZLE_VERSION_VARIABLE,
  directUrlAdvice,
  fromEnv,
  MIGRATIONS_URL_VARIABLES,
  MIGRATOR_ENV_NAMES,
  type MigrationsUrlVariable,
} from "./from-env.ts";
export { MIGRATION_LOCK_KEY, MIGRATION_LOCK_PG_LOCKS } from "./lock.ts";
export { migratorLog } from "./log.ts";
export {
  refuseTransactionPooler,
  transactionPoolerReason,
  withoutClientMarkers,
} from "./pooler.ts";
export { type Preflight, readPreflight, type SchemaAccess, schemasWritten } from "./preflight.ts";
export {
  combineSets,
  inspectMigrationSets,
  inspectMigrations,
  type MigrationStatus,
  type MigratorMode,
  type MigratorOptions,
  type MigratorReport,
  pendingTags,
  runMigrationSets,
  runMigrator,
  type SetReport,
  setLabel,
} from "./run.ts";
export {
  describeTarget,
  MIGRATOR_DEFAULTS,
  type MigrationSet,
  type MigratorSettings,
  type MigratorTimings,
  migratorSettings,
  type RequiredPostgres,
  type SettingNames,
} from "./settings.ts";
export { type DescribeError, recordFailure, withSpan } from "./spans.ts";

/**
 * Records `file` in its set's ledger inside the caller's postgres.js transaction `tx` (of the
 * client `sql`) exactly as drizzle would have, without running its statements: for adopting a
 * database whose schema was built another way (the app's db:baseline). drizzle's dialect is
 * loaded on the first call, never by a boot.
 */
export async function recordInTransaction(
  tx: TransactionSql,
  sql: Sql,
  set: MigrationSet,
  file: MigrationFile,
): Promise<void> {
  const { recordInTransaction: record } = await import("./drizzle-0.45/apply.ts");
  const transaction: DriverTransaction = {
    ...postgresJsQueryable(tx),
    native: { driver: "postgres", sql, tx },
  };
  return record(transaction, set, file);
}
