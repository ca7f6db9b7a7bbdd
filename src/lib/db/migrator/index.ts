export { describeFailure, logFailure, MigrationError, type MigrationErrorCode } from "./errors";
export { type MigratorReport, runMigrator } from "./run";
export { type MigratorSettings, migratorSettingsFromEnv } from "./settings";
export {
  type MigrationState,
  publishMigrationState,
  readMigrationState,
  stateFromReport,
} from "./state";
