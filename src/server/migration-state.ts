/**
 * What the boot migrator found, for `/api/health`. Next bundles `instrumentation.ts` and each route
 * separately, so each bundle has its own copy of this module: the state lives on `globalThis`
 * under a registry symbol, which every copy in the process resolves to the same key.
 */
import type { FailureFacts } from "drizzle-boot-migrator";

export type MigrationState =
  | { status: "starting" }
  | { status: "ready"; version: string | null; pending: []; checkedAt: string }
  /** MIGRATE_ON_BOOT=false and the database is behind the code. */
  | { status: "pending"; version: string | null; pending: string[]; checkedAt: string }
  | {
      status: "failed";
      error: string;
      code: string;
      at: string;
      /** The migration, statement and SQLSTATE the failure names, when it names one. */
      tag?: string;
      statement?: string;
      sqlState?: string;
      /** What the migrator knew about the target: its role, what was refused, a standby. */
      facts?: FailureFacts;
    };

const stateKey = Symbol.for("agency-reporting.migrationState");

type StateHolder = { [stateKey]?: MigrationState };

export function publishMigrationState(state: MigrationState): void {
  (globalThis as StateHolder)[stateKey] = state;
}

/** `undefined` when `register()` never ran in this process (e.g. a script importing the app). */
export function readMigrationState(): MigrationState | undefined {
  return (globalThis as StateHolder)[stateKey];
}

/** The state after a migrator run: "ready" when nothing is pending, else "pending". */
export function stateFromReport(
  report: { version: string | null; pending: string[] },
  now: Date = new Date(),
): MigrationState {
  const checkedAt = now.toISOString();
  if (report.pending.length === 0) {
    return { status: "ready", version: report.version, pending: [], checkedAt };
  }
  return { status: "pending", version: report.version, pending: [...report.pending], checkedAt };
}
