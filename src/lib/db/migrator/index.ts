// For db:verify and db:baseline (src/lib/db/verify): the folder, the ledger and their comparison,
// read inside the caller's own transaction, and the ledger written as drizzle writes it.
export {
  type LedgerLocation,
  type LedgerRow,
  ledgerName,
  type MigrationFile,
  readLedger,
  readMigrationFolder,
} from "./drizzle-0.45";
export {
  describeFailure,
  type FailureFacts,
  logFailure,
  MigrationError,
  type MigrationErrorCode,
} from "./errors";
export { MIGRATION_LOCK_KEY } from "./lock";
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
export { type MigrationPlan, planMigrations } from "./validation";

/**
 * Records `file` in the ledger inside `tx` exactly as drizzle would have, without running it
 * (drizzle-0.45-apply.ts); drizzle's dialect is loaded on the first call, never by the boot.
 */
export async function recordInTransaction(
  ...args: Parameters<typeof import("./drizzle-0.45-apply").recordInTransaction>
): Promise<void> {
  const { recordInTransaction: record } = await import("./drizzle-0.45-apply");
  return record(...args);
}
