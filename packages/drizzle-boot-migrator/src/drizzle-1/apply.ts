/**
 * drizzle-orm 1.0's `migrate()` (pg-core's, which the postgres-js migrator calls after reading the
 * folder) run inside the migrator's locked transaction. It reaches the database only through the
 * drizzle instance it is given, and opens both its ledger upgrade and its batch with
 * `db.transaction()`, which postgres.js runs as `client.begin(fn)`: the client handed to drizzle
 * here runs `fn` in the locked transaction instead. So the one-time upgrade of a 0.45 ledger,
 * which 1.0 runs without a lock, runs under the migration lock, in the same transaction as the
 * batch, and once: an instance that waited finds the ledger upgraded.
 */
import type { DrizzleApply } from "../adapter.ts";
import { appliedLogger } from "../applied-log.ts";
import { type LedgerLocation, ledgerName, type MigrationFile } from "../drizzle-0.45/format.ts";
import { drizzleInTransaction } from "../transaction-client.ts";

/** What 1.0's `migrate()` takes for each migration (its `readMigrationFiles` entry). */
interface MigrationMeta1 {
  sql: string[];
  bps: boolean;
  folderMillis: number;
  hash: string;
  name: string;
}

/** drizzle-orm 1.0's `migrate()`, typed by hand: the app builds against 0.45. */
type Migrate1 = (
  migrations: MigrationMeta1[],
  db: unknown,
  config: { migrationsFolder: string; migrationsSchema: string; migrationsTable: string },
) => Promise<unknown>;

async function loadMigrate1(): Promise<Migrate1> {
  const core = await import("drizzle-orm/pg-core");
  return (core as unknown as { migrate: Migrate1 }).migrate;
}

const meta = (file: MigrationFile, sql = file.statements, hash = file.hash): MigrationMeta1 => ({
  sql,
  bps: true,
  folderMillis: file.when,
  hash,
  name: file.tag,
});

/**
 * Runs all of drizzle-orm 1.0's `migrate()` in the locked transaction: its ledger upgrade when the
 * ledger is still in 0.45's format, its ledger read and the batch of `pending`. drizzle is given
 * the applied migrations and `pending` (not the ones after a `-- no-transaction` migration):
 * it runs those whose name the ledger lacks, and its upgrade names the old rows from them.
 */
export const migrateInTransaction: DrizzleApply["migrateInTransaction"] = async (
  locked,
  { migrationsFolder, ledger },
  pending,
  log,
  spans,
  { files, plan },
) => {
  let upgradedRows = 0;
  const table = ledgerName(ledger);
  const { logger, batchStarted } = appliedLogger({
    ledger,
    log,
    spans,
    recorded: (params) => ({
      file: pending.find((candidate) => candidate.tag === params[2]),
      label: String(params[2]),
    }),
    onQuery: (query) => {
      if (query.startsWith(`UPDATE ${table} SET "name"`)) upgradedRows++;
    },
  });
  // An applied migration goes with its ledger row's hash: 1.0's upgrade of a 0.45 ledger tells
  // migrations of one second apart by hash, which a CRLF checkout changes (plan.ts matched it).
  const ledgerHashes = new Map(plan.applied.map((file) => [file.tag, file.ledgerHash]));
  const given = files.filter((file) => ledgerHashes.has(file.tag) || pending.includes(file));
  // The first transaction drizzle opens is its ledger upgrade when the ledger needs one, logged
  // once done; the migrations' spans start with the batch's, which drizzle always opens.
  let upgrade = plan.ledgerUpgrade ? "pending" : "none";
  const onBegin = () => {
    if (upgrade === "pending") {
      upgrade = "running";
      return;
    }
    if (upgrade === "running") {
      log.info(
        "migrate.ledger_upgraded",
        `upgraded the ledger ${table} to drizzle-orm 1.0's format (name, applied_at; ` +
          `${upgradedRows} row(s) named) under the migration lock`,
        { rows: upgradedRows },
      );
    }
    batchStarted();
  };
  const migrate = await loadMigrate1();
  const db = await drizzleInTransaction(locked.tx, {
    inTransaction: locked.inTransaction,
    logger,
    onBegin,
  });
  await migrate(
    given.map((file) => meta(file, file.statements, ledgerHashes.get(file.tag))),
    db,
    drizzleConfig(migrationsFolder, ledger),
  );
};

/**
 * Records `file` in the ledger inside `tx` as drizzle 1.0 would: its `migrate()` given the file
 * without statements. The ledger is already in 1.0's format here (a run upgrades it before any
 * `-- no-transaction` migration; a baseline starts from no ledger).
 */
export const recordInTransaction: DrizzleApply["recordInTransaction"] = async (
  tx,
  { migrationsFolder, ledger },
  file,
) => {
  const migrate = await loadMigrate1();
  const db = await drizzleInTransaction(tx, { inTransaction: () => true });
  await migrate([meta(file, [])], db, drizzleConfig(migrationsFolder, ledger));
};

function drizzleConfig(migrationsFolder: string, ledger: LedgerLocation) {
  return { migrationsFolder, migrationsSchema: ledger.schema, migrationsTable: ledger.table };
}
