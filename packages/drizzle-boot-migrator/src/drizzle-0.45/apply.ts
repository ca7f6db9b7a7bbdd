/**
 * drizzle-orm 0.45's `migrate()` run inside the migrator's locked transaction, and a
 * `-- no-transaction` migration recorded by drizzle's own code (README.md, "Module map"). Split from
 * format.ts, which reads the folder and the ledger: run.ts imports this file only when
 * something is to be applied, so the up-to-date check of every boot does not load drizzle's
 * dialect and query builder (about a third of the boot's code).
 */
import type { Logger } from "drizzle-orm/logger";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { PgDialect } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import type { Sql, TransactionSql } from "postgres";
import type { LockedTransaction } from "../lock.ts";
import { type Log, ms } from "../log.ts";
import type { MigratorSettings } from "../settings.ts";
import type { MigrationSpans } from "../tracing.ts";
import { type LedgerLocation, ledgerName, type MigrationFile } from "./format.ts";

type ApplySettings = Pick<MigratorSettings, "migrationsFolder" | "ledger">;

/**
 * Runs all of drizzle-orm's `migrate()` for `pending` in `tx`, the caller's locked transaction:
 * its ledger setup, its ledger read and its batch. The dialect's `migrate()` is given the folder's
 * migrations up to the last of `pending`, in journal order (its watermark picks `pending` among
 * them), so a `-- no-transaction` migration after them is left for its own step.
 */
export async function migrateInTransaction(
  locked: LockedTransaction,
  client: Sql,
  { migrationsFolder, ledger }: ApplySettings,
  pending: MigrationFile[],
  log: Log,
  spans: MigrationSpans,
): Promise<void> {
  let since = performance.now();
  // drizzle quotes the ledger's name as ledgerName() does.
  const ledgerInsert = `insert into ${ledgerName(ledger)}`;
  // Only observes: the ledger insert follows the last statement of a migration.
  const logger: Logger = {
    logQuery(query, params) {
      if (!query.trim().startsWith(ledgerInsert)) return;
      const file = pending.find((candidate) => candidate.when === Number(params[1]));
      const took = performance.now() - since;
      spans.recorded();
      log.info(
        "migrate.migration_applied",
        `ran ${file?.tag ?? String(params[1])} in ${ms(took)} ` +
          `(${file?.statements.length ?? "?"} statement(s))`,
        { tag: file?.tag, durationMs: took, statements: file?.statements.length },
      );
      since = performance.now();
    },
  };
  // Cut by journal position, not by `when`: in a journal out of `when` order, a pending entry
  // may be earlier than one before it, and drizzle applies both.
  const all = readMigrationFiles({ migrationsFolder });
  const last = pending.at(-1);
  const migrations = all.slice(
    0,
    all.findLastIndex((migration) => migration.folderMillis === last?.when) + 1,
  );
  const session = sessionInTransaction(locked, client, logger, () => {
    since = performance.now();
    spans.started();
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
  tx: TransactionSql,
  client: Sql,
  { migrationsFolder, ledger }: ApplySettings,
  file: MigrationFile,
): Promise<void> {
  const [meta] = readMigrationFiles({ migrationsFolder }).filter(
    (migration) => migration.folderMillis === file.when && migration.hash === file.hash,
  );
  if (!meta) throw new Error(`${file.tag} changed in ${migrationsFolder} while it was applied`);
  const session = sessionInTransaction({ tx, inTransaction: () => true }, client);
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
 * A drizzle session whose every statement runs in `tx`. The dialect's `migrate()` opens its batch
 * with `session.transaction()`, which postgres.js runs as `client.begin(fn)`; the client handed to
 * drizzle here runs `fn` in `tx` instead. Once `inTransaction()` is false (the connection was
 * lost) drizzle may still be running, and its next statement must fail rather than reach a new
 * session.
 */
function sessionInTransaction(
  { tx, inTransaction }: Pick<LockedTransaction, "tx" | "inTransaction">,
  client: Sql,
  logger?: Logger,
  onBegin?: () => void,
): Parameters<PgDialect["migrate"]>[1] {
  // drizzle's postgres-js session uses only these three members of its client.
  interface ClientInTransaction {
    options: Sql["options"];
    unsafe: TransactionSql["unsafe"];
    begin: (work: (sql: ClientInTransaction) => unknown) => unknown;
  }
  const inside: ClientInTransaction = {
    options: client.options,
    unsafe: (...args: Parameters<TransactionSql["unsafe"]>) => {
      if (!inTransaction()) throw new Error("the migration transaction has ended");
      return tx.unsafe(...args);
    },
    begin: (work) => {
      onBegin?.();
      return work(inside);
    },
  };
  const db = drizzle(inside as unknown as Sql, logger ? { logger } : {});
  // The dialect's `migrate()` uses only execute/all/transaction of the session; its declared
  // generics are narrower than a drizzle instance's.
  return db._.session as unknown as Parameters<PgDialect["migrate"]>[1];
}
