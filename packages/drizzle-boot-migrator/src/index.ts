export {
  describeFailure,
  type FailureFacts,
  logFailure,
  MigrationError,
  type MigrationErrorCode,
} from "./errors";
export {
  combineSets,
  inspectMigrationSets,
  inspectMigrations,
  type MigrationStatus,
  type MigratorMode,
  type MigratorReport,
  pendingTags,
  runMigrationSets,
  runMigrator,
  type SetReport,
  setLabel,
} from "./run";
export {
  configuredMigrationSets,
  type MigrationSet,
  type MigratorSettings,
  migratorSettingsFromEnv,
} from "./settings";
export {
  type MigrationState,
  publishMigrationState,
  readMigrationState,
  stateFromReport,
} from "./state";
