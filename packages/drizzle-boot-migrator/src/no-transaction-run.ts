import { drizzleAdapter } from "./adapter.ts";
import { type DriverSession, isConnectionLoss, sqlStateOf } from "./driver/port.ts";
import type { MigrationFile } from "./drizzle-0.45/format.ts";
import { describeError, MigrationError } from "./errors.ts";
import {
  assertHoldingSessionLock,
  backOffAfterLockTimeout,
  sessionLost,
  withSessionLock,
} from "./lock.ts";
import { type Log, ms } from "./log.ts";
import { concurrentIndexBuilt } from "./no-transaction.ts";
import { type MigratorSettings, namedValue } from "./settings.ts";
import { targetRefusal } from "./target-failures.ts";
import { excerpt } from "./validation.ts";

const LOCK_TIMEOUT = "55P03";
const STATEMENT_TIMEOUT = "57014";

export interface NoTransactionStep {
  /** The migrator's session, outside any transaction. */
  client: DriverSession;
  settings: MigratorSettings;
  log: Log;
  /** Under the lock: the ledger re-read and re-validated; whether `file` is still next. */
  stillNext(): Promise<boolean>;
  /** Records `file` in drizzle's ledger, in drizzle's own format. */
  record(): Promise<void>;
}

/**
 * Runs a `-- no-transaction` migration: statement by statement, each committing on its own,
 * holding the migration lock as a session-level advisory lock on the migrator's own connection
 * (the transaction-scoped lock cannot outlive a statement here). The same session runs every
 * statement, so the lock ends exactly when the session that builds the index ends: a killed
 * migrator's build is cancelled (client_connection_check_interval) before anyone else can start
 * it again. Recorded in the ledger only after its last statement succeeded. Returns false when
 * another instance applied it meanwhile.
 */
export async function runNoTransactionMigration(
  file: MigrationFile,
  step: NoTransactionStep,
): Promise<boolean> {
  const { client, settings, log } = step;
  return withSessionLock(client, settings, log, async (pid) => {
    if (!(await step.stillNext())) {
      log.info(
        "migrate.applied_elsewhere",
        `another instance applied ${file.tag} while this one waited`,
        { tag: file.tag },
      );
      return false;
    }
    const started = performance.now();
    await client.query(
      `select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false),
        set_config('client_connection_check_interval', '1000', false)`,
      [String(settings.lockTimeoutMs), String(settings.noTransactionStatementTimeoutMs)],
    );
    try {
      for (const index of file.statements.keys()) {
        await assertHoldingSessionLock(client, pid, file.tag, settings);
        await runStatement(file, index, step);
      }
    } finally {
      // Session settings would outlive this step: the next batch runs on this connection.
      await client
        .simple(
          "reset lock_timeout; reset statement_timeout; reset client_connection_check_interval",
        )
        .catch(() => {});
    }
    await assertHoldingSessionLock(client, pid, file.tag, settings);
    await step.record().catch((error: unknown) => {
      throw new MigrationError(
        "MIGRATION_FAILED",
        `Recording ${file.tag} in the ledger failed after all its statements ran outside a ` +
          `transaction: ${describeError(error)}\nIt is not recorded; the next run ` +
          "repeats its statements (each a no-op the second time) and records it.",
        { tag: file.tag, sqlState: sqlStateOf(error), cause: error },
      );
    });
    const took = performance.now() - started;
    log.info(
      "migrate.migration_applied",
      `ran ${file.tag} outside a transaction in ${ms(took)} ` +
        `(${file.statements.length} statement(s))`,
      { tag: file.tag, durationMs: took, statements: file.statements.length },
    );
    return true;
  });
}

async function runStatement(file: MigrationFile, index: number, step: NoTransactionStep) {
  const { client, settings, log } = step;
  const statement = file.statements[index] ?? "";
  const builds = concurrentIndexBuilt(statement);
  const where =
    `Migration ${drizzleAdapter(settings).migrationFileOf(file.tag)} ` +
    `(statement ${index + 1} of ${file.statements.length}, outside a transaction)`;
  for (let attempt = 0; ; attempt++) {
    try {
      if (builds) await dropInvalidIndex(client, builds, file.tag, log);
      await client.query(statement);
      return;
    } catch (error) {
      if (isConnectionLoss(error))
        throw sessionLost(file.tag, settings, describeError(error), error);
      if (
        sqlStateOf(error) === LOCK_TIMEOUT &&
        (await backOffAfterLockTimeout(attempt, settings, log, {
          what: where,
          undone: "",
          tag: file.tag,
        }))
      ) {
        continue;
      }
      const failed = `${where} failed: ${describeError(error)}\nStatement: ${excerpt(statement, 500)}`;
      throw (
        (await targetRefusal(error, client, settings, {
          tag: file.tag,
          statement,
          failed,
          kept:
            `${file.tag} runs outside a transaction: its statements before this one stay ` +
            "applied, it is not recorded, and the next run repeats it.",
        })) ?? noTransactionFailed(error, where, file, index, settings)
      );
    }
  }
}

/**
 * A CONCURRENTLY build that failed, hit a timeout or lost its session leaves its index behind,
 * marked invalid; `IF NOT EXISTS` would then accept it. Under the lock nobody else builds it.
 */
async function dropInvalidIndex(client: DriverSession, index: string, tag: string, log: Log) {
  const [invalid] = await client.query<{ name: string }>(
    `select indexrelid::regclass::text as name from pg_index
    where indexrelid = to_regclass($1) and not indisvalid`,
    [index],
  );
  if (!invalid) return;
  await client.query(`drop index concurrently if exists ${invalid.name}`);
  log.warn(
    "migrate.invalid_index_dropped",
    `${tag}: dropped the invalid index ${invalid.name} left by an interrupted or ` +
      "failed build (DROP INDEX CONCURRENTLY), to build it again",
    { tag },
  );
}

function noTransactionFailed(
  error: unknown,
  where: string,
  file: MigrationFile,
  index: number,
  settings: MigratorSettings,
): MigrationError {
  const sqlState = sqlStateOf(error);
  const statement = excerpt(file.statements[index] ?? "", 500);
  const postgres = describeError(error);
  const advice =
    sqlState === STATEMENT_TIMEOUT
      ? "\nThe statement ran longer than " +
        `${namedValue(settings, "noTransactionStatementTimeoutMs")}; raise it for this deploy.`
      : sqlState === LOCK_TIMEOUT
        ? `\nIt hit lock_timeout (${namedValue(settings, "lockTimeoutMs")}) on every ` +
          `attempt (${namedValue(settings, "lockTimeoutRetries")}). A CONCURRENTLY ` +
          "build also waits, under lock_timeout, for every transaction older than it: end the " +
          "long-running one (see lock_timeout_retries_exhausted in the docs)."
        : "";
  const before = index === 0 ? "No statement of it" : `Its statements 1 to ${index}`;
  return new MigrationError(
    "MIGRATION_FAILED",
    `${where} failed: ${postgres}\nStatement: ${statement}\n` +
      `${file.tag} runs outside a transaction: ${before} stayed applied, it is not recorded in ` +
      "the ledger, and the next run repeats it from the start (an invalid index a failed " +
      "CONCURRENTLY build left is dropped first). Migrations before it are committed. If data " +
      "blocks the statement, fix the data; if the statement is wrong, correct the file (it is " +
      "not recorded here) and deploy again." +
      advice,
    { tag: file.tag, statement, sqlState, cause: error },
  );
}
