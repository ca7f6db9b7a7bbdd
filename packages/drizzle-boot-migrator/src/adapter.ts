/**
 * The one seam between the migrator and a drizzle-orm version: everything that knows drizzle's
 * folder layout, ledger and selection rule sits behind `DrizzleAdapter`, one implementation per
 * supported version (drizzle-0.45/, drizzle-1/). The adapter follows the installed drizzle-orm
 * unless the settings name one (`drizzleVersion`).
 */
import { npmVersion } from "drizzle-orm/version";
import type { DriverTransaction, Queryable } from "./driver/port.ts";
import type {
  LedgerElsewhere,
  LedgerLocation,
  LedgerRow,
  MigrationFile,
} from "./drizzle-0.45/format.ts";
import * as drizzle045 from "./drizzle-0.45/format.ts";
import * as drizzle1 from "./drizzle-1/format.ts";
import { plan1 } from "./drizzle-1/plan.ts";
import type { LockedTransaction } from "./lock.ts";
import type { Log } from "./log.ts";
import type { MigratorSettings } from "./settings.ts";
import type { MigrationSpans } from "./tracing.ts";
import { type MigrationPlan, type PlanOptions, planMigrations } from "./validation.ts";

/** The drizzle-orm versions the migrator has an adapter for. */
export type DrizzleVersion = "0.45" | "1";

/** What a run hands to `migrateInTransaction` besides the batch: the folder and its plan. */
export interface ApplyContext {
  files: MigrationFile[];
  plan: MigrationPlan;
}

/** drizzle's `migrate()` in the migrator's transaction; loaded only when something is written. */
export interface DrizzleApply {
  migrateInTransaction(
    locked: LockedTransaction,
    settings: Pick<MigratorSettings, "migrationsFolder" | "ledger">,
    pending: MigrationFile[],
    log: Log,
    spans: MigrationSpans,
    context: ApplyContext,
  ): Promise<void>;
  recordInTransaction(
    tx: DriverTransaction,
    settings: Pick<MigratorSettings, "migrationsFolder" | "ledger">,
    file: MigrationFile,
  ): Promise<void>;
}

export interface DrizzleAdapter {
  version: DrizzleVersion;
  readMigrationFolder(folder: string): MigrationFile[];
  readLedger(
    sql: Queryable,
    ledger: LedgerLocation,
    options?: { inTransaction?: boolean },
  ): Promise<LedgerRow[]>;
  findLedgersElsewhere(
    sql: Queryable,
    ledger: LedgerLocation,
    files: MigrationFile[],
  ): Promise<LedgerElsewhere[]>;
  /** The folder compared with the ledger by this version's selection rule. */
  planMigrations(files: MigrationFile[], rows: LedgerRow[], options: PlanOptions): MigrationPlan;
  locateFailure: typeof drizzle045.locateFailure;
  /** A migration's SQL file relative to the folder, as messages name it. */
  migrationFileOf(tag: string): string;
  apply(): Promise<DrizzleApply>;
}

const ADAPTERS: Record<DrizzleVersion, DrizzleAdapter> = {
  "0.45": {
    version: "0.45",
    readMigrationFolder: drizzle045.readMigrationFolder,
    readLedger: drizzle045.readLedger,
    findLedgersElsewhere: (sql, ledger, files) =>
      drizzle045.findLedgersElsewhere(sql, ledger, files),
    planMigrations,
    locateFailure: drizzle045.locateFailure,
    migrationFileOf: (tag) => `${tag}.sql`,
    apply: () => import("./drizzle-0.45/apply.ts"),
  },
  "1": {
    version: "1",
    readMigrationFolder: drizzle1.readMigrationFolder,
    readLedger: drizzle045.readLedger,
    findLedgersElsewhere: drizzle1.findLedgersElsewhere,
    planMigrations: plan1,
    locateFailure: (error, pending) =>
      drizzle045.locateFailure(error, pending, drizzle1.migrationFileOf),
    migrationFileOf: drizzle1.migrationFileOf,
    apply: () => import("./drizzle-1/apply.ts"),
  },
};

/** The adapter of the installed drizzle-orm: 1.x (and its release candidates) or 0.45. */
export function installedDrizzleVersion(version: string = npmVersion): DrizzleVersion {
  return Number.parseInt(version, 10) >= 1 ? "1" : "0.45";
}

/** The adapter the settings name (`drizzleVersion`), else the installed drizzle-orm's. */
export function drizzleAdapter(settings: { drizzleVersion?: DrizzleVersion }): DrizzleAdapter {
  return ADAPTERS[settings.drizzleVersion ?? installedDrizzleVersion()];
}
