/**
 * drizzle-orm 0.45's `migrate()` run inside the migrator's locked transaction, and a
 * `-- no-transaction` migration recorded by drizzle's own code (README.md, "Module map"). Split from
 * format.ts, which reads the folder and the ledger: run.ts imports this file only when
 * something is to be applied, so the up-to-date check of every boot does not load drizzle's
 * dialect and query builder (about a third of the boot's code).
 */
import { readMigrationFiles } from "drizzle-orm/migrator";
import { PgDialect } from "drizzle-orm/pg-core";
import { appliedLogger } from "../applied-log.ts";
import type { DriverTransaction } from "../driver/port.ts";
import type { LockedTransaction } from "../lock.ts";
import type { Log } from "../log.ts";
import type { MigratorSettings } from "../settings.ts";
import type { MigrationSpans } from "../tracing.ts";
import { drizzleInTransaction } from "../transaction-client.ts";
import type { LedgerLocation, MigrationFile } from "./format.ts";

type ApplySettings = Pick<MigratorSettings, "migrationsFolder" | "ledger">;

/**
 * Runs all of drizzle-orm's `migrate()` for `pending` in `tx`, the caller's locked transaction:
 * its ledger setup, its ledger read and its batch. The dialect's `migrate()` is given the folder's
 * migrations up to the last of `pending`, in journal order (its watermark picks `pending` among
 * them), so a `-- no-transaction` migration after them is left for its own step.
 */
export async function migrateInTransaction(
  locked: LockedTransaction,
  { migrationsFolder, ledger }: ApplySettings,
  pending: MigrationFile[],
  log: Log,
  spans: MigrationSpans,
): Promise<void> {
  // Only observes: the ledger insert follows the last statement of a migration.
  const { logger, batchStarted } = appliedLogger({
    ledger,
    log,
    spans,
    recorded: (params) => ({
      file: pending.find((candidate) => candidate.when === Number(params[1])),
      label: String(params[1]),
    }),
  });
  // Cut by journal position, not by `when`: in a journal out of `when` order, a pending entry
  // may be earlier than one before it, and drizzle applies both.
  const all = readMigrationFiles({ migrationsFolder });
  const last = pending.at(-1);
  const migrations = all.slice(
    0,
    all.findLastIndex((migration) => migration.folderMillis === last?.when) + 1,
  );
  const session = await sessionInTransaction(locked.tx, {
    inTransaction: locked.inTransaction,
    logger,
    onBegin: batchStarted,
  });
  await new PgDialect().migrate(migrations, session, drizzleConfig(migrationsFolder, ledger));
}

/**
 * Records `file` in the ledger inside `tx`, exactly as drizzle would have: by the dialect's own
 * `migrate()`, given the file's hash and `when` and no statements (which also creates the ledger
 * when `file` is the first migration). For a `-- no-transaction` migration, whose statements ran
 * and committed on their own.
 */
export async function recordInTransaction(
  tx: DriverTransaction,
  { migrationsFolder, ledger }: ApplySettings,
  file: MigrationFile,
): Promise<void> {
  const [meta] = readMigrationFiles({ migrationsFolder }).filter(
    (migration) => migration.folderMillis === file.when && migration.hash === file.hash,
  );
  if (!meta) throw new Error(`${file.tag} changed in ${migrationsFolder} while it was applied`);
  const session = await sessionInTransaction(tx, { inTransaction: () => true });
  await new PgDialect().migrate(
    [{ ...meta, sql: [] }],
    session,
    drizzleConfig(migrationsFolder, ledger),
  );
}

function drizzleConfig(migrationsFolder: string, ledger: LedgerLocation) {
  return { migrationsFolder, migrationsSchema: ledger.schema, migrationsTable: ledger.table };
}

/**
 * drizzle's session of the driver in use, every statement of it in `tx` (transaction-client.ts):
 * the dialect's `migrate()` uses only its execute, all and transaction.
 */
async function sessionInTransaction(
  tx: DriverTransaction,
  options: Parameters<typeof drizzleInTransaction>[1],
): Promise<Parameters<PgDialect["migrate"]>[1]> {
  const db = await drizzleInTransaction(tx, options);
  return db._.session as Parameters<PgDialect["migrate"]>[1];
}
