export { describeFailure, MigrationError, type MigrationErrorCode, prefixLines } from "./errors";
export { type MigratorReport, runMigrator } from "./run";
export { type MigratorSettings, migratorSettingsFromEnv } from "./settings";
export {
  type MigrationState,
  publishMigrationState,
  readMigrationState,
  stateFromReport,
} from "./state";
