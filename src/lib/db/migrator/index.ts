export { describeFailure, MigrationError, type MigrationErrorCode, prefixLines } from "./errors";
export {
  inspectMigrations,
  type MigrationStatus,
  type MigratorMode,
  type MigratorReport,
  runMigrator,
} from "./run";
export { type MigratorSettings, migratorSettingsFromEnv } from "./settings";
export {
  type MigrationState,
  publishMigrationState,
  readMigrationState,
  stateFromReport,
} from "./state";
