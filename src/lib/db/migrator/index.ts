export {
  describeFailure,
  MigrationError,
  type MigrationErrorCode,
  PoolerUrlError,
  prefixLines,
} from "./errors";
export { type MigrationFile, readMigrationFolder } from "./files";
export { LEDGER } from "./ledger";
export { MIGRATION_LOCK_KEY, MIGRATION_LOCK_PG_LOCKS } from "./lock";
export { type LedgerRow, type MigrationPlan, planMigrations } from "./plan";
export {
  inspectMigrations,
  type MigrationStatus,
  type MigratorMode,
  type MigratorReport,
  runMigrator,
} from "./run";
export {
  chooseMigrationsUrl,
  type MigratorSettings,
  migratorSettingsFromEnv,
} from "./settings";
export {
  type MigrationState,
  publishMigrationState,
  readMigrationState,
  stateFromReport,
} from "./state";
